"""POST /api/chat and /api/chat/stream against a live server: answers, sessions, streaming order."""

from __future__ import annotations

import json
import re

import httpx
import pytest

pytestmark = pytest.mark.slow

FOLLOW_UP = ("我开饭店，在低风险地区", "有25个员工，都参保了，留工补助多少？")


def read_sse(response: httpx.Response):
    """Yield (event, data) as the bytes arrive: the stream is parsed line by line, not buffered whole."""
    event, data = "message", []
    for line in response.iter_lines():
        if line == "":
            if data:
                yield event, json.loads("\n".join(data))
            event, data = "message", []
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())


def test_chat_answers_with_citations_and_ids(client, live_server):
    r = client.post("/api/chat", json={"question": "一次性留工培训补助的标准是多少？"})
    assert r.status_code == 200
    body = r.json()
    assert body["status"] in ("answered", "clarify")
    assert body["citations"] and all(c["quote"] for c in body["citations"])
    assert "[1]" in body["answer"]
    assert body["session_id"] and body["answer_id"]
    assert r.headers["x-request-id"]
    turns = live_server.app.state.store.recent_turns(body["session_id"], 5)
    assert [t.answer_id for t in turns] == [body["answer_id"]]
    assert turns[0].answer["answer"] == body["answer"]


def test_follow_up_is_read_in_the_light_of_the_first_turn(client, live_server):
    first = client.post("/api/chat", json={"question": FOLLOW_UP[0]}).json()
    assert first["status"] in ("answered", "clarify")
    second = client.post("/api/chat", json={"question": FOLLOW_UP[1], "session_id": first["session_id"]}).json()
    assert second["session_id"] == first["session_id"]
    assert second["status"] in ("answered", "clarify")
    assert second["slots"].get("industry") == "餐饮"
    assert second["slots"].get("insured_employees") == 25
    # the same question without the first turn knows nothing about a restaurant
    alone = client.post("/api/chat", json={"question": FOLLOW_UP[1]}).json()
    assert alone["slots"].get("industry") != "餐饮"
    record = live_server.app.state.store.get_session(first["session_id"])
    assert record.slots["slots"]["industry"] == "餐饮"
    assert record.slots["last"]["intent"] == second["intent"]
    turns = live_server.app.state.store.recent_turns(first["session_id"], 10)
    assert [t.answer_id for t in turns] == [first["answer_id"], second["answer_id"]]


def test_as_of_decides_whether_the_measure_has_lapsed(client):
    question = "一次性留工培训补助的标准是多少？"
    then = client.post("/api/chat", json={"question": question, "as_of": "2022-07-01"}).json()
    now = client.post("/api/chat", json={"question": question}).json()
    assert then["validity"]["as_of"] == "2022-07-01" and then["validity"]["lapsed"] is False
    assert now["validity"]["as_of"] == "2026-11-26" and now["validity"]["lapsed"] is True


def test_out_of_scope_question_is_refused_with_the_hotline(client):
    body = client.post("/api/chat", json={"question": "护照怎么办理"}).json()
    assert body["status"] == "no_answer"
    assert "12333" in body["answer"]
    assert body["citations"] == []


def test_stream_sends_meta_deltas_citations_done_in_order(live_server):
    events = []
    with httpx.Client(base_url=live_server.url, timeout=30) as c:
        with c.stream("POST", "/api/chat/stream", json={"question": "一次性留工培训补助的标准是多少？"}) as r:
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/event-stream")
            for event in read_sse(r):
                events.append(event)
    names = [e for e, _ in events]
    assert names[0] == "meta" and names[-1] == "done" and names[-2] == "citations"
    assert set(names[1:-2]) == {"delta"} and len(names) - 3 >= 3
    meta, citations, done = events[0][1], events[-2][1], events[-1][1]
    assert "".join(d["text"] for e, d in events if e == "delta") == done["answer"]
    assert meta["answer_id"] == done["answer_id"] and meta["session_id"] == done["session_id"]
    assert meta["status"] == done["status"] and meta["intent"] == done["intent"]
    assert citations["citations"] == done["citations"] and done["citations"]
    assert citations["validity"] == done["validity"]
    # no delta cuts a citation marker in two: every marker of the answer arrives whole in one piece
    whole = sum(len(re.findall(r"\[\d+\]", d["text"])) for e, d in events if e == "delta")
    assert whole == len(re.findall(r"\[\d+\]", done["answer"])) > 0


def test_stream_continues_a_session(client, live_server):
    first = client.post("/api/chat", json={"question": FOLLOW_UP[0]}).json()
    with client.stream("POST", "/api/chat/stream",
                       json={"question": FOLLOW_UP[1], "session_id": first["session_id"]}) as r:
        done = [d for e, d in read_sse(r) if e == "done"][0]
    assert done["session_id"] == first["session_id"]
    assert done["slots"]["industry"] == "餐饮"


def test_stream_with_unknown_session_is_a_json_404(client):
    r = client.post("/api/chat/stream", json={"question": "稳岗返还比例是多少？", "session_id": "no-such-session"})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["error"]["code"] == "unknown_session"


def test_every_suggestion_gets_an_answer(client):
    questions = client.get("/api/suggestions").json()["questions"]
    assert len(questions) >= 4
    for q in questions:
        body = client.post("/api/chat", json={"question": q}).json()
        assert body["status"] in ("answered", "clarify"), (q, body["answer"])
        assert body["citations"], q
