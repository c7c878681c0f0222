"""Normalisation: equal amounts written differently compare equal; different amounts never do."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evals.normalize import contains_fact, extract_numbers, normalize, parse_chinese_number, strip_citation_markers


@pytest.mark.parametrize(
    "variant",
    ["5万元", "50000元", "50,000 元", "５００００元", "５万元", "五万元", "5.0万元", "50000.00元", "五万块钱"],
)
def test_forms_of_fifty_thousand_yuan_normalise_alike(variant):
    assert normalize(variant) == "50000元"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("二十五个人", "25个人"),
        ("一千五百元", "1500元"),
        ("一千零五十元", "1050元"),
        ("一万五千元", "15000元"),
        ("一点五万元", "15000元"),
        ("1.25万", "12500"),
        ("百分之九十", "90%"),
        ("90 ％", "90%"),
        ("二〇二二年", "2022年"),
        ("2022 年 12 月 31 日", "2022年12月31日"),
        ("（1）", "(1)"),
    ],
)
def test_normalise(text, expected):
    assert normalize(text) == expected


@pytest.mark.parametrize("word", ["一次性留工培训补助", "一县一品牌", "一户一公岗", "一揽子政策"])
def test_numerals_inside_words_stay_words(word):
    assert normalize(word) == word


def test_chinese_comma_between_figures_is_not_a_thousands_separator():
    assert normalize("中级工600，800人") != normalize("中级工600800人")


class TestContainsFact:
    def test_found_across_forms(self):
        assert contains_fact("每名参保职工 500 元[1]", "500元")
        assert contains_fact("合计 12,500 元", "1.25万")
        assert contains_fact("最高六十万元", "60万元")
        assert contains_fact("返还比例百分之九十", "90%")

    def test_a_number_does_not_match_inside_a_longer_number(self):
        assert not contains_fact("每人 1500 元", "500元")
        assert not contains_fact("可给予 25 万元", "5万")
        assert not contains_fact("共 5000 个岗位", "500")
        assert not contains_fact("比例 1.5", "1")

    def test_citation_markers_do_not_split_or_add_facts(self):
        assert contains_fact("500[1]元", "500元")
        assert not contains_fact("见[1]", "1")

    def test_empty_fact_is_never_found(self):
        assert not contains_fact("任何文字", "   ")


def test_extract_numbers_reads_normalised_values():
    assert extract_numbers("每人 500 元，25 人，合计 1.25 万元，比例百分之九十") == [
        Decimal(500), Decimal(25), Decimal(12500), Decimal(90)
    ]


def test_strip_citation_markers():
    assert strip_citation_markers("500元[1][12]。") == "500元。"


@pytest.mark.parametrize(("text", "value"), [("十", 10), ("十五", 15), ("二十五", 25), ("一百零五", 105), ("两万", 20000),
                                             ("一万五", 15000), ("三点五", Decimal("3.5")), ("一亿零一万", 100010000)])
def test_parse_chinese_number(text, value):
    assert parse_chinese_number(text) == value


def test_parse_chinese_number_rejects_words():
    with pytest.raises(ValueError):
        parse_chinese_number("一次")
