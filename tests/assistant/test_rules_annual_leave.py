"""The reviewed rules file of 企业职工带薪年休假实施办法 (corpus/rules/cn-nxj-banfa-2008.yaml): 第十条's
未休年休假工资报酬 is 日工资收入 × 300% per day times the days not taken, computed by the calculator with its
formula and the clauses of its numbers; bad input is refused; the real pipeline answers with the amount
first. The questions are phrased here, not taken from any evaluation set."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from assistant.calculate import calculate
from assistant.rules import RuleBook

DOC = "cn-nxj-banfa-2008"
RULE = "nxj_unused_leave_pay"
AS_OF = date(2026, 11, 26)


@pytest.fixture(scope="module")
def book(rule_book) -> RuleBook:
    return rule_book


def test_the_rule_loads_reviewed_with_its_quotes(book: RuleBook) -> None:
    rule = book.get(RULE)
    assert rule.doc_id == DOC and rule.clause_id == f"{DOC}#a10"
    assert rule.kind == "rate" and rule.rate == Decimal("3") and rule.reviewed
    assert rule.base == "nxj_daily_wage" and rule.times is not None and rule.times.param == "nxj_unused_days"
    quoted = {q.clause_id: q.quote for q in rule.citations}
    assert "日工资收入的300%" in quoted[f"{DOC}#a10"]
    assert "其中包含用人单位支付职工正常工作期间的工资收入" in quoted[f"{DOC}#a10"]
    assert "21.75" in quoted[f"{DOC}#a11"]
    # parameters are the file's own, prefixed, and no other rules file's rule uses them
    assert all(n.startswith("nxj_") for n in rule.all_names())


def test_daily_wage_times_300_percent_times_days(book: RuleBook) -> None:
    out = calculate(book, RULE, {"nxj_daily_wage": 300, "nxj_unused_days": 5}, as_of=AS_OF)
    assert out.ok, out.error
    calc = out.calculation
    assert calc.amount == 4500 and calc.unit == "元"
    assert calc.formula == "300元 × 300% = 900元/天；× 5天 = 4,500元"
    # the clause of every number: 300% (第十条), and the daily wage's own definition (第十一条, 21.75天)
    cited = {c.clause_id: c.quote for c in out.citations}
    assert "300%" in cited[f"{DOC}#a10"] and "21.75" in cited[f"{DOC}#a11"]
    assert any("300%" in c and "包含" in c for c in calc.conditions)


def test_a_fractional_daily_wage_is_kept_exact(book: RuleBook) -> None:
    out = calculate(book, RULE, {"nxj_daily_wage": "412.5", "nxj_unused_days": 2}, as_of=AS_OF)
    assert out.ok and out.calculation.amount == Decimal("2475")


@pytest.mark.parametrize("params, param", [
    ({"nxj_daily_wage": 300, "nxj_unused_days": -5}, "nxj_unused_days"),
    ({"nxj_daily_wage": -300, "nxj_unused_days": 5}, "nxj_daily_wage"),
    ({"nxj_daily_wage": 300, "nxj_unused_days": 0}, "nxj_unused_days"),
    ({"nxj_daily_wage": 300, "nxj_unused_days": 1000}, "nxj_unused_days"),
    ({"nxj_daily_wage": 300}, "nxj_unused_days"),
    ({"nxj_daily_wage": "很多", "nxj_unused_days": 5}, "nxj_daily_wage"),
])
def test_bad_inputs_are_refused_naming_the_parameter(book: RuleBook, params: dict, param: str) -> None:
    out = calculate(book, RULE, params, as_of=AS_OF)
    assert not out.ok and out.calculation is None
    assert out.error.param == param


def test_a_monthly_wage_is_converted_by_21_75_with_its_clause(book: RuleBook) -> None:
    # 第十一条: 日工资收入 = 月工资 ÷ 21.75, rounded to 分, then × 300% × days; a daily wage given wins
    out = calculate(book, RULE, {"nxj_monthly_wage": 5000, "nxj_unused_days": 2}, as_of=AS_OF)
    assert out.ok, out.error
    calc = out.calculation
    assert calc.amount == Decimal("1379.34")  # 5000 ÷ 21.75 ≈ 229.89; 229.89 × 3 × 2
    assert "5,000元 ÷ 21.75 ≈ 日工资收入229.89元" in calc.formula and "229.89元 × 300%" in calc.formula
    assert any(c.clause_id == f"{DOC}#a11" and "21.75" in c.quote for c in out.citations)
    both = calculate(book, RULE, {"nxj_monthly_wage": 5000, "nxj_daily_wage": 200, "nxj_unused_days": 2}, as_of=AS_OF)
    assert both.calculation.amount == 1200 and "÷" not in both.calculation.formula


def test_a_monthly_wage_alone_still_needs_the_days(book: RuleBook) -> None:
    out = calculate(book, RULE, {"nxj_monthly_wage": 5000}, as_of=AS_OF)
    assert not out.ok and out.error.param == "nxj_unused_days"


def test_the_question_words_bind_the_daily_wage_and_the_days(book: RuleBook) -> None:
    from assistant.read_profile import read_profile

    r = read_profile("我日薪280元，今年还剩4天年假没休", book)
    assert r.slots.get("nxj_daily_wage") == 280 and r.slots.get("nxj_unused_days") == 4
    r = read_profile("月工资7000，有两天年假没休", book)
    assert "nxj_daily_wage" not in r.slots and r.slots.get("nxj_monthly_wage") == 7000


def test_the_pipeline_answers_with_the_amount_first(assistant) -> None:
    a = assistant.ask("我一天工资收入是280元，今年有4天年休假单位因为忙没安排我也同意了，没休的年假工资能拿多少钱")
    assert a.calculation is not None and a.calculation.rule_id == RULE, a.answer
    assert a.calculation.amount == 3360
    assert a.summary.startswith("“未休年休假工资报酬（日工资收入的300%）”可领3,360元"), a.summary
    assert "280元 × 300%" in a.answer and "× 4天" in a.answer
    assert any(c.clause_id == f"{DOC}#a10" and "300%" in c.quote for c in a.citations)


def test_the_pipeline_converts_a_monthly_wage_never_multiplies_it(assistant) -> None:
    a = assistant.ask("我月薪6525元，没休的年假还有4天，一共能拿多少钱")
    assert "78,300" not in a.answer and "78300" not in a.answer
    assert a.calculation is not None and a.calculation.amount == Decimal("3600")  # 6525 ÷ 21.75 = 300 exactly
    assert "6,525元 ÷ 21.75 = 日工资收入300元" in a.answer, a.answer


def test_a_monthly_wage_from_an_earlier_turn_and_days_stated_loosely_compute(assistant) -> None:
    # the daily wage is derived from the monthly one, so the days are the one input still needed: the
    # "4天" next to no noun of the rule book fills it instead of a question back for the days
    session = assistant.new_session()
    assistant.ask("我每月工资6525元", session=session)
    a = assistant.ask("单位忙没让我休，还剩4天年假，这4天能拿多少钱", session=session)
    assert a.calculation is not None and a.calculation.rule_id == RULE, a.answer
    assert a.calculation.amount == Decimal("3600"), a.answer
