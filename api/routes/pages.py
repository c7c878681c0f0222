"""The faces' files: the demo host page (/), the embed script (/widget.js), the staff console
(/console) and /static/*; plus GET /api/suggestions, the widget's starter questions.

Pages are not API operations and stay out of the OpenAPI schema; their security headers (CSP,
nosniff) come from `guards.RequestContext`.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from pydantic import BaseModel

from api.errors import error_responses

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
