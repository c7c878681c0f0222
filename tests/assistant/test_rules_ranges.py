"""A rate the document states as a range ("处欠缴数额1倍以上3倍以下的罚款", "骗取金额1倍以上3倍以下") is one
`rate` rule with `rate_max`: both ends computed from the asker's base, shown as a range first; a daily rate
written 万分之五 loads (the number check reads 万分之) and is shown as the quote writes it. The questions are
phrased here, not taken from any evaluation set."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest
import yaml

from assistant.calculate import calculate
from assistant.rules import RuleDataError, build_rulebook
from tests.conftest import AS_OF, REPO

GS = "cn-gsbx-tiaoli-2010"
SY = "cn-sybx-tiaoli-1999"


def test_a_range_of_multiples_gives_both_ends(rule_book):
    out = calculate(rule_book, "gs_uninsured_fine", {"gs_arrears": 40000}, as_of=AS_OF)
    assert out.ok, out.error
    calc = out.calculation
    assert calc.amount == 40000 and calc.amount_max == 120000
    assert calc.formula.startswith("40,000元 × 1倍至3倍 = 40,000元")
    assert any("1倍以上3倍以下" in c.quote for c in out.citations)


def test_a_daily_rate_in_wan_fen_zhi_times_days(rule_book):
    out = calculate(rule_book, "gs_uninsured_late_fee", {"gs_arrears": 24000, "gs_arrears_days": 45}, as_of=AS_OF)
    assert out.ok, out.error
    calc = out.calculation
    assert calc.amount == 540 and calc.amount_max is None  # 24000 × 0.0005 = 12元/天 × 45天
    assert "万分之五" in calc.formula and "× 45天" in calc.formula


def test_a_single_rate_has_no_upper_end(rule_book):
    out = calculate(rule_book, "lsbf_daily_wage", {"lsbf_monthly_income": 4350}, as_of=AS_OF)
    assert out.ok and out.calculation.amount_max is None


@pytest.mark.parametrize("change, message", [
    ({"rate_max": "4"}, "4"),  # a number in no quote
    ({"rate_max": "0.5"}, "rate_max"),  # below the lower end
])
def test_a_bad_range_does_not_load(corpus_docs, change, message):
    # the whole book: a file may use the vocabulary another file declares
    files = [(p.name, yaml.safe_load(p.read_text(encoding="utf-8"))) for p in sorted((REPO / "corpus/rules").glob("*.yaml"))]
    bad = copy.deepcopy(dict(files)[f"{SY}.yaml"])
    rule = next(r for r in bad["rules"] if r["id"] == "sy_fraud_fine")
    rule.update(change)
    files = [(name, bad if name == f"{SY}.yaml" else data) for name, data in files]
    with pytest.raises((RuleDataError, ValueError)) as err:
        build_rulebook(files, corpus_docs)
    assert message in str(err.value)


def test_the_pipeline_states_the_range_first(assistant):
    a = assistant.ask("有人冒领了失业保险金一万二，情节严重的话劳动保障部门罚款最多罚多少", session=assistant.new_session(),
                      as_of=AS_OF)
    assert a.calculation is not None and a.calculation.rule_id == "sy_fraud_fine", a.answer
    first = a.answer.split("\n")[0]
    assert "12,000元至36,000元" in first, first
    assert any(c.clause_id == f"{SY}#a28" for c in a.citations)


def test_the_pipeline_computes_a_late_fee_from_the_days(assistant):
    a = assistant.ask("按工伤保险条例，单位该参加没参加，工伤保险费欠缴了3万元，自欠缴之日起60天，要交多少滞纳金", session=assistant.new_session(),
                      as_of=AS_OF)
    assert a.calculation is not None and a.calculation.amount == 900, a.answer  # 30000 × 0.0005 × 60
    assert "900元" in a.answer.split("\n")[0]


def test_the_social_insurance_law_computes_its_own_figures(rule_book):
    # 社会保险法 第六十二条 (上月缴费额的百分之一百一十) and 第八十六条 (万分之五 per day; 1倍至3倍)
    out = calculate(rule_book, "shbx_undeclared_contribution", {"shbx_last_month_contribution": 6500}, as_of=AS_OF)
    assert out.ok and out.calculation.amount == 7150 and "110%" in out.calculation.formula
    fee = calculate(rule_book, "shbx_late_fee", {"shbx_arrears": 50000, "shbx_arrears_days": 12}, as_of=AS_OF)
    assert fee.ok and fee.calculation.amount == 300  # 50000 × 0.0005 × 12
    fine = calculate(rule_book, "shbx_arrears_fine", {"shbx_arrears": 50000}, as_of=AS_OF)
    assert fine.ok and (fine.calculation.amount, fine.calculation.amount_max) == (50000, 150000)


def test_the_pipeline_answers_a_late_fee_under_the_law(assistant):
    a = assistant.ask("单位社保费欠缴了5万元，拖了12天，按社会保险法滞纳金是多少", session=assistant.new_session(), as_of=AS_OF)
    assert a.calculation is not None and a.calculation.rule_id == "shbx_late_fee", a.answer
    assert a.calculation.amount == 300 and "300元" in a.answer.split("\n")[0]
    assert any(c.clause_id == "cn-shbx-fa-2018#a86" and "万分之五" in c.quote for c in a.citations)
