"""A noun the documents lack is the asker's circumstance, not the question's subject, when two of the
question's specific words (rare in the index and in everyday Chinese) meet in one of its best clauses; a
question whose known words are only common ones is still refused by that noun. Phrased here, not taken from
any evaluation set."""

from __future__ import annotations

import pytest

from tests.conftest import AS_OF


@pytest.fixture
def henan(assistant):
    served = assistant.home_region
    assistant.home_region = "河南省"
    yield assistant
    assistant.home_region = served


def test_a_circumstance_beside_two_specific_words_is_answered(henan):
    # 泥石流 is in no document; 停产 and 基本生活费 meet in 郑州市劳动用工条例 第三十五条
    a = henan.ask("车间被泥石流冲了停产了，停产期间还有基本生活费吗", session=henan.new_session(), as_of=AS_OF)
    assert a.status == "answered", a.answer
    assert any(c.clause_id == "zz-ldyg-tiaoli-2012#a35" for c in a.citations), [c.clause_id for c in a.citations]


def test_the_same_question_is_refused_with_the_mechanism_off(henan, monkeypatch):
    monkeypatch.setattr(henan.settings, "anchor_share", 0.0)
    a = henan.ask("车间被泥石流冲了停产了，停产期间还有基本生活费吗", session=henan.new_session(), as_of=AS_OF)
    assert a.status == "no_answer" and "泥石流" in a.answer


def test_common_words_are_no_anchor(henan):
    # 补办, 准备 and 材料 are everyday words: 护照 stays what the question is about
    a = henan.ask("护照过期了补办需要准备哪些材料", session=henan.new_session(), as_of=AS_OF)
    assert a.status == "no_answer" and "护照" in a.answer


def test_an_excused_question_is_embedded_once(henan, monkeypatch):
    # the circumstance check searches the question's best clauses, then the answer searches again: one embedding
    search = henan.handle.snapshot().search
    real = search.embedder.encode_one
    calls = []

    def counting(text):
        calls.append(text)
        return real(text)

    monkeypatch.setattr(search.embedder, "encode_one", counting)
    search._last_vector = None
    a = henan.ask("车间被泥石流冲了停产了，停产期间还有基本生活费吗", session=henan.new_session(), as_of=AS_OF)
    assert a.status == "answered"
    assert len(calls) == len(set(calls)), calls
