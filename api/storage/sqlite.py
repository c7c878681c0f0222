"""The SQLite backend of the conversation store: one file, embedded, the default.

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

Several processes on one machine may share the file; replicas on several machines may not (SQLite's
locks need one kernel): they use the PostgreSQL backend.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from api.storage.base import ConversationStore, MigrationList, NewTurn, SessionRecord

__all__ = ["SqliteStore", "MIGRATIONS", "apply_migrations", "BUSY_TIMEOUT_MS"]

logger = logging.getLogger(__name__)

# Long enough to ride out another process's write burst (a purge of thousands of rows takes well
# under a second); short enough that a wedged writer surfaces as an error within a request timeout.
BUSY_TIMEOUT_MS = 5000


def _iso(ts: float) -> str:
    # Fixed width (always microseconds, always +00:00) so text order is time order in SQL comparisons.
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds")


# --- migrations -------------------------------------------------------------------------------------

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: MigrationList = MigrationList()
migration = MIGRATIONS.register


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


# --- the store --------------------------------------------------------------------------------------


class SqliteStore(ConversationStore):
    """The conversation store in one SQLite file (WAL). Safe to call from many threads and processes
    on one machine."""

    backend = "sqlite"

    def __init__(self, path: Path, ttl_seconds: int, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(ttl_seconds, clock=clock)
        self.path = Path(path)
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

    def __repr__(self) -> str:
        return f"SqliteStore({str(self.path)!r})"

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
                raise RuntimeError("SqliteStore is closed")
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

    # storage steps

    @staticmethod
    def _live(conn: sqlite3.Connection, session_id: str, cutoff: float) -> tuple | None:
        row = conn.execute(
            "SELECT id, created_at, last_seen_at, slots_json FROM sessions WHERE id = ?", (session_id,)
        ).fetchone()
        if row is None or row[2] < _iso(cutoff):
            return None
        return row

    def _insert_session(self, session_id: str, now: float) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO sessions (id, created_at, last_seen_at, slots_json) VALUES (?, ?, ?, '{}')",
                (session_id, _iso(now), _iso(now)),
            )

    def _touch_session(self, session_id: str, now: float, cutoff: float) -> SessionRecord | None:
        with self._write() as conn:
            row = self._live(conn, session_id, cutoff)
            if row is None:
                return None
            conn.execute("UPDATE sessions SET last_seen_at = ? WHERE id = ?", (_iso(now), session_id))
        return SessionRecord(row[0], datetime.fromisoformat(row[1]), datetime.fromtimestamp(now, UTC),
                             json.loads(row[3]))

    def _set_slots(self, session_id: str, slots_json: str, now: float, cutoff: float) -> bool:
        with self._write() as conn:
            if self._live(conn, session_id, cutoff) is None:
                return False
            conn.execute(
                "UPDATE sessions SET slots_json = ?, last_seen_at = ? WHERE id = ?", (slots_json, _iso(now), session_id)
            )
        return True

    def _insert_turn(self, turn: NewTurn, now: float, cutoff: float) -> bool:
        with self._write() as conn:
            if self._live(conn, turn.session_id, cutoff) is None:
                return False
            conn.execute(
                "INSERT INTO turns (id, session_id, created_at, question, answer_json, status, intent, index_version)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (turn.answer_id, turn.session_id, _iso(now), turn.question, turn.answer_json, turn.status,
                 turn.intent, turn.index_version),
            )
            conn.execute("UPDATE sessions SET last_seen_at = ? WHERE id = ?", (_iso(now), turn.session_id))
        return True

    def _recent_turns(self, session_id: str, limit: int, cutoff: float) -> list[tuple]:
        with self._connection() as conn:
            if self._live(conn, session_id, cutoff) is None:
                return []
            rows = conn.execute(
                "SELECT id, session_id, created_at, question, answer_json, status, intent, index_version"
                " FROM turns WHERE session_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?",
                (session_id, limit),
            ).fetchall()
        return [(r[0], r[1], datetime.fromisoformat(r[2]), *r[3:]) for r in rows]

    def _insert_feedback(self, feedback_id: str, answer_id: str, helpful: bool, comment: str | None,
                         now: float) -> bool:
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM turns WHERE id = ?", (answer_id,)).fetchone() is None:
                return False
            conn.execute(
                "INSERT INTO feedback (id, answer_id, helpful, comment, created_at) VALUES (?, ?, ?, ?, ?)",
                (feedback_id, answer_id, int(helpful), comment, _iso(now)),
            )
        return True

    def _feedback_for(self, answer_id: str) -> list[tuple]:
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT id, answer_id, helpful, comment, created_at FROM feedback WHERE answer_id = ?"
                " ORDER BY created_at, rowid",
                (answer_id,),
            ).fetchall()
        return [(*r[:4], datetime.fromisoformat(r[4])) for r in rows]

    def _judged_turns(self) -> list[tuple]:
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT f.answer_id, f.helpful, f.comment, f.created_at, t.question, t.answer_json, t.status,"
                " t.intent, t.index_version FROM feedback f JOIN turns t ON t.id = f.answer_id"
                " ORDER BY f.created_at, f.rowid"
            ).fetchall()
        return [(*r[:3], datetime.fromisoformat(r[3]), *r[4:]) for r in rows]

    def _delete_sessions_before(self, cutoff: float) -> int:
        with self._write() as conn:
            return conn.execute("DELETE FROM sessions WHERE last_seen_at < ?", (_iso(cutoff),)).rowcount

    def check_integrity(self) -> str:
        """SQLite's `PRAGMA integrity_check` verdict: "ok" or the first problems found."""
        with self._connection() as conn:
            return "\n".join(row[0] for row in conn.execute("PRAGMA integrity_check"))
