"""Every rule computes the document's numbers exactly, at and around every boundary; bad input gives a
Chinese error naming the parameter; properties hold for any input (hypothesis)."""

from __future__ import annotations

import re
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.calculate import (
    NOT_STATED,
    CalcOutcome,
    calculate,
    describe_params,
    missing_params,
    required_params,
)
from assistant.rules import RuleBook, load_rules
from index.parse import load_corpus

REPO = Path(__file__).resolve().parents[2]
DOC = "sx-rst-2022-19"
IN_FORCE = date(2022, 7, 1)  # the plan's own year: dated measures are in force
LATER = date(2026, 11, 26)  # long after: every dated measure has lapsed


@pytest.fixture(scope="module")
def book() -> RuleBook:
    corpus = REPO / "corpus"
    return load_rules(corpus, load_corpus(corpus))


def calc(book: RuleBook, rule_id: str, as_of: date = IN_FORCE, **params) -> CalcOutcome:
    return calculate(book, rule_id, params, as_of=as_of)


def amount(book: RuleBook, rule_id: str, **params) -> Decimal:
    o = calc(book, rule_id, **params)
    assert o.ok, o.error
    return o.calculation.amount


# ---------------------------------------------------------------- the document's numbers
@pytest.mark.parametrize(
    ("rule_id", "params", "expected", "formula"),
    [
        ("job_retention_training_subsidy", {"insured_employees": 25}, 12500, "25人 × 500元/人 = 12,500元（1.25万元）"),
        ("job_retention_training_subsidy", {"insured_employees": 1}, 500, "1人 × 500元/人 = 500元"),
        ("job_expansion_subsidy", {"graduates_hired": 3}, 4500, "3人 × 1,500元/人 = 4,500元"),
        ("employee_training_subsidy", {"trained_employees": 10}, 3000, "10人 × 300元/人 = 3,000元"),
        ("helping_workshop_hiring_subsidy", {"poverty_labourers_hired": 4}, 6000, "4人 × 1,500元/人 = 6,000元"),
        ("order_project_training_subsidy", {"trainees": 10}, 40000, "10人 × 最高4,000元/人 = 最高40,000元（4万元）"),
        ("industry_cluster_training_subsidy", {"trainees": 5}, 40000, "5人 × 最高8,000元/人 = 最高40,000元（4万元）"),
        ("labour_brand_construction_subsidy", {}, 600000, "最高600,000元（60万元）"),
        ("labour_cooperation_base_construction_subsidy", {}, 1000000, "最高1,000,000元（100万元）"),
        ("hr_park_establishment_award", {"park_level": "provincial"}, 1000000, "省级：1,000,000元（100万元）"),
        ("hr_park_establishment_award", {"park_level": "国家级"}, 2000000, "国家级：2,000,000元（200万元）"),
        ("hr_park_operating_subsidy", {"park_level": "省级"}, 600000, "省级：每年最高600,000元（60万元）"),
        ("hr_park_operating_subsidy", {"park_level": "national"}, 800000, "国家级：每年最高800,000元（80万元）"),
        ("graduate_startup_support", {}, 15000, "15,000元（1.5万元）"),
        ("certification_subsidy", {"intermediate_certificates": 1}, 600, "中级工证书1人 × 600元/人 = 600元"),
        ("certification_subsidy", {"advanced_certificates": 1}, 800, "高级工证书1人 × 800元/人 = 800元"),
        (
            "certification_subsidy", {"intermediate_certificates": 10, "advanced_certificates": 5}, 10000,
            "中级工证书10人 × 600元/人 + 高级工证书5人 × 800元/人 = 10,000元（1万元）",
        ),
        ("job_retention_refund", {"unemployment_insurance_paid_last_year": 100000, "size": "small"}, 90000,
         "100,000元 × 90% = 90,000元（9万元）"),
        ("job_retention_refund", {"unemployment_insurance_paid_last_year": 100000, "size": "large"}, 50000,
         "100,000元 × 50% = 50,000元（5万元）"),
        ("job_retention_refund_topup_large", {"unemployment_insurance_paid_last_year": 100000}, 20000,
         "100,000元 × (50% − 30%) = 20,000元（2万元）"),
    ],
)
def test_amounts_match_the_document(book: RuleBook, rule_id: str, params: dict, expected: int, formula: str) -> None:
    o = calculate(book, rule_id, params, as_of=IN_FORCE)
    assert o.ok, o.error
    assert o.calculation.amount == Decimal(expected)
    assert o.calculation.formula == formula
    assert o.amount_stated is True


@pytest.mark.parametrize("size", ["micro", "small", "medium", "小微", "中小微", "中型企业"])
def test_job_retention_refund_is_90_percent_for_smes(book: RuleBook, size: str) -> None:
    assert amount(book, "job_retention_refund", unemployment_insurance_paid_last_year="12345.60", size=size) == Decimal(
        "11111.04"
    )


def test_large_enterprise_top_up_brings_a_30_percent_refund_to_50_percent(book: RuleBook) -> None:
    paid = Decimal("87654.32")
    already = paid * Decimal("0.3")
    topup = amount(book, "job_retention_refund_topup_large", unemployment_insurance_paid_last_year=paid)
    full = amount(book, "job_retention_refund", unemployment_insurance_paid_last_year=paid, size="large")
    assert already + topup == full == paid * Decimal("0.5")
    o = calc(book, "job_retention_refund_topup_large", unemployment_insurance_paid_last_year=paid)
    assert "已包含" in o.calculation.note or "差额" in o.calculation.note


def test_caps_are_flagged(book: RuleBook) -> None:
    for rid, params in [
        ("order_project_training_subsidy", {"trainees": 1}),
        ("industry_cluster_training_subsidy", {"trainees": 1}),
        ("labour_brand_construction_subsidy", {}),
        ("labour_cooperation_base_construction_subsidy", {}),
        ("hr_park_operating_subsidy", {"park_level": "省级"}),
    ]:
        o = calculate(book, rid, params, as_of=IN_FORCE)
        assert o.calculation.is_cap, rid
        assert "最高" in o.calculation.formula
    assert not calc(book, "job_retention_training_subsidy", insured_employees=3).calculation.is_cap
    assert calc(book, "hr_park_operating_subsidy", park_level="省级").calculation.unit == "元/年"


# ---------------------------------------------------------------- tiers and thresholds at the boundary
@pytest.mark.parametrize(
    ("hired", "expected"),
    [(1, 0), (29, 0), (30, 50000), (31, 50000), (49, 50000), (50, 100000), (51, 100000), (99, 100000),
     (100, 250000), (101, 250000), (100000, 250000)],
)
def test_employment_base_award_tiers(book: RuleBook, hired: int, expected: int) -> None:
    o = calc(book, "employment_assistance_base_award", poverty_labourers_hired=hired)
    assert o.ok
    assert o.calculation.amount == expected
    assert o.eligible is (expected > 0)


def test_employment_base_below_lowest_tier_says_why(book: RuleBook) -> None:
    o = calc(book, "employment_assistance_base_award", poverty_labourers_hired=29)
    assert o.calculation.formula == "吸纳脱贫劳动力人数29人，未达到最低档“30人及以上” → 0元"
    o = calc(book, "employment_assistance_base_award", poverty_labourers_hired=50)
    assert "达到“50人及以上”档" in o.calculation.formula


@pytest.mark.parametrize(
    ("total", "poor", "eligible"),
    [
        (1000, 300, True),  # exactly 1000 and exactly 30%: 以上 includes the number
        (999, 300, False),  # 999 < 1000
        (1001, 301, True),
        (1000, 299, False),  # 29.9%
        (1001, 300, False),  # 29.97%
        (1001, 301, True),  # 30.07%
        (2000, 600, True),
        (2000, 599, False),
        (1000, 1000, True),
    ],
)
def test_labour_intensive_thresholds(book: RuleBook, total: int, poor: int, eligible: bool) -> None:
    o = calc(book, "labour_intensive_hiring_subsidy", total_employees=total, poverty_labourers_hired=poor)
    assert o.ok, o.error
    assert o.eligible is eligible
    assert o.calculation.amount == (poor * 1500 if eligible else 0)
    if not eligible:
        assert "不符合" in o.calculation.formula and "不能享受" in o.calculation.note


def test_labour_intensive_ratio_is_shown(book: RuleBook) -> None:
    o = calc(book, "labour_intensive_hiring_subsidy", total_employees=1000, poverty_labourers_hired=299)
    assert "299 ÷ 1,000 = 29.9%" in o.calculation.formula


@pytest.mark.parametrize(("months", "eligible"), [(3, True), ("3个月", True), (12, True), ("2.9", False), (2, False)])
def test_cluster_training_needs_at_least_three_months(book: RuleBook, months, eligible: bool) -> None:
    o = calc(book, "industry_cluster_training_subsidy", trainees=2, training_months=months)
    assert o.eligible is eligible
    assert o.calculation.amount == (16000 if eligible else 0)


def test_unchecked_threshold_becomes_a_condition(book: RuleBook) -> None:
    o = calc(book, "industry_cluster_training_subsidy", trainees=2)
    assert o.eligible is None
    assert any("不少于 3 个月" in c for c in o.calculation.conditions)


@pytest.mark.parametrize(("jobs", "eligible"), [(0, False), (1, True), (5, True)])
def test_graduate_startup_drives_at_least_one_job(book: RuleBook, jobs: int, eligible: bool) -> None:
    o = calc(book, "graduate_startup_support", jobs_created=jobs)
    assert o.eligible is eligible
    assert o.calculation.amount == (15000 if eligible else 0)


@pytest.mark.parametrize(("years", "eligible"), [("0.5", False), (1, True), (3, True)])
def test_helping_workshop_social_insurance_needs_one_year_contract(book: RuleBook, years, eligible: bool) -> None:
    o = calc(book, "helping_workshop_social_insurance_subsidy", contract_years=years)
    assert o.eligible is eligible
    assert o.calculation.amount is None and o.amount_stated is False


# ---------------------------------------------------------------- benefits without an amount, deferrals
@pytest.mark.parametrize(
    "rule_id",
    ["small_micro_hiring_award", "medium_enterprise_graduate_hiring_subsidy", "flexible_employment_social_insurance_subsidy",
     "helping_workshop_social_insurance_subsidy", "platform_enterprise_hiring_policies", "unemployment_assistance_benefit"],
)
def test_not_stated_amounts_are_not_invented(book: RuleBook, rule_id: str) -> None:
    o = calc(book, rule_id)
    assert o.ok and o.amount_stated is False
    assert o.calculation.amount is None
    assert o.calculation.formula == NOT_STATED
    assert "12333" in o.calculation.note


def test_social_insurance_deferral_facts(book: RuleBook) -> None:
    o = calc(book, "social_insurance_deferral_expanded_industries")
    assert o.ok and o.calculation.amount is None and o.amount_stated is None
    facts = {f.label: f.value for f in o.facts}
    assert "养老保险费、失业保险费的单位缴费部分" in facts["缓缴险种"]
    assert "2023 年 3 月底" in facts["缓缴期限"] and "2022 年年底" in facts["缓缴期限"]
    assert facts["滞纳金"] == "缓缴期间免收滞纳金"
    lockdown = calc(book, "social_insurance_deferral_lockdown_areas")
    assert any("参照执行" in c for c in lockdown.calculation.conditions)
    assert any("个体工商户" in c for c in lockdown.calculation.conditions)


# ---------------------------------------------------------------- validity
@pytest.mark.parametrize(
    ("as_of", "lapsed"), [(date(2022, 12, 31), False), (date(2023, 1, 1), True), (date(2022, 1, 1), False)]
)
def test_period_ends_inclusively(book: RuleBook, as_of: date, lapsed: bool) -> None:
    o = calc(book, "job_retention_training_subsidy", as_of=as_of, insured_employees=1)
    assert o.validity.lapsed is lapsed
    assert o.validity.period == "2022 年 1 月 1 日至 12 月 31 日"
    if lapsed:
        assert "12333" in o.validity.note


@pytest.mark.parametrize(
    ("as_of", "lapsed"), [(date(2023, 1, 15), False), (date(2023, 3, 31), False), (date(2023, 4, 1), True)]
)
def test_deferral_lapses_only_after_its_last_period(book: RuleBook, as_of: date, lapsed: bool) -> None:
    assert calc(book, "social_insurance_deferral_expanded_industries", as_of=as_of).validity.lapsed is lapsed


def test_rule_without_period_is_unknown_not_in_force(book: RuleBook) -> None:
    o = calc(book, "employee_training_subsidy", as_of=LATER, trained_employees=1)
    assert o.validity.lapsed is None and o.validity.period is None
    assert "12333" in o.validity.note


# ---------------------------------------------------------------- citations and exclusions
def test_citations_are_numbered_verbatim_quotes(book: RuleBook) -> None:
    docs = book.docs
    for rule in book:
        o = calculate(book, rule.id, {}, as_of=IN_FORCE)
        assert [c.n for c in o.citations] == list(range(1, len(o.citations) + 1))
        for c in o.citations:
            assert c.quote == docs[c.doc_id].quote(c.start, c.end)
            assert c.label and c.clause_id.startswith(rule.doc_id)
    cites = calc(book, "job_retention_training_subsidy", insured_employees=1).citations
    assert "每名参保职工 500 元" in cites[0].quote and cites[0].label == "第2条第(2)项"
    # labour-intensive rests on 12.4 and on 12.2's 1500 元; the clauses excluding it are cited after
    labels = [c.label for c in calc(book, "labour_intensive_hiring_subsidy").citations]
    assert labels[:2] == ["第12条第(4)项", "第12条第(2)项"]
    assert {"第2条第(3)项", "第12条第(3)项"} <= set(labels[2:])


def test_exclusions_are_reported(book: RuleBook) -> None:
    ex = calc(book, "job_expansion_subsidy", graduates_hired=1).calculation.exclusions
    assert len(ex) == 1 and "一次性吸纳就业补贴" in ex[0] and "不重复享受" in ex[0]
    assert any("扩岗" in x for x in calc(book, "small_micro_hiring_award").calculation.exclusions)
    assert calc(book, "employee_training_subsidy", trained_employees=1).calculation.exclusions == []


# ---------------------------------------------------------------- inputs
@pytest.mark.parametrize(
    ("value", "expected"), [("25", 25), ("25人", 25), ("２５", 25), (" 25 ", 25), (25.0, 25), ("1,000", 1000)]
)
def test_count_input_forms(book: RuleBook, value, expected: int) -> None:
    assert amount(book, "job_retention_training_subsidy", insured_employees=value) == expected * 500


@pytest.mark.parametrize(("value", "expected"), [("10万", "100000"), ("10万元", "100000"), ("100,000元", "100000"),
                                                  ("1.5万", "15000"), ("12345.67", "12345.67")])
def test_money_input_forms(book: RuleBook, value: str, expected: str) -> None:
    got = amount(book, "job_retention_refund_topup_large", unemployment_insurance_paid_last_year=value)
    assert got == Decimal(expected) * Decimal("0.2")


@pytest.mark.parametrize("key", ["insured_employees", "employees", "参保职工人数", "参保职工", "职工人数"])
def test_parameter_names_in_chinese_or_english(book: RuleBook, key: str) -> None:
    assert calculate(book, "job_retention_training_subsidy", {key: 4}, as_of=IN_FORCE).calculation.amount == 2000


def test_unused_parameters_are_noted_not_fatal(book: RuleBook) -> None:
    o = calculate(book, "job_retention_training_subsidy", {"employees": 2, "industry": "餐饮"}, as_of=IN_FORCE)
    assert o.ok and "industry" in o.calculation.note


def test_rule_by_chinese_name(book: RuleBook) -> None:
    assert calculate(book, "留工补助", {"employees": 2}, as_of=IN_FORCE).rule_id == "job_retention_training_subsidy"


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("value", "code"),
    [
        (-1, "negative"),
        ("-5", "negative"),
        (0, "zero"),
        ("0", "zero"),
        (2.5, "fractional"),
        ("2.5人", "fractional"),
        ("abc", "not_a_number"),
        ("二十五", "not_a_number"),
        (float("nan"), "not_a_number"),
        (float("inf"), "not_a_number"),
        (True, "not_a_number"),
        ([25], "not_a_number"),
        ({"n": 1}, "not_a_number"),
        (10**12, "too_large"),
        ("1e12", "too_large"),
        (1000001, "too_large"),
    ],
)
def test_bad_head_counts_give_chinese_errors_naming_the_parameter(book: RuleBook, value, code: str) -> None:
    o = calculate(book, "job_retention_training_subsidy", {"insured_employees": value}, as_of=IN_FORCE)
    assert not o.ok and o.calculation is None
    assert o.error.code == code
    assert o.error.param == "insured_employees"
    assert "参保职工人数（insured_employees）" in o.error.message
    assert o.citations  # the rule is still cited, so an answer can point to it


def test_missing_parameter(book: RuleBook) -> None:
    o = calculate(book, "job_retention_training_subsidy", {}, as_of=IN_FORCE)
    assert o.error.code == "missing_param"
    assert o.error.message == "缺少参数：参保职工人数（insured_employees）"
    o = calculate(book, "labour_intensive_hiring_subsidy", {"total_employees": 1200}, as_of=IN_FORCE)
    assert o.error.param == "poverty_labourers_hired" and "吸纳脱贫劳动力人数" in o.error.message
    o = calculate(book, "certification_subsidy", {}, as_of=IN_FORCE)
    assert "中级工" in o.error.message and "高级工" in o.error.message


@pytest.mark.parametrize("rule_id", ["no_such_rule", "", "   ", 42, None])
def test_unknown_rule(book: RuleBook, rule_id) -> None:
    o = calculate(book, rule_id, {}, as_of=IN_FORCE)
    assert not o.ok and o.error.code == "unknown_rule" and o.error.param == "rule_id"
    assert re.search(r"[\u4e00-\u9fff]", o.error.message)


def test_other_bad_inputs(book: RuleBook) -> None:
    cases = [
        ("job_retention_refund", {"paid": "100.001", "size": "small"}, "too_many_decimals", "unemployment_insurance_paid_last_year"),
        ("job_retention_refund", {"paid": "100", "size": "巨型"}, "unknown_choice", "size"),
        ("job_retention_refund", {"paid": "100", "size": 3}, "unknown_choice", "size"),
        ("hr_park_establishment_award", {"park_level": "市级"}, "unknown_choice", "park_level"),
        ("labour_intensive_hiring_subsidy", {"total_employees": 1000, "poverty_labourers_hired": 1200},
         "exceeds_total", "poverty_labourers_hired"),
        ("certification_subsidy", {"intermediate_certificates": 0, "advanced_certificates": 0}, "zero",
         "intermediate_certificates"),
        ("job_retention_refund", {"paid": "0", "size": "small"}, "zero", "unemployment_insurance_paid_last_year"),
        ("industry_cluster_training_subsidy", {"trainees": 2, "training_months": -1}, "negative", "training_months"),
    ]
    for rule_id, params, code, param in cases:
        o = calculate(book, rule_id, params, as_of=IN_FORCE)
        assert not o.ok, (rule_id, params)
        assert (o.error.code, o.error.param) == (code, param), o.error
        assert f"（{param}）" in o.error.message


def test_params_must_be_a_mapping(book: RuleBook) -> None:
    o = calculate(book, "job_retention_training_subsidy", ["employees", 3], as_of=IN_FORCE)  # type: ignore[arg-type]
    assert o.error.code == "bad_params"


def test_hostile_strings_never_raise(book: RuleBook) -> None:
    sys.path.insert(0, str(REPO / "tests"))
    from badinput import load_bad_inputs

    for _, text in load_bad_inputs():
        for rule_id, key in [("job_retention_training_subsidy", "insured_employees"), ("job_retention_refund", "size")]:
            o = calculate(book, rule_id, {key: text, "paid": 100}, as_of=IN_FORCE)
            assert isinstance(o, CalcOutcome)
            if not o.ok:
                assert o.error.message
        assert not calculate(book, text, {}, as_of=IN_FORCE).ok or text.strip() in book.rules


# ---------------------------------------------------------------- parameters for the composer
def test_required_and_missing_params(book: RuleBook) -> None:
    assert [p.name for p in required_params(book, "job_retention_training_subsidy")] == ["insured_employees"]
    assert [p.name for p in required_params(book, "job_retention_refund")] == [
        "unemployment_insurance_paid_last_year", "size"]
    assert missing_params(book, "job_retention_refund", {"size": "小微"})[0].name == "unemployment_insurance_paid_last_year"
    assert missing_params(book, "job_retention_training_subsidy", {"参保职工人数": 25}) == []
    assert [p.name for p in missing_params(book, "certification_subsidy", {})] == [
        "intermediate_certificates", "advanced_certificates"]
    assert missing_params(book, "certification_subsidy", {"中级工": 3}) == []
    assert missing_params(book, "small_micro_hiring_award", {}) == []
    assert required_params(book, "留工补助")[0].label == "参保职工人数"


def test_describe_params_lists_choices(book: RuleBook) -> None:
    info = {p.name: p for p in describe_params(book, "job_retention_refund")}
    assert info["size"].choices == {"micro": "微型企业", "small": "小型企业", "medium": "中型企业", "large": "大型企业"}
    assert info["size"].required and info["unemployment_insurance_paid_last_year"].unit == "元"


# ---------------------------------------------------------------- properties
def recompute(formula: str) -> tuple[Decimal, Decimal]:
    """Evaluate the left side of "a人 × b元/人 + … = c元" with Decimals; return (left, right)."""
    lhs, rhs = formula.rsplit(" = ", 1)
    tokens = re.findall(r"\d[\d,]*(?:\.\d+)?%?|[×+−()]", lhs)
    expr = []
    for t in tokens:
        if t[0].isdigit():
            number = t.rstrip("%").replace(",", "")
            expr.append(f"(Decimal('{number}') / 100)" if t.endswith("%") else f"Decimal('{number}')")
        else:
            expr.append({"×": "*", "−": "-"}.get(t, t))
    left = eval(" ".join(expr), {"Decimal": Decimal})  # noqa: S307 - our own formula, tokens filtered above
    right = Decimal(re.match(r"(?:最高)?([\d,]+(?:\.\d+)?)元", rhs).group(1).replace(",", ""))
    return left, right


counts = st.integers(min_value=1, max_value=1_000_000)
money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000000000"), places=2)
sizes = st.sampled_from(["micro", "small", "medium", "large", "小微", "中型", "大型"])


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=counts, b=counts)
def test_tier_amount_never_decreases_as_head_count_grows(book: RuleBook, a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    assert amount(book, "employment_assistance_base_award", poverty_labourers_hired=lo) <= amount(
        book, "employment_assistance_base_award", poverty_labourers_hired=hi
    )


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(total=st.integers(min_value=1, max_value=5000), data=st.data())
def test_labour_intensive_amount_never_decreases_with_more_poverty_labourers(book: RuleBook, total: int, data) -> None:
    a = data.draw(st.integers(min_value=1, max_value=total))
    b = data.draw(st.integers(min_value=a, max_value=total))
    first = amount(book, "labour_intensive_hiring_subsidy", total_employees=total, poverty_labourers_hired=a)
    second = amount(book, "labour_intensive_hiring_subsidy", total_employees=total, poverty_labourers_hired=b)
    assert first <= second


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=counts, rule_id=st.sampled_from(["order_project_training_subsidy", "industry_cluster_training_subsidy"]),
       months=st.one_of(st.none(), st.decimals(min_value=0, max_value=120, places=1)))
def test_per_head_caps_are_never_exceeded(book: RuleBook, n: int, rule_id: str, months) -> None:
    params = {"trainees": n} if months is None else {"trainees": n, "training_months": months}
    o = calculate(book, rule_id, params, as_of=IN_FORCE)
    cap = book.get(rule_id).terms[0].amount
    assert o.ok and o.calculation.is_cap
    assert o.calculation.amount <= n * cap


@settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(level=st.sampled_from(["provincial", "national", "省级", "国家级"]))
def test_lump_caps_are_never_exceeded(book: RuleBook, level: str) -> None:
    o = calc(book, "hr_park_operating_subsidy", park_level=level)
    assert o.calculation.amount <= Decimal(800000)
    for rid, cap in [("labour_brand_construction_subsidy", 600000), ("labour_cooperation_base_construction_subsidy", 1000000)]:
        assert calc(book, rid).calculation.amount <= cap


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_formula_recomputes_to_the_amount(book: RuleBook, data) -> None:
    # the seed's rules (the formula shapes `recompute` reads; other documents' rules have tests of their own)
    rule_id = data.draw(st.sampled_from([r.id for r in book if r.kind in ("per_head", "cap_per_head", "rate") and r.doc_id == DOC]))
    rule = book.get(rule_id)
    params: dict = {}
    for name in rule.all_names():
        spec = book.param(name)
        if spec.type == "choice":
            params[name] = data.draw(sizes)
        elif spec.type == "money":
            params[name] = data.draw(money)
        elif name == "training_months":
            continue
        else:
            params[name] = data.draw(counts)
    if rule_id == "labour_intensive_hiring_subsidy":
        params["total_employees"] = data.draw(st.integers(min_value=1000, max_value=1_000_000))
        params["poverty_labourers_hired"] = data.draw(
            st.integers(min_value=(params["total_employees"] * 3 + 9) // 10, max_value=params["total_employees"])
        )
    o = calculate(book, rule_id, params, as_of=IN_FORCE)
    assert o.ok, o.error
    left, right = recompute(o.calculation.formula)
    assert left == o.calculation.amount == right


def test_a_share_of_a_head_count_is_stated_in_people_not_yuan(book: RuleBook) -> None:
    # a rate rule whose unit is 人 (a minimum share of posts): the formula ends in the rule's unit
    rule = next(r for r in book if r.kind == "rate" and r.unit == "人" and r.base and not r.rate_by)
    result = calculate(book, rule.id, {rule.base: 40}, as_of=LATER).calculation
    assert result.formula.endswith("人"), result.formula
    assert "元" not in result.formula.split("=")[-1]
