"""Quantities in a question: reading them (digits, 汉字, shares, bounds, durations, money) and binding
each to the parameter whose noun it is said with — examples for each form, then properties over any
value, written any way, in either order around any noun of a generated rule book."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import cn2an
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from assistant.quantities import (
    Binding,
    BindResult,
    NounSpec,
    Quantity,
    Refusal,
    bind,
    check_value,
    read_quantities,
)

PEOPLE = ("人", "名", "位", "个")
SPECS = (
    NounSpec("employees", "count", ("职工", "员工", "工人"), unit="人", classifiers=PEOPLE, integer=True),
    NounSpec("insured", "count", ("参保职工",), unit="人", classifiers=PEOPLE, integer=True),
    NounSpec("poor_hired", "count", ("脱贫劳动力", "脱贫户", "脱贫人口"), unit="人", classifiers=PEOPLE,
             integer=True, part_of="employees"),
    NounSpec("graduates", "count", ("高校毕业生", "毕业生"), unit="人", classifiers=PEOPLE, integer=True),
    NounSpec("premium", "money", ("失业保险费", "保费"), unit="元"),
    NounSpec("paid_months", "duration", ("缴费", "参保"), unit="个月"),
    NounSpec("poor_share", "share", ("脱贫比例",)),
    NounSpec("trainees", "count", ("学员",), unit="人", classifiers=PEOPLE, integer=True, max=Decimal(500)),
)


def one(text: str) -> Quantity:
    quantities = read_quantities(text)
    assert len(quantities) == 1, quantities
    return quantities[0]


def values(result: BindResult) -> dict[str, Decimal]:
    return {name: b.quantity.value for name, b in result.bound.items()}


class TestReadNumbers:
    @pytest.mark.parametrize(
        "text,value",
        [("25人", 25), ("二十五人", 25), ("三百人", 300), ("十二人", 12), ("两千人", 2000), ("一万五千人", 15000),
         ("1.5万人", 15000), ("３００人", 300), ("12,500人", 12500), ("一百二十个", 120), ("2.5个", Decimal("2.5")),
         ("三点五个", Decimal("3.5")), ("3亿人", 300_000_000), ("零人", 0),
         ("两千多号人", 2000), ("六十来个人", 60)],
    )
    def test_reads_digits_and_chinese_numerals(self, text, value):
        q = one(text)
        assert (q.value, q.kind) == (Decimal(value), "count")

    @pytest.mark.parametrize("text,unit", [("25人", "人"), ("25位", "位"), ("25名", "名"), ("25个", "个"), ("40个人", "人")])
    def test_classifier_is_the_unit_of_a_count(self, text, unit):
        assert one(text).unit == unit

    @pytest.mark.parametrize("text", ["人数25", "单位参保人数40", "人数是25"])
    def test_number_after_headcount_word_is_a_count_of_people(self, text):
        q = one(text)
        assert (q.kind, q.unit) == ("count", "人")

    def test_bare_number_is_a_number(self):
        q = one("其中300")
        assert (q.value, q.kind, q.unit) == (Decimal(300), "number", "")

    def test_span_and_raw_index_the_given_text(self):
        text = "我们有职工２０００人，其中一万五千元"
        for q in read_quantities(text):
            assert text[q.start : q.end] == q.raw
        assert [q.raw for q in read_quantities(text)] == ["２０００人", "一万五千元"]

    @pytest.mark.parametrize("text", ["-25个员工", "负25人", "员工-25人"])
    def test_minus_sign_makes_a_negative_quantity(self, text):
        q = one(text)
        assert q.negative and q.value == -25

    def test_dash_between_numbers_is_a_range_not_a_minus(self):
        low, high = read_quantities("20-30人")
        assert (low.value, low.unit, low.bound, low.negative) == (20, "人", "ge", False)
        assert (high.value, high.bound, high.negative) == (30, "le", False)

    @pytest.mark.parametrize("text", ["30%-50%", "30人-50人", "30到50人", "30至50人", "30~50人"])
    def test_range_is_a_lower_and_an_upper_bound(self, text):
        low, high = read_quantities(text)
        assert (low.bound, high.bound) == ("ge", "le")
        assert low.kind == high.kind != "number" and not (low.negative or high.negative)

    @pytest.mark.parametrize("text,value", [("1万5千人", 15000), ("五十多万", 500000), ("30多万元", 300000), ("一万多块", 10000)])
    def test_spoken_amounts_around_wan(self, text, value):
        assert one(text).value == value

    @pytest.mark.parametrize("text", ["一些人", "十分满意", "万一不行", "千万不要", "几万元", "十四五规划", "三三两两", "A4纸", "5G基站"])
    def test_words_with_numeral_characters_are_not_quantities(self, text):
        assert read_quantities(text) == []


class TestReadShares:
    @pytest.mark.parametrize(
        "text,value",
        [("25%", "0.25"), ("２５％", "0.25"), ("百分之三十", "0.3"), ("百分之30", "0.3"), ("三成", "0.3"), ("3成", "0.3"),
         ("三成五", "0.35"), ("四分之一", "0.25"), ("一半", "0.5"), ("半数", "0.5"), ("12.5%", "0.125"), ("千分之五", "0.005"),
         ("1/4", "0.25")],
    )
    def test_reads_percentages_and_shares_as_fractions(self, text, value):
        q = one(text)
        assert (q.value, q.kind, q.unit) == (Decimal(value), "share", "")

    def test_one_third_is_a_third(self):
        assert abs(one("三分之一").value - Decimal(1) / 3) < Decimal("1e-20")

    @pytest.mark.parametrize("text", ["成立三年", "成本", "成为会员"])
    def test_cheng_of_a_word_is_no_share(self, text):
        assert all(q.kind != "share" for q in read_quantities(text))

    def test_cheng_before_employees_is_a_share(self):
        assert one("三成员工").value == Decimal("0.3")


class TestReadBounds:
    @pytest.mark.parametrize(
        "text,bound",
        [("不到30人", "lt"), ("不足30人", "lt"), ("少于30人", "lt"), ("30人不到", "lt"), ("未满5年", "lt"),
         ("30人以上", "ge"), ("30人及以上", "ge"), ("不少于30人", "ge"), ("至少30人", "ge"), ("至少招了30人", "ge"),
         ("满5年", "ge"), ("不低于30人", "ge"),
         ("最多30人", "le"), ("不超过30人", "le"), ("30人以下", "le"), ("30天内", "le"), ("5年以内", "le"),
         ("超过30人", "gt"), ("三十多人", "gt"), ("30余人", "gt"), ("超过一半", "gt"), ("过半", "gt"),
         ("30人", "eq"), ("招过30人", "eq")],
    )
    def test_bound_words_before_and_after(self, text, bound):
        assert one(text).bound == bound

    def test_bound_word_of_another_clause_does_not_carry_over(self):
        assert one("不到，30人").bound == "eq"


class TestReadDurations:
    @pytest.mark.parametrize(
        "text,value,unit",
        [("6个月", 6, "个月"), ("六个月", 6, "个月"), ("半年", 6, "个月"), ("一年半", 18, "个月"), ("两年半", 30, "个月"),
         ("一个半月", Decimal("1.5"), "个月"), ("3年", 3, "年"), ("两年", 2, "年"), ("30天", 30, "天"), ("30日", 30, "天"),
         ("半个月", Decimal("0.5"), "个月"), ("5个工作日", 5, "工作日"), ("3个多月", 3, "个月"), ("十来年", 10, "年")],
    )
    def test_reads_durations(self, text, value, unit):
        q = one(text)
        assert (q.value, q.kind, q.unit) == (Decimal(value), "duration", unit)

    def test_paid_for_five_years_is_at_least_five_years(self):
        q = one("缴费满5年")
        assert (q.value, q.unit, q.bound) == (5, "年", "ge")

    def test_calendar_half_year_is_no_duration(self):
        assert read_quantities("上半年") == []


class TestReadMoney:
    @pytest.mark.parametrize(
        "text,value",
        [("8万", 80000), ("8万元", 80000), ("80000元", 80000), ("两千块", 2000), ("1.2万", 12000), ("一万五", 15000),
         ("三十万", 300000), ("500块钱", 500), ("12,500元", 12500), ("百万元", 1_000_000), ("2千元", 2000), ("1.5亿元", 150_000_000),
         ("十个亿", 1_000_000_000), ("三个亿元", 300_000_000), ("两万多", 20000)],
    )
    def test_reads_money_in_yuan(self, text, value):
        q = one(text)
        assert (q.value, q.kind, q.unit) == (Decimal(value), "money", "元")


class TestNotQuantities:
    @pytest.mark.parametrize("text", ["2022年", "2022年12月31日", "二〇二二年", "2022年度", "2022-12-31", "2022/12", "2022.12.31"])
    def test_years_and_dates_are_years(self, text):
        q = one(text)
        assert (q.kind, q.value) == ("year", 2022)

    @pytest.mark.parametrize(
        "text",
        ["晋人社党组字〔2022〕19号", "国发〔2019〕6号", "令第258号", "第十七条", "第（二）项", "第3款", "第一次", "一次性补贴",
         "一县一品", "一人一档", "每一个", "统一办理", "（二）", "12月31日前", "3号文件"],
    )
    def test_document_numbers_references_and_ordinals_are_skipped(self, text):
        assert read_quantities(text) == []

    def test_reference_does_not_swallow_the_quantity_after_it(self):
        assert [q.raw for q in read_quantities("按国发〔2019〕6号第十七条，招了30人")] == ["30人"]

    def test_decimal_that_starts_like_a_year_is_a_number(self):
        assert (one("1900.5名").value, one("1900.5名").kind) == (Decimal("1900.5"), "count")

    def test_years_and_documents_never_bind(self):
        result = bind("2022年，晋人社党组字〔2022〕19号第3款说职工", SPECS)
        assert result.bound == {} and result.refused == []
        assert [q.kind for q in result.unbound] == ["year"]


class TestBind:
    @pytest.mark.parametrize(
        "text",
        ["脱贫劳动力300人", "300名脱贫劳动力", "其中脱贫劳动力300", "招了300名脱贫户", "脱贫户招了300人",
         "脱贫劳动力有三百个", "吸纳了三百位脱贫人口", "脱贫劳动力人数300"],
    )
    def test_count_binds_to_its_noun_in_either_order(self, text):
        result = bind(text, SPECS)
        assert values(result) == {"poor_hired": 300}

    def test_word_order_does_not_change_the_binding(self):
        a = bind("职工2000人，脱贫户招了500人", SPECS)
        b = bind("职工2000人，招了500名脱贫户", SPECS)
        c = bind("招了500名脱贫户，职工2000人", SPECS)
        assert values(a) == values(b) == values(c) == {"employees": 2000, "poor_hired": 500}
        assert {n: x.quantity.unit for n, x in a.bound.items()} == {n: x.quantity.unit for n, x in b.bound.items()}

    def test_nearest_noun_in_one_clause(self):
        assert values(bind("职工2000人脱贫户招了500人", SPECS)) == {"employees": 2000, "poor_hired": 500}
        assert values(bind("职工里招了500名脱贫户", SPECS)) == {"poor_hired": 500}

    def test_total_and_part_after_qizhong(self):
        result = bind("职工总数1200，其中脱贫劳动力300", SPECS)
        assert values(result) == {"employees": 1200, "poor_hired": 300}
        assert values(bind("职工1200人其中300人是脱贫劳动力", SPECS)) == {"employees": 1200, "poor_hired": 300}

    @pytest.mark.parametrize(
        "text,part",
        [("职工总数1200，脱贫劳动力占到三分之一", 400), ("职工1200人，其中三分之一是脱贫劳动力", 400),
         ("职工1000人，脱贫户占25%", 250), ("职工10人，脱贫户占三成", 3), ("职工7人，脱贫户占一半", 3)],
    )
    def test_share_of_bound_total_gives_the_part_rounded_down(self, text, part):
        result = bind(text, SPECS)
        assert result.bound["poor_hired"].quantity.value == part
        assert result.bound["poor_hired"].derived
        assert result.bound["poor_hired"].quantity.kind == "count"

    def test_share_without_total_asks_for_the_total(self):
        result = bind("脱贫劳动力占三成", SPECS)
        assert result.bound == {}
        assert result.refused[0].name == "poor_hired" and "职工" in result.refused[0].message

    def test_share_binds_a_share_parameter(self):
        assert values(bind("脱贫比例百分之三十", SPECS)) == {"poor_share": Decimal("0.3")}

    def test_longest_noun_wins(self):
        assert values(bind("参保职工30人", SPECS)) == {"insured": 30}
        assert values(bind("参保职工30人，职工40人", SPECS)) == {"insured": 30, "employees": 40}

    def test_headcount_of_a_stem_binds_the_noun(self):
        assert values(bind("单位参保人数40", SPECS)) == {"insured": 40}

    def test_possessive_noun_is_another_noun(self):
        result = bind("毕业生的父母有3人", SPECS)
        assert result.bound == {} and [q.raw for q in result.unbound] == ["3人"]
        assert values(bind("毕业生的人数是3", SPECS)) == {"graduates": 3}

    def test_count_of_people_never_binds_money(self):
        assert "premium" not in bind("保费30人", SPECS).bound

    def test_classifier_outside_the_specs_classifiers_does_not_bind(self):
        assert bind("3家职工", SPECS).bound == {}

    def test_headcount_of_a_stem_shared_by_two_parameters_binds_neither(self):
        specs = [NounSpec("a", "count", ("参保职工",), unit="人"), NounSpec("b", "count", ("参保人员",), unit="人")]
        assert bind("参保人数40", specs).bound == {}

    def test_chinese_comma_is_no_thousands_separator(self):
        assert values(bind("职工500，300人是脱贫户", SPECS)) == {"employees": 500, "poor_hired": 300}

    def test_money_never_binds_a_count(self):
        result = bind("职工5000元", SPECS)
        assert result.bound == {} and [q.kind for q in result.unbound] == ["money"]

    @pytest.mark.parametrize("text", ["失业保险费交了两千块", "保费2000元", "2000元保费", "交了2千块的保费"])
    def test_money_binds_a_money_parameter(self, text):
        assert values(bind(text, SPECS)) == {"premium": 2000}

    def test_durations_are_converted_to_the_parameter_unit(self):
        assert values(bind("缴费满5年", SPECS)) == {"paid_months": 60}
        assert bind("缴费满5年", SPECS).bound["paid_months"].quantity.bound == "ge"
        assert values(bind("参保一年半", SPECS)) == {"paid_months": 18}
        assert values(bind("参保半年", SPECS)) == {"paid_months": 6}

    def test_days_do_not_become_months(self):
        assert bind("缴费30天", SPECS).bound == {}

    def test_quantity_without_noun_stays_unbound(self):
        result = bind("40个人能补多少", SPECS)
        assert result.bound == {} and [q.value for q in result.unbound] == [40]

    def test_clauses_keep_nouns_apart(self):
        result = bind("我们是职工，招了30人", SPECS)
        assert result.bound == {}

    def test_classifier_that_starts_a_noun_is_the_nouns(self):
        specs = [NounSpec("shops", "count", ("个体户",), unit="户", classifiers=("户", "家"))]
        assert values(bind("吸纳了30个体户", specs)) == {"shops": 30}

    def test_numeral_inside_a_noun_is_part_of_the_noun(self):
        specs = [NounSpec("front", "count", ("一线职工",), unit="人", classifiers=PEOPLE)]
        assert values(bind("一线职工20人", specs)) == {"front": 20}

    @pytest.mark.parametrize("text", ["月薪4800 日工资怎么算", "月薪四千八日工资怎么算"])
    def test_a_time_unit_that_starts_a_noun_is_the_nouns(self, text):
        # 日 of 日工资 is no unit of 4800: the money goes to 月薪
        specs = [NounSpec("monthly", "money", ("月薪",), unit="元"), NounSpec("daily", "money", ("日工资",), unit="元")]
        assert values(bind(text, specs)) == {"monthly": 4800}

    def test_an_age_in_full_years_is_no_count_of_weeks(self):
        (q,) = read_quantities("年满六十周岁的职工")
        assert q.value == 60 and q.unit == "岁"

    def test_a_noun_starting_inside_a_two_character_unit_leaves_the_unit_whole(self):
        # 月失业金 starts on the 月 of 个月: the five months stay months
        specs = [NounSpec("left", "duration", ("没领完",), unit="个月"), NounSpec("benefit", "money", ("月失业金",), unit="元")]
        result = bind("还有5个月失业金没领完", specs)
        assert values(result) == {"left": 5} and result.bound["left"].quantity.unit == "个月"

    def test_bound_is_kept_on_the_binding(self):
        assert bind("员工不到30人", SPECS).bound["employees"].quantity.bound == "lt"


class TestRefuse:
    @pytest.mark.parametrize(
        "text,name",
        [("-25个员工", "employees"), ("负25人员工", "employees"), ("2.5个职工", "employees"), ("员工1e308人", "employees"),
         ("学员600人", "trainees"), ("脱贫比例150%", "poor_share"), ("脱贫劳动力占150%", "poor_hired"), ("保费-500元", "premium")],
    )
    def test_impossible_value_is_refused_with_a_question(self, text, name):
        result = bind(text, SPECS)
        assert name not in result.bound
        assert [r.name for r in result.refused] == [name]
        assert result.refused[0].message.endswith("？")

    def test_part_larger_than_whole_is_refused(self):
        result = bind("职工100人，其中脱贫劳动力300人", SPECS)
        assert values(result) == {"employees": 100}
        assert result.refused[0].name == "poor_hired"

    @pytest.mark.parametrize("text", ["-25个", "2.5个"])
    def test_impossible_value_without_noun_is_refused_too(self, text):
        result = bind(text, SPECS)
        assert result.unbound == [] and [r.name for r in result.refused] == [None]

    @pytest.mark.parametrize("text", ["加班费是按小时工资的150%吗", "听说赔偿是工资的两倍，也就是200%"])
    def test_a_rate_above_all_without_a_whole_is_no_slip(self, text):
        # documents pay 工资收入的300%: a question quoting such a rate is asked, not corrected
        result = bind(text, SPECS)
        assert result.refused == [] and any(q.kind == "share" and q.value > 1 for q in result.unbound)


    def test_negative_zero_is_still_a_slip(self):
        assert [r.name for r in bind("职工-0人", SPECS).refused] == ["employees"]

    def test_long_bare_number_without_noun_is_left_alone(self):
        result = bind("身份证号110101199003071234", SPECS)
        assert result.refused == [] and len(result.unbound) == 1


class TestKnownGaps:
    """Forms we do not read yet; strict xfail, so reading one turns the gap into a failing reminder."""

    @pytest.mark.xfail(strict=True, reason="approximate ranges of two digits (三四十, 两三百, 七八成) are not read")
    @pytest.mark.parametrize("text", ["三四十人", "两三百人", "七八成"])
    def test_two_digit_approximations(self, text):
        assert read_quantities(text)

    @pytest.mark.xfail(strict=True, reason="cn2an fails on 一亿五 (spoken 1.5亿)")
    def test_spoken_yi(self):
        assert one("一亿五").value == 150_000_000

    @pytest.mark.xfail(strict=True, reason="compound durations are read as two quantities, not summed")
    def test_compound_duration(self):
        assert one("3年零6个月").value == 42

    @pytest.mark.xfail(strict=True, reason="a lone 汉字 digit without classifier is not read (一些, 三好 …)")
    def test_lone_chinese_digit(self):
        assert values(bind("职工三", SPECS)) == {"employees": 3}

    @pytest.mark.xfail(strict=True, reason="the second end of a 汉字 percent range is read as a bare number")
    def test_chinese_percent_range(self):
        assert [q.kind for q in read_quantities("百分之三十到四十")] == ["share", "share"]

    @pytest.mark.xfail(strict=True, reason="two-digit years (22年那次) read as 22 years")
    def test_two_digit_year(self):
        assert one("22年那次调整").kind == "year"

    @pytest.mark.xfail(strict=True, reason="relative years (去年, 今年) are not read as years")
    def test_relative_year(self):
        assert [q.kind for q in read_quantities("去年招了30人")] == ["year", "count"]


class TestCheckValue:
    spec = NounSpec("n", "count", ("职工",), unit="人", integer=True, min=Decimal(1), max=Decimal(1000))

    @pytest.mark.parametrize("value", ["-1", "2.5", "0", "1001", "1e308", "Infinity", "NaN"])
    def test_rejects_with_a_chinese_question(self, value):
        message = check_value(self.spec, Decimal(value))
        assert message and "职工" in message and message.endswith("？")

    @pytest.mark.parametrize("value", ["1", "1000", "30"])
    def test_accepts_values_in_range(self, value):
        assert check_value(self.spec, Decimal(value)) is None

    def test_share_over_one_is_rejected(self):
        share = NounSpec("s", "share", ("比例",))
        assert check_value(share, Decimal("1.01")) and check_value(share, Decimal(1)) is None


# ------------------------------------------------------------------------------------- properties

# Nouns of a generated rule book: none contains a numeral, and some contain others (残疾职工 ⊃ 职工).
COUNT_NOUNS = ["职工", "残疾职工", "脱贫劳动力", "高校毕业生", "退役军人", "农民工", "学徒", "见习人员", "残疾人"]
MONEY_NOUNS = ["失业保险费", "培训费", "房租", "贷款"]
SHARE_NOUNS = ["脱贫人口占比", "残疾职工比例"]
FILLERS = ["", "我们公司", "请问", "今年我们"]
TAILS = ["", "，能补多少？", "，可以申请吗", "。"]
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@st.composite
def rule_books(draw):
    """Three count parameters, one money, one share, with names and classifiers drawn at random."""
    counts = draw(st.lists(st.sampled_from(COUNT_NOUNS), min_size=3, max_size=3, unique=True))
    names = draw(st.lists(st.text("abcdefgh", min_size=1, max_size=6), min_size=5, max_size=5, unique=True))
    classifiers = draw(st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=4, unique=True))
    specs = [NounSpec(names[i], "count", (noun,), unit="人", classifiers=tuple(classifiers), integer=True)
             for i, noun in enumerate(counts)]
    specs.append(NounSpec(names[3], "money", (draw(st.sampled_from(MONEY_NOUNS)),), unit="元"))
    specs.append(NounSpec(names[4], "share", (draw(st.sampled_from(SHARE_NOUNS)),)))
    return draw(st.permutations(specs))


def written(value: int, draw) -> str:
    """`value` as a person might type it: digits, 汉字, 万, thousands separators or full-width."""
    forms = [str(value), cn2an.an2cn(value), f"{value:,}", str(value).translate(FULL_WIDTH)]
    if value >= 10000 and value % 10000 == 0:
        forms.append(f"{value // 10000}万")
    return draw(st.sampled_from(forms))


def sentence(draw, phrase: str) -> str:
    return draw(st.sampled_from(FILLERS)) + phrase + draw(st.sampled_from(TAILS))


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class TestProperties:
    @PROPERTY
    @given(st.data())
    def test_any_count_binds_its_parameter(self, data):
        specs = data.draw(rule_books())
        spec = data.draw(st.sampled_from([s for s in specs if s.kind == "count"]))
        value = data.draw(st.integers(0, 2_000_000))
        number = written(value, data.draw)
        classifier = data.draw(st.sampled_from(("", *spec.classifiers)))
        # a lone 汉字 digit is read only with a classifier: 一/三 start too many words (一些, 三好)
        assume(classifier or len(number) > 1 or number.isdigit())
        noun = spec.nouns[0]
        phrase = data.draw(st.sampled_from([f"{noun}{number}{classifier}", f"{noun}有{number}{classifier}",
                                            f"{number}{classifier}{noun}", f"招了{number}{classifier}{noun}"]))
        result = bind(sentence(data.draw, phrase), specs)
        assert values(result) == {spec.name: value}

    @PROPERTY
    @given(st.data())
    def test_any_amount_binds_the_money_parameter(self, data):
        specs = data.draw(rule_books())
        spec = next(s for s in specs if s.kind == "money")
        value = data.draw(st.one_of(st.integers(1, 10**8), st.integers(1, 9999).map(lambda n: n * 10000)))
        forms = [f"{value}元", f"{cn2an.an2cn(value)}元", f"{value}块", f"{value:,}元"]
        if value % 10000 == 0:
            forms += [f"{value // 10000}万", f"{value // 10000}万元", cn2an.an2cn(value)]
        if value % 1000 == 0 and value > 10000:
            forms.append(f"{Decimal(value) / 10000}万")
        amount = data.draw(st.sampled_from(forms))
        noun = spec.nouns[0]
        phrase = data.draw(st.sampled_from([f"{noun}{amount}", f"{noun}交了{amount}", f"交了{amount}的{noun}"]))
        assert values(bind(sentence(data.draw, phrase), specs)) == {spec.name: value}

    @PROPERTY
    @given(st.data())
    def test_any_share_binds_the_share_parameter(self, data):
        specs = data.draw(rule_books())
        spec = next(s for s in specs if s.kind == "share")
        percent = data.draw(st.integers(1, 100))
        part, whole = data.draw(st.integers(1, 12)), data.draw(st.integers(1, 12))
        part, whole = min(part, whole), max(part, whole)
        forms = [(f"{percent}%", Fraction(percent, 100)), (f"百分之{cn2an.an2cn(percent)}", Fraction(percent, 100)),
                 (f"{cn2an.an2cn(whole)}分之{cn2an.an2cn(part)}", Fraction(part, whole))]
        if percent % 10 == 0 and percent < 100:
            forms.append((f"{cn2an.an2cn(percent // 10)}成", Fraction(percent, 100)))
        share, expected = data.draw(st.sampled_from(forms))
        noun = spec.nouns[0]
        phrase = data.draw(st.sampled_from([f"{noun}{share}", f"{noun}是{share}", f"{noun}达到{share}"]))
        got = values(bind(sentence(data.draw, phrase), specs))
        assert set(got) == {spec.name}
        assert abs(Fraction(got[spec.name]) - expected) < Fraction(1, 10**20)

    @PROPERTY
    @given(st.data())
    def test_share_of_a_total_derives_the_part(self, data):
        total_noun, part_noun = data.draw(st.lists(st.sampled_from(COUNT_NOUNS), min_size=2, max_size=2, unique=True))
        specs = [NounSpec("total", "count", (total_noun,), unit="人", classifiers=PEOPLE, integer=True),
                 NounSpec("part", "count", (part_noun,), unit="人", classifiers=PEOPLE, integer=True, part_of="total")]
        total = data.draw(st.integers(1, 100_000))
        percent = data.draw(st.integers(0, 100))
        share = data.draw(st.sampled_from([f"{percent}%", f"百分之{cn2an.an2cn(percent)}"]))
        clauses = [f"{total_noun}{written(total, data.draw)}人", f"{part_noun}占{share}"]
        result = bind("，".join(clauses), specs)
        assert result.bound["part"].quantity.value == total * percent // 100
        assert result.bound["part"].derived

    @PROPERTY
    @given(st.data())
    def test_order_of_clauses_and_words_does_not_change_bindings(self, data):
        specs = data.draw(rule_books())
        first, second = [s for s in specs if s.kind == "count"][:2]
        a, b = data.draw(st.integers(1, 10**5)), data.draw(st.integers(1, 10**5))
        c, d = data.draw(st.sampled_from(first.classifiers)), data.draw(st.sampled_from(second.classifiers))
        clause_a = data.draw(st.sampled_from([f"{first.nouns[0]}{a}{c}", f"{a}{c}{first.nouns[0]}"]))
        clause_b = data.draw(st.sampled_from([f"{second.nouns[0]}招了{b}{d}", f"招了{b}{d}{second.nouns[0]}"]))
        clauses = data.draw(st.permutations([clause_a, clause_b]))
        assert values(bind("，".join(clauses), specs)) == {first.name: a, second.name: b}

    @PROPERTY
    @given(st.data())
    def test_impossible_counts_are_refused_never_bound(self, data):
        specs = data.draw(rule_books())
        spec = data.draw(st.sampled_from([s for s in specs if s.kind == "count"]))
        value = data.draw(st.integers(1, 10**6))
        fraction = data.draw(st.sampled_from(["5", "25", "75", "1"]))
        number = data.draw(st.sampled_from([f"-{value}", f"负{value}", f"{value}.{fraction}", f"1e{data.draw(st.integers(15, 400))}"]))
        classifier = data.draw(st.sampled_from(spec.classifiers))
        noun = spec.nouns[0]
        phrase = data.draw(st.sampled_from([f"{noun}{number}{classifier}", f"{number}{classifier}{noun}"]))
        result = bind(sentence(data.draw, phrase), specs)
        assert result.bound == {}
        assert [r.name for r in result.refused] == [spec.name]

    @PROPERTY
    @given(st.data())
    def test_shares_over_one_hundred_percent_are_refused(self, data):
        specs = data.draw(rule_books())
        spec = next(s for s in specs if s.kind == "share")
        percent = data.draw(st.integers(101, 10**6))
        share = data.draw(st.sampled_from([f"{percent}%", f"百分之{cn2an.an2cn(percent)}"]))
        result = bind(f"{spec.nouns[0]}{share}", specs)
        assert result.bound == {} and [r.name for r in result.refused] == [spec.name]

    @PROPERTY
    @given(st.integers(1, 10**6), st.integers(0, 10**6), st.sampled_from(PEOPLE))
    def test_counts_over_the_maximum_are_refused(self, limit, excess, classifier):
        spec = NounSpec("n", "count", ("学员",), unit="人", classifiers=PEOPLE, integer=True, max=Decimal(limit))
        result = bind(f"学员{limit + excess + 1}{classifier}", [spec])
        assert result.bound == {} and [r.name for r in result.refused] == ["n"]
        assert values(bind(f"学员{limit}{classifier}", [spec])) == {"n": limit}


def test_public_names():
    import assistant.quantities as module

    assert set(module.__all__) == {"Binding", "BindResult", "NounSpec", "Quantity", "Refusal", "bind", "check_value",
                                   "read_quantities"}
    assert Binding and Refusal


@pytest.mark.parametrize("text, value", [("失业保险费十万", 100000), ("交了百万的保费", 1000000)])
def test_an_order_word_with_a_scale_is_a_number_without_a_unit(text, value):
    # found by the property test above in a fresh clone: 十万 with no 元 after it was not read
    assert [q.value for q in read_quantities(text)] == [value]


def test_qianwan_the_adverb_is_no_number():
    assert read_quantities("千万不要相信") == []
