"""The guards of hardening issue 16 on a real uvicorn, one server each: the body deadline, slots
taken only after the body, one client's share of the slots, overload and timeout (with a handler
that sleeps, added to the real app), relative redirects, client ids carrying personal numbers, and
the staff endpoints' loopback rule."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from starlette.concurrency import run_in_threadpool

from conftest import UNLIMITED, serve

pytestmark = pytest.mark.slow


def _slow_app(settings, assistant):
    """The real app with one more API route that holds its slot for `?s=` seconds."""
    from api.app import create_app

    app = create_app(settings, assistant)

    async def sleep(s: float = 1.0) -> dict:
        await run_in_threadpool(time.sleep, s)
        return {"slept": s}

    app.add_api_route("/api/test-sleep", sleep, methods=["GET"])
    return app


@pytest.fixture(scope="module")
def guarded(api_settings, assistant) -> Iterator:
    """Four slots, two per client, a 1 s body deadline and a 3 s request timeout (room for a loaded machine)."""
    s = api_settings.model_copy(update={**UNLIMITED, "max_concurrent_requests": 4, "max_client_share": 0.5,
                                        "body_timeout_s": 1.0, "request_timeout_s": 3.0,
                                        "public_hosts": ["qa.example.gov.cn"]})
    with serve(_slow_app(s, assistant), s) as live:
        yield live


def _client(live, source: str = "127.0.0.1") -> httpx.Client:
    return httpx.Client(base_url=live.url, timeout=10, transport=httpx.HTTPTransport(local_address=source))


def _in_background(live, path: str, source: str, out: list) -> threading.Thread:
    def run() -> None:
        with _client(live, source) as c:
            out.append(c.get(path).status_code)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def _raw(port: int, head: bytes, source: str = "127.0.0.1") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))
    sock.sendall(head)
    return sock


def _status(sock: socket.socket) -> tuple[int, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return int(data.split(b" ", 2)[1]), data


def test_a_lying_content_length_is_408_at_the_body_deadline_and_the_connection_closes(guarded):
    head = (b"POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 500\r\n\r\n{\"question\": \"")
    t0 = time.monotonic()
    sock = _raw(guarded.port, head)
    try:
        status, data = _status(sock)
        assert status == 408
        assert 0.9 <= time.monotonic() - t0 < 2.5
        assert b"connection: close" in data.lower()
    finally:
        sock.close()


def test_a_stalled_body_takes_no_slot(guarded):
    head = (b"POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 500\r\n\r\n{")
    socks = [_raw(guarded.port, head, f"127.0.5.{i + 1}") for i in range(8)]  # twice the slots
    try:
        with _client(guarded) as c:
            assert c.post("/api/chat", json={"question": "稳岗返还比例是多少？"}).status_code == 200
    finally:
        for sock in socks:
            sock.close()


def test_one_client_gets_429_beyond_its_share_while_others_are_admitted(guarded):
    statuses: list[int] = []
    threads = [_in_background(guarded, "/api/test-sleep?s=1.0", "127.0.6.1", statuses) for _ in range(2)]
    time.sleep(0.3)
    with _client(guarded, "127.0.6.1") as same, _client(guarded, "127.0.6.2") as other:
        r = same.get("/api/test-sleep?s=0")
        assert r.status_code == 429 and r.json()["error"]["code"] == "too_many_concurrent"
        assert r.headers["retry-after"] == "1"
        assert other.get("/api/test-sleep?s=0").status_code == 200
    for t in threads:
        t.join()
    assert statuses == [200, 200]


def test_overload_is_503_with_retry_after(guarded):
    statuses: list[int] = []
    threads = [_in_background(guarded, "/api/test-sleep?s=1.0", f"127.0.7.{i % 2 + 1}", statuses) for i in range(4)]
    time.sleep(0.3)
    with _client(guarded, "127.0.7.3") as c:
        r = c.get("/api/test-sleep?s=0")
        assert r.status_code == 503 and r.json()["error"]["code"] == "overloaded"
        assert r.headers["retry-after"] == "1"
        assert c.get("/healthz").status_code == 200  # health checks take no slot
    for t in threads:
        t.join()
    assert statuses == [200] * 4


def test_a_request_past_the_timeout_is_504(guarded):
    with _client(guarded, "127.0.8.1") as c:
        t0 = time.monotonic()
        r = c.get("/api/test-sleep?s=8")
        assert r.status_code == 504 and time.monotonic() - t0 < 5


def test_redirect_location_is_relative_unless_the_host_is_allow_listed(guarded):
    with _client(guarded) as c:
        forged = c.get("/api/suggestions/", headers={"Host": "evil.example"})
        assert forged.status_code == 307 and forged.headers["location"] == "/api/suggestions"
        allowed = c.get("/api/suggestions/", headers={"Host": "qa.example.gov.cn"})
        assert allowed.headers["location"] == "http://qa.example.gov.cn/api/suggestions"


@pytest.mark.parametrize("incoming", ["13812345678", "138-1234-5678", "user13812345678", "11010519491231002X",
                                      "id_11010519491231002X_x"])
def test_a_client_request_id_carrying_a_personal_number_is_replaced(guarded, incoming):
    with _client(guarded) as c:
        made = c.get("/healthz", headers={"X-Request-ID": incoming}).headers["x-request-id"]
    assert made != incoming and len(made) == 16


def test_a_plain_client_request_id_is_kept(guarded):
    with _client(guarded) as c:
        assert c.get("/healthz", headers={"X-Request-ID": "trace-2024.06_01"}).headers["x-request-id"] == \
            "trace-2024.06_01"


def test_without_a_key_staff_endpoints_answer_loopback_but_not_what_a_proxy_forwarded(guarded):
    with _client(guarded) as c:
        assert c.get("/api/rules").status_code == 200
        for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
            r = c.get("/api/rules", headers={header: "203.0.113.7"})
            assert r.status_code == 403 and r.json()["error"]["code"] == "staff_loopback_only", header
        # the citizen side does not care
        assert c.post("/api/chat", json={"question": "稳岗返还比例是多少？"},
                      headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 200
