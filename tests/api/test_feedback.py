"""POST /api/feedback: stored beside the answer it judges, read back through the store."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def _answer_id(client) -> str:
    return client.post("/api/chat", json={"question": "稳岗返还比例是多少？"}).json()["answer_id"]


def test_feedback_is_stored_and_read_back(client, live_server):
    answer_id = _answer_id(client)
    r = client.post("/api/feedback", json={"answer_id": answer_id, "helpful": False, "comment": "没有说清楚大型企业的比例"})
    assert r.status_code == 200
    body = r.json()
    assert body["ok"] is True and body["feedback_id"]
    records = live_server.app.state.store.feedback_for(answer_id)
    assert [(f.id, f.helpful, f.comment) for f in records] == [(body["feedback_id"], False, "没有说清楚大型企业的比例")]


def test_feedback_without_comment(client, live_server):
    answer_id = _answer_id(client)
    assert client.post("/api/feedback", json={"answer_id": answer_id, "helpful": True}).status_code == 200
    assert client.post("/api/feedback", json={"answer_id": answer_id, "helpful": True, "comment": None}).status_code == 200
    records = live_server.app.state.store.feedback_for(answer_id)
    assert [(f.helpful, f.comment) for f in records] == [(True, None), (True, None)]


def test_feedback_comment_has_personal_numbers_masked(client, live_server):
    answer_id = _answer_id(client)
    client.post("/api/feedback", json={"answer_id": answer_id, "helpful": False, "comment": "请回电13812345678"})
    (record,) = live_server.app.state.store.feedback_for(answer_id)
    assert "13812345678" not in record.comment and "[手机号已隐藏]" in record.comment


def test_feedback_on_unknown_answer_is_404(client):
    r = client.post("/api/feedback", json={"answer_id": "never-issued", "helpful": True})
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "unknown_answer"
    assert "回答" in r.json()["error"]["message"]


def test_feedback_comment_over_the_limit_is_422_naming_the_field(client):
    r = client.post("/api/feedback", json={"answer_id": _answer_id(client), "helpful": True, "comment": "长" * 1001})
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "comment"
    assert "comment" in r.json()["error"]["message"] and "1000" in r.json()["error"]["message"]
