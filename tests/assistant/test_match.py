"""The matcher lists every measure that fits a profile, computes what it can, asks about what it cannot
decide, and never grants two measures the document says cannot be combined."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.match import MatchResult, Profile, ProfileError, match_profile, parse_profile
from assistant.rules import RuleBook, load_rules
from index.parse import load_corpus

REPO = Path(__file__).resolve().parents[2]
IN_FORCE = date(2022, 7, 1)
LATER = date(2026, 11, 26)


@pytest.fixture(scope="module")
def book() -> RuleBook:
    corpus = REPO / "corpus"
    return load_rules(corpus, load_corpus(corpus))


def match(book: RuleBook, as_of: date = IN_FORCE, **fields) -> MatchResult:
    return match_profile(book, parse_profile(book, fields), as_of=as_of)


def by_id(result: MatchResult) -> dict:
    return {m.rule_id: m for m in result.measures}


class TestSmallRestaurant:
    def test_lists_the_measures_a_small_restaurant_can_claim(self, book: RuleBook) -> None:
        r = match(book, industry="餐饮", size="small", insured_employees=25)
        ids = by_id(r)
        assert {
            "job_retention_training_subsidy", "social_insurance_deferral_hardship_industries", "job_retention_refund",
            "job_expansion_subsidy", "employee_training_subsidy", "small_micro_hiring_award",
            "social_insurance_deferral_lockdown_areas",
        } <= set(ids)
        for absent in ("medium_enterprise_graduate_hiring_subsidy", "job_retention_refund_topup_large",
                       "industry_cluster_training_subsidy", "helping_workshop_hiring_subsidy",
                       "social_insurance_deferral_expanded_industries", "certification_subsidy"):
            assert absent not in ids, absent
        stay = ids["job_retention_training_subsidy"]
        assert stay.amount == 12500 and stay.formula == "25人 × 500元/人 = 12,500元（1.25万元）"
        assert stay.citations and stay.citations[0].label == "第2条第(2)项"

    def test_unknown_region_is_asked_about_not_assumed(self, book: RuleBook) -> None:
        stay = by_id(match(book, industry="餐饮", size="small", insured_employees=25))["job_retention_training_subsidy"]
        assert stay.status == "check"
        assert any("需确认符合其一" in c and "5 个行业企业" in c for c in stay.conditions)

    @pytest.mark.parametrize("risk", ["low", "低风险", "none", "非中高风险"])
    def test_restaurant_outside_risk_areas_qualifies_outright(self, book: RuleBook, risk: str) -> None:
        stay = by_id(match(book, industry="饭店", size="小微", insured_employees=25, region_risk=risk))[
            "job_retention_training_subsidy"]
        assert stay.status == "applies" and stay.amount == 12500
        assert stay.who == ["未出现中高风险疫情地区的餐饮、零售、旅游、民航和公路水路铁路运输 5 个行业企业"]

    def test_in_a_risk_area_the_hardship_condition_is_listed(self, book: RuleBook) -> None:
        stay = by_id(match(book, industry="餐饮", size="small", insured_employees=25, region_risk="高风险"))[
            "job_retention_training_subsidy"]
        assert stay.status == "applies"
        assert "因新冠肺炎疫情严重影响无法全员到岗、暂时无法正常生产经营" in stay.conditions

    def test_job_expansion_and_hiring_award_are_a_choice(self, book: RuleBook) -> None:
        r = match(book, industry="餐饮", size="small", insured_employees=25, graduates_hired=2)
        assert ["job_expansion_subsidy", "small_micro_hiring_award"] in r.choices
        detail = r.choice_details[r.choices.index(["job_expansion_subsidy", "small_micro_hiring_award"])]
        assert detail.better is None and "本文件未规定具体金额" in detail.note
        assert not {"job_expansion_subsidy", "small_micro_hiring_award"} <= set(r.suggested)
        assert by_id(r)["job_expansion_subsidy"].amount == 3000

    def test_zero_graduates_means_no_job_expansion_subsidy(self, book: RuleBook) -> None:
        r = match(book, industry="餐饮", size="small", graduates_hired=0)
        assert "job_expansion_subsidy" not in by_id(r)
        reason = next(n.reason for n in r.not_applicable if n.rule_id == "job_expansion_subsidy")
        assert "为 0" in reason

    def test_missing_inputs_are_named(self, book: RuleBook) -> None:
        refund = by_id(match(book, industry="餐饮", size="small"))["job_retention_refund"]
        assert refund.amount is None
        assert refund.missing == ["上年度实际缴纳的失业保险费（unemployment_insurance_paid_last_year）"]

    def test_lapsed_status_and_warning(self, book: RuleBook) -> None:
        r = match(book, LATER, industry="餐饮", size="small", insured_employees=25)
        assert by_id(r)["job_retention_training_subsidy"].lapsed is True
        assert by_id(r)["job_retention_refund"].lapsed is None
        assert any("均已到期" in w and "12333" in w for w in r.warnings)
        assert by_id(match(book, IN_FORCE, industry="餐饮"))["job_retention_training_subsidy"].lapsed is False

    def test_result_is_json(self, book: RuleBook) -> None:
        r = match(book, industry="餐饮", size="small", insured_employees=25, unemployment_insurance_paid_last_year="1234.5")
        data = json.loads(json.dumps(r.model_dump(mode="json"), ensure_ascii=False))
        assert data["profile"]["industry"] == "餐饮"
        assert data["profile"]["unemployment_insurance_paid_last_year"] == "1234.5"
        refund = next(m for m in data["measures"] if m["rule_id"] == "job_retention_refund")
        assert refund["amount"] == 1111.05


class TestOtherProfiles:
    def test_manufacturer_outside_the_five_industries(self, book: RuleBook) -> None:
        r = match(book, industry="制造业", size="medium", region_risk="low", insured_employees=80)
        ids = by_id(r)
        assert "job_retention_training_subsidy" not in ids
        assert ids["social_insurance_deferral_expanded_industries"].status == "check"
        assert ids["medium_enterprise_graduate_hiring_subsidy"].amount_stated is False
        assert "small_micro_hiring_award" not in ids

    def test_large_enterprise_refunded_at_30_percent_gets_the_top_up(self, book: RuleBook) -> None:
        r = match(book, size="large", unemployment_insurance_paid_last_year=100000, refunded_at_old_rate=True)
        ids = by_id(r)
        assert ids["job_retention_refund"].amount == 50000
        top = ids["job_retention_refund_topup_large"]
        assert top.amount == 20000 and top.included_in == "job_retention_refund" and "不另外累加" in top.note
        unknown = by_id(match(book, size="large", unemployment_insurance_paid_last_year=100000))
        assert unknown["job_retention_refund_topup_large"].status == "check"
        assert "job_retention_refund_topup_large" not in by_id(
            match(book, size="large", unemployment_insurance_paid_last_year=100000, refunded_at_old_rate=False))

    def test_labour_intensive_boundary_via_profile(self, book: RuleBook) -> None:
        ok = by_id(match(book, is_labour_intensive=True, total_employees=1000, poverty_labourers_hired=300))
        assert ok["labour_intensive_hiring_subsidy"].amount == 450000
        r = match(book, is_labour_intensive=True, total_employees=999, poverty_labourers_hired=300)
        assert "labour_intensive_hiring_subsidy" not in by_id(r)
        reason = next(n.reason for n in r.not_applicable if n.rule_id == "labour_intensive_hiring_subsidy")
        assert "1000" in reason

    def test_base_and_labour_intensive_choice_picks_the_larger_amount(self, book: RuleBook) -> None:
        r = match(book, size="large", is_labour_intensive=True, is_employment_base=True, total_employees=1000,
                  poverty_labourers_hired=300, graduates_hired=0)
        pair = ["employment_assistance_base_award", "labour_intensive_hiring_subsidy"]
        assert pair in r.choices
        detail = r.choice_details[r.choices.index(pair)]
        assert detail.amounts == [Decimal(250000), Decimal(450000)]
        assert detail.better == "labour_intensive_hiring_subsidy"
        assert "labour_intensive_hiring_subsidy" in r.suggested
        assert "employment_assistance_base_award" not in r.suggested
        # with 扩岗补助 in the same group and its amount unknown, the best combination cannot be told
        unknown = match(book, size="large", is_labour_intensive=True, is_employment_base=True, total_employees=1000,
                        poverty_labourers_hired=300)
        assert not {"employment_assistance_base_award", "labour_intensive_hiring_subsidy",
                    "job_expansion_subsidy"} & set(unknown.suggested)

    def test_helping_workshop(self, book: RuleBook) -> None:
        ids = by_id(match(book, is_helping_workshop=True, poverty_labourers_hired=10))
        assert ids["helping_workshop_hiring_subsidy"].amount == 15000
        assert ids["helping_workshop_social_insurance_subsidy"].amount_stated is False

    def test_individual_graduate(self, book: RuleBook) -> None:
        ids = by_id(match(book, org_type="高校毕业生", extra={"jobs_created": 2}))
        assert ids["graduate_startup_support"].amount == 15000
        assert "flexible_employment_social_insurance_subsidy" in ids
        assert "job_retention_training_subsidy" not in ids
        none = match(book, org_type="graduate", extra={"jobs_created": 0})
        assert "graduate_startup_support" not in by_id(none)

    def test_vocational_school_certificates(self, book: RuleBook) -> None:
        ids = by_id(match(book, org_type="职业院校", extra={"intermediate_certificates": 10, "advanced_certificates": 5}))
        assert ids["certification_subsidy"].amount == 10000
        assert set(ids) == {"certification_subsidy"}

    def test_reference_organisations_get_the_retention_subsidy_in_risk_areas(self, book: RuleBook) -> None:
        ids = by_id(match(book, org_type="律师事务所", region_risk="中风险", insured_employees=8))
        assert ids["job_retention_training_subsidy"].amount == 4000
        low = match(book, org_type="律师事务所", industry="法律服务", region_risk="低风险", insured_employees=8)
        assert "job_retention_training_subsidy" not in by_id(low)
        # without its industry, a law firm outside risk areas might still be one of the five industries
        unsure = by_id(match(book, org_type="律师事务所", region_risk="低风险", insured_employees=8))
        assert unsure["job_retention_training_subsidy"].status == "check"

    def test_lockdown_deferral_for_individual_business(self, book: RuleBook) -> None:
        ids = by_id(match(book, org_type="个体工商户", region_lockdown=True))
        assert ids["social_insurance_deferral_lockdown_areas"].status == "applies"
        assert "social_insurance_deferral_lockdown_areas" not in by_id(match(book, org_type="个体工商户", region_lockdown=False))

    def test_hr_park_level_via_extra(self, book: RuleBook) -> None:
        ids = by_id(match(book, org_type="人力资源服务产业园", extra={"park_level": "国家级"}))
        assert ids["hr_park_establishment_award"].amount == 2000000
        assert ids["hr_park_operating_subsidy"].amount == 800000 and ids["hr_park_operating_subsidy"].is_cap


class TestBadProfiles:
    @pytest.mark.parametrize(
        ("fields", "field", "words"),
        [
            ({"size": "巨型"}, "size", "企业规模（size）"),
            ({"region_risk": "很危险"}, "region_risk", "region_risk"),
            ({"org_type": "外星人"}, "org_type", "申请主体类型（org_type）"),
            ({"insured_employees": -3}, "insured_employees", "参保职工人数（insured_employees）"),
            ({"insured_employees": "2.5"}, "insured_employees", "必须是整数"),
            ({"insured_employees": "abc"}, "insured_employees", "应为数字"),
            ({"insured_employees": 10**12}, "insured_employees", "数值过大"),
            ({"unemployment_insurance_paid_last_year": "-1"}, "unemployment_insurance_paid_last_year", "不能为负数"),
            ({"is_helping_workshop": "maybe"}, "is_helping_workshop", "是/否"),
            ({"colour": "red"}, "colour", "未知"),
            ({"extra": {"wings": 2}}, "wings", "未知"),
            ({"size": 3}, "size", "应为文字"),
        ],
    )
    def test_bad_profile_fields_give_chinese_errors(self, book: RuleBook, fields: dict, field: str, words: str) -> None:
        with pytest.raises(ProfileError) as exc:
            parse_profile(book, fields)
        assert exc.value.field == field
        assert words in exc.value.message

    def test_directly_built_profile_is_checked_too(self, book: RuleBook) -> None:
        with pytest.raises(ProfileError, match="参保职工人数"):
            match_profile(book, Profile(values={"insured_employees": -1}), as_of=IN_FORCE)
        with pytest.raises(ProfileError, match="企业规模"):
            match_profile(book, Profile(values={"size": "巨型"}), as_of=IN_FORCE)

    def test_chinese_keys_and_yes_no_words(self, book: RuleBook) -> None:
        p = parse_profile(book, {"行业": "饭店", "企业规模": "小微", "参保职工人数": "25人", "经认定的帮扶车间": "否"})
        assert [p.value(k) for k in ("industry", "size", "insured_employees", "is_helping_workshop")] == ["饭店", "小微", 25, False]


# ---------------------------------------------------------------- properties
profiles = st.fixed_dictionaries(
    {},
    optional={
        "industry": st.sampled_from(["餐饮", "零售", "制造业", "种业", "软件", "饭店"]),
        "size": st.sampled_from(["micro", "small", "medium", "large", "小微", "中小微"]),
        "region_risk": st.sampled_from(["high", "medium", "low", "none", "中高风险"]),
        "region_lockdown": st.booleans(),
        "org_type": st.sampled_from(["enterprise", "个体工商户", "律师事务所", "graduate", "职业院校"]),
        "insured_employees": st.integers(min_value=0, max_value=5000),
        "total_employees": st.integers(min_value=1, max_value=5000),
        "graduates_hired": st.integers(min_value=0, max_value=500),
        "poverty_labourers_hired": st.integers(min_value=0, max_value=5000),
        "trained_employees": st.integers(min_value=0, max_value=500),
        "unemployment_insurance_paid_last_year": st.decimals(min_value=Decimal("0.01"), max_value=10**7, places=2),
        "is_helping_workshop": st.booleans(),
        "is_employment_base": st.booleans(),
        "is_labour_intensive": st.booleans(),
        "refunded_at_old_rate": st.booleans(),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=profiles)
def test_excluded_pairs_are_never_both_suggested(book: RuleBook, fields: dict) -> None:
    if fields.get("poverty_labourers_hired", 0) > fields.get("total_employees", 10**9):
        fields["poverty_labourers_hired"] = fields["total_employees"]
    r = match(book, **fields)
    present = {m.rule_id for m in r.measures}
    for pair in book.excluded_pairs():
        assert not pair <= set(r.suggested), pair
        if pair <= present:
            assert sorted(pair, key=book.order) in r.choices
    assert set(r.suggested) <= present
    for d in r.choice_details:
        if d.better is not None:
            assert max(d.amounts) == d.amounts[d.options.index(d.better)]
    for m in r.measures:
        assert m.amount is None or m.amount > 0
