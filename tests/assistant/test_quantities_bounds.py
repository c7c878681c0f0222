"""Bounds, listed persons and noun phrases in a question: what the asker states as a bound (不足5年) binds
as a bound, never as the figure; persons listed one by one (配偶和两个孩子) give the count a parameter's
`members` declare; and the words before a number decide whose number it is when they name one parameter
more fully than a nearer noun of another."""

from __future__ import annotations

from decimal import Decimal

import cn2an
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.quantities import NounSpec, bind, read_quantities

YEARS = NounSpec("paid_years", "duration", ("缴费时间", "缴费", "交了"), unit="年")
STAFF = NounSpec("staff", "count", ("职工", "员工"), unit="人", classifiers=("人", "名"), integer=True)
KIN = NounSpec("kin", "count", ("供养亲属", "供养人数"), unit="人", classifiers=("人", "个", "名"), integer=True,
               members=(("配偶", 1), ("子女", 1), ("孩子", 1), ("父母", 2), ("母亲", 1)))
OWN_WAGE = NounSpec("own_wage", "money", ("本人上年度月均工资", "月均工资", "工资"), unit="元")
AREA_WAGE = NounSpec("area_wage", "money", ("当地上年度职工平均工资", "职工平均工资", "平均工资"), unit="元")
SPECS = (YEARS, STAFF, KIN, OWN_WAGE, AREA_WAGE)


def bound_of(text: str, name: str):
    b = bind(text, SPECS).bound[name]
    ends = {b.quantity.bound: b.quantity.value}
    if b.partner is not None:
        ends[b.partner.bound] = b.partner.value
    return b.is_bound, ends


class TestBounds:
    @pytest.mark.parametrize("text,ends", [
        ("缴费不足5年", {"lt": 5}), ("交了不满三年", {"lt": 3}), ("缴费时间未满10年", {"lt": 10}),
        ("员工不到30人", {"lt": 30}), ("职工少于二十人", {"lt": 20}), ("交了十多年", {"gt": 10}),
        ("员工超过200人", {"gt": 200}),
    ])
    def test_a_strict_bound_is_bound_not_figure(self, text, ends):
        name = "staff" if ("员工" in text or "职工" in text) else "paid_years"
        assert bound_of(text, name) == (True, {k: Decimal(v) for k, v in ends.items()})

    @pytest.mark.parametrize("text,ends", [
        ("缴费满1年不足5年", {"ge": 1, "lt": 5}), ("交了满五年不满十年", {"ge": 5, "lt": 10}),
        ("员工超过20人不到50人", {"gt": 20, "lt": 50}),
    ])
    def test_both_ends_of_a_range_bind_together(self, text, ends):
        name = "staff" if "员工" in text else "paid_years"
        assert bound_of(text, name) == (True, {k: Decimal(v) for k, v in ends.items()})

    def test_a_plain_or_inclusive_figure_stays_a_figure(self):
        assert bound_of("缴费满5年", "paid_years") == (False, {"ge": Decimal(5)})
        assert bound_of("交了7年", "paid_years") == (False, {"eq": Decimal(7)})

    @settings(max_examples=60, deadline=None)
    @given(n=st.integers(1, 99), cue=st.sampled_from(["不足", "不满", "未满", "不到", "少于"]),
           chinese=st.booleans())
    def test_any_less_than_cue_bounds_any_number(self, n, cue, chinese):
        said = cn2an.an2cn(n) if chinese else str(n)
        is_bound, ends = bound_of(f"我缴费{cue}{said}年", "paid_years")
        assert is_bound and ends == {"lt": Decimal(n)}


class TestListedPersons:
    @pytest.mark.parametrize("text,count", [
        ("供养配偶和一个子女", 2), ("留下配偶和两个孩子", 3), ("家里有父母和一个孩子", 3),
        ("只有母亲", 1), ("配偶、3个子女", 4), ("有配偶，没有子女", 1),
    ])
    def test_persons_listed_are_counted(self, text, count):
        assert bind(text, SPECS).bound["kin"].quantity.value == count

    def test_the_numerals_of_a_list_count_nobody_else(self):
        result = bind("职工有配偶和两个孩子", SPECS)
        assert "staff" not in result.bound and result.bound["kin"].quantity.value == 3

    def test_a_count_said_with_the_parameters_noun_still_binds(self):
        assert bind("供养亲属3人", SPECS).bound["kin"].quantity.value == 3

    @settings(max_examples=40, deadline=None)
    @given(children=st.integers(1, 9), spouse=st.booleans())
    def test_any_family_sums(self, children, spouse):
        text = ("配偶和" if spouse else "") + f"{cn2an.an2cn(children)}个孩子"
        assert bind(text, SPECS).bound["kin"].quantity.value == children + spouse


class TestNounPhrase:
    def test_my_average_wage_is_my_own_wage(self):
        result = bind("我去年月平均工资4500，个人每月扣多少", SPECS)
        assert set(result.bound) == {"own_wage"} and result.bound["own_wage"].quantity.value == 4500

    def test_the_areas_average_wage_stays_the_areas(self):
        result = bind("我们这职工平均工资才6000，我的工资3000", SPECS)
        assert result.bound["area_wage"].quantity.value == 6000
        assert result.bound["own_wage"].quantity.value == 3000

    def test_a_phrase_naming_no_parameter_better_keeps_the_nearest_noun(self):
        assert bind("平均工资5000", SPECS).bound["area_wage"].quantity.value == 5000


def test_which_one_is_no_count():
    assert [q.raw for q in read_quantities("上一次失业还剩8个月没领，前一个月找到了工作")] == ["8个月"]
