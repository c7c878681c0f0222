"""Every hostile string of tests/data/bad_inputs.json through every text field of every operation.

Handled means: a 2xx answer, or a 4xx JSON error whose message is Chinese; never a 5xx, never a
hang (each request has its own client timeout), never a dropped connection. Strings with lone
surrogates travel as JSON `\\ud800` escapes in bodies and as percent-encoded bytes in URLs.

URLs longer than an HTTP client will build (httpx stops at 64 KB; browsers and proxies far sooner)
are sent over a raw socket: uvicorn's parser refuses them with its own plain-text 400 before the app
runs, so for those only a 4xx status is required.
"""

from __future__ import annotations

import json
import re
import socket
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from badinput import load_bad_inputs  # noqa: E402

pytestmark = pytest.mark.slow

BAD = load_bad_inputs()
CJK = re.compile(r"[\u4e00-\u9fff]")
REQUEST_TIMEOUT_S = 15.0
MAX_CLIENT_URL = 65_536  # httpx's own limit
WORKERS = 4
DOC = "sx-rst-2022-19"


def _url_part(text: str) -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def _body(value: object) -> dict:
    # ensure_ascii writes a lone surrogate as a \udXXX escape, which is how a JSON client sends one
    return {"content": json.dumps(value, ensure_ascii=True).encode("ascii"),
            "headers": {"content-type": "application/json"}}


Request = tuple[str, str, dict]  # method, url, httpx keyword arguments


def _fields(answer_id: str) -> dict[str, Callable[[str], Request]]:
    """One request builder per text field; the other fields hold valid values."""
    search = "/api/search?q=%E7%A8%B3%E5%B2%97"  # 稳岗
    return {
        "chat.question": lambda s: ("POST", "/api/chat", _body({"question": s})),
        "chat.session_id": lambda s: ("POST", "/api/chat", _body({"question": "稳岗返还比例", "session_id": s})),
        "chat.as_of": lambda s: ("POST", "/api/chat", _body({"question": "稳岗返还比例", "as_of": s})),
        "stream.question": lambda s: ("POST", "/api/chat/stream", _body({"question": s})),
        "stream.session_id": lambda s: ("POST", "/api/chat/stream", _body({"question": "稳岗返还比例", "session_id": s})),
        "feedback.answer_id": lambda s: ("POST", "/api/feedback", _body({"answer_id": s, "helpful": True})),
        "feedback.comment": lambda s: ("POST", "/api/feedback", _body({"answer_id": answer_id, "helpful": False, "comment": s})),
        "search.q": lambda s: ("GET", f"/api/search?q={_url_part(s)}", {}),
        "search.doc_id": lambda s: ("GET", f"{search}&doc_id={_url_part(s)}", {}),
        "search.unit": lambda s: ("GET", f"{search}&unit={_url_part(s)}", {}),
        "search.leader": lambda s: ("GET", f"{search}&leader={_url_part(s)}", {}),
        "search.section": lambda s: ("GET", f"{search}&section={_url_part(s)}", {}),
        "clause.doc_id": lambda s: ("GET", f"/api/documents/{_url_part(s)}/clauses/2.1", {}),
        "clause.clause_id": lambda s: ("GET", f"/api/documents/{DOC}/clauses/{_url_part(s)}", {}),
        "clause.as_of": lambda s: ("GET", f"/api/documents/{DOC}/clauses/2.1?as_of={_url_part(s)}", {}),
        "calc.rule_id": lambda s: ("POST", "/api/calc", _body({"rule_id": s, "params": {}})),
        "calc.param_value": lambda s: ("POST", "/api/calc", _body({"rule_id": "job_retention_training_subsidy",
                                                                    "params": {"insured_employees": s}})),
        "calc.param_name": lambda s: ("POST", "/api/calc", _body({"rule_id": "job_retention_training_subsidy",
                                                                   "params": {s: 25, "insured_employees": 25}})),
        "match.industry": lambda s: ("POST", "/api/match", _body({"profile": {"industry": s}})),
        "match.field_name": lambda s: ("POST", "/api/match", _body({"profile": {s: "餐饮"}})),
        "openai.content": lambda s: ("POST", "/v1/chat/completions",
                                     _body({"model": "policy-qa", "messages": [{"role": "user", "content": s}]})),
        "openai.model": lambda s: ("POST", "/v1/chat/completions",
                                   _body({"model": s, "messages": [{"role": "user", "content": "稳岗返还比例"}]})),
    }


FIELDS = list(_fields("-"))


@pytest.fixture(scope="module")
def answer_id(live_server) -> str:
    with httpx.Client(base_url=live_server.url, timeout=REQUEST_TIMEOUT_S) as c:
        return c.post("/api/chat", json={"question": "稳岗返还比例是多少？"}).json()["answer_id"]


def _raw_get(base: str, url: str) -> tuple[int, str | None]:
    """Send a GET too long for an HTTP client; only the status line is judged."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=REQUEST_TIMEOUT_S) as sock:
        sock.sendall(f"GET {url} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode("ascii"))
        head = b""
        while b"\r\n" not in head:
            chunk = sock.recv(4096)
            if not chunk:
                return 0, "connection closed without a response"
            head += chunk
    status = int(head.split(b" ", 2)[1])
    return status, None if 400 <= status < 500 else f"HTTP {status} for an over-long URL"


def _verdict(r: httpx.Response) -> str | None:
    """None when handled; otherwise what went wrong."""
    if r.status_code >= 500:
        return f"HTTP {r.status_code}: {r.text[:200]}"
    if r.status_code >= 400:
        try:
            message = r.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            return f"HTTP {r.status_code} without the JSON error body: {r.text[:200]}"
        return None if CJK.search(message) else f"HTTP {r.status_code} message not Chinese: {message}"
    if r.headers.get("content-type", "").startswith("text/event-stream"):
        return None if "event: done" in r.text or "data: [DONE]" in r.text else f"stream without an end: {r.text[-200:]}"
    try:
        r.json()
    except ValueError:
        return f"HTTP {r.status_code} body is not JSON: {r.text[:200]}"
    return None


@pytest.mark.parametrize("field", FIELDS)
def test_every_bad_input_is_handled(field, live_server, answer_id):
    build = _fields(answer_id)[field]
    failures: list[str] = []
    statuses: dict[int, int] = {}

    with httpx.Client(base_url=live_server.url, timeout=REQUEST_TIMEOUT_S) as c:

        def send(item: tuple[str, str]) -> tuple[str, str | None, int]:
            case_id, text = item
            method, url, kwargs = build(text)
            if len(url) > MAX_CLIENT_URL:
                status, problem = _raw_get(live_server.url, url)
                return case_id, problem, status
            try:
                r = c.request(method, url, **kwargs)
            except httpx.HTTPError as exc:
                return case_id, f"{type(exc).__name__}: {exc}", 0
            return case_id, _verdict(r), r.status_code

        with ThreadPoolExecutor(WORKERS) as pool:
            for case_id, problem, status in pool.map(send, BAD):
                statuses[status] = statuses.get(status, 0) + 1
                if problem:
                    failures.append(f"{case_id}: {problem}")
    assert not failures, f"{len(failures)} of {len(BAD)} not handled in {field}:\n" + "\n".join(failures[:20])
    print(f"{field}: {statuses}")
