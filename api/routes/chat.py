"""POST /api/chat (one JSON Answer) and POST /api/chat/stream (the same Answer as server-sent events)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from api.conversation import ChatRequest, ChatResponse, converse
from api.deps import AnswerWorkersDep, AssistantDep, SettingsDep, StoreDep, answer_in_worker
from api.errors import INTERNAL_MESSAGE, ErrorDetail, error_responses
from assistant.contract import Calculation, Citation, Validity

__all__ = ["router", "sse_event", "split_for_stream"]

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api", tags=["chat"])

# Pieces of about a phrase: small enough to show the answer growing, and a citation marker such
# as "[12]" is never cut in two.
STREAM_PIECE_CHARS = 12
_PIECES = re.compile(r"\[\d+\]|[^\[]{1,%d}|\[" % STREAM_PIECE_CHARS)

_SSE_DESCRIPTION = (
    "text/event-stream：`meta` {session_id, answer_id, status, intent} → 若干 `delta` {text} → "
    "`citations` {citations, calculation, validity} → `done`（完整 Answer，含 session_id、answer_id）；"
    "出错时 `error` {error: {code, message}}。每个事件的 data 是一行 JSON。"
)


class StreamMeta(BaseModel):
    session_id: str
    answer_id: str
    status: str
    intent: str


class StreamDelta(BaseModel):
    text: str


class StreamCitations(BaseModel):
    citations: list[Citation]
    calculation: Calculation | None
    validity: Validity | None


class StreamError(BaseModel):
    error: ErrorDetail


def _component(model: type[BaseModel] | str) -> dict[str, Any]:
    if isinstance(model, str):
        return {"$ref": f"#/components/schemas/{model}"}
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode="serialization")
    schema.pop("$defs", None)  # the nested models (Citation, …) are components of the app's schema already
    return schema


def _event_schema(name: str, data: type[BaseModel] | str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["event", "data"],
        "properties": {
            "event": {"const": name},
            "data": {"type": "string", "contentMediaType": "application/json", "contentSchema": _component(data)},
        },
    }


#: one server-sent event of /api/chat/stream (OpenAPI < 3.2: `schema` of an event stream describes each event)
STREAM_EVENT_SCHEMA = {
    "oneOf": [
        _event_schema("meta", StreamMeta),
        _event_schema("delta", StreamDelta),
        _event_schema("citations", StreamCitations),
        _event_schema("done", "ChatResponse"),
        _event_schema("error", StreamError),
    ]
}


@router.post("/chat", response_model=ChatResponse, responses=error_responses(404))
async def chat(body: ChatRequest, assistant: AssistantDep, store: StoreDep, settings: SettingsDep,
               workers: AnswerWorkersDep) -> ChatResponse:
    """回答一个问题（带引用、计算和时效）；session_id 为 null 时新建会话。"""
    return await answer_in_worker(workers, converse, body, assistant, store, settings)


@router.post(
    "/chat/stream",
    response_class=StreamingResponse,
    responses={
        200: {"description": _SSE_DESCRIPTION, "content": {"text/event-stream": {"schema": STREAM_EVENT_SCHEMA}}},
        **error_responses(404),
    },
)
async def chat_stream(body: ChatRequest, assistant: AssistantDep, store: StoreDep, settings: SettingsDep,
                      workers: AnswerWorkersDep) -> StreamingResponse:
    """与 /api/chat 相同的回答，以服务器推送事件（SSE）逐段发送。"""
    # Session and question errors surface before the stream opens, as ordinary JSON errors.
    result = await answer_in_worker(workers, converse, body, assistant, store, settings)
    return StreamingResponse(
        _events(result),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def split_for_stream(text: str) -> list[str]:
    """The answer text in short pieces that join back to exactly the text."""
    return _PIECES.findall(text)


def sse_event(event: str, data: Any) -> bytes:
    # json.dumps escapes newlines inside strings, so the payload is always one `data:` line.
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"event: {event}\ndata: {payload}\n\n".encode("utf-8", "replace")


async def _events(result: ChatResponse) -> AsyncIterator[bytes]:
    try:
        meta = StreamMeta(session_id=result.session_id, answer_id=result.answer_id, status=result.status,
                          intent=result.intent)
        yield sse_event("meta", meta.model_dump(mode="json"))
        for piece in split_for_stream(result.answer):
            yield sse_event("delta", StreamDelta(text=piece).model_dump(mode="json"))
        cites = StreamCitations(citations=result.citations, calculation=result.calculation, validity=result.validity)
        yield sse_event("citations", cites.model_dump(mode="json"))
        yield sse_event("done", result.model_dump(mode="json"))
    except Exception:
        log.exception("chat stream failed")
        error = StreamError(error=ErrorDetail(code="internal_error", message=INTERNAL_MESSAGE))
        yield sse_event("error", error.model_dump(mode="json", exclude_none=True))
