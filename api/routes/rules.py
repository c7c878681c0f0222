"""GET /api/rules, POST /api/calc, POST /api/match: the codified rules behind amounts, for staff."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.deps import STAFF, RuleBookDep, SettingsDep
from api.errors import RequestRejected, error_responses
from api.wire import JsonObject
from assistant.calculate import CalcOutcome, calculate, describe_params
from assistant.match import MatchResult, match_profile, parse_profile

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["staff"], dependencies=STAFF)


class ParamOut(BaseModel):
    name: str
    label: str
    type: str
    unit: str = ""
    required: bool
    min: float | None = None
    max: float | None = None
    choices: list[tuple[str, str]] | None = Field(None, description="[[取值, 说明], ...] for choice parameters")


class RuleOut(BaseModel):
    rule_id: str
    title: str
    clause_id: str
    kind: str
    parameters: list[ParamOut]


class RuleList(BaseModel):
    rules: list[RuleOut]


class CalcRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"rule_id": "job_retention_training_subsidy", "params": {"insured_employees": 25}, "as_of": None},
        {"rule_id": "job_retention_refund", "params": {"unemployment_insurance_paid_last_year": 80000, "size": "small"}},
    ]})

    rule_id: str = Field(min_length=1, max_length=200, description="规则 id、名称或别名")
    params: JsonObject = Field(default_factory=dict, description="参数名 → 数值，如 {\"insured_employees\": 25}")
    as_of: date | None = None


class MatchRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"profile": {"industry": "餐饮", "size": "small", "region_risk": "low", "insured_employees": 25}, "as_of": None},
    ]})

    profile: JsonObject = Field(description="企业情况：industry、size、region_risk、insured_employees、graduates_hired…")
    as_of: date | None = None


@router.get("/rules", response_model=RuleList, responses=error_responses(401))
def rules(book: RuleBookDep) -> RuleList:
    """全部计算规则及其参数（名称、单位、是否必填、可选值）。"""
    out = []
    for rule in book:
        params = [
            ParamOut(
                name=p.name, label=p.label, type=p.type, unit=p.unit, required=p.required,
                min=None if p.min is None else float(p.min), max=None if p.max is None else float(p.max),
                choices=list(p.choices.items()) if p.choices else None,
            )
            for p in describe_params(book, rule.id)
        ]
        out.append(RuleOut(rule_id=rule.id, title=rule.title, clause_id=rule.clause_id, kind=rule.kind, parameters=params))
    return RuleList(rules=out)


@router.post("/calc", response_model=CalcOutcome, responses=error_responses(401))
def calc(body: CalcRequest, book: RuleBookDep, settings: SettingsDep) -> CalcOutcome:
    """按规则计算金额：返回算式、条件、引用和时效；参数有误时 422，消息指明参数。"""
    outcome = calculate(book, body.rule_id, body.params, as_of=body.as_of or settings.today())
    if not outcome.ok and outcome.error is not None:
        raise RequestRejected(outcome.error.message, code=outcome.error.code, field=outcome.error.param)
    return outcome


@router.post("/match", response_model=MatchResult, responses=error_responses(401))
def match(body: MatchRequest, book: RuleBookDep, settings: SettingsDep) -> MatchResult:
    """按企业情况列出可享受的措施、金额和需择一的措施。"""
    profile = parse_profile(book, body.profile)
    return match_profile(book, profile, as_of=body.as_of or settings.today())
