"""GET /api/search: the staff console's clause search (hybrid retrieval with filters and highlights)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.conversation import check_question
from api.deps import STAFF, AssistantDep, SettingsDep
from api.errors import error_responses
from api.wire import Text
from assistant.contract import SearchResult
from assistant.retrieve import SearchFilters

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["staff"], dependencies=STAFF)

FilterText = Annotated[Text | None, Query(max_length=200)]


@router.get("/search", response_model=SearchResult, responses=error_responses(401))
def search(
    assistant: AssistantDep,
    settings: SettingsDep,
    q: Annotated[Text, Query(min_length=1, description="检索词", examples=["留工培训 补助"])],
    k: Annotated[int, Query(ge=1, le=50, description="返回条数")] = 10,
    doc_id: FilterText = None,
    unit: FilterText = None,
    leader: FilterText = None,
    section: FilterText = None,
) -> SearchResult:
    """按关键词检索条文，可按文件、处室、责任领导、章节筛选；highlights 为 quote 内的字符区间。"""
    check_question(q, settings, field="q")
    filters = SearchFilters(doc_id=doc_id or None, unit=unit or None, leader=leader or None, section=section or None)
    return assistant.search(q, k=k, filters=filters)
