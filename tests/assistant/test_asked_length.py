"""A length of time asked in a named unit ("几个月", "多少天") is answered by the sentence stating a figure in
that unit, first; when the best clause states none, the answer says the documents do not say, instead of
"文件未写明该项措施的截止期限" over a quote that does not hold the number."""

from __future__ import annotations

import pytest

from assistant.compose import states_asked_time
from assistant.understand import _intent


@pytest.mark.parametrize("question, text, expected", [
    ("停工留薪期最长几个月", "停工留薪期一般不超过12个月。", True),
    ("申请要在多少日内提出", "应当自事故伤害发生之日起三十日内提出申请。", True),
    ("一年能休多少天", "职工连续工作满12个月以上的，享受带薪年休假。", False),
    ("交满多少年才能领", "累计缴费满十五年的，按月领取基本养老金。", True),
    ("多少岁可以领", "累计缴费满十五年的，按月领取基本养老金。", False),
    ("多久能办完", "应当在15日内作出决定。", None),  # no unit named: not judged here
])
def test_states_the_unit_asked(question, text, expected):
    assert states_asked_time(question, text) is expected


def test_those_days_are_not_a_question_about_days():
    # "那几天"/"这几天" point at days already named; "几天" alone asks how many
    assert _intent("请假那几天的工资会少发吗") != "deadline"
    assert _intent("这几天的工资照发吗") != "deadline"
    assert _intent("病假能请几天") == "deadline"


def test_a_length_in_the_clause_comes_first(assistant):
    answer = assistant.ask("因工受伤停工留薪一般给几个月")
    assert answer.status == "answered"
    first = answer.answer.splitlines()[0]
    assert "12个月" in first and "截止期限" not in first
    assert any(c.clause_id.endswith("#a33") for c in answer.citations)


def test_a_length_no_clause_states_is_not_in_the_documents(assistant):
    answer = assistant.ask("女职工生了孩子，产假给几天")
    assert answer.status == "no_answer"
    assert answer.answer.startswith("文件没有写明具体是多少天")
    # the clause shown is quoted verbatim, and it indeed holds no figure in days
    assert answer.citations and all("天" not in c.quote and "日" not in c.quote for c in answer.citations)


def test_a_runner_up_without_the_questions_word_is_no_rival(assistant):
    # the best clause (连续工作满12个月) states months, the runner-up counts days (÷365天) but lacks the most
    # specific word the question shares with the best clause: the documents do not state the days per year
    # (they are in 《职工带薪年休假条例》, not in the corpus). Until 2026-12-07 this was answered with
    # "文件未写明该项措施的截止期限" over the quote, a deadline reply to a question about a length.
    answer = assistant.ask("带薪年休假每年具体能休多少天")
    assert answer.status == "no_answer", answer.answer
    assert answer.answer.startswith("文件没有写明具体是多少天")


def test_a_runner_up_on_another_subject_is_no_rival(assistant):
    # the runner-up counts days (365天－104天), but has not the question's specific word (丧假/婚丧假): the best
    # clause, which names 婚丧假 without a number of days, says the documents do not state it
    answer = assistant.ask("婚丧假能休多少天")
    assert answer.status == "no_answer", answer.answer
    assert answer.answer.startswith("文件没有写明具体是多少天"), answer.answer
