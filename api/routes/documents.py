"""GET /api/documents and GET /api/documents/{doc_id}/clauses/{clause_id}: the clause tree for staff."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from api.deps import STAFF, AssistantDep, SettingsDep
from api.errors import NotFound, error_responses
from assistant.contract import Validity
from assistant.validity import clause_validity
from index.store import IndexVersion
from index.types import Clause, DocumentMeta

__all__ = ["router", "clause_view"]

router = APIRouter(prefix="/api", tags=["staff"], dependencies=STAFF)


class DocumentOut(DocumentMeta):
    """A document's metadata as the corpus states it, with how many clauses it parsed into."""

    clause_count: int


class DocumentList(BaseModel):
    documents: list[DocumentOut]


class ClauseRef(BaseModel):
    clause_id: str
    label: str
    title: str = ""


class PeriodOut(BaseModel):
    text: str
    kind: str
    start_date: date | None = None
    end_date: date | None = None


class ClauseDetail(BaseModel):
    clause_id: str
    label: str
    title: str = ""
    kind: str
    text: str
    start: int
    end: int
    section_title: str = ""
    item_title: str = ""
    leaders: list[str] = Field(default_factory=list)
    lead_units: list[str] = Field(default_factory=list)
    coop_units: list[str] = Field(default_factory=list)
    periods: list[PeriodOut] = Field(default_factory=list)
    validity: Validity
    extra: dict[str, str | list[str]] = Field(default_factory=dict)


class ClauseView(BaseModel):
    clause: ClauseDetail
    parent: ClauseRef | None = None
    children: list[ClauseRef] = Field(default_factory=list)
    prev: ClauseRef | None = None
    next: ClauseRef | None = None


@router.get("/documents", response_model=DocumentList, responses=error_responses(401))
def documents(assistant: AssistantDep) -> DocumentList:
    """已收录的政策文件。"""
    version, _ = assistant.handle.current()
    return DocumentList(
        documents=[
            DocumentOut(**doc.meta.model_dump(), clause_count=len(doc.clauses)) for doc in version.docs.values()
        ]
    )


@router.get(
    "/documents/{doc_id}/clauses/{clause_id}", response_model=ClauseView, responses=error_responses(401, 404)
)
def clause(
    doc_id: Annotated[str, Path(examples=["sx-rst-2022-19"])],
    clause_id: Annotated[str, Path(description="路径（如 2.1）或完整 id（sx-rst-2022-19#2.1，需 URL 编码）", examples=["2.1"])],
    assistant: AssistantDep,
    settings: SettingsDep,
    as_of: Annotated[date | None, Query(description="按哪一天判断时效，默认今天")] = None,
) -> ClauseView:
    """一个条文的全文、责任单位、期限与时效，以及上级、下级和前后条文。clause_id 可写路径（如 2.1）或完整 id。"""
    version, _ = assistant.handle.current()
    if doc_id not in version.docs:
        raise NotFound(f"找不到文件“{doc_id}”。", code="unknown_document")
    full_id = clause_id if "#" in clause_id else f"{doc_id}#{clause_id}"
    found = version.clause(full_id) if full_id.startswith(f"{doc_id}#") else None
    if found is None:
        raise NotFound(f"文件“{doc_id}”中没有条文“{clause_id}”。", code="unknown_clause")
    return clause_view(version, found, as_of or settings.today())


def _ref(c: Clause | None) -> ClauseRef | None:
    return None if c is None else ClauseRef(clause_id=c.clause_id, label=c.label, title=c.title)


def _neighbours(version: IndexVersion, c: Clause) -> tuple[Clause | None, Clause | None]:
    """Previous and next clause for reading on: the siblings, and across a parent's edge the nearest
    clause of the same kind in document order (after 第2条第(3)项 comes 第3条第(1)项)."""
    doc = version.document_of(c.clause_id)
    same_kind = [x for x in doc.clauses.values() if x.kind == c.kind]
    i = next(n for n, x in enumerate(same_kind) if x.clause_id == c.clause_id)
    return (same_kind[i - 1] if i > 0 else None), (same_kind[i + 1] if i + 1 < len(same_kind) else None)


def clause_view(version: IndexVersion, c: Clause, as_of: date) -> ClauseView:
    prev, nxt = _neighbours(version, c)
    return ClauseView(
        clause=ClauseDetail(
            **c.model_dump(include={"clause_id", "label", "title", "kind", "text", "start", "end", "section_title",
                                    "item_title", "leaders", "lead_units", "coop_units", "extra"}),
            periods=[PeriodOut(text=p.text, kind=p.kind, start_date=p.start_date, end_date=p.end_date) for p in c.periods],
            validity=clause_validity(c, as_of),
        ),
        parent=_ref(version.clause(c.parent_id)) if c.parent_id else None,
        children=[r for r in (_ref(version.clause(ch)) for ch in c.children) if r is not None],
        prev=_ref(prev),
        next=_ref(nxt),
    )
