"""Every HTTP failure as one JSON shape: `{"error": {"code", "message"}, "request_id"}`.

The library raises `PolicyQAError` subclasses with a Chinese `message` and a stable `code`; this
module is the one place that picks their HTTP status (`STATUS_BY_ERROR`), so handlers never catch
and re-raise. Errors of the HTTP face itself live here too:

PolicyQAError (index.errors)
├── NotFound           404  a document or clause that does not exist
├── Unauthorized       401  the staff key is set and the request lacks it
├── Forbidden          403  no staff key is set and the request does not come from this machine
├── NotReady           503  the model and index are still loading (or failed to load)
└── RequestRejected    422  a well-formed request the service will not take (question too long, calc input)

Request validation errors become 422 with a Chinese message naming the field (malformed JSON 400),
Starlette's own HTTP errors (unknown route, wrong method) keep their status with a Chinese message,
and anything unexpected is a 500 with a Chinese message (`guards.CatchAll`); its traceback goes to
the log (masked), never to the client.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.logs import request_id_var
from api.storage import UnknownAnswer, UnknownSession
from assistant.calculate import ParamError
from assistant.match import ProfileError
from assistant.rules import RuleDataError, UnknownRuleError, VocabularyError
from assistant.understand import QuestionRejected
from index.errors import CorpusError, IndexNotBuilt, PolicyQAError

__all__ = [
    "ErrorDetail",
    "ErrorBody",
    "NotFound",
    "Unauthorized",
    "Forbidden",
    "NotReady",
    "RequestRejected",
    "STATUS_BY_ERROR",
    "INTERNAL_MESSAGE",
    "RETRY_AFTER_UNAVAILABLE_S",
    "status_for",
    "dumps",
    "error_json",
    "error_response",
    "install_error_handlers",
    "COMMON_ERROR_RESPONSES",
    "error_responses",
]

log = logging.getLogger(__name__)


class ErrorDetail(BaseModel):
    code: str = Field(description="stable machine code, e.g. unknown_session")
    message: str = Field(description="中文说明，可直接展示给用户")
    field: str | None = Field(None, description="the request field at fault, when there is one")


class ErrorBody(BaseModel):
    error: ErrorDetail
    request_id: str


class NotFound(PolicyQAError):
    code = "not_found"


class Unauthorized(PolicyQAError):
    code = "unauthorized"


class Forbidden(PolicyQAError):
    code = "forbidden"


class NotReady(PolicyQAError):
    code = "not_ready"


class RequestRejected(PolicyQAError):
    """A request that is valid JSON of the right shape but cannot be served; `field` names the culprit."""

    code = "invalid_request"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message, code=code)
        self.field = field


# First match wins, so subclasses go before their bases.
STATUS_BY_ERROR: tuple[tuple[type[PolicyQAError], int], ...] = (
    (NotFound, 404),
    (UnknownSession, 404),
    (UnknownAnswer, 404),
    (Unauthorized, 401),
    (Forbidden, 403),
    (RequestRejected, 422),
    (QuestionRejected, 422),
    (ParamError, 422),
    (ProfileError, 422),
    (UnknownRuleError, 422),
    (VocabularyError, 422),
    (NotReady, 503),
    (IndexNotBuilt, 503),
    (RuleDataError, 503),
    (CorpusError, 503),
)

RETRY_AFTER_UNAVAILABLE_S = 5
INTERNAL_MESSAGE = "服务内部错误，请稍后再试；如多次出现，请拨打12333咨询。"

_STATUS_TEXT = {
    400: ("bad_request", "请求无法解析：请求体应为 UTF-8 编码的 JSON。"),
    401: ("unauthorized", "需要有效的 API 密钥（X-API-Key）。"),
    403: ("forbidden", "没有访问权限。"),
    404: ("not_found", "找不到请求的地址。"),
    405: ("method_not_allowed", "该地址不支持这种请求方法。"),
    406: ("not_acceptable", "无法提供所要求的内容格式。"),
    413: ("payload_too_large", "请求内容过大。"),
    415: ("unsupported_media_type", "请求内容格式不受支持，请使用 JSON。"),
    429: ("rate_limited", "请求过于频繁，请稍后再试。"),
    503: ("unavailable", "服务暂时不可用，请稍后再试。"),
}


def error_json(code: str, message: str, *, field: str | None = None, request_id: str | None = None) -> dict[str, Any]:
    detail: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        detail["field"] = field
    return {"error": detail, "request_id": request_id or request_id_var.get()}


def error_response(status: int, code: str, message: str, *, field: str | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_json(code, message, field=field), status_code=status, headers=headers)


def status_for(exc: PolicyQAError) -> int:
    for cls, status in STATUS_BY_ERROR:
        if isinstance(exc, cls):
            return status
    return 400


# ---------------------------------------------------------------- validation messages
_LOCATION = {"body": "请求体", "query": "查询参数", "path": "路径参数", "header": "请求头", "cookie": "Cookie"}


def _field_name(loc: tuple[Any, ...]) -> tuple[str, str]:
    """("body", "profile", "size") → ("请求体", "profile.size"); the location word and the dotted field."""
    parts = list(loc)
    where = _LOCATION.get(str(parts[0]), "") if parts else ""
    if parts and str(parts[0]) in _LOCATION:
        parts = parts[1:]
    return where, ".".join(str(p) for p in parts)


def _validation_message(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    where, name = _field_name(tuple(err.get("loc") or ()))
    subject = f"{where}字段“{name}”" if name else (where or "请求")
    if kind == "missing":
        return f"缺少{subject}" if name else f"缺少{where or '请求体'}"
    if kind in ("string_too_short", "too_short") and ctx.get("min_length") == 1:
        return f"{subject}不能为空"
    if kind == "string_too_short":
        return f"{subject}太短（至少 {ctx.get('min_length')} 个字符）"
    if kind == "string_too_long":
        return f"{subject}太长（最多 {ctx.get('max_length')} 个字符）"
    if kind == "too_short":
        return f"{subject}至少应有 {ctx.get('min_length')} 项"
    if kind == "too_long":
        return f"{subject}最多 {ctx.get('max_length')} 项"
    if kind in ("string_type", "string_unicode"):
        return f"{subject}应为文字"
    if kind in ("bool_type", "bool_parsing"):
        return f"{subject}应为 true 或 false"
    if kind in ("int_type", "int_parsing", "int_from_float", "int_parsing_size"):
        return f"{subject}应为整数"
    if kind in ("float_type", "float_parsing", "finite_number", "decimal_type", "decimal_parsing"):
        return f"{subject}应为数字"
    if kind.startswith("date") or kind.startswith("datetime"):
        return f"{subject}应为日期，格式 YYYY-MM-DD"
    if kind in ("greater_than_equal", "greater_than"):
        return f"{subject}应不小于 {ctx.get('ge', ctx.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"{subject}应不大于 {ctx.get('le', ctx.get('lt'))}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"{subject}应为 JSON 对象" if name else f"{where or '请求体'}应为 JSON 对象"
    if kind in ("list_type", "tuple_type"):
        return f"{subject}应为列表"
    if kind == "literal_error":
        return f"{subject}只能取 {ctx.get('expected')}"
    if kind == "extra_forbidden":
        return f"不支持的{subject}"
    if kind == "json_invalid":
        return "请求体不是有效的 JSON"
    if kind == "value_error":
        return f"{subject}无效：{ctx.get('error', '')}".rstrip("：")
    return f"{subject}的值无效"


# ---------------------------------------------------------------- handlers
async def _on_policy_error(request: Request, exc: PolicyQAError) -> JSONResponse:
    status = status_for(exc)
    if status >= 500:
        log.warning("service unavailable: %s", exc.message, extra={"code": exc.code})
    field = getattr(exc, "field", None) or getattr(exc, "param", None)
    # a loading model or a missing index is temporary: tell clients when to look again
    headers = {"Retry-After": str(RETRY_AFTER_UNAVAILABLE_S)} if status == 503 else None
    return error_response(status, exc.code, exc.message, field=field if isinstance(field, str) else None,
                          headers=headers)


async def _on_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = list(exc.errors())
    first = errors[0] if errors else {"type": "", "loc": ()}
    if first.get("type") == "json_invalid":
        return error_response(400, "invalid_json", "请求体不是有效的 JSON，请检查格式。")
    _, name = _field_name(tuple(first.get("loc") or ()))
    message = _validation_message(first)
    if len(errors) > 1:
        message += f"（另有 {len(errors) - 1} 处错误）"
    return error_response(422, "invalid_request", message, field=name or None)


async def _on_http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code, message = _STATUS_TEXT.get(exc.status_code, ("http_error", "请求未能完成。"))
    return error_response(exc.status_code, code, message, headers=getattr(exc, "headers", None))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PolicyQAError, _on_policy_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    # Exceptions nobody expected are answered by guards.CatchAll, inside the request-id context.


# ---------------------------------------------------------------- OpenAPI
_DESCRIPTIONS = {
    400: "请求体不是有效的 JSON",
    401: "缺少或错误的 API 密钥",
    403: "跨域来源不在允许列表中，或未设置工作人员密钥时从其他机器访问工作人员接口",
    408: "请求内容未在限定时间内传完（见 body_timeout_s）",
    404: "资源不存在",
    413: "请求体超过大小限制",
    422: "请求字段无效（消息指明字段）",
    429: "请求过于频繁（见 Retry-After）",
    500: "服务内部错误",
    503: "服务加载中或繁忙（见 Retry-After）",
    504: "处理超时",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries with the error body for the given statuses."""
    return {s: {"model": ErrorBody, "description": _DESCRIPTIONS.get(s, "错误")} for s in statuses}


# What the guards can answer on any API route, whatever the handler does.
COMMON_ERROR_RESPONSES = error_responses(400, 403, 408, 413, 422, 429, 500, 503, 504)


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON for bodies the guards write themselves."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
