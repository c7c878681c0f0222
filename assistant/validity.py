"""Is a clause's measure still in force on a date? Compare the periods the document states.

How a document without a period is spoken of comes from its metadata: a rule of law
(`validity_rule: in_force`) is in force from its effective date; a plan's measure without a period
is undated. The hotline an answer points to is the document's own (`DocumentMeta.hotline`).
"""

from __future__ import annotations

from datetime import date

from assistant.contract import Validity
from index.types import Clause, DocumentMeta, Period

__all__ = ["clause_validity", "document_validity", "format_date", "HOTLINE", "hotline_of"]

#: the service line when a document's metadata names none (the corpus default is data: doc_kinds.yaml)
HOTLINE = "12333"


def hotline_of(meta: DocumentMeta | None) -> str:
    return (meta.hotline if meta is not None and meta.hotline else HOTLINE)


def format_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _ending(periods: list[Period]) -> list[Period]:
    return [p for p in periods if p.end_date and p.kind != "recurring"]


def _doc_name(meta: DocumentMeta) -> str:
    return f"《{meta.title}》" if meta.title and not meta.title.startswith("《") else meta.title


def _undated(meta: DocumentMeta | None, as_of: date) -> Validity:
    """No period in the clause: a rule of law is in force once its effective date has come; a plan's measure
    is undated. The notes state no date of their own (the dates live in the document's metadata)."""
    hotline = hotline_of(meta)
    if meta is not None and meta.validity_rule == "in_force":
        since = meta.effective_date or meta.issue_date
        if since and since > as_of:
            return Validity(period=None, as_of=as_of, lapsed=None, note=f"{_doc_name(meta)}尚未施行。")
        return Validity(
            period=None, as_of=as_of, lapsed=False,
            note=f"{_doc_name(meta)}现行有效（现有文件中未见其废止或被取代），该条款没有单独的期限；"
                 f"如需确认最新修订，请拨打{hotline}咨询。",
        )
    return Validity(period=None, as_of=as_of, lapsed=None,
                    note=f"文件未写明该项措施的期限；现行规定请拨打{hotline}咨询。")


def document_validity(meta: DocumentMeta, as_of: date) -> Validity:
    """Whether a document as a whole is in force: rules of law from their effective date; plans undated."""
    return _undated(meta, as_of)


def clause_validity(clause: Clause, as_of: date, spans: list[tuple[int, int]] | None = None,
                    meta: DocumentMeta | None = None) -> Validity:
    """Lapsed when every dated period ended before `as_of`; undated per the document's kind otherwise.

    With `spans` (the sentences an answer quotes) only the periods inside them count: item 23's
    "2022 年开发见习岗位" dates the internship target, not the certificate subsidy beside it.
    """
    periods = clause.periods
    if spans is not None:
        periods = [p for p in periods if any(s <= p.start and p.end <= e for s, e in spans)]
    ending = _ending(periods)
    if not ending:
        return _undated(meta, as_of)
    period = "；".join(p.text for p in ending)
    last = max(p.end_date for p in ending if p.end_date)
    lapsed = last < as_of
    note = (
        f"按文件规定，该措施已于{format_date(last)}到期，截至{format_date(as_of)}已失效；现行政策请拨打{hotline_of(meta)}咨询。"
        if lapsed
        else f"截至{format_date(as_of)}，该措施仍在文件规定的期限内（至{format_date(last)}）。"
    )
    return Validity(period=period, as_of=as_of, lapsed=lapsed, ends=last, note=note)
