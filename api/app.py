"""`create_app(settings)`: the HTTP face of policy-qa.

The lifespan builds the heavy things once: the conversation store (opened, expired sessions
purged) and the `Assistant` (embedding model, index, rules). The assistant loads in a worker thread
after the server has started listening, so `/healthz` answers at once and `/readyz` says 503 until
the model is in memory; requests that need it get 503 `not_ready` meanwhile. A server never writes
the index: `policy-qa index build` does, and the assistant's `IndexHandle` picks up the new
version by itself.

Several replicas behind a proxy share state through `database_url` (PostgreSQL): sessions, turns and
feedback, and the rate-limit buckets; each replica polls the shared index directory (or Chroma server)
for a new version on its own.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from api.deps import staff_access_line, staff_paths
from api.errors import COMMON_ERROR_RESPONSES, install_error_handlers
from api.guards import install_guards
from api.routes import ROUTERS
from api.routes.pages import STATIC_DIR
from api.storage import ConversationStore, is_postgres_url, open_store
from api.storage.postgres import redacted_url
from api.storage.rate_buckets import SharedTokenBuckets
from assistant.contract import CONTRACT_VERSION
from assistant.pipeline import Assistant
from assistant.settings import Settings
from index.embed import Embedder
from index.errors import PolicyQAError

__all__ = ["create_app", "shared_rate_buckets"]

log = logging.getLogger(__name__)

# Sessions expire by TTL on read already; the sweep only reclaims disk, so hourly is plenty.
PURGE_INTERVAL_S = 3600.0

DESCRIPTION = """\
政策文件问答：每个回答都引用原文条款，金额按规则计算，并按日期标注措施是否仍在有效期内。

错误统一为 `{"error": {"code", "message"}, "request_id"}`，`message` 为中文。
"""


def create_app(settings: Settings, assistant: Assistant | None = None, *, embedder: Embedder | None = None) -> FastAPI:
    """The FastAPI app; pass `assistant` to share one already open (tests), else the lifespan opens it."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        log.log(*staff_access_line(settings, staff_paths(app.openapi())))
        store = await anyio.to_thread.run_sync(
            lambda: open_store(settings.store_url(), settings.session_ttl_seconds, pool_size=settings.database_pool_size))
        log.info("conversation store: %r", store)
        purged = store.purge_expired()
        if purged:
            log.info("purged %d expired sessions", purged)
        app.state.store = store
        if rate_buckets is not None:
            await rate_buckets.open()
        try:
            async with anyio.create_task_group() as tg:
                if app.state.assistant is None:
                    tg.start_soon(_load_assistant, app, settings, embedder)
                tg.start_soon(_purge_periodically, store)
                yield
                tg.cancel_scope.cancel()
        finally:
            if rate_buckets is not None:
                await rate_buckets.close()
            store.close()
            if owns_assistant and app.state.assistant is not None:
                app.state.assistant.close()  # its embedding batcher; one passed in belongs to the caller

    # Swagger UI and ReDoc from the installed fastapi-offline package (/static-offline-docs), not a CDN
    app = FastAPIOffline(
        title="policy-qa",
        version=CONTRACT_VERSION,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    owns_assistant = assistant is None
    app.state.settings = settings
    app.state.assistant = assistant
    app.state.load_error = None
    app.state.store = None
    rate_buckets = shared_rate_buckets(settings)
    app.state.rate_buckets = rate_buckets
    install_error_handlers(app)
    install_guards(app, settings, rate_buckets)
    for router in ROUTERS:
        app.include_router(router, responses=COMMON_ERROR_RESPONSES)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


def shared_rate_buckets(settings: Settings) -> SharedTokenBuckets | None:
    """The rate-limit buckets every replica shares (PostgreSQL), or None: each process counts alone."""
    url = settings.store_url()
    if not is_postgres_url(url):
        return None
    if not settings.rate_limit_shared:
        log.warning("rate limits are counted per process (rate_limit_shared is off): N replicas allow N times "
                    "the configured rate")
        return None
    log.info("rate limits shared through %s", redacted_url(url))
    return SharedTokenBuckets(url, settings.rate_limit_per_minute, settings.rate_limit_burst)


async def _load_assistant(app: FastAPI, settings: Settings, embedder: Embedder | None) -> None:
    try:
        # abandon_on_cancel: a shutdown during the load does not wait for the model to finish loading
        app.state.assistant = await anyio.to_thread.run_sync(
            lambda: Assistant.open(settings, embedder), abandon_on_cancel=True
        )
        log.info("assistant ready", extra={"index_version": app.state.assistant.handle.current()[0].version})
    except PolicyQAError as exc:
        app.state.load_error = exc.message
        log.error("assistant failed to load: %s", exc.message)
    except Exception as exc:
        app.state.load_error = "模型或索引加载失败，请查看服务日志。"
        log.error("assistant failed to load", exc_info=exc)


async def _purge_periodically(store: ConversationStore) -> None:
    while True:
        await anyio.sleep(PURGE_INTERVAL_S)
        try:
            purged = await anyio.to_thread.run_sync(store.purge_expired)
            if purged:
                log.info("purged %d expired sessions", purged)
        except Exception:
            log.exception("purging expired sessions failed")
