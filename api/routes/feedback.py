"""POST /api/feedback: a citizen's verdict on one answer, kept beside the turn it judges."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import StoreDep
from api.errors import error_responses
from api.wire import Text

__all__ = ["router", "FeedbackRequest", "FeedbackResponse"]

router = APIRouter(prefix="/api", tags=["chat"])

MAX_COMMENT_CHARS = 1000


class FeedbackRequest(BaseModel):
    answer_id: str = Field(min_length=1, max_length=64, description="/api/chat 返回的 answer_id")
    helpful: bool
    comment: Text | None = Field(None, max_length=MAX_COMMENT_CHARS, description="意见（可选，最多 1000 字）")


class FeedbackResponse(BaseModel):
    ok: Literal[True] = True
    feedback_id: str


@router.post("/feedback", response_model=FeedbackResponse, responses=error_responses(404))
def feedback(body: FeedbackRequest, store: StoreDep) -> FeedbackResponse:
    """对一条回答提交“有帮助/没帮助”及意见；意见中的身份证号、手机号在保存前隐藏。"""
    feedback_id = store.add_feedback(body.answer_id, body.helpful, body.comment)
    return FeedbackResponse(feedback_id=feedback_id)
