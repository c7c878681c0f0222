"""Personal-data masking: ID-card and mobile numbers found and masked, nothing else touched."""

from __future__ import annotations

import io
import logging
import random
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.privacy import (
    ID_CARD,
    ID_CARD_MASK,
    PHONE,
    PHONE_MASK,
    PROVINCE_CODES,
    PiiMatch,
    RedactingFilter,
    contains_pii,
    find_pii,
    is_valid_id_card,
    redact,
    redact_value,
)

CORPUS_DOC = Path(__file__).resolve().parents[2] / "corpus" / "documents" / "sx-rst-2022-19.txt"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for the hostile-input loader
from badinput import bad_input_entries, load_bad_inputs, load_xss_payloads  # noqa: E402
TODAY = date(2024, 6, 1)
FULLWIDTH = str.maketrans("0123456789X+-", "０１２３４５６７８９Ｘ＋－")


def mod11_2_check(first17: str) -> str:
    """ISO 7064 MOD 11-2 in its recursive form, written independently of the module's weighted sum."""
    p = 0
    for ch in first17:
        p = ((p + int(ch)) * 2) % 11
    value = (12 - p) % 11
    return "X" if value == 10 else str(value)


def make_id(rng: random.Random, *, born: date | None = None) -> str:
    province = rng.choice(sorted(PROVINCE_CODES))
    region = f"{province:02d}{rng.randint(0, 9999):04d}"
    if born is None:
        born = date(1900, 1, 1) + timedelta(days=rng.randint(0, (TODAY - date(1900, 1, 1)).days))
    body = f"{region}{born:%Y%m%d}{rng.randint(0, 999):03d}"
    return body + mod11_2_check(body)


def make_phone(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randint(0, 999_999_999):09d}"


def spans(text: str) -> list[tuple[str, str]]:
    return [(m.kind, text[m.start : m.end]) for m in find_pii(text, today=TODAY)]


class TestIdCards:
    def test_check_digit_matches_the_standard_example(self) -> None:
        # The worked example printed in GB 11643-1999.
        assert is_valid_id_card("11010519491231002X", TODAY)
        assert mod11_2_check("11010519491231002") == "X"

    def test_generated_valid_ids_are_all_found(self) -> None:
        rng = random.Random(11643)
        for _ in range(2000):
            number = make_id(rng)
            text = f"我的身份证号是{number}，请帮我查一下"
            assert spans(text) == [(ID_CARD, number)], number

    def test_lowercase_x_check_character_is_found(self) -> None:
        assert spans("证件号11010519491231002x。") == [(ID_CARD, "11010519491231002x")]

    def test_wrong_check_digit_is_not_found(self) -> None:
        rng = random.Random(7064)
        for _ in range(2000):
            number = make_id(rng)
            wrong = rng.choice([c for c in "0123456789X" if c != number[-1]])
            assert find_pii(f"号码{number[:-1]}{wrong}结束", today=TODAY) == []

    @pytest.mark.parametrize("province", [10, 16, 20, 24, 30, 38, 40, 47, 55, 60, 66, 70, 72, 80, 84, 90, 92, 99])
    def test_unknown_province_is_not_an_id(self, province: int) -> None:
        body = f"{province:02d}0101198001010{12:02d}"
        assert not is_valid_id_card(body + mod11_2_check(body), TODAY)

    @pytest.mark.parametrize(
        ("birth", "valid"),
        [
            ("19000101", True),
            ("18991231", False),
            ("20000229", True),  # leap year
            ("19000229", False),  # 1900 is not a leap year
            ("19991301", False),
            ("19990431", False),
            ("20240601", True),  # TODAY itself
            ("20240602", False),  # tomorrow
        ],
    )
    def test_birth_date_must_be_real_and_not_in_future(self, birth: str, valid: bool) -> None:
        body = f"110101{birth}123"
        assert is_valid_id_card(body + mod11_2_check(body), TODAY) is valid

    def test_fifteen_digit_old_ids_need_a_real_date(self) -> None:
        assert spans("旧身份证110105491231002") == [(ID_CARD, "110105491231002")]
        assert find_pii("旧身份证110105491331002", today=TODAY) == []  # month 13
        assert find_pii("旧身份证990105491231002", today=TODAY) == []  # province 99

    def test_id_inside_longer_run_is_not_found(self) -> None:
        number = "11010519491231002X"
        for text in (f"9{number}", f"{number}7", f"A{number}", f"{number}b", f"账号{number}00"):
            assert find_pii(text, today=TODAY) == [], text

    def test_fullwidth_id_masks_the_original_span(self) -> None:
        number = "11010519491231002X".translate(FULLWIDTH)
        text = f"身份证：{number}。"
        assert find_pii(text, today=TODAY) == [PiiMatch(ID_CARD, 4, 22)]
        assert redact(text) == f"身份证：{ID_CARD_MASK}。"


class TestPhones:
    @pytest.mark.parametrize(
        "written",
        [
            "13812345678",
            "138 1234 5678",
            "138-1234-5678",
            "+8613812345678",
            "+86 13812345678",
            "+86-138-1234-5678",
            "008613812345678",
            "0086 138 1234 5678",
            "8613812345678",
            "(+86)13812345678",
            "(86) 138-1234-5678",
            "１３８１２３４５６７８",
            "＋８６　１３８－１２３４－５６７８",
            "138\u30001234\u30005678",
            "138\u20131234\u20135678",  # en dashes
        ],
    )
    def test_phone_formats_are_found(self, written: str) -> None:
        text = f"联系我{written}，谢谢"
        assert spans(text) == [(PHONE, written)]
        assert redact(text) == f"联系我{PHONE_MASK}，谢谢"

    def test_every_mobile_prefix_13_to_19_is_found(self) -> None:
        rng = random.Random(86)
        for _ in range(1000):
            phone = make_phone(rng)
            assert spans(f"电话{phone}") == [(PHONE, phone)]

    @pytest.mark.parametrize(
        "text",
        [
            "咨询电话0351-4567890",
            "拨打12333人社服务热线",
            "市民热线12345",
            "10086客服",
            "12812345678",  # 12x is not a mobile range
            "23812345678",
            "138123456789",  # 12 digits
            "1381234567",  # 10 digits
            "单号X13812345678",
            "13812345678a",
            "金额13812345678.50元",
            "比例0.13812345678",
            "138-12345-678",  # wrong grouping
        ],
    )
    def test_not_a_mobile(self, text: str) -> None:
        assert find_pii(text, today=TODAY) == []


_BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(_BENCH))
import pii_forms  # noqa: E402


class TestWrittenForms:
    """The forms of benchmarks/pii_forms.py, each in every sentence of its corpus."""

    @pytest.mark.parametrize("form", list(pii_forms.FORMS))
    def test_every_written_form_is_one_match_of_its_kind(self, form: str) -> None:
        rng = random.Random(form)
        for _ in range(50):
            p = pii_forms.plant(rng, form, TODAY)
            for sentence in pii_forms._SENTENCES:
                text = sentence.format(n=p.written)
                found = find_pii(text, today=TODAY)
                assert [m.kind for m in found] == [p.kind], (form, text)
                masked = redact(text)
                assert pii_forms.digits_of(p.written)[-8:] not in pii_forms.digits_of(masked), (form, masked)

    def test_legitimate_numbers_stay_as_written(self) -> None:
        for value in pii_forms.legit_numbers(random.Random(3), 400):
            text = f"我们企业情况：{value}，稳岗返还能返多少？"
            assert redact(text) == text, value

    @pytest.mark.parametrize("text", ["13800000000元", "人民币 13912345678 元", "¥18612345678", "13812345678万元",
                                      "13812345678.50元"])
    def test_an_eleven_digit_amount_is_not_a_phone(self, text: str) -> None:
        assert find_pii(f"去年缴费{text}", today=TODAY) == []

    @pytest.mark.parametrize("text", ["手机：13812345678元旦前能办吗", "电话13812345678万一打不通", "号码 13812345678元"])
    def test_a_phone_word_before_an_amount_shape_wins(self, text: str) -> None:
        assert [m.kind for m in find_pii(text, today=TODAY)] == [PHONE]

    def test_two_phones_joined_by_a_slash_are_both_found(self) -> None:
        text = "电话 138-1234-5678/139-8765-4321"
        assert redact(text) == f"电话 {PHONE_MASK}/{PHONE_MASK}"

    @pytest.mark.parametrize("text", ["138-1234-5678-9", "2022.13812345678", "0.138 1234 5678"])
    def test_a_mobile_inside_a_longer_punctuated_number_is_not_found(self, text: str) -> None:
        assert find_pii(text, today=TODAY) == []

    def test_identifiers_glued_to_letters_count_for_client_ids(self) -> None:
        from assistant.privacy import identifier_has_pii

        assert identifier_has_pii("user13812345678") and identifier_has_pii("id_11010519491231002X")
        assert not identifier_has_pii("trace-2024.06.01") and not identifier_has_pii("b54eb4fb4b802408")
        assert find_pii("user13812345678") == []  # in prose, a number glued to letters is something else


class TestCorpusHasNoFalsePositives:
    def test_no_line_of_the_policy_document_contains_pii(self) -> None:
        lines = CORPUS_DOC.read_text(encoding="utf-8").splitlines()
        assert len(lines) > 300
        flagged = [(i, line) for i, line in enumerate(lines, 1) if find_pii(line)]
        assert flagged == []

    def test_whole_document_is_unchanged_by_redact(self) -> None:
        text = CORPUS_DOC.read_text(encoding="utf-8")
        assert redact(text) == text

    @pytest.mark.parametrize(
        "text",
        [
            "晋人社党组字〔2022〕19号",
            "2022年6月14日",
            "2022 年 1 月 1 日至 12 月 31 日",
            "20220614",
            "2022-06-14",
            "返还比例由 60% 提高至 90%",
            "每人 1500 元",
            "15000 元的扶持",
            "开发见习岗位 3 万个以上",
            "招聘会3000场以上",
        ],
    )
    def test_document_style_numbers_are_left_alone(self, text: str) -> None:
        assert find_pii(text) == []
        assert redact(text) == text


class TestHostileInputs:
    def test_every_bad_input_and_xss_payload_is_handled(self) -> None:
        cases = load_bad_inputs() + [(f"xss-{n}", p) for n, p in enumerate(load_xss_payloads())]
        for case_id, text in cases:
            once = redact(text)
            assert redact(once) == once, case_id
            assert not contains_pii(once), case_id

    def test_pii_entries_are_masked_and_others_untouched(self) -> None:
        kinds = {e["id"]: e["kind"] for e in bad_input_entries()}
        for case_id, text in load_bad_inputs():
            if kinds[case_id] == "pii":
                assert redact(text) != text, case_id
            else:
                assert redact(text) == text, case_id


class TestRedactValue:
    def test_nested_json_like_values_are_redacted(self) -> None:
        value = {"q": "我的手机13812345678", "n": 13812345678, "xs": ["11010519491231002X", 5], "ok": True}
        # the text names 13812345678 a phone, so the number with those digits is withheld
        assert redact_value(value) == {"q": f"我的手机{PHONE_MASK}", "n": None, "xs": [ID_CARD_MASK, 5], "ok": True}

    def test_numbers_keep_their_type_unless_the_text_names_them_personal(self) -> None:
        inputs = {"unemployment_insurance_paid_last_year": 13800000000, "employees": 25, "rate": 0.9}
        value = {"question": "去年缴纳失业保险费13800000000元", "calculation": {"inputs": inputs}}
        assert redact_value(value) == value
        assert type(redact_value(value)["calculation"]["inputs"]["unemployment_insurance_paid_last_year"]) is int

    def test_context_names_numbers_the_value_does_not(self) -> None:
        slots = {"employees": 13812345678, "float": 13812345678.0, "other": 13912345678}
        assert redact_value(slots, context=["有13812345678个员工"]) == {"employees": None, "float": None,
                                                                    "other": 13912345678}
        assert redact_value((1, "a"), context=[]) == (1, "a")


class TestRedactingFilter:
    def _logger(self) -> tuple[logging.Logger, io.StringIO]:
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter("%(message)s|%(who)s"))
        handler.addFilter(RedactingFilter())
        logger = logging.getLogger(f"test_privacy.{id(stream)}")
        logger.propagate = False
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)
        return logger, stream

    def test_message_args_and_extras_are_redacted(self) -> None:
        logger, stream = self._logger()
        logger.info("question %s from %s", "身份证11010519491231002X", 13812345678, extra={"who": "138 1234 5678"})
        out = stream.getvalue()
        assert out == f"question 身份证{ID_CARD_MASK} from {PHONE_MASK}|{PHONE_MASK}\n"

    def test_exception_text_is_redacted(self) -> None:
        logger, stream = self._logger()
        try:
            raise ValueError("bad phone 13812345678")
        except ValueError:
            logger.exception("failed", extra={"who": "-"})
        out = stream.getvalue()
        assert "13812345678" not in out
        assert f"bad phone {PHONE_MASK}" in out
        assert "Traceback" in out

    def test_formatter_that_formats_exc_info_itself_gets_no_raw_exception(self) -> None:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", (), None)
        try:
            raise ValueError("id 11010519491231002X")
        except ValueError:
            record.exc_info = sys.exc_info()
        RedactingFilter().filter(record)
        assert record.exc_info is None
        assert "11010519491231002X" not in record.exc_text and ID_CARD_MASK in record.exc_text

    def test_filter_on_handler_sees_child_logger_records(self) -> None:
        logger, stream = self._logger()
        child = logger.getChild("child")
        child.warning("%s", "13912345678", extra={"who": "x"})
        assert stream.getvalue() == f"{PHONE_MASK}|x\n"


# --- properties ---------------------------------------------------------------------------------------

# Han text without the money words that make an ungrouped 11-digit run an amount (13800000000元)
_HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF, exclude_characters="元圆块万亿角币")
_ANY = st.characters(codec="utf-8")


@st.composite
def pii_numbers(draw: st.DrawFn) -> str:
    rng = random.Random(draw(st.integers(0, 2**32)))
    kind = draw(st.sampled_from(["id", "phone", "phone_grouped", "phone_prefixed", "fullwidth"]))
    if kind == "id":
        return make_id(rng)
    phone = make_phone(rng)
    if kind == "phone_grouped":
        sep = draw(st.sampled_from([" ", "-"]))
        return f"{phone[:3]}{sep}{phone[3:7]}{sep}{phone[7:]}"
    if kind == "phone_prefixed":
        return draw(st.sampled_from(["+86", "0086", "+86 ", "86-"])) + phone
    if kind == "fullwidth":
        return phone.translate(FULLWIDTH)
    return phone


@st.composite
def text_with_pii(draw: st.DrawFn) -> tuple[str, list[str]]:
    pieces: list[str] = []
    numbers: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        pieces.append(draw(st.text(_HAN, min_size=1, max_size=8)))
        number = draw(pii_numbers())
        numbers.append(number)
        pieces.append(number)
    # The tail starts with a Han character so it can never extend the last number's digit run.
    pieces.append(draw(st.text(_HAN, min_size=1, max_size=2)) + draw(st.text(_ANY, max_size=8)))
    return "".join(pieces), numbers


@st.composite
def text_without_pii(draw: st.DrawFn) -> str:
    """Chinese prose with the kinds of numbers policy text carries: short runs, dates, amounts, percents."""
    number = st.one_of(
        st.integers(0, 9_999_999).map(str),
        st.dates(date(1950, 1, 1), date(2030, 12, 31)).map(lambda d: f"{d.year}年{d.month}月{d.day}日"),
        st.decimals(0, 10**6, places=2, allow_nan=False).map(lambda d: f"{d}元"),
        st.integers(0, 100).map(lambda n: f"{n}%"),
        st.integers(2000, 2030).map(lambda y: f"〔{y}〕{y % 97}号"),
        st.just("0351-4567890"),
        st.just("12333"),
    )
    parts = draw(st.lists(st.tuples(st.text(_HAN, min_size=1, max_size=10), number), max_size=6))
    return "".join(a + b for a, b in parts) + draw(st.text(_HAN, max_size=5))


@settings(max_examples=300, deadline=None)
@given(text_with_pii())
def test_redacted_text_contains_no_pii(case: tuple[str, list[str]]) -> None:
    text, numbers = case
    out = redact(text)
    assert not contains_pii(out)
    for number in numbers:
        assert number not in out


@settings(max_examples=300, deadline=None)
@given(st.one_of(text_with_pii().map(lambda c: c[0]), st.text(_ANY, max_size=60)))
def test_redact_is_idempotent(text: str) -> None:
    once = redact(text)
    assert redact(once) == once


@settings(max_examples=300, deadline=None)
@given(text_with_pii())
def test_each_planted_number_is_one_match(case: tuple[str, list[str]]) -> None:
    text, numbers = case
    assert [text[m.start : m.end] for m in find_pii(text)] == numbers


@settings(max_examples=300, deadline=None)
@given(text_without_pii())
def test_text_without_pii_is_unchanged(text: str) -> None:
    assert find_pii(text) == []
    assert redact(text) == text


@pytest.mark.parametrize("text", ["1. 13955501234 是我的号码", "联系方式如下。 13955501234", "二、1. １３９５５５０１２３４"])
def test_a_list_number_or_a_full_stop_before_a_mobile_does_not_hide_it(text: str) -> None:
    # "1. " ends a list number: the dot with a space after it does not join "1" to the mobile's digits
    assert "13955501234" not in redact(text).translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    assert PHONE_MASK in redact(text)


def test_a_decimal_whose_digits_look_like_a_mobile_stays_a_decimal() -> None:
    assert redact("比例为1.13955501234") == "比例为1.13955501234"
