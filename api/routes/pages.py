"""The faces' files: the demo host page (/), the embed script (/widget.js), the staff console
(/console) and /static/*; GET /api/suggestions, the widget's starter questions; and
GET /clause/{doc_id}/{clause_path}, the public read-only page of one clause in its document that
the widget's footnotes link to (the quoted span highlighted; every document string HTML-escaped).

Pages are not API operations and stay out of the OpenAPI schema; their security headers (CSP,
nosniff) come from `guards.RequestContext`.
"""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import BaseModel

from api.deps import AssistantDep, SettingsDep
from api.errors import error_responses
from assistant.documents import document_name
from assistant.validity import clause_validity
from index.parse import repair_span
from index.store import IndexVersion
from index.types import Clause, ParsedDocument

__all__ = ["router", "STATIC_DIR", "STARTER_QUESTIONS"]

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

# Shown on an empty chat panel: one question per kind of answer the assistant gives
# (eligibility, amount, validity, department, deadline).
STARTER_QUESTIONS = (
    "我开饭店，有什么补贴？",
    "招用应届高校毕业生，企业能领多少扩岗补助？",
    "一次性留工培训补助的标准是多少？",
    "灵活就业人员参保还有户籍限制吗？",
    "稳岗返还政策归哪个处室负责？",
    "企业缓缴社会保险费的政策到什么时候？",
)

router = APIRouter()

_HTML = "text/html; charset=utf-8"
_JS = "text/javascript; charset=utf-8"
# Short: a fixed widget reaches embedding sites within minutes, and revalidation is cheap.
_ASSET_CACHE = {"Cache-Control": "public, max-age=300"}


class Suggestions(BaseModel):
    questions: list[str]


@router.get("/api/suggestions", response_model=Suggestions, tags=["chat"], responses=error_responses())
def suggestions() -> Suggestions:
    """问答组件空白时展示的示例问题。"""
    return Suggestions(questions=list(STARTER_QUESTIONS))


@router.get("/", include_in_schema=False)
def demo_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", media_type=_HTML, headers={"Cache-Control": "no-cache"})


@router.get("/console", include_in_schema=False)
def console_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "console.html", media_type=_HTML, headers={"Cache-Control": "no-cache"})


@router.get("/widget.js", include_in_schema=False)
def widget_script() -> FileResponse:
    return FileResponse(STATIC_DIR / "widget.js", media_type=_JS, headers=_ASSET_CACHE)


# console.html names its script and style relatively, so they resolve beside /console.
@router.get("/console.js", include_in_schema=False)
def console_script() -> FileResponse:
    return FileResponse(STATIC_DIR / "console.js", media_type=_JS, headers=_ASSET_CACHE)


@router.get("/console.css", include_in_schema=False)
def console_style() -> FileResponse:
    return FileResponse(STATIC_DIR / "console.css", media_type="text/css; charset=utf-8", headers=_ASSET_CACHE)


_CLAUSE_PAGE_RESPONSES = {
    200: {"content": {"text/html": {}}, "description": "条文页面（HTML）"},
    404: {"content": {"text/html": {}}, "description": "没有该文件或条文（HTML 页面）"},
}


# no response_class: the errors the guards and validation answer (422, 429 …) stay documented as JSON
@router.get("/clause/{doc_id}/{clause_path}", tags=["pages"], responses={**_CLAUSE_PAGE_RESPONSES, **error_responses(422)})
def clause_page(
    doc_id: str,
    clause_path: str,
    assistant: AssistantDep,
    settings: SettingsDep,
    s: Annotated[int | None, Query(ge=0, description="start of the quoted span (character offset)")] = None,
    e: Annotated[int | None, Query(ge=0, description="end of the quoted span")] = None,
) -> HTMLResponse:
    """一个条文在其文件中的只读页面（公开，问答组件的脚注链接到这里）；s、e 为引用原文的字符区间，页面中标黄。"""
    version, _ = assistant.handle.current()
    status, html = render_clause_page(version, doc_id, clause_path, s, e, settings.today())
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-cache"})


# --------------------------------------------------------------------------- the clause page

#: clause kinds whose text is a table row: shown as stored, not with page-break repair
_ROW_KINDS = ("roster_entry", "ledger_row")
#: how much text around a span that lies in no clause (a metadata line) the page shows
_CONTEXT_CHARS = 200

_PAGE_STYLE = """
:root { color-scheme: light dark; --ink: #1f2933; --muted: #52606d; --bg: #f4f6f9; --card: #fff; --line: #d9e0e8;
  --blue: #1d4f91; --mark: #ffe58a; --warn-bg: #fff4e0; --warn-ink: #7a4500; --ok-bg: #e8f6ee; --ok-ink: #16643a; }
@media (prefers-color-scheme: dark) {
  :root { --ink: #e4e8ee; --muted: #a7b1bd; --bg: #14181d; --card: #1d232a; --line: #36404b; --blue: #8ab4f0;
    --mark: #6b5a12; --warn-bg: #3d2e12; --warn-ink: #f5cf8e; --ok-bg: #16352a; --ok-ink: #9fe0bd; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); line-height: 1.7; font-size: 17px;
  font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif; }
main { max-width: 760px; margin: 0 auto; padding: 16px; }
header p { margin: 0; }
.doc { font-size: 14px; color: var(--muted); }
h1 { font-size: 20px; margin: 4px 0 8px; line-height: 1.45; }
.crumbs { font-size: 14px; color: var(--muted); margin: 0 0 4px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; }
mark { background: var(--mark); color: inherit; padding: 1px 0; border-radius: 2px; }
.badge { display: inline-block; font-size: 13px; font-weight: 600; padding: 0 10px; border-radius: 12px; margin: 0 0 8px; }
.badge.lapsed { background: var(--warn-bg); color: var(--warn-ink); }
.badge.valid { background: var(--ok-bg); color: var(--ok-ink); }
.badge.unknown { background: var(--line); color: var(--muted); }
.note { font-size: 14px; color: var(--muted); margin: 8px 0 0; }
dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 2px 12px; font-size: 14px; margin: 12px 0 0; }
dt { color: var(--muted); } dd { margin: 0; overflow-wrap: anywhere; }
nav { display: flex; gap: 12px; flex-wrap: wrap; margin: 14px 0 0; font-size: 15px; }
nav a { color: var(--blue); display: inline-flex; align-items: center; min-height: 44px; }
footer { font-size: 13px; color: var(--muted); margin: 16px 0 0; }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">'
        f"<title>{_e(title)}</title><style>{_PAGE_STYLE}</style></head><body><main>{body}</main></body></html>\n"
    )


def _marked(doc: ParsedDocument, start: int, end: int, s: int | None, e: int | None, *, row: bool) -> str:
    """The source text of [start, end) escaped, with the part inside [s, e) in <mark>."""

    def text(a: int, b: int) -> str:
        return _e(doc.raw[a:b] if row else repair_span(doc.raw, a, b)) if a < b else ""

    if s is None or e is None or e <= start or s >= end or s >= e:
        return text(start, end)
    a, b = max(s, start), min(e, end)
    return f"{text(start, a)}<mark id=\"quote\">{text(a, b)}</mark>{text(b, end)}"


def _find(version: IndexVersion, doc: ParsedDocument, clause_path: str) -> Clause | None:
    """The clause of a path, or the article holding a part path (a17.k1 → a17)."""
    found = version.clause(f"{doc.meta.doc_id}#{clause_path}")
    if found is not None:
        return found
    return next((c for c in doc.clauses.values() if any(p.path == clause_path for p in c.parts)), None)


def _link(doc_id: str, c: Clause | None, text: str) -> str:
    if c is None:
        return ""
    return f'<a href="/clause/{_e(doc_id)}/{_e(c.path)}">{_e(text)}{_e(c.label)}</a>'


def render_clause_page(version: IndexVersion, doc_id: str, clause_path: str, s: int | None, e: int | None,
                       as_of: date) -> tuple[int, str]:
    """(status, HTML) of the clause page; 404 with a readable page for an unknown document or clause."""
    doc = version.docs.get(doc_id)
    clause = _find(version, doc, clause_path) if doc is not None else None
    if doc is None or (clause is None and (s is None or e is None or e > len(doc.raw) or s >= e)):
        what = "文件" if doc is None else "条文"
        return 404, _page("未找到", f"<h1>未找到该{what}</h1><p>链接可能已过期：文件库更新后条文编号会变化。"
                                  "请回到问答窗口重新提问。</p>")
    meta = doc.meta
    name = document_name(meta)
    facts = [("文件", f"《{meta.title}》"), ("文号", meta.doc_number), ("发文机关", meta.issuer),
             ("发布日期", meta.issue_date.isoformat() if meta.issue_date else "")]
    if clause is None:
        # a span outside every clause (the 文号 or date line a document question cites)
        a, b = max(0, s - _CONTEXT_CHARS), min(len(doc.raw), e + _CONTEXT_CHARS)
        body = (f'<header><p class="doc">{_e(name)}</p><h1>《{_e(meta.title)}》</h1></header>'
                f'<section class="card"><p class="text">{_marked(doc, a, b, s, e, row=False)}</p></section>')
    else:
        v = clause_validity(clause, as_of, meta=meta)
        badge = ('<span class="badge lapsed">已过期</span>' if v.lapsed is True else
                 '<span class="badge valid">在有效期内</span>' if v.lapsed is False else
                 '<span class="badge unknown">未注明期限</span>')
        crumbs = " › ".join(_e(t) for t in (clause.section_title, clause.item_title) if t and t != clause.title)
        doc_clauses = list(doc.clauses.values())
        same_kind = [c for c in doc_clauses if c.kind == clause.kind]
        i = same_kind.index(clause)
        prev = same_kind[i - 1] if i > 0 else None
        nxt = same_kind[i + 1] if i + 1 < len(same_kind) else None
        parent = version.clause(clause.parent_id) if clause.parent_id else None
        facts += [("责任领导", "、".join(clause.leaders)), ("处室（单位）", "、".join(clause.units))]
        body = (
            f'<header><p class="doc">{_e(name)}</p>'
            + (f'<p class="crumbs">{crumbs}</p>' if crumbs else "")
            + f'<h1>{_e(clause.label)}{(" " + _e(clause.title)) if clause.title else ""}</h1></header>'
            f'<section class="card">{badge}'
            f'<p class="text">{_marked(doc, clause.start, clause.end, s, e, row=clause.kind in _ROW_KINDS)}</p>'
            + (f'<p class="note">{_e(v.note)}</p>' if v.note else "")
            + "</section>"
            + '<nav aria-label="条文导航">'
            + _link(doc_id, prev, "← 上一条：") + _link(doc_id, parent, "↑ 上级：") + _link(doc_id, nxt, "下一条 → ")
            + "</nav>"
        )
    body += "<dl>" + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts if v) + "</dl>"
    body += f"<footer>以上为政策文件原文（只读，索引版本 {_e(version.version)}）；标黄部分为回答所引用的文字。</footer>"
    title = f"{clause.label if clause else '原文'} · {name}"
    return 200, _page(title, body)
