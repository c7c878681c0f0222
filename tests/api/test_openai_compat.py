"""The official `openai` client against /v1 of the live server: plain and streaming completions."""

from __future__ import annotations

import openai
import pytest

pytestmark = pytest.mark.slow

QUESTION = "一次性留工培训补助的标准是多少？"


@pytest.fixture()
def oa(live_server):
    with openai.OpenAI(base_url=f"{live_server.url}/v1", api_key="not-needed", max_retries=0, timeout=30) as c:
        yield c


def test_models_lists_policy_qa(oa):
    assert "policy-qa" in [m.id for m in oa.models.list()]


def test_completion_carries_answer_and_policy_extras(oa, client):
    resp = oa.chat.completions.create(model="policy-qa", messages=[{"role": "user", "content": QUESTION}])
    assert resp.object == "chat.completion"
    content = resp.choices[0].message.content
    assert resp.choices[0].message.role == "assistant" and resp.choices[0].finish_reason == "stop"
    assert "[1]" in content and "500" in content
    extra = resp.model_extra["policy_qa"]
    assert extra["status"] in ("answered", "clarify")
    assert extra["citations"] and extra["citations"][0]["quote"]
    assert extra["validity"]["lapsed"] is True
    # the same answer the citizen API gives
    assert client.post("/api/chat", json={"question": QUESTION}).json()["answer"] == content


def test_streaming_completion_joins_to_the_same_answer(oa):
    plain = oa.chat.completions.create(model="policy-qa", messages=[{"role": "user", "content": QUESTION}])
    stream = oa.chat.completions.create(model="policy-qa", messages=[{"role": "user", "content": QUESTION}], stream=True)
    chunks = list(stream)
    assert len(chunks) >= 4
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == plain.choices[0].message.content
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].model_extra["policy_qa"]["citations"] == plain.model_extra["policy_qa"]["citations"]


def test_history_gives_the_follow_up_its_context(oa):
    resp = oa.chat.completions.create(
        model="policy-qa",
        messages=[
            {"role": "system", "content": "你是政策助手"},
            {"role": "user", "content": "我开饭店，在低风险地区"},
            {"role": "assistant", "content": "……"},
            {"role": "user", "content": [{"type": "text", "text": "有25个员工，都参保了，留工补助多少？"}]},
        ],
    )
    extra = resp.model_extra["policy_qa"]
    assert extra["slots"]["industry"] == "餐饮"
    assert extra["calculation"]["amount"] == 12500


def test_no_user_message_is_an_error_the_client_raises(oa):
    with pytest.raises(openai.UnprocessableEntityError) as info:
        oa.chat.completions.create(model="policy-qa", messages=[{"role": "system", "content": "只有系统消息"}])
    assert info.value.status_code == 422
    # the client unwraps our {"error": {...}} body like OpenAI's own
    assert info.value.body["code"] == "no_question" and "用户" in info.value.body["message"]
