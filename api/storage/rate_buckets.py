"""Token buckets kept in PostgreSQL, so every API replica draws on the same bucket per client.

The bucket is the one `api.guards.TokenBucket` keeps in memory (`burst` tokens, refilled at
`per_minute`, one request takes one), computed by a single `INSERT … ON CONFLICT DO UPDATE` on the
client's row: the refill, the take and the verdict happen in one atomic statement, with the database's
clock, so two replicas answering the same client at the same instant cannot both spend its last token,
and replicas whose clocks disagree still agree on the bucket.

Why PostgreSQL and not Redis with the `limits` library: the replicas already share this database, so
no third service has to be run, secured and watched; `limits` offers fixed, moving and sliding windows
but no token bucket, so the limit would no longer be the one a single process enforces (burst plus
steady refill, Retry-After from the missing fraction of a token). The table is UNLOGGED (no WAL, no
fsync per request); a statement costs well under a millisecond on the local network, next to answers
that take hundreds.

When the database does not answer within `STATEMENT_TIMEOUT_MS`, `take` returns None and the caller
falls back to its per-process bucket: a database outage must not turn into refusing every citizen, and
the chat itself reports the outage.
"""

from __future__ import annotations

import logging
import time

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

__all__ = ["SharedTokenBuckets"]

log = logging.getLogger(__name__)

#: a bucket statement that takes longer than this is abandoned for the local bucket
STATEMENT_TIMEOUT_MS = 500
# idle rows are deleted at most this often; a row idle for a whole refill is a full bucket, i.e. absent
CLEANUP_INTERVAL_S = 60.0
# at most one warning per this many seconds while the database is unreachable
WARN_INTERVAL_S = 60.0

_TAKE = """
INSERT INTO rate_buckets AS b (key, tokens, updated_at, taken)
VALUES (%(key)s, %(burst)s::float8 - 1, now(), true)
ON CONFLICT (key) DO UPDATE SET
    taken = LEAST(%(burst)s::float8, b.tokens
                  + GREATEST(0, EXTRACT(EPOCH FROM now() - b.updated_at)) * %(rate)s::float8) >= 1,
    tokens = LEAST(%(burst)s::float8, b.tokens
                   + GREATEST(0, EXTRACT(EPOCH FROM now() - b.updated_at)) * %(rate)s::float8)
             - CASE WHEN LEAST(%(burst)s::float8, b.tokens
                               + GREATEST(0, EXTRACT(EPOCH FROM now() - b.updated_at)) * %(rate)s::float8) >= 1
                    THEN 1 ELSE 0 END,
    updated_at = GREATEST(b.updated_at, now())
RETURNING taken, tokens
"""
# (the refill expression is spelled three times because SET expressions cannot name each other; all
# three read the row as it was before this statement, so they agree)


class SharedTokenBuckets:
    """Per-key token buckets in the `rate_buckets` table (created by the store's m002 migration)."""

    def __init__(self, url: str, per_minute: int, burst: int, *, pool_size: int = 4) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._pool = AsyncConnectionPool(
            url, min_size=1, max_size=pool_size, open=False, timeout=STATEMENT_TIMEOUT_MS / 1000,
            kwargs={"autocommit": True, "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"},
            name="policy-qa-rate",
        )
        self._opened = False
        self._next_cleanup = 0.0
        self._next_warning = 0.0

    async def open(self) -> None:
        """Start the pool (in the event loop that will use it); connections are made in the background."""
        await self._pool.open(wait=False)
        self._opened = True

    async def close(self) -> None:
        if self._opened:
            self._opened = False
            await self._pool.close()

    async def take(self, key: str) -> float | None:
        """0 when the request may pass, else the seconds until a token is available; None when the
        database could not be asked (the caller decides with its own bucket)."""
        if not self._opened:
            return None
        try:
            async with self._pool.connection() as conn:
                if time.monotonic() >= self._next_cleanup:
                    self._next_cleanup = time.monotonic() + CLEANUP_INTERVAL_S
                    await conn.execute(
                        "DELETE FROM rate_buckets WHERE updated_at < now() - make_interval(secs => %s)",
                        (self.burst / self.rate,))
                cur = await conn.execute(_TAKE, {"key": key, "burst": self.burst, "rate": self.rate})
                taken, tokens = await cur.fetchone()
        except (psycopg.Error, PoolTimeout) as exc:
            now = time.monotonic()
            if now >= self._next_warning:
                self._next_warning = now + WARN_INTERVAL_S
                log.warning("shared rate limit unavailable, using this process's own buckets: %s", exc)
            return None
        return 0.0 if taken else (1.0 - tokens) / self.rate
