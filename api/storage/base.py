"""The conversation store's interface, written once: every public method masks personal data here,
then hands the masked values to its backend's storage step.

`ConversationStore` holds the behaviour both backends share (ids, expiry arithmetic, PII masking, JSON
in and out); `SqliteStore` and `PostgresStore` implement only the abstract `_…` steps, each a few
statements in one transaction. A backend never sees a question, an answer or a comment that has not
been through `storable_text` / `storable_json`, so what reaches SQLite's file and what reaches
PostgreSQL's is the same text.

Privacy: every text that reaches a statement goes through `assistant.privacy` first (questions, answer
JSON, slots, feedback comments), so no ID-card or mobile number is ever written. Numbers in the JSON
keep their type (an amount stays a number); one the question names as a phone or ID is stored as null.
Ids a client sends (session, answer) are only looked up, never written.

Text is made storable in both backends alike: a lone surrogate (invalid UTF-8, which SQLite rejects)
and NUL (which PostgreSQL's text type cannot hold) become U+FFFD, the replacement character.

Expiry: a session not seen for `ttl_seconds` is treated as missing; `purge_expired` deletes it with its
turns and their feedback (foreign keys cascade).

Errors (both subclasses of `index.errors.PolicyQAError`):
    UnknownSession   unknown_session   the session id is unknown or expired
    UnknownAnswer    unknown_answer    feedback names an answer id that was never stored
"""

from __future__ import annotations

import json
import secrets
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from assistant.privacy import redact, redact_value
from index.errors import PolicyQAError

__all__ = [
    "ConversationStore",
    "MigrationList",
    "SessionRecord",
    "TurnRecord",
    "FeedbackRecord",
    "JudgedTurn",
    "NewTurn",
    "UnknownSession",
    "UnknownAnswer",
    "new_token",
    "storable_text",
    "storable_json",
]

# 16 random bytes = 128 bits: unguessable, so a session id is its own bearer credential.
TOKEN_BYTES = 16


class UnknownSession(PolicyQAError):
    """The session id was never issued, or the session expired."""

    code = "unknown_session"

    def __init__(self, message: str = "会话不存在或已过期，请重新开始对话。", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)


class UnknownAnswer(PolicyQAError):
    """Feedback names an answer id this store never recorded (or has purged)."""

    code = "unknown_answer"

    def __init__(self, message: str = "找不到这条回答，无法提交反馈。", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)


@dataclass(frozen=True, slots=True)
class SessionRecord:
    id: str
    created_at: datetime
    last_seen_at: datetime
    slots: dict[str, Any]


class MigrationList(list):
    """A backend's schema steps, registered by decorator; they run in definition order, each exactly once
    per database (each backend keeps its own list: the SQL differs, the bookkeeping does not)."""

    def register(self, fn):
        self.append(fn)
        return fn


@dataclass(frozen=True, slots=True)
class TurnRecord:
    answer_id: str
    session_id: str
    created_at: datetime
    question: str
    answer: dict[str, Any]
    status: str
    intent: str
    index_version: str


@dataclass(frozen=True, slots=True)
class FeedbackRecord:
    id: str
    answer_id: str
    helpful: bool
    comment: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class JudgedTurn:
    """One feedback row with the turn it judges (the staff view's raw material)."""

    answer_id: str
    helpful: bool
    comment: str | None
    created_at: datetime
    question: str
    answer: dict[str, Any]
    status: str
    intent: str
    index_version: str


@dataclass(frozen=True, slots=True)
class NewTurn:
    """A turn as a backend writes it: built only by `ConversationStore.add_turn`, after masking."""

    answer_id: str
    session_id: str
    question: str
    answer_json: str
    status: str
    intent: str
    index_version: str


def new_token() -> str:
    """A random URL-safe id for sessions, answers and feedback."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def _valid_text(text: str) -> str:
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").replace("\x00", "\ufffd")


def _valid_value(value: Any) -> Any:
    if isinstance(value, str):
        return _valid_text(value)
    if isinstance(value, dict):
        return {(_valid_text(k) if isinstance(k, str) else k): _valid_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_valid_value(v) for v in value]
    return value


def storable_text(text: str) -> str:
    """Text as it may be stored: lone surrogates and NUL replaced, ID-card and mobile numbers masked."""
    return redact(_valid_text(text))


def storable_json(value: Any, context: Iterable[str] = ()) -> str:
    """JSON text as it may be stored: every string masked, numbers kept as numbers (see `redact_value`)."""
    # Masking the values, not the JSON text: the text pass would read an 11-digit amount in the JSON
    # as a phone and write a mask where a number was, changing the stored value's type.
    masked = redact_value(_valid_value(value), context=[_valid_text(c) for c in context])
    text = json.dumps(masked, ensure_ascii=False, default=str, sort_keys=True)
    # `default=str` may still bring a lone surrogate from an object's text; NUL is escaped by json.dumps
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


class ConversationStore(ABC):
    """Sessions, turns and feedback of the chat. Safe to call from many threads (and, on PostgreSQL,
    from many processes and machines at once)."""

    #: "sqlite" or "postgresql"
    backend: str = ""

    def __init__(self, ttl_seconds: int, *, clock: Callable[[], float] = time.time) -> None:
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        self.ttl_seconds = ttl_seconds
        self._clock = clock

    def _cutoff(self, now: float) -> float:
        return now - self.ttl_seconds

    # sessions

    def create_session(self) -> str:
        """Start a session with no slots; return its id."""
        session_id = new_token()
        self._insert_session(session_id, self._clock())
        return session_id

    def get_session(self, session_id: str) -> SessionRecord | None:
        """The session, its last-seen time moved to now; None when unknown or expired."""
        now = self._clock()
        return self._touch_session(session_id, now, self._cutoff(now))

    def update_slots(self, session_id: str, slots: dict[str, Any], *, context: Iterable[str] = ()) -> None:
        """Replace the session's slots (PII masked); raise UnknownSession when unknown or expired.

        `context`: the text the slots were read from (the question), so a number it names as someone's
        phone or ID is withheld from the slots too.
        """
        now = self._clock()
        if not self._set_slots(session_id, storable_json(slots, context), now, self._cutoff(now)):
            raise UnknownSession()

    # turns

    def add_turn(
        self,
        session_id: str,
        question: str,
        answer: dict[str, Any],
        status: str,
        intent: str,
        index_version: str,
        *,
        answer_id: str | None = None,
    ) -> str:
        """Record one question and its answer (both PII-masked); return the answer id.

        Pass `answer_id` when it had to be announced before the answer was complete (streaming).
        Raises UnknownSession when the session is unknown or expired.
        """
        now = self._clock()
        turn = NewTurn(answer_id or new_token(), session_id, storable_text(question),
                       storable_json(answer, [question]), status, intent, index_version)
        if not self._insert_turn(turn, now, self._cutoff(now)):
            raise UnknownSession()
        return turn.answer_id

    def recent_turns(self, session_id: str, limit: int) -> list[TurnRecord]:
        """The session's last `limit` turns, oldest first; empty for an unknown or expired session."""
        if limit <= 0:
            return []
        now = self._clock()
        rows = self._recent_turns(session_id, limit, self._cutoff(now))
        return [TurnRecord(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6], r[7]) for r in reversed(rows)]

    # feedback

    def add_feedback(self, answer_id: str, helpful: bool, comment: str | None = None) -> str:
        """Record a citizen's verdict on an answer (comment PII-masked); raise UnknownAnswer for unknown ids."""
        feedback_id = new_token()
        clean = None if comment is None else storable_text(comment)
        if not self._insert_feedback(feedback_id, answer_id, bool(helpful), clean, self._clock()):
            raise UnknownAnswer()
        return feedback_id

    def feedback_for(self, answer_id: str) -> list[FeedbackRecord]:
        """Every feedback given on one answer, oldest first."""
        return [FeedbackRecord(r[0], r[1], bool(r[2]), r[3], r[4]) for r in self._feedback_for(answer_id)]

    def judged_turns(self) -> list[JudgedTurn]:
        """Every feedback row with the turn it judges, oldest feedback first."""
        return [JudgedTurn(r[0], bool(r[1]), r[2], r[3], r[4], _json_object(r[5]), r[6], r[7], r[8])
                for r in self._judged_turns()]

    # housekeeping

    def purge_expired(self, now: datetime | float | None = None) -> int:
        """Delete sessions unseen for longer than the TTL, with their turns and feedback; return how many."""
        if now is None:
            ts = self._clock()
        elif isinstance(now, datetime):
            ts = now.timestamp()
        else:
            ts = float(now)
        return self._delete_sessions_before(self._cutoff(ts))

    @abstractmethod
    def check_integrity(self) -> str:
        """"ok", or the first problems the backend's own check found."""

    @abstractmethod
    def close(self) -> None:
        """Release the connections; the store cannot be used afterwards."""

    def __enter__(self) -> ConversationStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # storage steps: each runs in one transaction; times are POSIX seconds

    @abstractmethod
    def _insert_session(self, session_id: str, now: float) -> None: ...

    @abstractmethod
    def _touch_session(self, session_id: str, now: float, cutoff: float) -> SessionRecord | None:
        """The live session with last_seen_at moved to `now`, or None."""

    @abstractmethod
    def _set_slots(self, session_id: str, slots_json: str, now: float, cutoff: float) -> bool:
        """False when the session is unknown or expired."""

    @abstractmethod
    def _insert_turn(self, turn: NewTurn, now: float, cutoff: float) -> bool:
        """Insert the turn and touch its session; False (nothing written) when the session is not live."""

    @abstractmethod
    def _recent_turns(self, session_id: str, limit: int, cutoff: float) -> list[tuple]:
        """Newest first: (id, session_id, created_at, question, answer_json, status, intent, index_version)."""

    @abstractmethod
    def _insert_feedback(self, feedback_id: str, answer_id: str, helpful: bool, comment: str | None,
                         now: float) -> bool:
        """False (nothing written) when the answer id is unknown."""

    @abstractmethod
    def _feedback_for(self, answer_id: str) -> list[tuple]:
        """Oldest first: (id, answer_id, helpful, comment, created_at)."""

    @abstractmethod
    def _judged_turns(self) -> list[tuple]:
        """Oldest feedback first: (answer_id, helpful, comment, created_at, question, answer_json, status,
        intent, index_version)."""

    @abstractmethod
    def _delete_sessions_before(self, cutoff: float) -> int: ...


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
