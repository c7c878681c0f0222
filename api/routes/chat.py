"""POST /api/chat (one JSON Answer) and POST /api/chat/stream (the same Answer as server-sent events)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.conversation import ChatRequest, ChatResponse, converse
from api.deps import AssistantDep, SettingsDep, StoreDep
from api.errors import INTERNAL_MESSAGE, error_responses

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
    "出错时 `error` {error: {code, message}}。"
)


@router.post("/chat", response_model=ChatResponse, responses=error_responses(404))
def chat(body: ChatRequest, assistant: AssistantDep, store: StoreDep, settings: SettingsDep) -> ChatResponse:
    """回答一个问题（带引用、计算和时效）；session_id 为 null 时新建会话。"""
    return converse(body, assistant, store, settings)


@router.post(
    "/chat/stream",
    response_class=StreamingResponse,
    responses={
        200: {"description": _SSE_DESCRIPTION, "content": {"text/event-stream": {"schema": {"type": "string"}}}},
        **error_responses(404),
    },
)
async def chat_stream(body: ChatRequest, assistant: AssistantDep, store: StoreDep, settings: SettingsDep) -> StreamingResponse:
    """与 /api/chat 相同的回答，以服务器推送事件（SSE）逐段发送。"""
    # Session and question errors surface before the stream opens, as ordinary JSON errors.
    result = await run_in_threadpool(converse, body, assistant, store, settings)
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
        full = result.model_dump(mode="json")
        yield sse_event("meta", {"session_id": result.session_id, "answer_id": result.answer_id,
                                 "status": result.status, "intent": result.intent})
        for piece in split_for_stream(result.answer):
            yield sse_event("delta", {"text": piece})
        yield sse_event("citations", {"citations": full["citations"], "calculation": full["calculation"],
                                      "validity": full["validity"]})
        yield sse_event("done", full)
    except Exception:
        log.exception("chat stream failed")
        yield sse_event("error", {"error": {"code": "internal_error", "message": INTERNAL_MESSAGE}})
