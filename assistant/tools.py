"""The calculator and the matcher as LangChain tools an LLM agent can call.

Both wrap the same functions the composer and the CLI use (`calculate`, `match_profile`). A tool must
never kill the agent that calls it: bad arguments come back as `{"ok": false, "error": {...}}` with a
Chinese message naming the parameter, including arguments that fail the schema itself.
"""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Any, Callable

from langchain_core.tools import StructuredTool
from pydantic import BaseModel, Field, ValidationError, create_model

from assistant.calculate import calculate, describe_amount
from assistant.match import ProfileError, match_profile, parse_profile
from assistant.rules import RuleBook
from index.errors import PolicyQAError

__all__ = ["CalculatorArgs", "matcher_args", "calculator_tool", "matcher_tool", "error_result"]

log = logging.getLogger(__name__)


def error_result(code: str, message: str, param: str | None = None) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message, "param": param}}


def _as_of(value: str | None, as_of_fn: Callable[[], date]) -> date:
    if value in (None, ""):
        return as_of_fn()
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise PolicyQAError(f"日期（as_of）格式应为 YYYY-MM-DD，收到“{value}”", code="bad_date") from None


_SCHEMA_WORDS = {
    "missing": "缺少该参数",
    "string_type": "应为文字",
    "dict_type": "应为键值对（对象）",
    "bool_type": "应为 是/否（true/false）",
    "bool_parsing": "应为 是/否（true/false）",
}


def _schema_error(exc: ValidationError) -> str:
    """Schema failures in the same error shape, serialised: LangChain wants a string from this hook."""
    first = exc.errors()[0] if exc.errors() else {}
    loc = first.get("loc", ())
    field = str(loc[0]) if loc else None
    kind = str(first.get("type", ""))
    words = _SCHEMA_WORDS.get(kind) or ("应为数字" if kind.startswith(("int", "float", "decimal")) else "不符合要求")
    message = f"工具参数 {field} {words}" if field else f"工具参数{words}"
    return json.dumps(error_result("invalid_arguments", message, field), ensure_ascii=False)


class CalculatorArgs(BaseModel):
    """Compute one policy measure's amount from the codified rules."""

    rule_id: str = Field(description="规则 id（见工具说明中的列表），也可用中文名称，如 留工补助")
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="参数名 → 数值；参数名可用 id 或中文名称（见工具说明中每条规则的参数）",
    )
    as_of: str | None = Field(None, description="判断是否过期所用的日期 YYYY-MM-DD；缺省为今天")


def calculator_tool(book: RuleBook, as_of_fn: Callable[[], date]) -> StructuredTool:
    """A StructuredTool computing `calculate(book, rule_id, params, as_of=...)`; returns a JSON-able dict."""

    def run(rule_id: str, params: dict[str, Any] | None = None, as_of: str | None = None) -> dict[str, Any]:
        try:
            outcome = calculate(book, rule_id, params or {}, as_of=_as_of(as_of, as_of_fn))
            return outcome.model_dump(mode="json")
        except PolicyQAError as exc:
            return error_result(exc.code, exc.message)
        except Exception:  # an agent must get a result, not a traceback; the log keeps the details
            log.exception("calculator tool failed")
            return error_result("internal_error", "计算出错，请稍后再试或拨打 12333 咨询")

    lines = []
    for rule in book:
        params = "、".join(f"{p}" for p in rule.all_names()) or "无"
        lines.append(f"- {rule.id}：{rule.title}（{describe_amount(book, rule)}；参数：{params}）")
    description = (
        "按政策文件中写明的标准精确计算补贴、奖励、返还金额，返回公式、引用原文、附加条件、互斥项和是否过期。"
        "金额只能来自本工具，不要自行计算。文件未规定金额的项目会返回 amount_stated=false。可用规则：\n"
        + "\n".join(lines)
    )
    return StructuredTool.from_function(
        func=run,
        name="policy_calculator",
        description=description,
        args_schema=CalculatorArgs,
        handle_validation_error=_schema_error,
    )


def matcher_args(book: RuleBook) -> type[BaseModel]:
    """The matcher's argument schema, generated from the rule book: one optional field per thing an
    applicant can say (vocabulary fields, yes/no flags, calculation parameters), described in the rules
    files' own Chinese labels — a new rules file brings its fields with no code change."""
    fields: dict[str, Any] = {}
    for f in book.profile_fields():
        if f.type == "flag":
            annotation: Any = bool | str | None
        elif f.type == "choice":
            annotation = str | list[str] | None
        else:
            annotation = int | float | str | None
        what = f.label + (f"（{f.unit}）" if f.unit else "")
        if f.choices:
            what += "；可选：" + "、".join(label for _, label in f.choices[:12])
        fields[f.name] = (annotation, Field(None, description=what))
    fields["extra"] = (dict[str, Any] | None, Field(None, description="其他字段，名称可用中文：{\"名称\": 值}"))
    fields["as_of"] = (str | None, Field(None, description="判断是否过期所用的日期 YYYY-MM-DD；缺省为今天"))
    return create_model("MatcherArgs", __doc__="Find every measure that fits an applicant's profile.", **fields)


def matcher_tool(book: RuleBook, as_of_fn: Callable[[], date]) -> StructuredTool:
    """A StructuredTool running `match_profile`; returns a JSON-able dict, errors as {"ok": false, …}."""

    def run(**kwargs: Any) -> dict[str, Any]:
        as_of = kwargs.pop("as_of", None)
        data = {k: v for k, v in kwargs.items() if v is not None}
        try:
            profile = parse_profile(book, data)
            result = match_profile(book, profile, as_of=_as_of(as_of, as_of_fn))
            return {"ok": True, **result.model_dump(mode="json")}
        except ProfileError as exc:
            return error_result(exc.code, exc.message, exc.field)
        except PolicyQAError as exc:
            return error_result(exc.code, exc.message)
        except Exception:
            log.exception("matcher tool failed")
            return error_result("internal_error", "匹配出错，请稍后再试或拨打 12333 咨询")

    return StructuredTool.from_function(
        func=run,
        name="policy_matcher",
        description=(
            "根据申请人的情况（字段见参数说明，来自各文件的规则）列出可能适用的全部政策措施，"
            "能算的给出金额，列出还需确认的条件、是否过期，以及不能同时享受、需二选一的措施（choices）。"
            "没有提到的情况请留空，不要猜测。"
        ),
        args_schema=matcher_args(book),
        handle_validation_error=_schema_error,
    )
