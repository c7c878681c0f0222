"""The JSON contract every face speaks: `Answer` with its `Citation`, `Calculation` and `Validity`.

CLI (`policy-qa ask --json`), HTTP (`/api/chat`, `/v1/chat/completions` extras), the widget and
the evaluation harness all read and write exactly this model. Additions are backwards compatible;
a change that removes or renames a field bumps `CONTRACT_VERSION`'s major number.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

import re

from pydantic import BaseModel, Field, PlainSerializer, model_validator

__all__ = [
    "CONTRACT_VERSION",
    "Status",
    "Intent",
    "Money",
    "Citation",
    "Calculation",
    "Validity",
    "Answer",
    "MeasureLine",
    "conclusion_of",
    "SearchHit",
    "SearchResult",
]

CONTRACT_VERSION = "1.3"  # 1.1: Citation.document (文号 or 《title》); 1.2: Answer.summary, Answer.measures;
# 1.3: Calculation.amount_max

Status = Literal["answered", "clarify", "no_answer", "invalid"]
Intent = Literal["amount", "eligibility", "deadline", "department", "fact", "out_of_scope", "invalid"]


def _money_json(value: Decimal | None) -> int | float | None:
    """Amounts are exact Decimals inside; JSON gets an integer when the amount is whole."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


Money = Annotated[Decimal, PlainSerializer(_money_json, return_type=Any, when_used="json")]


class Citation(BaseModel):
    """A verbatim quote of a clause, numbered as the answer's [n] markers."""

    n: int
    doc_id: str
    document: str = Field("", description="the document as people cite it: its 文号, or 《title》 for a law or regulation")
    clause_id: str
    label: str
    title: str
    quote: str = Field(description="verbatim source text (page-break line breaks joined)")
    start: int = Field(description="character offset of the quote in the source file")
    end: int


class Calculation(BaseModel):
    rule_id: str
    inputs: dict[str, Any] = Field(default_factory=dict)
    formula: str = Field(description="Chinese formula, e.g. 25人 × 500元/人 = 12,500元")
    amount: Money | None = None
    amount_max: Money | None = Field(None, description="the upper end when the document states a range (1倍以上3倍以下)")
    unit: str = "元"
    is_cap: bool = Field(False, description="True when the amount is a maximum (最高)")
    conditions: list[str] = Field(default_factory=list, description="what the asker must still meet")
    exclusions: list[str] = Field(default_factory=list, description="benefits that cannot be claimed together")
    note: str = ""


class Validity(BaseModel):
    period: str | None = Field(None, description="the period as the document states it")
    as_of: date
    lapsed: bool | None = Field(None, description="None when the document states no period")
    ends: date | None = Field(None, description="the last day of the period, as the document's words resolve")
    note: str = ""


class MeasureLine(BaseModel):
    """One measure of a list answer ("我开饭店，有什么补贴"), with its own verdict, amount and validity."""

    title: str
    status: Literal["applies", "check", "no"] = "check"
    amount: Money | None = None
    formula: str = ""
    validity: Validity | None = None
    citations: list[int] = Field(default_factory=list, description="the [n] of the answer's citations this line rests on")
    note: str = ""


class Answer(BaseModel):
    version: str = CONTRACT_VERSION
    question: str
    status: Status
    intent: Intent
    summary: str = Field("", description="the conclusion alone, without quotes or markers: the first sentence of `answer` "
                         "(a verdict, an amount with its formula, a date, a unit or a fact); faces show it first")
    answer: str = Field(description="Chinese answer text with [1] [2] citation markers; starts with the conclusion")
    citations: list[Citation] = Field(default_factory=list)
    calculation: Calculation | None = None
    validity: Validity | None = None
    timing_ms: float = 0.0
    retrieved: list[str] = Field(default_factory=list, description="ranked clause ids the retriever returned")
    slots: dict[str, Any] = Field(default_factory=dict, description="what the question was understood to say")
    missing: list[str] = Field(default_factory=list, description="slots to ask for when status is clarify")
    measures: list[MeasureLine] = Field(default_factory=list, description="for a list of measures: one line each, "
                                          "with its own amount and validity")
    index_version: str = ""
    session_id: str | None = None

    @model_validator(mode="after")
    def _summary_from_answer(self) -> "Answer":
        if not self.summary and self.answer:
            self.summary = conclusion_of(self.answer)
        return self


_MARKER = re.compile(r"\[\d+\]")
_FIRST_SENTENCE = re.compile(r"^.*?(?:[。！？!?](?![”’）)])|\n|$)", re.S)


def conclusion_of(text: str, limit: int = 200) -> str:
    """The first line of an answer text (its conclusion: the verdict with its deciding fact, the amount
    with its formula, the date), without [n] markers; a long first line is cut after a sentence."""
    line = _MARKER.sub("", text.strip().split("\n", 1)[0]).strip()
    if len(line) <= limit:
        return line
    first = _FIRST_SENTENCE.match(line)
    return (first.group(0) if first else line)[:limit].strip()


class SearchHit(Citation):
    score: float
    section_title: str = ""
    leaders: list[str] = Field(default_factory=list)
    units: list[str] = Field(default_factory=list)
    matched_terms: list[str] = Field(default_factory=list)
    highlights: list[tuple[int, int]] = Field(default_factory=list, description="[start, end) ranges inside quote")


class SearchResult(BaseModel):
    query: str
    results: list[SearchHit]
