"""Conversation store: sessions, turns and feedback in one SQLite file, PII masked before it is written.

The schema grows by ordered migrations (`m001_initial`, `m002_…`) recorded in `_migrations` and applied
when the store opens, in one transaction, so an interrupted upgrade leaves the previous schema intact.

Durability and concurrency choices:

- WAL journal: readers never block the writer and a killed process leaves a file SQLite can recover.
- `synchronous=NORMAL`: in WAL mode a commit survives a crash of the process (the kernel has the pages);
  only a power cut can lose the last commits. That is acceptable for a chat log.
- `busy_timeout`: another *process* (a second uvicorn worker, a CLI purge) holding the write lock
  makes us wait instead of failing with "database is locked".
- Every write transaction is `BEGIN IMMEDIATE`. A deferred transaction that reads and then writes
  cannot wait for the lock once another connection has committed in between: SQLite answers
  SQLITE_BUSY at once, whatever the busy timeout. Taking the write lock up front avoids that.
- Inside one process, writes are serialised by a lock and each thread borrows a connection from a small
  pool, so FastAPI's threadpool never shares a connection between two threads at once.

Privacy: every text that reaches a statement goes through `assistant.privacy` first (questions, answer
JSON, slots, feedback comments), so no ID-card or mobile number is ever written to the file or its WAL.
Numbers in the JSON keep their type (an amount stays a number); one the question names as a phone or ID
is stored as null. Ids a client sends (session, answer) are only looked up, never written.

Expiry: a session not seen for `ttl_seconds` is treated as missing; `purge_expired` deletes it with its
turns and their feedback (foreign keys cascade).

Errors (both subclasses of `index.errors.PolicyQAError`):
    UnknownSession   unknown_session   the session id is unknown or expired
    UnknownAnswer    unknown_answer    feedback names an answer id that was never stored
"""

from __future__ import annotations

import json
import logging
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.privacy import redact, redact_value
from index.errors import PolicyQAError

__all__ = [
    "ConversationStore",
    "SessionRecord",
    "TurnRecord",
    "FeedbackRecord",
    "UnknownSession",
    "UnknownAnswer",
    "MIGRATIONS",
    "apply_migrations",
    "new_token",
    "BUSY_TIMEOUT_MS",
]

logger = logging.getLogger(__name__)

# Long enough to ride out another process's write burst (a purge of thousands of rows takes well
# under a second); short enough that a wedged writer surfaces as an error within a request timeout.
BUSY_TIMEOUT_MS = 5000
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


# --- migrations -------------------------------------------------------------------------------------

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[Migration] = []


def migration(fn: Migration) -> Migration:
    """Register a schema step; steps run in definition order, each exactly once per database."""
    MIGRATIONS.append(fn)
    return fn


@migration
def m001_initial(conn: sqlite3.Connection) -> None:
    conn.execute(
        """CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            slots_json TEXT NOT NULL DEFAULT '{}'
        )"""
    )
    conn.execute("CREATE INDEX sessions_last_seen ON sessions (last_seen_at)")
    conn.execute(
        """CREATE TABLE turns (
            id TEXT PRIMARY KEY,
            session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            question TEXT NOT NULL,
            answer_json TEXT NOT NULL,
            status TEXT NOT NULL,
            intent TEXT NOT NULL,
            index_version TEXT NOT NULL
        )"""
    )
    conn.execute("CREATE INDEX turns_session ON turns (session_id, created_at)")
    conn.execute(
        """CREATE TABLE feedback (
            id TEXT PRIMARY KEY,
            answer_id TEXT NOT NULL REFERENCES turns (id) ON DELETE CASCADE,
            helpful INTEGER NOT NULL CHECK (helpful IN (0, 1)),
            comment TEXT,
            created_at TEXT NOT NULL
        )"""
    )
    conn.execute("CREATE INDEX feedback_answer ON feedback (answer_id)")


def apply_migrations(conn: sqlite3.Connection, migrations: list[Migration] | None = None) -> list[str]:
    """Apply the migrations not yet recorded in `_migrations`, in order, in one transaction; return their names."""
    migrations = MIGRATIONS if migrations is None else migrations
    names = [m.__name__ for m in migrations]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate migration names: {names}")
    conn.execute("BEGIN IMMEDIATE")  # two processes opening a new file must not both run m001
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        done = {row[0] for row in conn.execute("SELECT name FROM _migrations")}
        applied = []
        for step in migrations:
            if step.__name__ in done:
                continue
            step(conn)
            conn.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", (step.__name__, _iso(time.time())))
            applied.append(step.__name__)
        unknown = done - set(names)
        if unknown:
            logger.warning("database has migrations this code does not know: %s", sorted(unknown))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    if applied:
        logger.info("applied migrations %s", applied)
    return applied


# --- helpers ----------------------------------------------------------------------------------------


def new_token() -> str:
    """A random URL-safe id for sessions, answers and feedback."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def _iso(ts: float) -> str:
    # Fixed width (always microseconds, always +00:00) so text order is time order in SQL comparisons.
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds")


def _clean(text: str) -> str:
    """Text as it may be stored: lone surrogates replaced (SQLite needs valid UTF-8), PII masked."""
    text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return redact(text)


def _clean_json(value: Any, context: Iterable[str] = ()) -> str:
    """JSON text as it may be stored: every string masked, numbers kept as numbers (see `redact_value`)."""
    # Masking the values, not the JSON text: the text pass would read an 11-digit amount in the JSON
    # as a phone and write a mask where a number was, changing the stored value's type.
    text = json.dumps(redact_value(value, context=context), ensure_ascii=False, default=str, sort_keys=True)
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


# --- the store --------------------------------------------------------------------------------------


class ConversationStore:
    """Sessions, turns and feedback of the chat, in one SQLite file. Safe to call from many threads."""

    def __init__(self, path: Path, ttl_seconds: int, *, clock: Callable[[], float] = time.time) -> None:
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        self.path = Path(path)
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._pool_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        self._closed = False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connection() as conn:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                logger.warning("SQLite at %s runs in %s mode, not WAL; readers may block writers", self.path, mode)
            apply_migrations(conn)

    # connections

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: we issue BEGIN IMMEDIATE / COMMIT ourselves instead of the module's
        # implicit deferred BEGIN. check_same_thread=False: a pooled connection moves between threads,
        # but the pool hands it to one thread at a time.
        conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
        )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        with self._pool_lock:
            if self._closed:
                raise RuntimeError("ConversationStore is closed")
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = self._connect()
        try:
            yield conn
        finally:
            with self._pool_lock:
                if self._closed:
                    conn.close()
                else:
                    self._idle.append(conn)

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._write_lock, self._connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def close(self) -> None:
        """Close every idle connection; connections in use close when their call returns."""
        with self._pool_lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def __enter__(self) -> ConversationStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # sessions

    def _cutoff(self, now: float) -> str:
        return _iso(now - self.ttl_seconds)

    def _live_session(self, conn: sqlite3.Connection, session_id: str, now: float) -> tuple | None:
        row = conn.execute(
            "SELECT id, created_at, last_seen_at, slots_json FROM sessions WHERE id = ?", (session_id,)
        ).fetchone()
        if row is None or row[2] < self._cutoff(now):
            return None
        return row

    def create_session(self) -> str:
        """Start a session with no slots; return its id."""
        session_id = new_token()
        now = _iso(self._clock())
        with self._write() as conn:
            conn.execute(
                "INSERT INTO sessions (id, created_at, last_seen_at, slots_json) VALUES (?, ?, ?, '{}')",
                (session_id, now, now),
            )
        return session_id

    def get_session(self, session_id: str) -> SessionRecord | None:
        """The session, its last-seen time moved to now; None when unknown or expired."""
        now = self._clock()
        with self._write() as conn:
            row = self._live_session(conn, session_id, now)
            if row is None:
                return None
            conn.execute("UPDATE sessions SET last_seen_at = ? WHERE id = ?", (_iso(now), session_id))
        return SessionRecord(
            id=row[0],
            created_at=datetime.fromisoformat(row[1]),
            last_seen_at=datetime.fromtimestamp(now, UTC),
            slots=json.loads(row[3]),
        )

    def update_slots(self, session_id: str, slots: dict[str, Any], *, context: Iterable[str] = ()) -> None:
        """Replace the session's slots (PII masked); raise UnknownSession when unknown or expired.

        `context`: the text the slots were read from (the question), so a number it names as someone's
        phone or ID is withheld from the slots too.
        """
        now = self._clock()
        slots_json = _clean_json(slots, context)
        with self._write() as conn:
            if self._live_session(conn, session_id, now) is None:
                raise UnknownSession()
            conn.execute(
                "UPDATE sessions SET slots_json = ?, last_seen_at = ? WHERE id = ?", (slots_json, _iso(now), session_id)
            )

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
        answer_id = answer_id or new_token()
        row = (answer_id, session_id, _iso(now), _clean(question), _clean_json(answer, [question]), status, intent,
               index_version)
        with self._write() as conn:
            if self._live_session(conn, session_id, now) is None:
                raise UnknownSession()
            conn.execute(
                "INSERT INTO turns (id, session_id, created_at, question, answer_json, status, intent, index_version)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            conn.execute("UPDATE sessions SET last_seen_at = ? WHERE id = ?", (_iso(now), session_id))
        return answer_id

    def recent_turns(self, session_id: str, limit: int) -> list[TurnRecord]:
        """The session's last `limit` turns, oldest first; empty for an unknown or expired session."""
        if limit <= 0:
            return []
        with self._connection() as conn:
            if self._live_session(conn, session_id, self._clock()) is None:
                return []
            rows = conn.execute(
                "SELECT id, session_id, created_at, question, answer_json, status, intent, index_version"
                " FROM turns WHERE session_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?",
                (session_id, limit),
            ).fetchall()
        return [
            TurnRecord(
                answer_id=r[0],
                session_id=r[1],
                created_at=datetime.fromisoformat(r[2]),
                question=r[3],
                answer=json.loads(r[4]),
                status=r[5],
                intent=r[6],
                index_version=r[7],
            )
            for r in reversed(rows)
        ]

    # feedback

    def add_feedback(self, answer_id: str, helpful: bool, comment: str | None = None) -> str:
        """Record a citizen's verdict on an answer (comment PII-masked); raise UnknownAnswer for unknown ids."""
        feedback_id = new_token()
        row = (feedback_id, answer_id, int(bool(helpful)), None if comment is None else _clean(comment))
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM turns WHERE id = ?", (answer_id,)).fetchone() is None:
                raise UnknownAnswer()
            conn.execute(
                "INSERT INTO feedback (id, answer_id, helpful, comment, created_at) VALUES (?, ?, ?, ?, ?)",
                (*row, _iso(self._clock())),
            )
        return feedback_id

    def feedback_for(self, answer_id: str) -> list[FeedbackRecord]:
        """Every feedback given on one answer, oldest first."""
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT id, answer_id, helpful, comment, created_at FROM feedback WHERE answer_id = ?"
                " ORDER BY created_at, rowid",
                (answer_id,),
            ).fetchall()
        return [FeedbackRecord(r[0], r[1], bool(r[2]), r[3], datetime.fromisoformat(r[4])) for r in rows]

    # housekeeping

    def purge_expired(self, now: datetime | float | None = None) -> int:
        """Delete sessions unseen for longer than the TTL, with their turns and feedback; return how many."""
        if now is None:
            ts = self._clock()
        elif isinstance(now, datetime):
            ts = now.timestamp()
        else:
            ts = float(now)
        with self._write() as conn:
            return conn.execute("DELETE FROM sessions WHERE last_seen_at < ?", (self._cutoff(ts),)).rowcount

    def check_integrity(self) -> str:
        """SQLite's `PRAGMA integrity_check` verdict: "ok" or the first problems found."""
        with self._connection() as conn:
            return "\n".join(row[0] for row in conn.execute("PRAGMA integrity_check"))
