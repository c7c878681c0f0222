"""Dependencies of the route handlers: the objects the lifespan built once, as `Annotated` aliases."""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from api.errors import Forbidden, NotReady, Unauthorized
from api.guards import is_loopback_request
from api.storage import ConversationStore
from assistant.pipeline import Assistant
from assistant.rules import RuleBook
from assistant.settings import Settings

__all__ = [
    "get_settings",
    "get_assistant",
    "get_store",
    "get_answer_workers",
    "answer_in_worker",
    "get_rulebook",
    "require_staff",
    "staff_access_line",
    "staff_paths",
    "SettingsDep",
    "AssistantDep",
    "StoreDep",
    "AnswerWorkersDep",
    "RuleBookDep",
    "STAFF",
]

T = TypeVar("T")

_api_key = APIKeyHeader(name="X-API-Key", auto_error=False,
                        description="工作人员密钥（服务端设置了 staff_api_key 时必填；未设置时工作人员接口只对本机开放）")


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_assistant(request: Request) -> Assistant:
    assistant = request.app.state.assistant
    if assistant is None:
        reason = request.app.state.load_error
        raise NotReady(reason or "服务正在启动，模型和索引加载中，请稍后再试。")
    return assistant


def get_store(request: Request) -> ConversationStore:
    return request.app.state.store


async def get_answer_workers(request: Request) -> anyio.CapacityLimiter:
    """The limiter of the threads that answer questions (created in the event loop, once per app)."""
    state = request.app.state
    limiter = getattr(state, "answer_workers", None)
    if limiter is None:
        settings: Settings = state.settings
        limiter = state.answer_workers = anyio.CapacityLimiter(settings.answer_threads())
    return limiter


async def answer_in_worker(limiter: anyio.CapacityLimiter, fn: Callable[..., T], *args: Any) -> T:
    """Run one answer's CPU-bound work in a worker thread, at most `limiter` of them at once.

    Requests past the limit wait here, in the event loop, rather than as runnable threads: forty threads
    sharing two cores and one interpreter lock made every lock hand-off (the conversation store's
    writes above all) slower as the queue grew, until answers timed out.
    """
    return await anyio.to_thread.run_sync(functools.partial(fn, *args), limiter=limiter)


SettingsDep = Annotated[Settings, Depends(get_settings)]
AssistantDep = Annotated[Assistant, Depends(get_assistant)]
StoreDep = Annotated[ConversationStore, Depends(get_store)]
AnswerWorkersDep = Annotated[anyio.CapacityLimiter, Depends(get_answer_workers)]


def get_rulebook(assistant: AssistantDep) -> RuleBook:
    if assistant.rules is None:
        raise NotReady("计算规则未能加载，金额计算和政策匹配暂不可用。", code="rules_unavailable")
    return assistant.rules


RuleBookDep = Annotated[RuleBook, Depends(get_rulebook)]


def require_staff(request: Request, settings: SettingsDep,
                  key: Annotated[str | None, Security(_api_key)] = None) -> None:
    """Staff endpoints need the key when one is configured (compared in constant time); with none
    configured they answer only requests from this machine that no proxy forwarded."""
    expected = settings.staff_api_key
    if not expected:
        if not is_loopback_request(request.scope):
            raise Forbidden("未设置工作人员密钥（POLICY_QA_STAFF_API_KEY）时，工作人员接口只对本机开放。",
                            code="staff_loopback_only")
        return
    if key is None or not secrets.compare_digest(key.encode("utf-8", "replace"), expected.encode("utf-8")):
        raise Unauthorized("需要有效的工作人员 API 密钥（请求头 X-API-Key）。")


def staff_paths(openapi: dict[str, Any]) -> list[str]:
    """The paths whose operations require the staff key, read from the app's OpenAPI document (every
    route that depends on `require_staff` declares the X-API-Key security scheme there)."""
    return sorted(path for path, ops in openapi.get("paths", {}).items()
                  if any(isinstance(op, dict) and op.get("security") for op in ops.values()))


def staff_access_line(settings: Settings, paths: list[str]) -> tuple[int, str]:
    """(log level, the one start-up line that says how the staff endpoints `paths` are protected)."""
    listed = ", ".join(paths)
    if settings.staff_api_key:
        return logging.INFO, f"staff endpoints ({listed}) require the X-API-Key header (POLICY_QA_STAFF_API_KEY is set)"
    level = logging.INFO if settings.host in ("127.0.0.1", "localhost", "::1") else logging.WARNING
    return level, (f"staff endpoints ({listed}) answer loopback clients only: POLICY_QA_STAFF_API_KEY is not set, "
                   f"so requests from other machines or through a proxy get 403 (listening on {settings.host}); "
                   "set a key to use the console from elsewhere")


#: `dependencies=STAFF` on a router or route
STAFF = [Depends(require_staff)]
