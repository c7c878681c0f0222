"""Text normalisation for comparing answers with gold facts.

"5万元", "50000元", "50,000 元", "５００００元" and "五万元" all normalise to "50000元": full-width
forms become half-width (NFKC), spaces go, thousands separators go, Chinese numerals before a unit
become digits, and 万/亿/千 multiply out. Both sides of every comparison go through `normalize`, so
the rules only need to be consistent, not linguistically complete.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

__all__ = [
    "normalize",
    "strip_citation_markers",
    "contains_fact",
    "extract_numbers",
    "parse_chinese_number",
    "format_decimal",
]

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10_000, "亿": 100_000_000}
_CN_CHARS = "".join(_CN_DIGITS) + "".join(_CN_UNITS) + "".join(_CN_BIG)

# Chinese numerals are only read as numbers before a counter word: "一次性" or "一县一品牌" must stay words.
# A numeral must start with a digit or 十 and not follow an Arabic digit, so the 万 of "5万元" stays for
# the multiplier rule below.
_COUNTERS = "个人名位元块岁年月日号场家倍天项条章节"
_CN_NUMBER_RE = re.compile(
    rf"(?<![\d.])[{''.join(_CN_DIGITS)}十][{_CN_CHARS}]*(?:点[{''.join(_CN_DIGITS)}]+[万亿]?)?(?=[{_COUNTERS}%])"
)
_PERCENT_RE = re.compile(rf"百分之([{_CN_CHARS}]+(?:点[{''.join(_CN_DIGITS)}]+)?|\d+(?:\.\d+)?)")
_MULTIPLIER_RE = re.compile(r"(\d+(?:\.\d+)?)([千万亿])")
# only the ASCII comma: the Chinese comma "，" between two figures is a list, not a separator
_THOUSANDS_RE = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_TRAILING_ZEROS_RE = re.compile(r"(\d+)\.(\d*?)0+(?!\d)")
_KUAI_RE = re.compile(r"(?<=\d)块(?:钱)?")
_MARKER_RE = re.compile(r"\[\d+\]")
_NUMBER_RE = re.compile(r"\d+(?:\.\d+)?")
_SPACE_RE = re.compile(r"\s+")
_MULTIPLIERS = {"千": 1000, "万": 10_000, "亿": 100_000_000}


def format_decimal(value: Decimal) -> str:
    """A number the way the normaliser writes it: no exponent, no trailing zeros, no separators."""
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _small(text: str) -> int:
    """A Chinese numeral below 10,000: 二十五, 一千零五十, 十五, 一千五 (colloquial: 1500)."""
    if not text:
        return 0
    if all(ch in _CN_DIGITS for ch in text) and len(text) > 1:
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))  # 二〇二二 read digit by digit
    total, digit, last_unit = 0, None, None
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        else:
            unit = _CN_UNITS[ch]
            total += (1 if digit is None else digit) * unit
            digit, last_unit = None, unit
    if digit is not None:
        # 一千五 means 1500: a bare trailing digit counts in the unit below the last one
        total += digit * (last_unit // 10 if last_unit and last_unit >= 100 and text[-2] not in "零〇" else 1)
    return total


def parse_chinese_number(text: str) -> Decimal:
    """Value of a Chinese numeral such as 二十五, 一万五千, 三点五, 二〇二二; ValueError when it is not one."""
    if not text or any(ch not in _CN_CHARS and ch != "点" for ch in text):
        raise ValueError(f"not a Chinese numeral: {text!r}")
    whole, _, frac = text.partition("点")
    if frac and frac[-1] in _CN_BIG:  # 三点五万
        return parse_chinese_number(f"{whole}点{frac[:-1]}") * _CN_BIG[frac[-1]]
    if frac and any(ch not in _CN_DIGITS for ch in frac):
        raise ValueError(f"not a Chinese numeral: {text!r}")
    total = Decimal(0)
    rest = whole
    for big in ("亿", "万"):
        if big in rest:
            head, rest = rest.split(big, 1)
            total += Decimal(_small_with_big(head)) * _CN_BIG[big]
            if rest and len(rest) == 1 and rest in _CN_DIGITS:
                # 一万五 = 15000: a single trailing digit counts in thousands
                return total + _CN_DIGITS[rest] * _CN_BIG[big] // 10
    total += _small(rest)
    if frac:
        total += Decimal("0." + "".join(str(_CN_DIGITS[ch]) for ch in frac))
    return total


def _small_with_big(text: str) -> int:
    if "万" in text:  # 一万亿
        head, tail = text.split("万", 1)
        return _small(head or "一") * 10_000 + _small(tail)
    return _small(text or "一")


def _cn_to_digits(match: re.Match[str]) -> str:
    try:
        return format_decimal(parse_chinese_number(match.group(0)))
    except (ValueError, KeyError, IndexError, InvalidOperation):
        return match.group(0)


def _percent(match: re.Match[str]) -> str:
    body = match.group(1)
    if body[0].isdigit():
        return f"{body}%"
    try:
        return f"{format_decimal(parse_chinese_number(body))}%"
    except (ValueError, KeyError, IndexError):
        return match.group(0)


def _multiply(match: re.Match[str]) -> str:
    return format_decimal(Decimal(match.group(1)) * _MULTIPLIERS[match.group(2)])


def strip_citation_markers(text: str) -> str:
    """Remove the [1] [2] footnote markers an answer carries."""
    return _MARKER_RE.sub("", text)


def normalize(text: str) -> str:
    """Canonical form for substring comparison (see the module docstring)."""
    text = _THOUSANDS_RE.sub("", _SPACE_RE.sub("", text))
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace("〔", "[").replace("〕", "]")  # 劳社部发〔2008〕3号 as a copy prints it: 劳社部发[2008]3号
    text = _SPACE_RE.sub("", text)
    text = _PERCENT_RE.sub(_percent, text)
    text = _CN_NUMBER_RE.sub(_cn_to_digits, text)
    text = _MULTIPLIER_RE.sub(_multiply, text)
    text = _KUAI_RE.sub("元", text)
    text = _TRAILING_ZEROS_RE.sub(lambda m: m.group(1) + ("." + m.group(2) if m.group(2) else ""), text)
    return text


def _fact_pattern(fact: str) -> re.Pattern[str]:
    # a number in a fact must match a whole number: "500元" is not found inside "1500元"
    head = r"(?<![\d.])" if fact[:1].isdigit() else ""
    tail = r"(?!\.?\d)" if fact[-1:].isdigit() else ""
    return re.compile(head + re.escape(fact) + tail)


def contains_fact(text: str, fact: str) -> bool:
    """True when `fact` occurs in `text` after both are normalised (numbers match whole numbers only)."""
    norm_fact = normalize(fact)
    if not norm_fact:
        return False
    return _fact_pattern(norm_fact).search(normalize(strip_citation_markers(text))) is not None


def extract_numbers(text: str) -> list[Decimal]:
    """Every number in a text after normalisation (so 5万 is 50000 and 二十五个 is 25)."""
    return [Decimal(m.group(0)) for m in _NUMBER_RE.finditer(normalize(text))]
