"""POST /api/feedback: a citizen's verdict on one answer, kept beside the turn it judges; and, for staff,
GET /api/feedback (what citizens judged, with question, answer and citations) and GET /api/feedback.csv.

The staff view reads `ConversationStore.judged_turns()` (every feedback row with its turn), the same
on SQLite and PostgreSQL, and groups and filters it here.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import STAFF, SettingsDep, StoreDep
from api.errors import error_responses
from api.storage import ConversationStore
from api.wire import Text

__all__ = ["router", "FeedbackRequest", "FeedbackResponse", "FeedbackItem", "FeedbackList", "list_feedback"]

router = APIRouter(prefix="/api", tags=["chat"])

MAX_COMMENT_CHARS = 1000
#: rows one listing returns at most; the CSV export takes up to MAX_EXPORT_ROWS
DEFAULT_LIMIT = 200
MAX_EXPORT_ROWS = 10_000
# A cell starting with one of these is a formula to Excel and WPS: CSV exports prefix it with '
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class FeedbackRequest(BaseModel):
    answer_id: str = Field(min_length=1, max_length=64, description="/api/chat 返回的 answer_id")
    helpful: bool
    comment: Text | None = Field(None, max_length=MAX_COMMENT_CHARS, description="意见（可选，最多 1000 字）")


class FeedbackResponse(BaseModel):
    ok: Literal[True] = True
    feedback_id: str


class FeedbackCitation(BaseModel):
    n: int
    doc_id: str
    document: str = ""
    clause_id: str
    label: str
    quote: str = ""


class FeedbackItem(BaseModel):
    """One judged answer: the latest verdict on it, every comment, and the turn it judges."""

    answer_id: str
    created_at: datetime = Field(description="when the latest feedback on this answer arrived")
    helpful: bool
    comments: list[str] = Field(default_factory=list)
    question: str
    answer: str
    summary: str = ""
    status: str
    intent: str
    index_version: str
    citations: list[FeedbackCitation] = Field(default_factory=list)


class FeedbackList(BaseModel):
    items: list[FeedbackItem]
    total: int = Field(description="items matching the filters (the list may be cut at `limit`)")


@router.post("/feedback", response_model=FeedbackResponse, responses=error_responses(404))
def feedback(body: FeedbackRequest, store: StoreDep) -> FeedbackResponse:
    """对一条回答提交“有帮助/没帮助”及意见；意见中的身份证号、手机号在保存前隐藏。"""
    feedback_id = store.add_feedback(body.answer_id, body.helpful, body.comment)
    return FeedbackResponse(feedback_id=feedback_id)


Verdict = Literal["unhelpful", "helpful", "all"]


def list_feedback(store: ConversationStore, *, verdict: Verdict = "unhelpful", q: str = "", doc_id: str = "",
                  since: date | None = None, until: date | None = None) -> list[FeedbackItem]:
    """Judged answers, newest first, one item per answer (a rating and its later comment are one item)."""
    items: dict[str, FeedbackItem] = {}
    for row in store.judged_turns():
        item = items.get(row.answer_id)
        if item is None:
            answer = row.answer
            item = items[row.answer_id] = FeedbackItem(
                answer_id=row.answer_id, created_at=row.created_at, helpful=row.helpful,
                question=row.question, answer=str(answer.get("answer", "")), summary=str(answer.get("summary", "")),
                status=row.status, intent=row.intent, index_version=row.index_version,
                citations=[FeedbackCitation.model_validate(c) for c in answer.get("citations", [])
                           if isinstance(c, dict) and {"n", "doc_id", "clause_id", "label"} <= c.keys()],
            )
        item.created_at = row.created_at
        item.helpful = row.helpful  # the latest verdict counts
        if row.comment:
            item.comments.append(row.comment)
    found = [i for i in items.values() if _matches(i, verdict, q, doc_id, since, until)]
    return sorted(found, key=lambda i: i.created_at, reverse=True)


def _matches(item: FeedbackItem, verdict: Verdict, q: str, doc_id: str, since: date | None, until: date | None) -> bool:
    if verdict != "all" and item.helpful != (verdict == "helpful"):
        return False
    if doc_id and all(c.doc_id != doc_id for c in item.citations):
        return False
    day = item.created_at.date()
    if (since and day < since) or (until and day > until):
        return False
    if q:
        text = "\n".join([item.question, item.answer, *item.comments, *(c.label + c.document for c in item.citations)])
        return q.casefold() in text.casefold()
    return True


VerdictQuery = Annotated[Verdict, Query(description="unhelpful（默认，没帮助）、helpful 或 all")]
TextQuery = Annotated[Text, Query(max_length=200, description="问题、回答、意见或引用中包含的文字")]
DocQuery = Annotated[Text, Query(max_length=200, description="只看引用了该文件的回答")]
DateQuery = Annotated[date | None, Query(description="反馈日期（含），YYYY-MM-DD")]


@router.get("/feedback", response_model=FeedbackList, tags=["staff"], dependencies=STAFF,
            responses=error_responses(401))
def feedback_list(store: StoreDep, verdict: VerdictQuery = "unhelpful", q: TextQuery = "", doc_id: DocQuery = "",
                  since: DateQuery = None, until: DateQuery = None,
                  limit: Annotated[int, Query(ge=1, le=1000)] = DEFAULT_LIMIT) -> FeedbackList:
    """市民评价过的回答（默认只看“没帮助”）：问题、回答、引用和意见，最新的在前。"""
    found = list_feedback(store, verdict=verdict, q=q, doc_id=doc_id, since=since, until=until)
    return FeedbackList(items=found[:limit], total=len(found))


CSV_COLUMNS = ("反馈时间", "评价", "问题", "结论", "回答", "引用", "意见", "状态", "意图", "索引版本", "answer_id")


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def feedback_csv(items: list[FeedbackItem]) -> str:
    """The items as CSV (UTF-8 with BOM, so Excel and WPS open the Chinese text correctly)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for i in items:
        cites = "；".join(f"[{c.n}] {c.document} {c.label}".replace("  ", " ") for c in i.citations)
        writer.writerow([_cell(v) for v in (
            i.created_at.astimezone().strftime("%Y-%m-%d %H:%M"), "有帮助" if i.helpful else "没帮助", i.question,
            i.summary, i.answer, cites, "\n".join(i.comments), i.status, i.intent, i.index_version, i.answer_id)])
    return "\ufeff" + out.getvalue()


@router.get("/feedback.csv", tags=["staff"], dependencies=STAFF, response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "CSV"}, **error_responses(401)})
def feedback_export(store: StoreDep, settings: SettingsDep, verdict: VerdictQuery = "unhelpful", q: TextQuery = "",
                    doc_id: DocQuery = "", since: DateQuery = None, until: DateQuery = None) -> Response:
    """与 GET /api/feedback 相同的筛选，导出为 CSV（可用 Excel / WPS 打开）。"""
    found = list_feedback(store, verdict=verdict, q=q, doc_id=doc_id, since=since, until=until)
    name = f"feedback-{settings.today():%Y%m%d}.csv"
    return Response(feedback_csv(found[:MAX_EXPORT_ROWS]), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
