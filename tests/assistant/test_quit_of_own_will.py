"""第十四条（二）"非因本人意愿中断就业" as rule-book data: one flag the national 失业保险条例 and 河南's
regulation share, stated by what people say ("自己不干了"), so a person who quit is told no, with the reason
from the qualifying group nearest to them, for either document, and a person laid off is not."""

from __future__ import annotations


import pytest

from assistant.match import match_profile, parse_profile
from assistant.read_profile import read_profile
from assistant.rules import RuleBook
from tests.conftest import AS_OF

BENEFIT_RULES = ("cn-sybx-tiaoli-1999", "ha-sybx-tiaoli-2001")


@pytest.fixture(scope="module")
def book(rule_book) -> RuleBook:
    return rule_book


def _flag_of(book: RuleBook, words: str) -> str:
    hits = [name for name, spec in book.flags.items() if words in spec.aliases]
    assert len(hits) == 1, hits
    return hits[0]


def test_one_flag_names_quitting_for_both_documents(book):
    flag = _flag_of(book, "主动离职")
    users = {r.doc_id for r in book for alt in r.eligibility or [] if alt.where.get(flag) is False}
    assert set(BENEFIT_RULES) <= users


@pytest.mark.parametrize("question", ["我去年底自己不干了，现在想领失业保险金", "上个月主动离职的，失业金有我的份吗"])
def test_quitting_is_read_as_the_flag(book, question):
    flag = _flag_of(book, "主动离职")
    assert read_profile(question, book).slots.get(flag) is True


def test_a_person_who_quit_is_refused_the_benefit_with_the_nearest_reason(book):
    quit_flag, out_of_work = _flag_of(book, "主动离职"), _flag_of(book, "失业了")
    profile = parse_profile(book, {quit_flag: True, out_of_work: True})
    result = match_profile(book, profile, as_of=AS_OF, doc_ids=("cn-sybx-tiaoli-1999",))
    benefit = [n for n in result.not_applicable if "失业保险金" in n.title or "失业金" in n.title]
    assert benefit, [m.title for m in result.measures]
    for n in benefit:
        assert "本人意愿" in n.reason, n.reason
        # the other qualifying group (参保失业人员 as the applicant type) is farther: its line is not shown
        assert "申请主体类型" not in n.reason, n.reason
    assert not [m for m in result.measures if m.status == "applies" and "失业保险金" in m.title]


def test_a_person_laid_off_is_not_refused_for_quitting(book):
    out_of_work = _flag_of(book, "失业了")
    profile = parse_profile(book, {out_of_work: True})
    result = match_profile(book, profile, as_of=AS_OF, doc_ids=("cn-sybx-tiaoli-1999",))
    assert not [n for n in result.not_applicable if "本人意愿" in n.reason]
    assert [m for m in result.measures if "失业保险金" in m.title]


@pytest.mark.slow
def test_asked_in_a_sentence_the_answer_opens_with_no(assistant):
    answer = assistant.ask("我是主动辞职的，现在没工作了，失业保险金能领吗", session=assistant.new_session(), as_of=AS_OF)
    assert answer.answer.startswith("不能"), answer.answer[:200]
    assert "本人意愿" in answer.answer.split("\n")[0], answer.answer[:200]
