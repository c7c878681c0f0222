"""What kind of figure a question asks for picks the rule, and how the answer states it (issue 13).

Each test names the mechanism; the phrasings are this file's own."""

from __future__ import annotations

import re

import pytest

from assistant.compose_rules import asked_quantity, asker_pays, rule_quantity
from evals.scorers import untraced_numbers
from tests.conftest import AS_OF

pytestmark = pytest.mark.slow


def _flat(s: str) -> str:
    return re.sub(r"[\s,，]", "", s)


@pytest.mark.parametrize("text,kind", [
    ("失业金一共能拿几个月", "duration"),
    ("最长可以领多长时间", "duration"),
    ("每个月发多少钱", "money"),
    ("补多少", "money"),
    ("这个政策是谁负责的", None),
])
def test_the_question_word_says_which_figure_is_asked(text, kind):
    assert asked_quantity(text) == kind


def test_rules_say_which_figure_they_give(assistant):
    kinds = {rule_quantity(r) for r in assistant.rules}
    assert {"duration", "money"} <= kinds  # the corpus holds both; a unit of 个月 is a duration
    for rule in assistant.rules:
        if rule.unit in ("个月", "年", "日", "天"):
            assert rule_quantity(rule) == "duration"


def test_a_length_of_time_is_computed_from_the_years_given(assistant):
    a = assistant.ask("本人缴了失业保险八年，现在失业了，失业保险金最多发多久", as_of=AS_OF)
    assert a.calculation is not None and a.calculation.unit == "个月"
    assert a.calculation.amount == 18
    assert "18个月" in _flat(a.summary or a.answer.splitlines()[0])
    assert not untraced_numbers(a)[1]


def test_a_length_asked_without_the_years_gives_the_schedule(assistant):
    a = assistant.ask("失业保险金按规定最长可以领多长时间", as_of=AS_OF)
    first = _flat(a.answer.splitlines()[0])
    assert a.status == "answered"
    for months in ("12个月", "18个月", "24个月"):
        assert months in first
    assert a.calculation is None  # nothing computed: no years were given


def test_money_asked_is_not_answered_by_a_rule_of_months(assistant):
    a = assistant.ask("失业保险金一个月到底发多少钱", as_of=AS_OF)
    assert a.calculation is None or a.calculation.unit != "个月"
    assert "期限" not in (a.summary or a.answer.splitlines()[0])


def test_money_the_asker_pays_is_not_worded_as_received(assistant):
    payers = [r for r in assistant.rules if asker_pays(r)]
    assert payers and all("补贴" not in r.title and "补助" not in r.title for r in payers)
    a = assistant.ask("按失业保险条例，我月工资6000元，自己每个月要交多少失业保险费", as_of=AS_OF)
    assert a.calculation is not None and a.calculation.amount == 60
    first = a.answer.splitlines()[0]
    assert "应缴" in first and "可领" not in first


def test_an_article_number_shared_by_documents_goes_to_the_one_the_words_fit(assistant):
    # several documents have a 第六条; the question's subject (失业保险费) is in one of them
    a = assistant.ask("第六条里失业保险费单位按工资总额的多少交", as_of=AS_OF)
    assert a.citations and a.citations[0].doc_id == "cn-sybx-tiaoli-1999"


def test_a_quote_does_not_skip_the_middle_step_of_a_schedule(assistant):
    from assistant.compose import best_sentences
    from assistant.understand import understand

    version, search = assistant.handle.current()
    clause = version.clauses["cn-sybx-tiaoli-1999#a17"]  # three steps: 满1年…12个月；满5年…18个月；10年以上…24个月
    assert len(clause.sentences) >= 3
    u = understand("失业人员失业前所在单位累计缴费时间10年以上的领取期限", assistant.lexicon, book=assistant.rules)
    chosen = best_sentences(version, clause, u, search.tokenizer, limit=2)
    spans = [span for span, _ in chosen]
    order = [clause.sentences.index(s) for s in spans]
    for prev, (nxt, (_, text)) in zip(order, zip(order[1:], chosen[1:])):
        # consecutive sentences, or the gap is marked in the text shown
        assert nxt == prev + 1 or text.startswith("……")
    assert any("18个月" in t for _, t in chosen) or any(t.startswith("……") for _, t in chosen[1:])


def test_a_status_word_the_documents_use_throughout_states_the_asker_only_of_themselves(assistant):
    from assistant.read_profile import _topic_words, read_profile

    book = assistant.rules
    topic = _topic_words(book)
    assert "失业人员" in topic  # the unemployment texts use it in dozens of clauses
    assert "帮扶车间" not in topic  # a status named in a couple of clauses is the asker's when said
    assert "死亡" in topic
    about = read_profile("职工因工死亡的，丧葬补助金怎么算", book)
    assert not about.slots.get("sy_died_while_receiving")
    me = read_profile("我丈夫领失业金时死亡了，家里能领什么", book)
    assert me.slots.get("sy_died_while_receiving") is True
    workshop = read_profile("帮扶车间招了12个脱贫劳动力补多少", book)
    assert workshop.slots.get("is_helping_workshop") is True
