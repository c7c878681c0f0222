"""GET /healthz (the process answers) and GET /readyz (the model and index are loaded)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel

from api.errors import NotReady, error_responses

__all__ = ["router"]

router = APIRouter(tags=["ops"])


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Ready(BaseModel):
    status: Literal["ready"] = "ready"
    index_version: str


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """进程存活。"""
    return Health()


@router.get("/readyz", response_model=Ready, responses=error_responses(503))
def readyz(request: Request) -> Ready:
    """模型与索引已加载、可以回答时为 200，加载中或加载失败时为 503。"""
    assistant = request.app.state.assistant
    if assistant is None:
        raise NotReady(request.app.state.load_error or "服务正在启动，模型和索引加载中。")
    version, _ = assistant.handle.current()
    return Ready(index_version=version.version)
