"""The PostgreSQL backend of the conversation store: one database shared by every API replica.

psycopg 3 with a small connection pool per process; the schema grows by ordered migrations
(`m001_initial`, `m002_…`), the same scheme as the SQLite backend: recorded in `_migrations`, applied
when the store opens, all in one transaction (PostgreSQL's DDL is transactional, so an interrupted
upgrade leaves the previous schema intact), under an advisory lock so replicas starting together do not
both run m001.

Concurrency and crash choices:

- Every step is one transaction at READ COMMITTED. A write to a session first updates its row
  (`… AND last_seen_at >= cutoff`), which both checks that it is live and locks it, so a purge running
  at the same time waits for the turn and then finds the session fresh: a turn is never written to a
  session being deleted, nor lost with it.
- Feedback inserts select the turn they judge in the same statement; a purge that deleted the turn in
  between surfaces as a foreign-key violation, answered as "unknown answer" like a missing turn.
- A commit is durable when it returns (`synchronous_commit` at its default, on): a replica killed after
  answering has lost nothing, and PostgreSQL recovers its own crashes from its WAL.
- Ordering ties (two turns in one microsecond) are broken by an identity column, as SQLite's rowid does.

Questions, answers and slots are `text` holding the same masked JSON text the SQLite backend stores
(`jsonb` would reorder keys and refuses the escaped NUL a JSON string may hold); staff queries can cast
`answer_json::jsonb`. Times are `timestamptz`.

`m002_rate_buckets` adds the shared rate-limit table (see `api.storage.rate_buckets`).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import ConnectionPool

from api.storage.base import ConversationStore, MigrationList, NewTurn, SessionRecord

__all__ = ["PostgresStore", "MIGRATIONS", "apply_migrations", "MIGRATION_LOCK", "redacted_url"]

logger = logging.getLogger(__name__)

#: advisory-lock key that serialises migrations between processes (any constant both sides agree on)
MIGRATION_LOCK = 0x706F6C6963795161  # "policyQa"
#: a request that cannot get a connection within this time fails rather than queueing behind a dead server
POOL_TIMEOUT_S = 10.0
#: the first connection at start-up: long enough for a database container that is still starting
CONNECT_TIMEOUT_S = 30.0


def _ts(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def redacted_url(url: str) -> str:
    """The URL with its password replaced, for log lines."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://…"
    host = info.get("host", "")
    port = f":{info['port']}" if info.get("port") else ""
    user = f"{info['user']}@" if info.get("user") else ""
    return f"postgresql://{user}{host}{port}/{info.get('dbname', '')}"


# --- migrations -------------------------------------------------------------------------------------

Migration = Callable[[psycopg.Connection], None]
MIGRATIONS: MigrationList = MigrationList()
migration = MIGRATIONS.register


@migration
def m001_initial(conn: psycopg.Connection) -> None:
    conn.execute(
        """CREATE TABLE sessions (
            id text PRIMARY KEY,
            created_at timestamptz NOT NULL,
            last_seen_at timestamptz NOT NULL,
            slots_json text NOT NULL DEFAULT '{}'
        )"""
    )
    conn.execute("CREATE INDEX sessions_last_seen ON sessions (last_seen_at)")
    conn.execute(
        """CREATE TABLE turns (
            seq bigint GENERATED ALWAYS AS IDENTITY,
            id text PRIMARY KEY,
            session_id text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            created_at timestamptz NOT NULL,
            question text NOT NULL,
            answer_json text NOT NULL,
            status text NOT NULL,
            intent text NOT NULL,
            index_version text NOT NULL
        )"""
    )
    conn.execute("CREATE INDEX turns_session ON turns (session_id, created_at, seq)")
    conn.execute(
        """CREATE TABLE feedback (
            seq bigint GENERATED ALWAYS AS IDENTITY,
            id text PRIMARY KEY,
            answer_id text NOT NULL REFERENCES turns (id) ON DELETE CASCADE,
            helpful boolean NOT NULL,
            comment text,
            created_at timestamptz NOT NULL
        )"""
    )
    conn.execute("CREATE INDEX feedback_answer ON feedback (answer_id)")


@migration
def m002_rate_buckets(conn: psycopg.Connection) -> None:
    # UNLOGGED: a bucket update on every API request writes no WAL and waits for no fsync; after a
    # crash of the database the table comes back empty, i.e. every client starts with a full bucket.
    conn.execute(
        """CREATE UNLOGGED TABLE rate_buckets (
            key text PRIMARY KEY,
            tokens double precision NOT NULL,
            updated_at timestamptz NOT NULL,
            taken boolean NOT NULL
        )"""
    )
    conn.execute("CREATE INDEX rate_buckets_updated ON rate_buckets (updated_at)")


def apply_migrations(conn: psycopg.Connection, migrations: list[Migration] | None = None) -> list[str]:
    """Apply the migrations not yet recorded in `_migrations`, in order, in one transaction; return their names."""
    migrations = MIGRATIONS if migrations is None else migrations
    names = [m.__name__ for m in migrations]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate migration names: {names}")
    applied: list[str] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL)")
        done = {row[0] for row in conn.execute("SELECT name FROM _migrations")}
        for step in migrations:
            if step.__name__ in done:
                continue
            step(conn)
            conn.execute("INSERT INTO _migrations (name, applied_at) VALUES (%s, %s)", (step.__name__, _ts(time.time())))
            applied.append(step.__name__)
        unknown = done - set(names)
        if unknown:
            logger.warning("database has migrations this code does not know: %s", sorted(unknown))
    if applied:
        logger.info("applied migrations %s", applied)
    return applied


@dataclass(frozen=True, slots=True)
class _Result:
    rows: list[tuple]
    rowcount: int


# --- the store --------------------------------------------------------------------------------------


class PostgresStore(ConversationStore):
    """The conversation store in a PostgreSQL database. Safe to call from many threads, processes and
    machines at once."""

    backend = "postgresql"

    def __init__(self, url: str, ttl_seconds: int, *, clock: Callable[[], float] = time.time,
                 pool_size: int = 10) -> None:
        super().__init__(ttl_seconds, clock=clock)
        self.url = url
        self._pool = ConnectionPool(url, min_size=1, max_size=pool_size, timeout=POOL_TIMEOUT_S, open=False,
                                    name="policy-qa-store")
        self._pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
        try:
            with self._pool.connection() as conn:
                apply_migrations(conn)
        except BaseException:
            self._pool.close()
            raise

    def __repr__(self) -> str:
        return f"PostgresStore({redacted_url(self.url)!r})"

    def close(self) -> None:
        self._pool.close()

    def _run(self, sql: str, params: tuple = ()) -> _Result:
        """One statement in its own transaction (committed when the pool takes the connection back)."""
        with self._pool.connection() as conn:
            cur = conn.execute(sql, params)
            rows = cur.fetchall() if cur.description is not None else []
            return _Result(rows, cur.rowcount)

    # storage steps

    def _insert_session(self, session_id: str, now: float) -> None:
        self._run("INSERT INTO sessions (id, created_at, last_seen_at, slots_json) VALUES (%s, %s, %s, '{}')",
                  (session_id, _ts(now), _ts(now)))

    def _touch_session(self, session_id: str, now: float, cutoff: float) -> SessionRecord | None:
        rows = self._run(
            "UPDATE sessions SET last_seen_at = %s WHERE id = %s AND last_seen_at >= %s"
            " RETURNING id, created_at, slots_json",
            (_ts(now), session_id, _ts(cutoff)),
        ).rows
        if not rows:
            return None
        sid, created, slots_json = rows[0]
        return SessionRecord(sid, created, _ts(now), json.loads(slots_json))

    def _set_slots(self, session_id: str, slots_json: str, now: float, cutoff: float) -> bool:
        return self._run(
            "UPDATE sessions SET slots_json = %s, last_seen_at = %s WHERE id = %s AND last_seen_at >= %s",
            (slots_json, _ts(now), session_id, _ts(cutoff)),
        ).rowcount == 1

    def _insert_turn(self, turn: NewTurn, now: float, cutoff: float) -> bool:
        with self._pool.connection() as conn, conn.transaction():
            touched = conn.execute(
                "UPDATE sessions SET last_seen_at = %s WHERE id = %s AND last_seen_at >= %s",
                (_ts(now), turn.session_id, _ts(cutoff)),
            ).rowcount
            if touched != 1:
                return False
            conn.execute(
                "INSERT INTO turns (id, session_id, created_at, question, answer_json, status, intent, index_version)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (turn.answer_id, turn.session_id, _ts(now), turn.question, turn.answer_json, turn.status,
                 turn.intent, turn.index_version),
            )
        return True

    def _recent_turns(self, session_id: str, limit: int, cutoff: float) -> list[tuple]:
        return self._run(
            "SELECT t.id, t.session_id, t.created_at, t.question, t.answer_json, t.status, t.intent, t.index_version"
            " FROM turns t JOIN sessions s ON s.id = t.session_id"
            " WHERE t.session_id = %s AND s.last_seen_at >= %s ORDER BY t.created_at DESC, t.seq DESC LIMIT %s",
            (session_id, _ts(cutoff), limit),
        ).rows

    def _insert_feedback(self, feedback_id: str, answer_id: str, helpful: bool, comment: str | None,
                         now: float) -> bool:
        try:
            return self._run(
                "INSERT INTO feedback (id, answer_id, helpful, comment, created_at)"
                " SELECT %s, id, %s, %s, %s FROM turns WHERE id = %s",
                (feedback_id, helpful, comment, _ts(now), answer_id),
            ).rowcount == 1
        except pg_errors.ForeignKeyViolation:  # the turn was purged between the select and the insert
            return False

    def _feedback_for(self, answer_id: str) -> list[tuple]:
        return self._run(
            "SELECT id, answer_id, helpful, comment, created_at FROM feedback WHERE answer_id = %s"
            " ORDER BY created_at, seq",
            (answer_id,),
        ).rows

    def _judged_turns(self) -> list[tuple]:
        return self._run(
            "SELECT f.answer_id, f.helpful, f.comment, f.created_at, t.question, t.answer_json, t.status,"
            " t.intent, t.index_version FROM feedback f JOIN turns t ON t.id = f.answer_id"
            " ORDER BY f.created_at, f.seq"
        ).rows

    def _delete_sessions_before(self, cutoff: float) -> int:
        return self._run("DELETE FROM sessions WHERE last_seen_at < %s", (_ts(cutoff),)).rowcount

    def check_integrity(self) -> str:
        """"ok" when every migration is recorded and no turn or feedback row lacks its parent.

        PostgreSQL checks its own pages (checksums, WAL replay); what is left to check from here is the
        schema version and the references, which the foreign keys should make impossible to break.
        """
        problems: list[str] = []
        recorded = {r[0] for r in self._run("SELECT name FROM _migrations").rows}
        missing = [m.__name__ for m in MIGRATIONS if m.__name__ not in recorded]
        if missing:
            problems.append(f"migrations not applied: {', '.join(missing)}")
        orphans = self._run(
            "SELECT (SELECT count(*) FROM turns t WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = t.session_id)),"
            " (SELECT count(*) FROM feedback f WHERE NOT EXISTS (SELECT 1 FROM turns t WHERE t.id = f.answer_id))"
        ).rows[0]
        if orphans[0]:
            problems.append(f"{orphans[0]} turns without their session")
        if orphans[1]:
            problems.append(f"{orphans[1]} feedback rows without their turn")
        return "\n".join(problems) or "ok"


