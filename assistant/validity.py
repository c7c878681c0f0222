"""Is a clause's measure still in force on a date? Compare the periods the document states."""

from __future__ import annotations

from datetime import date

from assistant.contract import Validity
from index.types import Clause, Period

__all__ = ["clause_validity", "format_date", "HOTLINE"]

HOTLINE = "12333"


def format_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _ending(periods: list[Period]) -> list[Period]:
    return [p for p in periods if p.end_date and p.kind != "recurring"]


def clause_validity(clause: Clause, as_of: date, spans: list[tuple[int, int]] | None = None) -> Validity:
    """Lapsed when every dated period ended before `as_of`; None when the text states none.

    With `spans` (the sentences an answer quotes) only the periods inside them count: item 23's
    "2022 年开发见习岗位" dates the internship target, not the certificate subsidy beside it.
    """
    periods = clause.periods
    if spans is not None:
        periods = [p for p in periods if any(s <= p.start and p.end <= e for s, e in spans)]
    ending = _ending(periods)
    if not ending:
        return Validity(
            period=None,
            as_of=as_of,
            lapsed=None,
            note=f"文件未写明该项措施的期限；这是一份往年印发的工作方案，现行规定请拨打{HOTLINE}咨询。",
        )
    period = "；".join(p.text for p in ending)
    last = max(p.end_date for p in ending if p.end_date)
    lapsed = last < as_of
    note = (
        f"按文件规定，该措施已于{format_date(last)}到期，截至{format_date(as_of)}已失效；现行政策请拨打{HOTLINE}咨询。"
        if lapsed
        else f"截至{format_date(as_of)}，该措施仍在文件规定的期限内（至{format_date(last)}）。"
    )
    return Validity(period=period, as_of=as_of, lapsed=lapsed, ends=last, note=note)
