"""The data types of the index side: documents, clauses, periods and chunks.

Defined once here; `assistant/`, `api/` and `evals/` import them and never redefine them.
Offsets (`start`, `end`) are character offsets into the document's original text as decoded
from UTF-8, so `raw[start:end]` is always the source span a clause or quote came from.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

__all__ = [
    "ClauseKind",
    "Period",
    "Clause",
    "ClausePart",
    "MetaLine",
    "DocumentMeta",
    "ParsedDocument",
    "Chunk",
]

ClauseKind = Literal[
    "section",
    "item",
    "subitem",
    "preamble",
    "notice",
    "attachment",
    "roster_entry",
    "ledger_row",
    "paragraph",
    "book",
    "chapter",
    "division",
    "article",
    "closing",
]

#: clause kinds that carry body text and become chunks when they have no children
LEAF_KINDS = {"item", "subitem", "preamble", "notice", "roster_entry", "ledger_row", "paragraph", "article", "closing",
              "section"}


class Period(BaseModel):
    """A time expression the document states, resolved to dates."""

    text: str  # the phrase as written in the source, e.g. "到 2022 年年底"
    kind: Literal["range", "until", "deadline", "year", "recurring"]
    start_date: date | None = None
    end_date: date | None = None
    start: int = 0
    end: int = 0

    def describe(self) -> str:
        if self.kind == "recurring":
            return f"{self.text}（按期重复）"
        if self.start_date and self.end_date:
            return f"{self.start_date:%Y年%-m月%-d日}至{self.end_date:%Y年%-m月%-d日}"
        if self.end_date:
            return f"至{self.end_date:%Y年%-m月%-d日}"
        return self.text


class ClausePart(BaseModel):
    """A paragraph (款) or item (项) inside an article: cited by its own label, retrieved with its article."""

    path: str  # "a14.3" (第十四条第（三）项), "a2.k2" (第二条第二款)
    kind: Literal["paragraph", "item", "subitem"]
    label: str
    start: int
    end: int


class Clause(BaseModel):
    """One node of a document's clause tree (section, item, sub-item, attachment row, …)."""

    doc_id: str
    clause_id: str  # "<doc-id>#<path>", e.g. "sx-rst-2022-19#2.1"
    path: str  # "2.1", "s1", "att1.3", "p4"
    kind: ClauseKind
    label: str  # human label, e.g. "第2条第(1)项"
    title: str = ""  # heading of this node (item title, section title)
    text: str  # repaired text: page-break line breaks joined back, otherwise verbatim
    start: int
    end: int
    parent_id: str | None = None
    children: list[str] = Field(default_factory=list)
    sentences: list[tuple[int, int]] = Field(default_factory=list)  # raw offsets of each sentence
    section_title: str = ""
    item_title: str = ""
    leaders: list[str] = Field(default_factory=list)
    lead_units: list[str] = Field(default_factory=list)
    coop_units: list[str] = Field(default_factory=list)
    periods: list[Period] = Field(default_factory=list)
    # raw span of the 责任领导/处室 lines that apply to this clause (0, 0 when none)
    resp_start: int = 0
    resp_end: int = 0
    extra: dict[str, str | list[str]] = Field(default_factory=dict)
    parts: list[ClausePart] = Field(default_factory=list)  # an article's 款 and 项, in order

    @property
    def is_leaf(self) -> bool:
        return not self.children

    @property
    def units(self) -> list[str]:
        return [*self.lead_units, *(u for u in self.coop_units if u not in self.lead_units)]


class MetaLine(BaseModel):
    """A letterhead, signature or distribution line, kept as metadata with its offsets."""

    field: str  # letterhead | doc_number | signer | notice_title | addressee | issuer | date | disclosure | title | cc | office | attachments_list | other
    text: str
    start: int
    end: int


class DocumentMeta(BaseModel):
    doc_id: str
    title: str
    doc_number: str = ""
    issuer: str = ""
    issue_date: date | None = None
    region: str = ""
    disclosure: str = ""
    notice_title: str = ""
    source_note: str = ""
    path: str = ""  # file name inside corpus/documents
    sha256: str = ""
    kind: str = ""  # 法律, 行政法规, 地方性法规, 规章, 规范性文件 (corpus/doc_kinds.yaml)
    form: str = ""  # what the title calls the text: 条例, 意见, 通知, 工作方案 …
    effective_date: date | None = None  # 自…起施行 / 发布之日起施行
    revisions: list[dict[str, str]] = Field(default_factory=list)  # {"date", "text"} of 修订/修正 lines
    replaces: list[str] = Field(default_factory=list)  # texts this one repeals (…同时废止 / 停止执行)
    city: str = ""
    validity_rule: str = "stated_periods"  # in_force: a rule of law in force from its effective date
    hotline: str = ""  # the service line answers point to (corpus/doc_kinds.yaml default_hotline)
    declared: list[str] = Field(default_factory=list)  # fields the .meta.yaml set (they override inference)

    @property
    def short_name(self) -> str:
        """How answers name the document: its 文号, else its title."""
        return self.doc_number or self.title


class ParsedDocument(BaseModel):
    meta: DocumentMeta
    raw: str
    clauses: dict[str, Clause]  # in document order
    meta_lines: list[MetaLine] = Field(default_factory=list)
    structured: bool = True  # False when the generic paragraph fallback was used
    family: Literal["legal", "gbt", "paragraphs"] = "gbt"  # which numbering grammar the body follows
    covered: list[tuple[int, int]] = Field(default_factory=list)  # markers and headings: structure, not text

    def leaves(self) -> list[Clause]:
        return [c for c in self.clauses.values() if c.is_leaf and c.kind in LEAF_KINDS]

    def quote(self, start: int, end: int) -> str:
        """The source text of a span with page-break line breaks joined back."""
        from index.parse import repair_span

        return repair_span(self.raw, start, end)


class Chunk(BaseModel):
    """The unit that is embedded and BM25-indexed: a clause (or a sentence-aligned part of one)."""

    chunk_id: str  # "<clause_id>" or "<clause_id>~2" for the second part of a split clause
    clause_id: str
    doc_id: str
    header: str  # context: document title › section › item
    text: str  # the clause text of this part
    start: int
    end: int
    metadata: dict[str, str | int | float | bool] = Field(default_factory=dict)

    @property
    def indexed_text(self) -> str:
        return f"{self.header}\n{self.text}"
