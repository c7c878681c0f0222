"""The documents for staff: GET /api/documents (every document with its metadata, structure and coverage),
GET /api/documents/{doc_id}/clauses/{clause_id} (the clause tree), and the upload of a new document that
builds a new index version in the background (see `api.uploads`):

    POST /api/documents/uploads                      {filename, size} → {upload_id, part_bytes}
    PUT  /api/documents/uploads/{upload_id}/parts/{n}  the file's n-th slice (raw bytes, ≤ part_bytes)
    POST /api/documents/uploads/{upload_id}/commit     → a build job
    GET  /api/documents/jobs/{job_id}                  its stage, progress, and why it was refused

Parts keep every request under the service's body limit (`max_body_bytes`), so uploads need no
exception from the guards.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from api.deps import STAFF, AssistantDep, SettingsDep
from api.errors import NotFound, error_responses
from api.routes.uploads import BuildJob, UploadStart, UploadTicket, uploads_of
from assistant.contract import Validity
from assistant.validity import clause_validity
from index.parse import describe_document
from index.store import IndexVersion
from index.types import Clause, DocumentMeta

__all__ = ["router", "clause_view"]

router = APIRouter(prefix="/api", tags=["staff"], dependencies=STAFF)


class DocumentOut(DocumentMeta):
    """A document's metadata as the corpus states it, with how it parsed: structure, counts, coverage."""

    clause_count: int
    structure: str = Field("", description="the numbering grammar its body follows, e.g. 法条体（章/条/款/项）")
    counts: list[str] = Field(default_factory=list, description="clauses by kind, e.g. 8章、51条")
    coverage: float = Field(1.0, description="share of the text's characters inside a clause or metadata line")
    warnings: list[str] = Field(default_factory=list)


class DocumentList(BaseModel):
    documents: list[DocumentOut]
    index_version: str = ""


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
    out = []
    for doc in version.docs.values():
        report = _report(version.version, doc)
        out.append(DocumentOut(**doc.meta.model_dump(), clause_count=len(doc.clauses), structure=report["structure"],
                               counts=report["counts"], coverage=report["coverage"], warnings=report["warnings"]))
    return DocumentList(documents=out, index_version=version.version)


_reports: dict[tuple[str, str], dict] = {}


def _report(version: str, doc) -> dict:
    """describe_document walks every character (coverage): once per document and index version."""
    key = (version, doc.meta.doc_id)
    if key not in _reports:
        if len(_reports) > 256:
            _reports.clear()
        _reports[key] = describe_document(doc)
    return _reports[key]


@router.post("/documents/uploads", response_model=UploadTicket, status_code=201, responses=error_responses(401, 422))
def start_upload(body: UploadStart, request: Request, settings: SettingsDep) -> UploadTicket:
    """开始上传一份新文件（.txt .md .docx .pdf .html）：返回 upload_id 与每片字节数；文件名即文件编号。"""
    return uploads_of(request.app, settings).start(body)


@router.put("/documents/uploads/{upload_id}/parts/{n}", status_code=204, responses=error_responses(401, 404, 422),
            openapi_extra={"requestBody": {"required": True, "content": {"application/octet-stream": {
                "schema": {"type": "string", "format": "binary"}}}}})
async def upload_part(upload_id: Annotated[str, Path(max_length=64)], n: Annotated[int, Path(ge=0, le=100_000)],
                      request: Request, settings: SettingsDep) -> None:
    """上传文件的第 n 片（从 0 起，原始字节）。"""
    data = await request.body()
    uploads_of(request.app, settings).put_part(upload_id, n, data)


@router.post("/documents/uploads/{upload_id}/commit", response_model=BuildJob, status_code=202,
             responses=error_responses(401, 404, 422))
def commit_upload(upload_id: Annotated[str, Path(max_length=64)], request: Request, assistant: AssistantDep,
                  settings: SettingsDep) -> BuildJob:
    """全部分片已上传：在后台检查文件并建立新的索引版本，建成后切换；返回任务，可查询进度。"""
    return uploads_of(request.app, settings).commit(upload_id, assistant)


@router.get("/documents/jobs/{job_id}", response_model=BuildJob, responses=error_responses(401, 404))
def build_job(job_id: Annotated[str, Path(max_length=64)], request: Request, settings: SettingsDep) -> BuildJob:
    """上传后建索引任务的阶段与进度；被拒绝或失败时 message 说明原因，原索引继续服务。"""
    return uploads_of(request.app, settings).job(job_id)


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
