"""A law's penalty article cites the rules it enforces by number ("违反第七条第二款规定…处以一万元以上五万元以下
罚款"). An amount question whose best clause is the rule broken, stating no sum, is answered from the part of
the article that cites it, not with "文件没有规定具体的金额"; and a sum given for one input is not reused
for another of a different period (日工资 is no 月工资收入), nor are conversions added into a total."""

from __future__ import annotations

import contextlib
from types import SimpleNamespace

import pytest

from assistant.compose_rules import _period_of
from assistant.documents import referring_clauses
from index.parse import parse_text
from index.types import DocumentMeta

LAW = "\n".join([
    "某市测试用工条例", "",
    "第一章　总则", "",
    "第一条 为了测试，制定本条例。", "",
    "第二条 用人单位不得向劳动者收取押金。", "",
    "第三条 解除劳动合同依照《中华人民共和国劳动合同法》第二条的规定执行。", "",
    "第二章　法律责任", "",
    "第四条 违反本条例规定，有下列行为之一的，按照下列规定处罚：", "",
    "（一）违反第二条规定，收取押金的，按照每人五百元的标准予以处罚；", "",
    "（二）违反第一条规定的，责令改正。", "",
])


def _version(*docs):
    """What referring_clauses reads of an index version: its documents (the real one caches the table on it)."""
    return SimpleNamespace(docs={d.meta.doc_id: d for d in docs})


@pytest.fixture(scope="module")
def law():
    doc = parse_text(LAW, DocumentMeta(doc_id="t", title="某市测试用工条例"))
    assert doc.family == "legal"
    return doc


def test_the_citing_part_of_the_penalty_article_is_found(law):
    cited = referring_clauses(_version(law), "t#a2")
    assert [cid for cid, _ in cited] == ["t#a4"]
    (_, (start, end)), = cited
    assert law.raw[start:end].startswith("（一）违反第二条规定") and "第一条" not in law.raw[start:end]


def test_another_laws_article_of_the_same_number_is_not_a_citation(law):
    # 第三条 names 《劳动合同法》第二条: that is no citation of this law's 第二条
    assert all(cid != "t#a3" for cid, _ in referring_clauses(_version(law), "t#a2"))
    assert referring_clauses(_version(law), "t#a3") == []


def test_a_plan_has_no_article_citations():
    plan = parse_text("关于测试的通知\n\n一、总体要求\n\n（一）按第二条执行。\n\n二、保障措施\n\n（二）加强领导。",
                      DocumentMeta(doc_id="p", title="关于测试的通知"))
    assert all(referring_clauses(_version(plan), c) == [] for c in plan.clauses)


@pytest.mark.parametrize("label, period", [("日工资", "日"), ("月工资收入", "月"), ("小时工资", "小时"),
                                           ("本人工资", None), ("每天工资", None)])
def test_the_period_a_sum_is_per(label, period):
    assert _period_of(label) == period


@contextlib.contextmanager
def served_in(assistant, region):
    served = assistant.home_region
    assistant.home_region = region
    try:
        yield assistant
    finally:
        assistant.home_region = served


def test_a_fine_for_breaking_a_rule_is_quoted_from_the_article_that_cites_it(assistant):
    with served_in(assistant, "河南省") as a:
        answer = a.ask("郑州的人力资源中介向劳动者收押金，罚款标准多少")
    assert answer.status == "answered", answer.answer
    first = answer.answer.splitlines()[0]
    assert "五百元以上二千元以下" in first and "文件没有规定" not in answer.answer
    assert answer.citations[0].clause_id == "zz-ldyg-tiaoli-2012#a44"


def test_a_floor_rate_of_a_wage_the_asker_states_is_computed(assistant):
    with served_in(assistant, "河南省") as a:
        answer = a.ask("郑州这边厂子停产，一直没给安排活干，当地最低工资1800元，基本生活费最少发多少")
    assert answer.calculation is not None and answer.calculation.amount == 1080
    assert "1,080元" in answer.answer.splitlines()[0]
    assert any(c.clause_id == "zz-ldyg-tiaoli-2012#a35" for c in answer.citations)


def test_two_conversions_asked_together_are_not_added_up(assistant):
    answer = assistant.ask("月薪4350元，日工资、小时工资折算下来总共多少")
    assert "合计" not in answer.answer
    assert "200元" in answer.answer and "25元" in answer.answer  # 4350 ÷ 21.75 = 200, ÷ (21.75 × 8) = 25


def test_hours_said_with_a_classifier_are_hours():
    from assistant.quantities import read_quantities

    assert [(q.kind, q.unit, int(q.value)) for q in read_quantities("加班干了三十个小时")] == [("duration", "小时", 30)]
    assert [(q.kind, q.unit) for q in read_quantities("招了十个人")] == [("count", "人")]


def test_a_number_of_hours_asked_is_answered_by_the_hours_stated(assistant):
    with served_in(assistant, "河南省") as a:
        answer = a.ask("郑州的非全日制用工，每周干满多少个小时以上就得算加班工资")
    assert answer.status == "answered", answer.answer
    assert "二十四小时" in answer.answer.splitlines()[0]
