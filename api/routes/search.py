"""GET /api/search: the staff console's clause search (hybrid retrieval with filters and highlights), each
hit with its validity; and GET /api/search/facets, every unit, leader and section the filters can take."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.conversation import check_question
from api.deps import STAFF, AssistantDep, SettingsDep
from api.errors import error_responses
from api.wire import Text
from assistant.contract import SearchHit, SearchResult, Validity
from assistant.documents import document_name
from assistant.retrieve import SearchFilters
from assistant.validity import clause_validity

__all__ = ["router", "ConsoleHit", "ConsoleSearchResult", "Facets"]

router = APIRouter(prefix="/api", tags=["staff"], dependencies=STAFF)

FilterText = Annotated[Text | None, Query(max_length=200)]


class ConsoleHit(SearchHit):
    kind: str = Field("", description="clause kind: article, item, ledger_row (附件台账) …")
    validity: Validity | None = None


class ConsoleSearchResult(SearchResult):
    results: list[ConsoleHit]


class Facets(BaseModel):
    units: list[str]
    leaders: list[str]
    sections: list[str]


@router.get("/search", response_model=ConsoleSearchResult, responses=error_responses(401))
def search(
    assistant: AssistantDep,
    settings: SettingsDep,
    q: Annotated[Text, Query(min_length=1, description="检索词", examples=["留工培训 补助"])],
    k: Annotated[int, Query(ge=1, le=50, description="返回条数")] = 10,
    doc_id: FilterText = None,
    unit: FilterText = None,
    leader: FilterText = None,
    section: FilterText = None,
) -> ConsoleSearchResult:
    """按关键词检索条文，可按文件、处室、责任领导、章节筛选；highlights 为 quote 内的字符区间，validity 为时效。"""
    check_question(q, settings, field="q")
    filters = SearchFilters(doc_id=doc_id or None, unit=unit or None, leader=leader or None, section=section or None)
    found = assistant.search(q, k=k, filters=filters)
    version, _ = assistant.handle.current()
    today = settings.today()
    hits = []
    for hit in found.results:
        clause = version.clause(hit.clause_id)
        meta = version.docs[hit.doc_id].meta if hit.doc_id in version.docs else None
        hits.append(ConsoleHit(
            **hit.model_dump(exclude={"document"}),
            document=document_name(meta) if meta else hit.document,
            kind=clause.kind if clause else "",
            validity=clause_validity(clause, today, meta=meta) if clause else None,
        ))
    return ConsoleSearchResult(query=found.query, results=hits)


@router.get("/search/facets", response_model=Facets, responses=error_responses(401))
def facets(assistant: AssistantDep) -> Facets:
    """检索筛选可选的全部处室（单位）、责任领导和章节，来自当前索引版本的全部条文。"""
    version, _ = assistant.handle.current()
    units: set[str] = set()
    leaders: set[str] = set()
    sections: dict[str, None] = {}
    for c in version.clauses.values():
        units.update(u for u in c.units if u)
        leaders.update(x for x in c.leaders if x)
        if c.section_title:
            sections[c.section_title] = None
    return Facets(units=sorted(units), leaders=sorted(leaders), sections=list(sections))
