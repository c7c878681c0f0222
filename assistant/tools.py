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
from pydantic import BaseModel, Field, ValidationError

from assistant.calculate import calculate, describe_amount
from assistant.match import Profile, ProfileError, match_profile, parse_profile
from assistant.rules import RuleBook
from index.errors import PolicyQAError

__all__ = ["CalculatorArgs", "MatcherArgs", "calculator_tool", "matcher_tool", "error_result"]

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
        description="参数名 → 数值，如 {\"insured_employees\": 25}；参数名可用 id 或中文名称",
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


class MatcherArgs(BaseModel):
    """Find every measure that fits an applicant's profile."""

    industry: str | None = Field(None, description="行业，如 餐饮、零售、制造业")
    size: str | None = Field(None, description="企业规模：微型/小型/小微/中型/大型")
    region_risk: str | None = Field(None, description="所在县（市、区）疫情风险：高风险/中风险/低风险/无")
    region_lockdown: bool | str | None = Field(None, description="所在县（市、区）是否采取封控管理措施")
    org_type: str | None = Field(None, description="申请主体，缺省为企业；如 个体工商户、职业院校、高校毕业生")
    insured_employees: int | float | str | None = Field(None, description="参保职工人数")
    total_employees: int | float | str | None = Field(None, description="企业职工总数")
    graduates_hired: int | float | str | None = Field(None, description="招用毕业年度高校毕业生人数")
    poverty_labourers_hired: int | float | str | None = Field(None, description="吸纳脱贫劳动力人数")
    trained_employees: int | float | str | None = Field(None, description="组织参加培训的职工人数")
    unemployment_insurance_paid_last_year: int | float | str | None = Field(None, description="上年度实际缴纳失业保险费（元）")
    is_helping_workshop: bool | str | None = Field(None, description="是否帮扶车间")
    is_employment_base: bool | str | None = Field(None, description="是否就业帮扶基地")
    is_labour_intensive: bool | str | None = Field(None, description="是否劳动密集型企业")
    is_platform_enterprise: bool | str | None = Field(None, description="是否平台企业")
    refunded_at_old_rate: bool | str | None = Field(None, description="今年是否已按 30% 领取稳岗返还")
    extra: dict[str, Any] | None = Field(None, description="其他规则参数，如 {\"trainees\": 10}")
    as_of: str | None = Field(None, description="判断是否过期所用的日期 YYYY-MM-DD；缺省为今天")


def matcher_tool(book: RuleBook, as_of_fn: Callable[[], date]) -> StructuredTool:
    """A StructuredTool running `match_profile`; returns a JSON-able dict, errors as {"ok": false, …}."""

    def run(**kwargs: Any) -> dict[str, Any]:
        as_of = kwargs.pop("as_of", None)
        data = {k: v for k, v in kwargs.items() if v is not None and k in Profile.model_fields}
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
            "根据申请人的情况（行业、规模、所在地区风险、参保人数、招用高校毕业生人数等）列出可能适用的全部政策措施，"
            "能算的给出金额，列出还需确认的条件、是否过期，以及不能同时享受、需二选一的措施（choices）。"
            "没有提到的情况请留空，不要猜测。"
        ),
        args_schema=MatcherArgs,
        handle_validation_error=_schema_error,
    )
