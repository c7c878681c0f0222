"""The calculator with what askers state beyond a figure: a bound (不足5年) decides a tier or threshold
only when every value it allows agrees, and is never computed as the figure; 合并计算 adds a previous
period's months up to the stated limit; a per-person rule multiplies by the persons stated, capped."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.calculate import calculate
from assistant.rules import Interval, RuleBook, as_interval, load_rules
from index.parse import load_corpus

REPO = Path(__file__).resolve().parents[2]
AS_OF = date(2026, 12, 1)
DURATION = "sy_benefit_duration"  # 失业保险条例第十七条: 满1年 12, 满5年 18, 10年以上 24个月


@pytest.fixture(scope="module")
def book() -> RuleBook:
    corpus = REPO / "corpus"
    return load_rules(corpus, load_corpus(corpus))


def months(book: RuleBook, **params):
    return calculate(book, DURATION, params, as_of=AS_OF)


class TestInterval:
    @pytest.mark.parametrize("bounds,bound,phrase,met", [
        ({"lt": 5}, 5, "及以上", False), ({"lt": 5}, 1, "及以上", None), ({"ge": 1, "lt": 5}, 1, "及以上", True),
        ({"gt": 10}, 10, "以上", True), ({"gt": 10}, 10, "超过", True), ({"ge": 10}, 10, "超过", None),
        ({"lt": 30}, 30, "以上", False), ({"le": 30}, 30, "不满", None), ({"lt": 30}, 30, "不满", True),
    ])
    def test_meets_decides_only_when_every_value_agrees(self, bounds, bound, phrase, met):
        assert Interval.from_bounds(bounds).meets(bound, phrase) is met

    @settings(max_examples=200, deadline=None)
    @given(lo=st.integers(0, 40), width=st.integers(1, 20), b=st.integers(0, 60),
           phrase=st.sampled_from(["及以上", "以上", "超过", "不满", "以下", "低于"]),
           lo_open=st.booleans(), hi_open=st.booleans())
    def test_a_decision_holds_for_every_value_inside(self, lo, width, b, phrase, lo_open, hi_open):
        from assistant.rules import meets_threshold
        iv = Interval.from_bounds({"gt" if lo_open else "ge": lo, "lt" if hi_open else "le": lo + width})
        inside = [Decimal(lo) + Decimal(k) / 4 for k in range(width * 4 + 1)]
        inside = [v for v in inside if not (lo_open and v == lo) and not (hi_open and v == lo + width)]
        verdicts = {meets_threshold(v, b, phrase) for v in inside}
        met = iv.meets(b, phrase)
        assert (met is None) == (len(verdicts) == 2)
        if met is not None:
            assert verdicts == {met}

    def test_plain_values_are_no_intervals(self):
        assert as_interval(5) is None and as_interval({"about": 5}) is None
        assert as_interval({"lt": 5}) == Interval(high=Decimal(5), high_open=True)


class TestBoundsInTheCalculator:
    def test_a_bound_within_one_tier_chooses_it(self, book):
        o = months(book, sy_contribution_years={"ge": 1, "lt": 5})
        assert o.ok and o.calculation.amount == 12 and "满1年不足5年" in o.calculation.formula

    def test_a_bound_across_tiers_asks_for_the_figure(self, book):
        o = months(book, sy_contribution_years={"lt": 5})
        assert not o.ok and o.error.code == "bound_only" and "确切" in o.error.message
        assert "12个月" in o.error.message and "18个月" not in o.error.message  # the steps it can still be

    def test_a_bound_below_the_lowest_tier_gives_nothing(self, book):
        o = months(book, sy_contribution_years={"lt": 1})
        assert o.ok and o.calculation.amount == 0 and o.eligible is False

    def test_never_computed_as_the_figure(self, book):
        exact = months(book, sy_contribution_years=5)
        bounded = months(book, sy_contribution_years={"lt": 5})
        assert exact.calculation.amount == 18 and bounded.calculation is None

    def test_a_rate_on_a_bounded_base_asks_back(self, book):
        o = calculate(book, "sy_employee_contribution", {"sy_monthly_wage": {"lt": 5000}}, as_of=AS_OF)
        assert not o.ok and o.error.code == "bound_only" and o.error.param == "sy_monthly_wage"

    def test_a_bound_fails_a_threshold_it_cannot_meet(self, book):
        o = calculate(book, "ha_unemployment_benefit", {"ha_min_wage": 2000, "ha_contribution_years": {"lt": 1}},
                      as_of=AS_OF)
        assert o.ok and o.eligible is False and "不足1年" in o.calculation.formula

    def test_an_impossible_range_is_refused(self, book):
        o = months(book, sy_contribution_years={"ge": 5, "lt": 1})
        assert not o.ok and o.error.code == "empty_bound"


class TestMergedPeriods:
    @pytest.mark.parametrize("years,left,expected", [(2, 8, 20), (6, 10, 24), (12, 3, 24), (3, 1, 13)])
    def test_unclaimed_months_are_added_up_to_the_limit(self, book, years, left, expected):
        o = months(book, sy_contribution_years=years, sy_unclaimed_months=left)
        assert o.ok and o.calculation.amount == expected
        assert any("合并计算" in c.quote for c in o.citations)

    def test_without_unclaimed_months_the_schedule_stands(self, book):
        assert months(book, sy_contribution_years=2).calculation.amount == 12


class TestPersonsCounted:
    def test_per_person_times_persons(self, book):
        o = calculate(book, "ha_survivor_pension", {"ha_benefit_standard": 1600, "ha_dependants": 2}, as_of=AS_OF)
        assert o.ok and o.calculation.amount == 16000

    def test_capped_at_the_stated_multiple_of_the_base(self, book):
        o = calculate(book, "ha_survivor_pension", {"ha_benefit_standard": 1600, "ha_dependants": 4}, as_of=AS_OF)
        assert o.ok and o.calculation.amount == 24000  # 15 months of 1600, not 4 × 5

    def test_without_a_count_the_figure_for_one(self, book):
        o = calculate(book, "gs_survivor_pension_other", {"gs_monthly_wage": 6000}, as_of=AS_OF)
        assert o.ok and o.calculation.amount == 1800
        o = calculate(book, "gs_survivor_pension_other", {"gs_monthly_wage": 6000, "gs_other_dependants": 2},
                      as_of=AS_OF)
        assert o.ok and o.calculation.amount == 3600
