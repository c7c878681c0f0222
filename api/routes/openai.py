"""OpenAI-compatible face: POST /v1/chat/completions (plain and streaming) and GET /v1/models.

Any OpenAI client can ask the assistant. The last user message is the question; earlier user
messages are replayed through the assistant first (up to `max_turns_context`), so a follow-up is
understood in context although the protocol is stateless. The answer text is
`choices[0].message.content`; citations, calculation, validity and status travel in the extra
top-level field `policy_qa` (in the last chunk when streaming).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from api.conversation import check_question
from api.deps import AnswerWorkersDep, AssistantDep, SettingsDep, answer_in_worker
from api.errors import RequestRejected, error_responses
from api.routes.chat import split_for_stream
from api.storage import new_token
from api.wire import Text
from assistant.contract import Answer, Calculation, Citation, Validity
from assistant.pipeline import Assistant, ConversationState
from assistant.settings import Settings

__all__ = ["router", "MODEL_ID"]

router = APIRouter(prefix="/v1", tags=["openai"])

MODEL_ID = "policy-qa"
_STARTED = int(time.time())


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: Text | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: Text | list[ContentPart] | None = None


class ChatCompletionRequest(BaseModel):
    """The fields policy-qa reads; other OpenAI parameters (temperature, …) are accepted and ignored."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [
        {"model": MODEL_ID, "messages": [{"role": "user", "content": "一次性留工培训补助的标准是多少？"}]},
        {"model": MODEL_ID, "stream": True, "messages": [
            {"role": "user", "content": "我开饭店，在低风险地区"},
            {"role": "assistant", "content": "……"},
            {"role": "user", "content": "有25个员工，都参保了，留工补助多少？"},
        ]},
    ]})
    model: str = Field(MODEL_ID, max_length=200)
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool = False


class PolicyQAExtra(BaseModel):
    status: str
    intent: str
    citations: list[Citation]
    calculation: Calculation | None = None
    validity: Validity | None = None
    slots: dict[str, Any] = Field(default_factory=dict)
    missing: list[str] = Field(default_factory=list)
    index_version: str = ""
    contract_version: str = ""


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage
    policy_qa: PolicyQAExtra


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


#: one server-sent event of a streamed completion: a JSON chunk, or the literal [DONE] at the end
CHUNK_EVENT_SCHEMA = {
    "type": "object",
    "required": ["data"],
    # no `event:` line, so the event type is the default one, "message"
    "properties": {"data": {"type": "string", "minLength": 1}, "event": {"const": "message"}},
}
_SSE_DESCRIPTION = "stream=true 时为 text/event-stream：若干 `data: {chat.completion.chunk}`，最后一块带 policy_qa，然后 `data: [DONE]`。"


@router.get("/models", response_model=ModelList, responses=error_responses())
def models() -> ModelList:
    """可用的模型（只有 policy-qa）。"""
    return ModelList(data=[ModelCard(id=MODEL_ID, created=_STARTED, owned_by="policy-qa")])


@router.post(
    "/chat/completions",
    response_model=ChatCompletion,
    responses={200: {"description": _SSE_DESCRIPTION, "content": {"text/event-stream": {"schema": CHUNK_EVENT_SCHEMA}}}},
)
async def chat_completions(body: ChatCompletionRequest, assistant: AssistantDep, settings: SettingsDep,
                           workers: AnswerWorkersDep) -> Any:
    """OpenAI Chat Completions 兼容接口：最后一条 user 消息为问题。"""
    questions = _user_texts(body.messages)
    for i, q in enumerate(questions):
        check_question(q, settings, field=f"messages.{i}.content")
    answer = await answer_in_worker(workers, _answer, assistant, settings, questions)
    completion_id = "chatcmpl-" + new_token()
    created = int(time.time())
    extra = _extra(answer)
    if body.stream:
        return StreamingResponse(
            _chunks(completion_id, created, answer.answer, extra),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )
    prompt_chars = sum(len(q) for q in questions)
    return ChatCompletion(
        id=completion_id,
        created=created,
        model=MODEL_ID,
        choices=[Choice(message=AssistantMessage(content=answer.answer))],
        # characters, not tokens: there is no tokenizer of a generative model to count with
        usage=Usage(prompt_tokens=prompt_chars, completion_tokens=len(answer.answer),
                    total_tokens=prompt_chars + len(answer.answer)),
        policy_qa=extra,
    )


def _text_of(message: ChatMessage) -> str:
    if isinstance(message.content, str):
        return message.content
    if isinstance(message.content, list):
        return "".join(p.text or "" for p in message.content if p.type == "text")
    return ""


def _user_texts(messages: list[ChatMessage]) -> list[str]:
    """The user turns that matter, oldest first; the last one is the question."""
    texts = [_text_of(m) for m in messages if m.role == "user"]
    texts = [t for t in texts if t.strip()]
    if not texts:
        raise RequestRejected("消息中没有用户（role 为 user）的问题。", code="no_question", field="messages")
    return texts


def _answer(assistant: Assistant, settings: Settings, questions: list[str]) -> Answer:
    state = ConversationState()
    earlier_turns = questions[:-1][-settings.max_turns_context:] if settings.max_turns_context else []
    for earlier in earlier_turns:
        assistant.ask(earlier, session=state)
    return assistant.ask(questions[-1], session=state)


def _extra(answer: Answer) -> PolicyQAExtra:
    return PolicyQAExtra(
        status=answer.status, intent=answer.intent, citations=answer.citations, calculation=answer.calculation,
        validity=answer.validity, slots=answer.slots, missing=answer.missing, index_version=answer.index_version,
        contract_version=answer.version,
    )


def _chunk(completion_id: str, created: int, delta: dict[str, Any], finish: str | None, **extra: Any) -> bytes:
    chunk = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": MODEL_ID,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }
    return f"data: {json.dumps(chunk, ensure_ascii=False, separators=(',', ':'))}\n\n".encode("utf-8", "replace")


async def _chunks(completion_id: str, created: int, text: str, extra: PolicyQAExtra) -> AsyncIterator[bytes]:
    yield _chunk(completion_id, created, {"role": "assistant", "content": ""}, None)
    for piece in split_for_stream(text):
        yield _chunk(completion_id, created, {"content": piece}, None)
    yield _chunk(completion_id, created, {}, "stop", policy_qa=extra.model_dump(mode="json"))
    yield b"data: [DONE]\n\n"
