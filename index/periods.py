"""Find the time expressions a clause states and resolve them to dates.

Pure functions over text. The document's issue year resolves relative phrases ("今年年底前",
"7月底前", "当年 8 月底前"): a 2022 plan's "7月底前" means 31 July 2022.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from index.types import Period

__all__ = ["find_periods", "month_end"]

_S = r"\s*"  # the source writes "2022 年 12 月 31 日" as often as "2022年12月31日"
_Y = r"(\d{4})" + _S + "年"
_M = r"(\d{1,2})" + _S + "月"
_D = r"(\d{1,2})" + _S + "日"


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _range(m: re.Match, _year: int) -> Period:
    y1, m1, d1, y2, m2, d2 = m.groups()
    y2 = y2 or y1
    return Period(
        text=m.group(0),
        kind="range",
        start_date=date(int(y1), int(m1), int(d1)),
        end_date=date(int(y2), int(m2), int(d2)),
    )


def _until_ymd(m: re.Match, _year: int) -> Period:
    y, mo, d = m.groups()[-3:]
    return Period(text=m.group(0), kind="until", end_date=date(int(y), int(mo), int(d)))


def _until_year_end(m: re.Match, _year: int) -> Period:
    return Period(text=m.group(0), kind="until", end_date=date(int(m.group(1)), 12, 31))


def _until_month_end(m: re.Match, _year: int) -> Period:
    return Period(text=m.group(0), kind="until", end_date=month_end(int(m.group(1)), int(m.group(2))))


def _deadline_ymd(m: re.Match, _year: int) -> Period:
    y, mo, d = m.groups()
    return Period(text=m.group(0), kind="deadline", end_date=date(int(y), int(mo), int(d)))


def _deadline_this_year_end(m: re.Match, year: int) -> Period:
    return Period(text=m.group(0), kind="deadline", end_date=date(year, 12, 31))


def _deadline_month_end(m: re.Match, year: int) -> Period:
    return Period(text=m.group(0), kind="deadline", end_date=month_end(year, int(m.group(1))))


def _year(m: re.Match, _year: int) -> Period:
    y = int(m.group(1))
    return Period(text=m.group(0), kind="year", start_date=date(y, 1, 1), end_date=date(y, 12, 31))


def _this_year(m: re.Match, year: int) -> Period:
    return Period(text=m.group(0), kind="year", start_date=date(year, 1, 1), end_date=date(year, 12, 31))


def _recurring(m: re.Match, _year: int) -> Period:
    return Period(text=m.group(0), kind="recurring")


# Longest, most specific patterns first; overlapping later matches are dropped.
_PATTERNS: list[tuple[re.Pattern, object]] = [
    (re.compile(_Y + _S + _M + _S + _D + _S + "至" + _S + r"(?:(\d{4})" + _S + "年)?" + _S + _M + _S + _D), _range),
    (re.compile(r"(?:执行期|期限|延长)?" + _S + "(?:至|到)" + _S + _Y + _S + _M + _S + _D), _until_ymd),
    (re.compile(_Y + _S + _M + _S + _D + _S + "前"), _deadline_ymd),
    (re.compile(r"(?:期限|延长)?" + _S + r"(?:至|到)?" + _S + _Y + _S + "年?底"), _until_year_end),
    (re.compile(r"(?:期限|延长)?" + _S + r"(?:至|到)?" + _S + _Y + _S + _M + "底"), _until_month_end),
    (re.compile(r"(?:今年|当年|本年)?年底前"), _deadline_this_year_end),
    (re.compile(r"(?:当年|今年)?" + _S + r"(\d{1,2})" + _S + "月底前"), _deadline_month_end),
    (re.compile(r"每月" + _S + r"\d{1,2}" + _S + "日前"), _recurring),
    (re.compile(_Y + "度"), _year),
    (re.compile(_Y + r"(?=\s*(?:开发|举办|开展|全年))"), _year),
    (re.compile(r"全年(?=全省|举办)"), _this_year),
]


def find_periods(text: str, year: int) -> list[tuple[int, int, Period]]:
    """Return (start, end, period) for every time expression in `text`, in order, non-overlapping."""
    found: list[tuple[int, int, Period]] = []
    for pattern, make in _PATTERNS:
        for m in pattern.finditer(text):
            s, e = m.span()
            while s < e and text[s].isspace():
                s += 1
            if any(s < fe and fs < e for fs, fe, _ in found):
                continue
            period = make(m, year)  # type: ignore[operator]
            period.text = text[s:e]
            found.append((s, e, period))
    return sorted(found, key=lambda t: t[0])
