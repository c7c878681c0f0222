"""GET /api/rules, POST /api/calc, POST /api/match: the codified rules behind amounts, for staff."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, Field

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


class ProfileFieldOut(BaseModel):
    name: str
    label: str
    type: str = Field(description="choice | flag | count | money | share | duration | number")
    unit: str = ""
    aliases: list[str] = Field(default_factory=list)
    choices: list[tuple[str, str]] | None = Field(None, description="[[取值, 说明], ...] for choice fields")
    free_text: bool = False


class ProfileSchema(BaseModel):
    fields: list[ProfileFieldOut] = Field(description="everything /api/match accepts, from the rules files")


class RuleList(BaseModel):
    rules: list[RuleOut]
    profile: ProfileSchema


class CalcRequest(BaseModel):
    rule_id: str = Field(min_length=1, max_length=200, description="规则 id、名称或别名（见 GET /api/rules）")
    params: JsonObject = Field(default_factory=dict, description="参数名（id、中文名称或别名）→ 数值，见 GET /api/rules 每条规则的 parameters")
    as_of: date | None = None


class MatchRequest(BaseModel):
    profile: JsonObject = Field(description="申请人情况：字段名（或中文名称、别名）→ 值，可用字段见 GET /api/rules 的 profile.fields")
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
    fields = [ProfileFieldOut(**f.model_dump(include=set(ProfileFieldOut.model_fields))) for f in book.profile_fields()]
    return RuleList(rules=out, profile=ProfileSchema(fields=fields))


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
