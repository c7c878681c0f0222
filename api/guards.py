"""Pure-ASGI guards around the app: request id and access log, CORS, rate limit, body deadline and
size limit, concurrency limits (overall and per client), per-request timeout, relative redirects.

Pure ASGI rather than `BaseHTTPMiddleware`, because that wrapper buffers and re-threads streaming
responses and runs the app in another task (so context variables such as the request id do not
reach the handler). Each guard answers with the API's error JSON itself, before the app sees the
request, so a refused request costs no model time.

Outermost first (as `install_guards` stacks them):
    RequestContext    X-Request-ID in and out (a client's id that carries a personal number is replaced),
                      security headers, one structured access-log line
    RelativeRedirects a Location built from a Host header outside `public_hosts` loses its scheme and host
    CorsGuard         allow-listed origins for the citizen API; 403 JSON for any other foreign origin
    RateLimit         token bucket per client address on /api and /v1 (shared by the replicas when the
                      store is PostgreSQL); 429 with Retry-After
    BodyGate          the whole body read under its own deadline (408) and size limit (413) before the
                      request may take a slot, so a client that trickles its body holds none
    ConcurrencyLimit  at most N API requests in flight (503 with Retry-After instead of a queue), and at
                      most a share of them per client address (429 with Retry-After)
    Timeout           a request that runs past the limit gets 504 (or its stream is cut)
    CatchAll          an exception no handler expected: 500 JSON in Chinese, masked traceback in the log
"""

from __future__ import annotations

import ipaddress
import logging
import math
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import anyio
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import INTERNAL_MESSAGE, dumps, error_json
from api.logs import request_id_var
from assistant.privacy import identifier_has_pii

__all__ = [
    "RequestContext",
    "RelativeRedirects",
    "CorsGuard",
    "RateLimit",
    "BodyGate",
    "ConcurrencyLimit",
    "Timeout",
    "CatchAll",
    "TokenBucket",
    "CSP",
    "install_guards",
    "is_api_path",
    "is_loopback_request",
    "client_share",
]

access_log = logging.getLogger("policy_qa.access")
log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'"
)
# The OpenAPI pages load Swagger UI / ReDoc from their CDN and start them with an inline script;
# they show no user content, so only they get this wider policy.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; font-src 'self' https://fonts.gstatic.com; "
    "connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")
# Paths a page on another (allow-listed) site may call: what the embedded widget and OpenAI clients use.
CORS_API_PATHS = ("/api/chat", "/api/feedback", "/api/suggestions", "/v1/")
# Served to any site: the embed script itself.
PUBLIC_ASSETS = ("/widget.js", "/static/widget.js")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# A client's bucket that has been full this long carries no state worth keeping.
_BUCKET_IDLE_S = 600.0
_MAX_BUCKETS = 10_000


# A reverse proxy on this machine makes every client look local; a request that says it was forwarded is not.
_FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip", "x-forwarded-host", "via")


def is_api_path(path: str) -> bool:
    return path.startswith("/api/") or path.startswith("/v1/") or path in ("/api", "/v1")


def is_loopback_request(scope: Scope) -> bool:
    """True when the socket peer is this machine (127.0.0.0/8, ::1) and no proxy forwarded the request."""
    client = scope.get("client")
    try:
        address = ipaddress.ip_address(client[0]) if client else None
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address is None or not address.is_loopback:
        return False
    headers = Headers(scope=scope)
    return not any(name in headers for name in _FORWARDING_HEADERS)


def client_share(limit: int, share: float) -> int:
    """Slots one client address may hold: `share` of `limit`, at least one."""
    return max(1, math.floor(limit * share))


async def send_error(send: Send, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
    """Write a complete JSON error response from inside a guard."""
    body = dumps(error_json(code, message))
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


# ---------------------------------------------------------------- request context
class RequestContext:
    """Request id, security headers and the access log line (with time to first byte and total)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get("x-request-id", "")
        # a client-chosen id is logged with every line of its request: one that carries a phone or
        # ID-card number (even glued to letters) is replaced, never masked in place
        usable = _REQUEST_ID.match(incoming) and not identifier_has_pii(incoming)
        request_id = incoming if usable else secrets.token_hex(8)
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        path: str = scope.get("path", "")
        t0 = time.perf_counter()
        info: dict[str, Any] = {"status": 500, "bytes": 0, "ttfb_ms": None}

        async def send_wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                info["status"] = message["status"]
                info["ttfb_ms"] = round((time.perf_counter() - t0) * 1000, 2)
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                content_type = headers.get("content-type", "")
                if content_type.startswith("text/html"):
                    headers["Content-Security-Policy"] = DOCS_CSP if path in DOCS_PATHS else CSP
                    headers.setdefault("X-Frame-Options", "DENY")
                if is_api_path(path):
                    # answers may carry what a citizen typed about themselves: no shared caches
                    headers.setdefault("Cache-Control", "no-store")
            elif message["type"] == "http.response.body":
                info["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_wrapped)
        finally:
            client = scope.get("client")
            access_log.info(
                "%s %s %s",
                scope.get("method"),
                path,
                info["status"],
                extra={
                    "method": scope.get("method"),
                    "path": path,
                    "status": info["status"],
                    "duration_ms": round((time.perf_counter() - t0) * 1000, 2),
                    "ttfb_ms": info["ttfb_ms"],
                    "bytes_out": info["bytes"],
                    "client": client[0] if client else None,
                },
            )
            request_id_var.reset(token)


# ---------------------------------------------------------------- redirects
class RelativeRedirects:
    """A Location that names the request's own Host is cut to its path, unless that host is allow-listed.

    Starlette builds absolute redirect URLs (the trailing-slash redirect, `url_for`) from the Host
    header, which the client writes: a forged Host would send the next request, or a cached redirect,
    to another site. A relative Location (RFC 9110) reaches the same place on whatever host the client
    used; hosts in `public_hosts` keep absolute URLs.
    """

    def __init__(self, app: ASGIApp, public_hosts: list[str]) -> None:
        self.app = app
        self.public_hosts = {h.strip().lower() for h in public_hosts if h.strip()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = (Headers(scope=scope).get("host") or "").lower()
        if host in self.public_hosts:
            await self.app(scope, receive, send)
            return

        async def relative_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                location = headers.get("location")
                if location:
                    parts = urlsplit(location)
                    if parts.netloc and (not host or parts.netloc.lower() == host):
                        headers["location"] = urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))
            await send(message)

        await self.app(scope, receive, relative_send)


# ---------------------------------------------------------------- CORS
class CorsGuard:
    """CORS with an allow-list: citizen API paths for listed origins, the embed script for anyone.

    Browsers send `Origin` on cross-origin requests and on same-origin POSTs; a request whose origin
    is its own host is not cross-origin. Any other origin that is not allowed gets a 403 JSON, for
    preflights and for simple requests alike, so a foreign page cannot even trigger a chat turn.
    """

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        self.app = app
        self.origins = {o.rstrip("/") for o in origins}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if path in PUBLIC_ASSETS:
            await self.app(scope, receive, _with_headers(send, {
                "Access-Control-Allow-Origin": "*", "Cross-Origin-Resource-Policy": "cross-origin"}))
            return
        if origin is None or not is_api_path(path) or self._same_origin(scope, headers, origin):
            await self.app(scope, receive, send)
            return
        allowed = origin.rstrip("/") in self.origins and path.startswith(CORS_API_PATHS)
        preflight = scope["method"] == "OPTIONS" and "access-control-request-method" in headers
        if not allowed:
            await send_error(send, 403, "origin_not_allowed", "不允许从该网站跨域调用本服务。", {"Vary": "Origin"})
            return
        cors = {
            "Access-Control-Allow-Origin": origin,
            "Vary": "Origin",
            "Access-Control-Expose-Headers": "X-Request-ID, Retry-After",
        }
        if preflight:
            cors |= {
                "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                "Access-Control-Allow-Headers": "Content-Type, Accept, Authorization, X-Request-ID",
                "Access-Control-Max-Age": "600",
                "Content-Length": "0",
            }
            raw = [(k.lower().encode(), v.encode("latin-1")) for k, v in cors.items()]
            await send({"type": "http.response.start", "status": 204, "headers": raw})
            await send({"type": "http.response.body", "body": b""})
            return
        await self.app(scope, receive, _with_headers(send, cors))

    @staticmethod
    def _same_origin(scope: Scope, headers: Headers, origin: str) -> bool:
        host = headers.get("host")
        return host is not None and origin == f"{scope.get('scheme', 'http')}://{host}"


def _with_headers(send: Send, extra: dict[str, str]) -> Callable[[Message], Awaitable[None]]:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            for k, v in extra.items():
                headers[k] = v
        await send(message)

    return wrapped


# ---------------------------------------------------------------- rate limit
class SharedBuckets(Protocol):
    """Token buckets several processes share (`api.storage.rate_buckets.SharedTokenBuckets`)."""

    async def take(self, key: str) -> float | None: ...


class TokenBucket:
    """`burst` tokens, refilled at `per_minute`; one request takes one token."""

    def __init__(self, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str) -> float:
        """0 when the request may pass, else the seconds until a token is available."""
        now = self.clock()
        tokens, last = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > _MAX_BUCKETS:
                self._forget_idle(now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / self.rate

    def _forget_idle(self, now: float) -> None:
        for key, (_, last) in list(self._buckets.items()):
            if now - last > _BUCKET_IDLE_S:
                del self._buckets[key]


class RateLimit:
    """Per client address: the socket peer, or what a trusted proxy says it forwarded for (uvicorn
    rewrites the peer only for `trusted_proxies`; anyone else's forwarded-for header is theirs to forge).

    With `shared` (PostgreSQL buckets), every replica draws on one bucket per client; when the database
    does not answer in time, this process's own bucket decides.
    """

    def __init__(self, app: ASGIApp, per_minute: int, burst: int, shared: SharedBuckets | None = None) -> None:
        self.app = app
        self.bucket = TokenBucket(per_minute, burst)
        self.shared = shared

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_api_path(scope.get("path", "")) or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        key = client[0] if client else "-"
        wait = await self.shared.take(key) if self.shared is not None else None
        if wait is None:
            wait = self.bucket.take(key)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            await send_error(send, 429, "rate_limited", f"请求过于频繁，请 {seconds} 秒后再试。",
                             {"Retry-After": str(seconds)})
            return
        await self.app(scope, receive, send)


# ---------------------------------------------------------------- concurrency
class ConcurrencyLimit:
    """At most `limit` API requests in flight, and at most `per_client` of them from one client address.

    Beyond the limit the answer is 503 at once rather than a queue: a queue in front of a CPU-bound model
    only turns overload into timeouts for everybody; a quick 503 with Retry-After lets clients back off
    and keeps latency flat for the requests admitted. A client at its own share gets 429: one address
    firing as many requests as there are slots cannot shut everyone else out. The slot is taken only
    here, after `BodyGate` has the whole body, so a client that sends slowly holds none meanwhile.
    """

    def __init__(self, app: ASGIApp, limit: int, per_client: int | None = None) -> None:
        self.app = app
        self.limit = limit
        self.per_client = per_client or limit
        self.active = 0
        self.by_client: dict[str, int] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_api_path(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        key = client[0] if client else "-"
        if self.by_client.get(key, 0) >= self.per_client:
            await send_error(send, 429, "too_many_concurrent", "您同时发出的请求过多，请等前面的回答返回后再试。",
                             {"Retry-After": "1"})
            return
        if self.active >= self.limit:
            await send_error(send, 503, "overloaded", "服务繁忙，请稍后再试。", {"Retry-After": "1"})
            return
        self.active += 1
        self.by_client[key] = self.by_client.get(key, 0) + 1
        held = True

        def release() -> None:
            nonlocal held
            if held:
                held = False
                self.active -= 1
                left = self.by_client[key] - 1
                if left:
                    self.by_client[key] = left
                else:
                    del self.by_client[key]

        async def releasing_send(message: Message) -> None:
            await send(message)
            # the client has the whole answer and may send its next request on this connection
            # before our call unwinds; the slot is free from here
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                release()

        try:
            await self.app(scope, receive, releasing_send)
        finally:
            release()


# ---------------------------------------------------------------- timeout
class Timeout:
    """Answer 504 when a request has produced no response within `seconds`.

    The app runs in a task of its own: a handler busy in a worker thread cannot be interrupted, but
    the client gets its 504 on time and whatever the handler sends afterwards is dropped. A response
    already streaming when the time is up is cut off (its status has been sent).
    """

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = {"started": False, "expired": False}

        async def guarded_send(message: Message) -> None:
            if state["expired"]:
                return
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        failure: list[BaseException] = []
        async with anyio.create_task_group() as tg:
            finished = anyio.Event()

            async def run() -> None:
                try:
                    await self.app(scope, receive, guarded_send)
                except Exception as exc:  # re-raised below, not as a task group's ExceptionGroup
                    failure.append(exc)
                finally:
                    finished.set()

            tg.start_soon(run)
            with anyio.move_on_after(self.seconds):
                await finished.wait()
            if not finished.is_set():
                started = state["started"]
                state["expired"] = True
                log.warning("request timed out after %.1f s", self.seconds,
                            extra={"path": scope.get("path"), "response_started": started})
                if not started:
                    await send_error(send, 504, "timeout", "处理超时，请稍后再试。")
                tg.cancel_scope.cancel()
        if failure and not state["expired"]:
            raise failure[0]


# ---------------------------------------------------------------- body
class BodyGate:
    """The whole request body read before the request goes on, within `seconds` and `max_bytes`.

    Everything inside (the concurrency slots, the request timeout, the handler) sees a request whose
    body has arrived: a client that trickles its body, or promises more bytes than it sends (a lying
    Content-Length), holds no slot while it dawdles and is answered 408 when the body deadline passes.
    413 as soon as Content-Length or the bytes received pass the limit; 400 for a Content-Length that
    is not a number. Both 408 and 413 close the connection (the rest of the body is never read).
    Bodies are small (`max_body_bytes`, 64 KB by default), so holding one in memory costs nothing.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, seconds: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = f"请求内容过大：最多 {self.max_bytes // 1024} KB。"
        close = {"Connection": "close"}
        length = Headers(scope=scope).get("content-length")
        if length is not None:
            if not length.strip().isdigit():
                await send_error(send, 400, "bad_request", "请求头 Content-Length 无效。", close)
                return
            if int(length) > self.max_bytes:
                await send_error(send, 413, "payload_too_large", too_large, close)
                return
        chunks: list[bytes] = []
        received = 0
        complete = False
        with anyio.move_on_after(self.seconds):
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return  # the client has gone: nobody to answer
                body = message.get("body", b"")
                received += len(body)
                if received > self.max_bytes:
                    await send_error(send, 413, "payload_too_large", too_large, close)
                    return
                chunks.append(body)
                if not message.get("more_body", False):
                    complete = True
                    break
        if not complete:
            log.info("request body incomplete after %.1f s", self.seconds,
                     extra={"path": scope.get("path"), "bytes_received": received, "content_length": length})
            await send_error(send, 408, "body_timeout",
                             f"请求内容未在 {self.seconds:g} 秒内传完，连接已关闭，请重新发送。", close)
            return
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: the disconnect, when it comes

        await self.app(scope, replay, send)


# ---------------------------------------------------------------- last resort
class CatchAll:
    """The innermost guard: an exception that escaped every handler becomes a 500 JSON, never a traceback.

    Inside the request-id context (unlike Starlette's ServerErrorMiddleware), so the body names the
    request id and the access log sees the 500. The traceback is logged; `RedactingFilter` masks it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if not started:
                await send_error(send, 500, "internal_error", INTERNAL_MESSAGE)


def install_guards(app: Any, settings: Any, shared_buckets: SharedBuckets | None = None) -> None:
    """Stack the guards on a Starlette/FastAPI app; `add_middleware` puts the last one added outermost."""
    app.add_middleware(CatchAll)
    app.add_middleware(Timeout, seconds=settings.request_timeout_s)
    app.add_middleware(ConcurrencyLimit, limit=settings.max_concurrent_requests,
                       per_client=client_share(settings.max_concurrent_requests, settings.max_client_share))
    app.add_middleware(BodyGate, max_bytes=settings.max_body_bytes, seconds=settings.body_timeout_s)
    app.add_middleware(RateLimit, per_minute=settings.rate_limit_per_minute, burst=settings.rate_limit_burst,
                       shared=shared_buckets)
    app.add_middleware(CorsGuard, origins=list(settings.cors_origins))
    app.add_middleware(RelativeRedirects, public_hosts=list(settings.public_hosts))
    app.add_middleware(RequestContext)
