"""The conversation store: sessions, turns and feedback, PII masked before anything is written.

One interface (`ConversationStore`, in `base`), two backends chosen by one URL (`database_url`):

    sqlite:///PATH            `SqliteStore`: one embedded file, the default (`db_path`)
    postgresql://…            `PostgresStore`: one database shared by every API replica

`open_store(url, ttl_seconds)` opens the right one. Errors: `UnknownSession`, `UnknownAnswer`
(subclasses of `index.errors.PolicyQAError`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from api.storage.base import (
    ConversationStore,
    FeedbackRecord,
    JudgedTurn,
    SessionRecord,
    TurnRecord,
    UnknownAnswer,
    UnknownSession,
    new_token,
    storable_json,
    storable_text,
)
from api.storage.postgres import PostgresStore
from api.storage.sqlite import SqliteStore

__all__ = [
    "ConversationStore",
    "SqliteStore",
    "PostgresStore",
    "SessionRecord",
    "TurnRecord",
    "FeedbackRecord",
    "JudgedTurn",
    "UnknownSession",
    "UnknownAnswer",
    "new_token",
    "storable_text",
    "storable_json",
    "open_store",
    "is_postgres_url",
    "sqlite_path",
]

SQLITE_PREFIX = "sqlite:///"
POSTGRES_PREFIXES = ("postgresql://", "postgres://")


def is_postgres_url(url: str) -> bool:
    return url.startswith(POSTGRES_PREFIXES)


def sqlite_path(url: str) -> Path | None:
    """The file of a `sqlite:///PATH` URL (`sqlite:////abs/path` for an absolute one), else None."""
    return Path(url[len(SQLITE_PREFIX):]) if url.startswith(SQLITE_PREFIX) and len(url) > len(SQLITE_PREFIX) else None


def open_store(url: str, ttl_seconds: int, *, clock: Callable[[], float] = time.time,
               pool_size: int = 10) -> ConversationStore:
    """The store the URL names, opened and migrated."""
    path = sqlite_path(url)
    if path is not None:
        return SqliteStore(path, ttl_seconds, clock=clock)
    if is_postgres_url(url):
        return PostgresStore(url, ttl_seconds, clock=clock, pool_size=pool_size)
    raise ValueError(f"unsupported database URL (sqlite:///PATH or postgresql://…): {url.split('://')[0]}://…")
