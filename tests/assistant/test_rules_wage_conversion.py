"""Quotients a document defines (劳社部发〔2008〕3号: 日工资 = 月工资收入 ÷ 月计薪天数, 小时工资 = 月工资收入 ÷
（月计薪天数 × 8小时）) are `rate` rules with `divide_by`, and a conversion an input needs (年休假办法 第十一条) is a
rule's `derive`: computed to 分 with the step shown, each divisor checked against its quote and cited."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from assistant.calculate import calculate
from assistant.rules import RuleBook, RuleDataError, build_rulebook
from tests.conftest import AS_OF

REPO = Path(__file__).resolve().parents[2]
DOC = "cn-lsbf-2008-3"


@pytest.fixture(scope="module")
def book(rule_book) -> RuleBook:
    return rule_book


def test_a_monthly_income_gives_the_daily_wage(book):
    out = calculate(book, "lsbf_daily_wage", {"lsbf_monthly_income": 4350}, as_of=AS_OF)
    assert out.ok and out.calculation.amount == 200  # 4350 ÷ 21.75 = 200 exactly
    assert out.calculation.formula == "4,350元 ÷ 21.75 = 200元"
    assert any("21.75天" in c.quote for c in out.citations)


def test_an_inexact_quotient_is_rounded_to_fen_and_says_so(book):
    out = calculate(book, "lsbf_hourly_wage", {"lsbf_monthly_income": 5000}, as_of=AS_OF)
    # 5000 ÷ (21.75 × 8) = 28.7356…
    assert out.ok and out.calculation.amount == Decimal("28.74")
    assert "（21.75 × 8）≈ 28.74元（按分四舍五入）" in out.calculation.formula.replace(" ≈", "≈")


@pytest.mark.parametrize("value", [-100, 0, "很多"])
def test_an_impossible_income_is_refused_by_name(book, value):
    out = calculate(book, "lsbf_daily_wage", {"lsbf_monthly_income": value}, as_of=AS_OF)
    assert not out.ok and out.error.param == "lsbf_monthly_income"


def test_a_divisor_the_quote_does_not_write_is_refused_at_load(corpus_docs):
    data = yaml.safe_load((REPO / "corpus/rules" / f"{DOC}.yaml").read_text(encoding="utf-8"))
    bad = copy.deepcopy(data)
    bad["rules"][0]["divide_by"] = ["20.83"]  # the 月工作日, written in part 一, not in these quotes
    with pytest.raises(RuleDataError, match="20.83"):
        build_rulebook([(f"{DOC}.yaml", bad)], {DOC: corpus_docs[DOC]})


def test_the_answer_states_the_converted_figure_it_is_not_a_benefit(assistant):
    a = assistant.ask("我一个月工资5655元，按规定折算日工资是多少", session=assistant.new_session(), as_of=AS_OF)
    assert a.calculation is not None and a.calculation.amount == 260, a.answer  # 5655 ÷ 21.75
    first = a.answer.split("\n")[0]
    assert "为260元" in first and "可领" not in first, first
