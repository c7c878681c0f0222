"""One chat turn over HTTP: open or resume the session, ask, remember the state, store the turn.

Shared by `/api/chat` and `/api/chat/stream` (both answer the same way; the stream only delivers it
in pieces). The session row keeps the assistant's own `ConversationState` (slots and the last turn
understood), so a follow-up ("有25个员工，留工补助多少？") is read in the light of the turn before.
"""

from __future__ import annotations

import logging
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from api.errors import RequestRejected
from api.storage import ConversationStore, UnknownSession, new_token
from api.wire import Text
from assistant.contract import Answer
from assistant.pipeline import Assistant, ConversationState
from assistant.settings import Settings

__all__ = ["ChatRequest", "ChatResponse", "converse", "check_question", "open_session"]

log = logging.getLogger(__name__)


class ChatRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"question": "我开饭店，有什么补贴？", "session_id": None, "as_of": None},
        {"question": "有25个员工，都参保了，留工补助多少？", "session_id": None, "as_of": "2022-07-01"},
    ]})

    question: Text = Field(min_length=1, description="问题（默认最多 500 字，见 max_question_chars）")
    session_id: str | None = Field(None, max_length=64, description="上一轮返回的 session_id；首轮为 null")
    as_of: date | None = Field(None, description="按哪一天判断时效，默认今天")


class ChatResponse(Answer):
    session_id: str = Field(description="本会话的 id，下一轮随问题发回")
    answer_id: str = Field(description="这条回答的 id，用于反馈")


def check_question(question: str, settings: Settings, field: str = "question") -> None:
    """Reject an over-long question before the model spends any time on it."""
    if len(question) > settings.max_question_chars:
        raise RequestRejected(
            f"问题太长：最多 {settings.max_question_chars} 个字，当前 {len(question)} 个字。请精简后再问。",
            code="question_too_long",
            field=field,
        )


def open_session(store: ConversationStore, session_id: str | None) -> tuple[str, ConversationState]:
    """The stored state of a live session, or a new session when none was given."""
    if session_id is None:
        new_id = store.create_session()
        return new_id, ConversationState(session_id=new_id)
    record = store.get_session(session_id)
    if record is None:
        raise UnknownSession()
    return record.id, ConversationState.from_dict(record.slots, session_id=record.id)


def converse(body: ChatRequest, assistant: Assistant, store: ConversationStore, settings: Settings) -> ChatResponse:
    check_question(body.question, settings)
    session_id, state = open_session(store, body.session_id)
    answer = assistant.ask(body.question, session=state, as_of=body.as_of)
    answer_id = new_token()
    # the store masks ID-card and phone numbers in everything it writes (question, answer, state)
    store.update_slots(session_id, state.to_dict(), context=[body.question])
    store.add_turn(
        session_id,
        body.question,
        answer.model_dump(mode="json"),
        answer.status,
        answer.intent,
        answer.index_version,
        answer_id=answer_id,
    )
    log.info(
        "chat turn",
        extra={"question": body.question, "status": answer.status, "intent": answer.intent,
               "timing_ms": answer.timing_ms, "answer_id": answer_id},
    )
    return ChatResponse.model_validate({**answer.model_dump(), "session_id": session_id, "answer_id": answer_id})
