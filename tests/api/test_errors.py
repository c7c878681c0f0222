"""Failures over HTTP: every one a JSON body with a Chinese `error.message`, the right status, and
the guards (body size, rate, concurrency, timeout, CORS, staff key) answering before the model works."""

from __future__ import annotations

import re
import socket
import time

import httpx
import pytest

from conftest import UNLIMITED, serve

pytestmark = pytest.mark.slow

CJK = re.compile(r"[\u4e00-\u9fff]")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'")


def assert_error(r: httpx.Response, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error", "request_id"}
    assert CJK.search(body["error"]["message"]), body
    assert body["request_id"] == r.headers["x-request-id"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


# ---------------------------------------------------------------- request shape
def test_malformed_json_is_400(client):
    r = client.post("/api/chat", content='{"question": "稳岗'.encode(), headers={"content-type": "application/json"})
    assert_error(r, 400, "invalid_json")


def test_body_that_is_not_an_object_is_422(client):
    assert_error(client.post("/api/chat", json=["稳岗返还"]), 422, "invalid_request")
    assert_error(client.post("/api/chat", content=b"question=x", headers={"content-type": "text/plain"}), 422)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"question": 123}, "question"),
        ({"question": ["稳岗"]}, "question"),
        ({}, "question"),
        ({"question": ""}, "question"),
        ({"question": "稳岗返还", "as_of": "去年"}, "as_of"),
        ({"question": "稳岗返还", "session_id": 7}, "session_id"),
    ],
)
def test_wrong_types_are_422_naming_the_field(client, body, field):
    error = assert_error(client.post("/api/chat", json=body), 422, "invalid_request")
    assert error["field"] == field and f"“{field}”" in error["message"]


def test_wrong_query_type_is_422(client):
    error = assert_error(client.get("/api/search", params={"q": "稳岗", "k": "many"}), 422)
    assert error["field"] == "k" and "整数" in error["message"]


def test_question_one_over_the_limit_is_422_before_any_work(client, live_server):
    limit = live_server.settings.max_question_chars
    t0 = time.perf_counter()
    error = assert_error(client.post("/api/chat", json={"question": "稳" * (limit + 1)}), 422, "question_too_long")
    assert str(limit) in error["message"]
    assert time.perf_counter() - t0 < 1.0
    assert client.post("/api/chat", json={"question": "稳" * limit}).status_code == 200


def test_oversize_body_is_413(client, live_server):
    big = {"question": "稳岗" * live_server.settings.max_body_bytes}
    assert_error(client.post("/api/chat", json=big), 413, "payload_too_large")


def test_oversize_chunked_body_is_413_without_content_length(client, live_server):
    def chunks():
        yield b'{"question": "'
        for _ in range(live_server.settings.max_body_bytes // 1024 + 8):
            yield b"x" * 1024
        yield b'"}'

    r = client.post("/api/chat", content=chunks(), headers={"content-type": "application/json"})
    assert_error(r, 413, "payload_too_large")


# ---------------------------------------------------------------- not found
def test_unknown_session_is_404(client):
    r = client.post("/api/chat", json={"question": "稳岗返还比例", "session_id": "expired-or-made-up"})
    assert "会话" in assert_error(r, 404, "unknown_session")["message"]


def test_unknown_clause_and_document_are_404(client):
    assert_error(client.get("/api/documents/sx-rst-2022-19/clauses/99.9"), 404, "unknown_clause")
    assert_error(client.get("/api/documents/no-such-doc/clauses/2.1"), 404, "unknown_document")
    # a full id of another document under this document's path is not this document's clause
    assert_error(client.get("/api/documents/sx-rst-2022-19/clauses/other%232.1"), 404, "unknown_clause")
    ok = client.get("/api/documents/sx-rst-2022-19/clauses/sx-rst-2022-19%232.1")
    assert ok.status_code == 200 and ok.json()["clause"]["clause_id"] == "sx-rst-2022-19#2.1"


def test_unknown_route_and_wrong_method_are_json(client):
    assert_error(client.get("/api/nothing-here"), 404, "not_found")
    assert_error(client.get("/api/chat"), 405, "method_not_allowed")


def test_calc_with_bad_parameter_is_422_naming_it(client):
    rules = client.get("/api/rules").json()["rules"]
    rule = next(r for r in rules if any(p["required"] and p["type"] == "count" for p in r["parameters"]))
    param = next(p for p in rule["parameters"] if p["required"] and p["type"] == "count")
    error = assert_error(client.post("/api/calc", json={"rule_id": rule["rule_id"], "params": {param["name"]: "很多"}}), 422)
    assert error["field"] == param["name"] and param["name"] in error["message"]
    assert_error(client.post("/api/calc", json={"rule_id": "no_such_rule", "params": {}}), 422, "unknown_rule")


def test_match_with_unknown_profile_field_is_422(client):
    error = assert_error(client.post("/api/match", json={"profile": {"favourite_colour": "红"}}), 422)
    assert error["field"] == "favourite_colour"


# ---------------------------------------------------------------- CORS and headers
def test_disallowed_origin_preflight_is_403(client):
    r = client.options("/api/chat", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
                                             "Access-Control-Request-Headers": "content-type"})
    assert_error(r, 403, "origin_not_allowed")
    assert "access-control-allow-origin" not in r.headers


def test_disallowed_origin_cannot_post_either(client, live_server):
    r = client.post("/api/chat", json={"question": "稳岗返还"}, headers={"Origin": "https://evil.example"})
    assert_error(r, 403, "origin_not_allowed")


def test_allowed_origin_may_call_the_chat(client, live_server):
    origin = live_server.settings.cors_origins[0]
    pre = client.options("/api/chat/stream", headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                                                       "Access-Control-Request-Headers": "content-type"})
    assert pre.status_code == 204
    assert pre.headers["access-control-allow-origin"] == origin
    assert "content-type" in pre.headers["access-control-allow-headers"].lower()
    r = client.post("/api/chat", json={"question": "稳岗返还比例"}, headers={"Origin": origin})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == origin
    # staff endpoints stay same-origin, even for a listed site
    assert_error(client.get("/api/search", params={"q": "稳岗"}, headers={"Origin": origin}), 403)


def test_same_origin_post_is_not_cross_origin(client, live_server):
    r = client.post("/api/chat", json={"question": "稳岗返还比例"}, headers={"Origin": live_server.url})
    assert r.status_code == 200


def test_widget_script_loads_from_any_site(client):
    r = client.get("/widget.js", headers={"Origin": "https://some-portal.example"})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["content-type"].startswith("text/javascript")
    assert r.headers["x-content-type-options"] == "nosniff"


def test_pages_carry_the_content_security_policy(client):
    for path in ("/", "/console"):
        r = client.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert r.headers["content-security-policy"] == CSP
        assert r.headers["x-content-type-options"] == "nosniff"
    api = client.get("/api/suggestions")
    assert "content-security-policy" not in api.headers
    assert api.headers["x-content-type-options"] == "nosniff" and api.headers["cache-control"] == "no-store"


def test_request_id_is_echoed_or_made(client):
    assert client.get("/healthz", headers={"X-Request-ID": "trace-123"}).headers["x-request-id"] == "trace-123"
    made = client.get("/healthz", headers={"X-Request-ID": "<script>"}).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{16}", made)


# ---------------------------------------------------------------- guards on servers of their own
@pytest.fixture(scope="module")
def rate_limited_server(api_settings, assistant):
    from api.app import create_app

    s = api_settings.model_copy(update={"rate_limit_per_minute": 60, "rate_limit_burst": 3})
    with serve(create_app(s, assistant), s) as live:
        yield live


@pytest.fixture(scope="module")
def strict_server(api_settings, assistant):
    """One request at a time, a short timeout, and a staff key."""
    from api.app import create_app

    s = api_settings.model_copy(update={**UNLIMITED, "max_concurrent_requests": 1, "request_timeout_s": 1.5,
                                        "body_timeout_s": 1.0, "staff_api_key": "s3cret"})
    with serve(create_app(s, assistant), s) as live:
        yield live


def test_burst_over_the_rate_limit_is_429_with_retry_after(rate_limited_server):
    with httpx.Client(base_url=rate_limited_server.url, timeout=10) as c:
        statuses = [c.get("/api/suggestions") for _ in range(6)]
        assert [r.status_code for r in statuses[:3]] == [200, 200, 200]
        limited = [r for r in statuses if r.status_code == 429]
        assert len(limited) >= 2
        assert_error(limited[0], 429, "rate_limited")
        assert int(limited[0].headers["retry-after"]) >= 1
        # the pages and health checks are not rate limited
        assert c.get("/healthz").status_code == 200 and c.get("/widget.js").status_code == 200
        time.sleep(int(limited[-1].headers["retry-after"]) + 0.1)
        assert c.get("/api/suggestions").status_code == 200


def _hold_a_request(port: int) -> socket.socket:
    """Headers and half a body, then silence: a lying Content-Length."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(b"POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 200\r\n\r\n{\"question\": \"")
    return sock


def _read_response(sock: socket.socket) -> str:
    data = b""
    while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data.decode("utf-8")


def test_a_stalled_body_holds_no_slot_and_is_408_at_the_body_deadline(strict_server):
    # overload (503) and the request timeout (504) are tested with a slow handler in test_guards_http.py
    t0 = time.monotonic()
    held = _hold_a_request(strict_server.port)
    try:
        with httpx.Client(base_url=strict_server.url, timeout=10) as c:
            # the only slot stays free while the body is missing
            assert c.get("/api/suggestions").status_code == 200
            raw = _read_response(held)
            assert raw.startswith("HTTP/1.1 408")
            assert "请求内容未在" in raw and time.monotonic() - t0 < 3
            assert c.get("/api/suggestions").status_code == 200
    finally:
        held.close()


def test_staff_endpoints_need_the_key_when_one_is_set(strict_server):
    with httpx.Client(base_url=strict_server.url, timeout=10) as c:
        assert_error(c.get("/api/search", params={"q": "稳岗"}), 401, "unauthorized")
        assert_error(c.get("/api/rules", headers={"X-API-Key": "wrong"}), 401)
        assert c.get("/api/search", params={"q": "稳岗"}, headers={"X-API-Key": "s3cret"}).status_code == 200
        # the citizen side needs no key
        assert c.post("/api/chat", json={"question": "稳岗返还比例"}).status_code == 200


def test_not_ready_until_the_index_loads(api_settings, embedder, tmp_path):
    from api.app import create_app

    s = api_settings.model_copy(update={"index_dir": tmp_path / "empty-index", "db_path": tmp_path / "db.sqlite3"})
    with serve(create_app(s, embedder=embedder), s) as live, httpx.Client(base_url=live.url, timeout=10) as c:
        assert c.get("/healthz").json() == {"status": "ok"}
        deadline = time.monotonic() + 20
        while True:
            ready = c.get("/readyz")
            if "index build" in ready.text or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert "index build" in assert_error(ready, 503, "not_ready")["message"]
        assert_error(c.post("/api/chat", json={"question": "稳岗返还比例"}), 503, "not_ready")


# ---------------------------------------------------------------- personal data at rest
def test_id_card_and_phone_in_a_question_reach_neither_log_nor_database(client, live_server, log_file):
    from assistant.privacy import id_check_char

    id_card = "11010519491231002" + id_check_char("11010519491231002")
    phone = "13912345678"
    question = f"我的身份证号{id_card}，电话{phone}，企业稳岗返还怎么申请？"
    body = client.post("/api/chat", json={"question": question}).json()
    client.post("/api/feedback", json={"answer_id": body["answer_id"], "helpful": False, "comment": f"打{phone}找我"})
    r = client.get(f"/api/documents/{id_card}/clauses/{phone}")  # numbers in a path end up in the access log
    assert r.status_code == 404
    for h in __import__("logging").getLogger().handlers:
        h.flush()

    log_bytes = log_file.read_bytes()
    assert "[身份证号已隐藏]".encode() in log_bytes  # the question was logged, masked
    db = live_server.settings.db_path
    stored = b"".join(p.read_bytes() for p in (db, db.with_name(db.name + "-wal")) if p.exists())
    assert "[手机号已隐藏]".encode() in stored
    for raw in (log_bytes, stored):
        assert id_card.encode() not in raw and phone.encode() not in raw
        assert id_card.encode("utf-16-le") not in raw and phone.encode("utf-16-le") not in raw
