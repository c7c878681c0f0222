"""Which measures fit an applicant: a profile checked against every rule's eligibility data.

Eligibility lives in the rules file (`eligibility:` alternatives of criteria on profile fields); this
module only evaluates it, with three values: a criterion holds, fails, or cannot be decided from what
the profile says (then the measure is listed as "check" with what to confirm). Amounts come from
`calculate`, so a matched measure carries the same formula, citations and validity as a direct
calculation. Measures the document says cannot be combined are offered as a choice, never both.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import combinations
from typing import Any, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field

from assistant.calculate import ParamError, calculate, coerce_param, format_yuan, missing_params
from assistant.contract import Citation, Money
from assistant.rules import Alternative, NotIn, Rule, RuleBook, VocabularyError
from assistant.validity import HOTLINE, format_date
from index.errors import PolicyQAError

__all__ = [
    "Profile",
    "ProfileError",
    "MatchedMeasure",
    "NotApplicable",
    "ChoiceDetail",
    "MatchResult",
    "parse_profile",
    "match_profile",
]

# Profile fields whose values are words of the rules' vocabulary (normalised through it).
_VOCAB_FIELDS = ("industry", "size", "region_risk", "org_type")
_DEFAULT_ORG_TYPE = "enterprise"  # the matcher is mostly asked about businesses; individuals say so
# Short keys people and agents use for profile fields.
_KEY_ALIASES = {
    "employees": "insured_employees",
    "graduates": "graduates_hired",
    "poverty_labourers": "poverty_labourers_hired",
    "paid": "unemployment_insurance_paid_last_year",
    "unemployment_insurance_paid": "unemployment_insurance_paid_last_year",
    "lockdown": "region_lockdown",
    "region": "region_risk",
    "risk": "region_risk",
}
_TRUE = {"true", "yes", "y", "1", "是", "有", "对"}
_FALSE = {"false", "no", "n", "0", "否", "无", "不是", "没有"}
# More excluded measures than this in one conflict group and the best combination is not searched.
_MAX_CHOICE_GROUP = 12


class ProfileError(PolicyQAError):
    """A profile field has a value the matcher cannot use; `field` names it."""

    code = "invalid_profile"

    def __init__(self, message: str, *, field: str | None, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.field = field


class Profile(BaseModel):
    """What an applicant says about itself; anything not said stays None (unknown), never guessed."""

    model_config = ConfigDict(extra="forbid")
    industry: str | None = Field(None, description="行业，自由文字，如 餐饮、饭店、超市")
    size: str | None = Field(None, description="企业规模：micro/small/medium/large 或 微型/小型/小微/中型/大型")
    region_risk: str | None = Field(None, description="所在县（市、区）疫情风险：high/medium/low/none 或 中高风险/低风险")
    region_lockdown: bool | None = Field(None, description="所在县（市、区）是否为应对疫情采取了封控管理措施")
    org_type: str | None = Field(None, description="申请主体类型，缺省为企业；如 个体工商户、社会团体、职业院校、高校毕业生")
    insured_employees: int | None = Field(None, description="参保职工人数")
    total_employees: int | None = Field(None, description="企业职工总数（用工人数）")
    graduates_hired: int | None = Field(None, description="招用毕业年度高校毕业生人数")
    poverty_labourers_hired: int | None = Field(None, description="吸纳脱贫劳动力人数")
    trained_employees: int | None = Field(None, description="组织参加培训的职工人数")
    unemployment_insurance_paid_last_year: Decimal | None = Field(None, description="上年度实际缴纳的失业保险费（元）")
    is_helping_workshop: bool = Field(False, description="是否经认定的帮扶车间")
    is_employment_base: bool = Field(False, description="是否各地认定的就业帮扶基地")
    is_labour_intensive: bool = Field(False, description="是否劳动密集型企业")
    is_platform_enterprise: bool = Field(False, description="是否平台企业")
    refunded_at_old_rate: bool | None = Field(None, description="今年是否已按 30% 比例领取稳岗返还（大型企业）")
    extra: dict[str, Any] = Field(default_factory=dict, description="其他规则参数或条件，如 trainees、park_level")

    def value(self, key: str) -> Any:
        if key in Profile.model_fields and key != "extra":
            return getattr(self, key)
        return self.extra.get(key)


class MatchedMeasure(BaseModel):
    rule_id: str
    title: str
    clause_id: str
    clause_label: str = ""
    kind: str
    status: Literal["applies", "check"] = Field(description="applies: the profile meets who qualifies; check: confirm")
    who: list[str] = Field(default_factory=list, description="which of the rule's qualifying groups fit")
    amount: Money | None = None
    unit: str = "元"
    is_cap: bool = False
    amount_stated: bool | None = None
    formula: str = ""
    missing: list[str] = Field(default_factory=list, description="inputs needed for the amount (名称（key）)")
    conditions: list[str] = Field(default_factory=list, description="still to confirm")
    excludes: list[str] = Field(default_factory=list, description="matched measures this one cannot be combined with")
    included_in: str | None = None
    lapsed: bool | None = None
    period: str | None = None
    validity_note: str = ""
    citations: list[Citation] = Field(default_factory=list)
    note: str = ""


class NotApplicable(BaseModel):
    rule_id: str
    title: str
    reason: str


class ChoiceDetail(BaseModel):
    options: list[str]
    titles: list[str]
    amounts: list[Money | None]
    better: str | None = Field(None, description="the option giving more money, when both amounts are computable")
    note: str = ""


class MatchResult(BaseModel):
    profile: dict[str, Any]
    as_of: date
    measures: list[MatchedMeasure]
    choices: list[list[str]] = Field(default_factory=list, description="pairs of measures that cannot be combined")
    choice_details: list[ChoiceDetail] = Field(default_factory=list)
    suggested: list[str] = Field(
        default_factory=list,
        description="measures that can be claimed together: exclusive pairs resolved to the larger computable amount; "
        "a pair whose amounts cannot be compared is left out until the applicant chooses",
    )
    not_applicable: list[NotApplicable] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


# ---------------------------------------------------------------- profile input
def _as_bool(raw: Any, key: str, label: str) -> bool | None:
    if raw is None or isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ProfileError(f"{label}（{key}）应为 是/否（true/false），收到“{raw}”", field=key)


def parse_profile(book: RuleBook, data: Mapping[str, Any]) -> Profile:
    """Build a Profile from loose input (CLI options, JSON, an agent's arguments); ProfileError in Chinese."""
    if not isinstance(data, Mapping):
        raise ProfileError("企业情况应为“字段: 值”的键值对（JSON 对象）", field=None)
    clean: dict[str, Any] = {}
    extra_in = data.get("extra") or {}
    if not isinstance(extra_in, Mapping):
        raise ProfileError("extra 应为“参数名: 值”的键值对", field="extra")
    extra: dict[str, Any] = {}
    for key, raw in extra_in.items():
        name = _KEY_ALIASES.get(key, key)
        if name not in book.parameters and name not in book.flags:
            raise ProfileError(f"未知的规则参数“{key}”", field=str(key), code="unknown_field")
        extra[name] = raw
    labels = {book.field_label(f): f for f in (*book.vocabulary, *book.flags, *book.parameters)}
    for key, raw in data.items():
        if key == "extra" or raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        name = _KEY_ALIASES.get(key, labels.get(key, key))
        if name in Profile.model_fields:
            clean[name] = raw
        elif name in book.parameters or name in book.flags:
            extra[name] = raw
        else:
            raise ProfileError(f"未知的企业情况字段“{key}”", field=str(key), code="unknown_field")
    for name, raw in list(clean.items()) + list(extra.items()):
        target = clean if name in clean else extra
        label = book.field_label(name)
        annotation = Profile.model_fields[name].annotation if name in Profile.model_fields else None
        if name in book.flags or annotation in (bool, bool | None):
            target[name] = _as_bool(raw, name, label)
        elif name in _VOCAB_FIELDS or (name in book.parameters and book.param(name).type == "choice"):
            if not isinstance(raw, str):
                raise ProfileError(f"{label}（{name}）应为文字，收到“{raw}”", field=name)
            vocab = name if name in _VOCAB_FIELDS else (book.param(name).vocabulary or name)
            if vocab in book.vocabulary:
                try:
                    book.normalise(vocab, raw)
                except VocabularyError as exc:
                    raise ProfileError(exc.message, field=name) from None
            target[name] = raw.strip()
        elif name in book.parameters:
            try:
                value = coerce_param(book, book.param(name), raw, allow_zero=True)
            except ParamError as exc:
                raise ProfileError(exc.message, field=name, code=exc.code) from None
            target[name] = int(value) if book.param(name).type == "count" else value
    clean["extra"] = extra
    return Profile(**clean)


def _normalised(book: RuleBook, profile: Profile) -> dict[str, frozenset[str] | None]:
    out: dict[str, frozenset[str] | None] = {}
    for f in _VOCAB_FIELDS:
        raw = profile.value(f)
        if f == "org_type" and raw is None:
            raw = _DEFAULT_ORG_TYPE
        if raw is None or f not in book.vocabulary:
            out[f] = None
            continue
        try:
            out[f] = book.normalise(f, raw)
        except VocabularyError as exc:
            raise ProfileError(exc.message, field=f) from None
    return out


# ---------------------------------------------------------------- eligibility
def _criterion(book: RuleBook, field: str, crit: Any, profile: Profile, norm: Mapping) -> tuple[bool | None, str]:
    """(holds?, why not) for one criterion; None when the profile does not say."""
    label = book.field_label(field)
    if isinstance(crit, bool):
        value = profile.value(field)
        if value is None:
            return None, f"需确认：{label}" if crit else f"需确认：不属于{label}"
        return (value == crit), (f"不是{label}" if crit else f"属于{label}")
    have = norm.get(field) if field in norm else (
        frozenset({profile.value(field)}) if profile.value(field) is not None else None
    )
    if isinstance(crit, NotIn):
        banned = set(crit.values)
        if have is None:
            return None, f"需确认{label}"
        if not (have & banned):
            return True, ""
        shown = "、".join(book.value_label(field, v) for v in sorted(have))
        return (False if have <= banned else None), f"{label}为“{shown}”，不在适用范围内"
    allowed = set(crit)
    allowed_text = "、".join(book.value_label(field, v) for v in crit)
    if have is None:
        return None, f"需确认{label}（适用：{allowed_text}）"
    if have <= allowed:
        return True, ""
    shown = "、".join(book.value_label(field, v) for v in sorted(have))
    return (False if not (have & allowed) else None), f"{label}为“{shown}”，适用范围为：{allowed_text}"


def _alternative(book: RuleBook, alt: Alternative, profile: Profile, norm: Mapping) -> tuple[bool | None, list[str]]:
    """(state, reasons): reasons are why it fails (state False) or what to confirm (state None)."""
    unknown, failed = [], []
    for field, crit in alt.where.items():
        ok, why = _criterion(book, field, crit, profile, norm)
        if ok is False:
            failed.append(why)
        elif ok is None:
            unknown.append(why)
    if failed:
        return False, failed
    if alt.undetermined:
        unknown.append(alt.undetermined)
    return (None if unknown else True), unknown


def _eligibility(book: RuleBook, rule: Rule, profile: Profile, norm: Mapping) -> tuple[bool | None, list[Alternative], list[str], list[str]]:
    """(state, fitting alternatives, things to confirm, reasons it does not apply)."""
    results = [(alt, *_alternative(book, alt, profile, norm)) for alt in rule.eligibility or []]
    sure = [alt for alt, state, _ in results if state is True]
    maybe = [(alt, why) for alt, state, why in results if state is None]
    if sure:
        return True, sure, [c for alt in sure for c in alt.conditions], []
    if maybe:
        # the qualifying group's own words say what to confirm; per-criterion lines would repeat them
        if len(maybe) == 1:
            alt = maybe[0][0]
            confirm = [f"需确认属于：{alt.label}", *([f"需确认：{alt.undetermined}"] if alt.undetermined else []), *alt.conditions]
        else:
            marks = "①②③④⑤⑥⑦⑧⑨⑩"
            options = "；".join(
                f"{marks[i] if i < 10 else i + 1}{alt.label}"
                + (f"（{'；'.join(alt.conditions + ([alt.undetermined] if alt.undetermined else []))}）"
                   if alt.conditions or alt.undetermined else "")
                for i, (alt, _) in enumerate(maybe)
            )
            confirm = [f"需确认符合其一：{options}"]
        return None, [alt for alt, _ in maybe], list(dict.fromkeys(confirm)), []
    return False, [], [], _merge_reasons([w for _, _, why in results for w in why])


def _merge_reasons(reasons: list[str]) -> list[str]:
    """"申请主体类型为“企业”，适用范围为：A" and "…：B" from two alternatives read as one line "…：A、B"."""
    merged: dict[str, list[str]] = {}
    for r in reasons:
        head, sep, tail = r.partition("，适用范围为：")
        merged.setdefault(head if sep else r, [])
        if sep:
            merged[head] += [t for t in tail.split("、") if t not in merged[head]]
    return [f"{h}，适用范围为：{'、'.join(t)}" if t else h for h, t in merged.items()]


# ---------------------------------------------------------------- matching
def _params_for(book: RuleBook, rule: Rule, profile: Profile) -> tuple[dict[str, Any], str | None]:
    """The rule's inputs the profile gives, or (…, reason) when the profile says the count is zero."""
    params: dict[str, Any] = {}
    for name in rule.all_names():
        value = profile.value(name)
        if value is None:
            continue
        spec = book.param(name)
        if spec.type != "choice" and value == 0 and spec.min is not None and spec.min > 0:
            return params, f"{spec.label}为 0"
        params[name] = value
    return params, None


def match_profile(book: RuleBook, profile: Profile, *, as_of: date) -> MatchResult:
    """Every measure that fits the profile, with amounts where computable and choices between exclusive ones."""
    norm = _normalised(book, profile)
    for name in (*Profile.model_fields, *profile.extra):
        value = profile.value(name)
        if name in book.parameters and book.param(name).type != "choice" and value is not None:
            try:
                coerce_param(book, book.param(name), value, allow_zero=True)
            except ParamError as exc:
                raise ProfileError(exc.message, field=name, code=exc.code) from None
    measures: list[MatchedMeasure] = []
    skipped: list[NotApplicable] = []
    for rule in book:
        if rule.eligibility is None:
            continue  # no applicant is described (e.g. competition awards): nothing to match on
        state, alts, confirm, reasons = _eligibility(book, rule, profile, norm)
        if state is False:
            skipped.append(NotApplicable(rule_id=rule.id, title=rule.title, reason="；".join(reasons)))
            continue
        params, zero = _params_for(book, rule, profile)
        if zero:
            skipped.append(NotApplicable(rule_id=rule.id, title=rule.title, reason=zero))
            continue
        outcome = calculate(book, rule.id, params, as_of=as_of)
        if outcome.ok and outcome.eligible is False:
            skipped.append(NotApplicable(rule_id=rule.id, title=rule.title, reason=outcome.calculation.note))
            continue
        m = MatchedMeasure(
            rule_id=rule.id,
            title=rule.title,
            clause_id=rule.clause_id,
            clause_label=book.doc(rule.doc_id).clauses[rule.clause_id].label,
            kind=rule.kind,
            status="applies" if state else "check",
            who=[a.label for a in alts],
            is_cap=rule.is_cap,
            amount_stated=rule.amount_stated,
            included_in=rule.included_in,
            citations=outcome.citations,
        )
        if outcome.validity:
            m.lapsed, m.period, m.validity_note = outcome.validity.lapsed, outcome.validity.period, outcome.validity.note
        conditions = list(confirm)
        if outcome.ok and outcome.calculation:
            calc = outcome.calculation
            m.amount, m.unit, m.formula, m.note = calc.amount, calc.unit, calc.formula, calc.note
            conditions += [c for c in calc.conditions if not c.startswith("适用对象")]
        else:
            conditions += rule.conditions
            m.missing = [p.display for p in missing_params(book, rule.id, params)]
            if outcome.error and outcome.error.code != "missing_param":
                m.note = outcome.error.message
            m.formula = f"需提供：{'、'.join(m.missing)}" if m.missing else ""
        if rule.included_in:
            m.note = (m.note + " " if m.note else "") + f"已包含在“{book.get(rule.included_in).title}”之内，不另外累加。"
        m.conditions = list(dict.fromkeys(conditions))
        measures.append(m)

    ids = [m.rule_id for m in measures]
    for m in measures:
        m.excludes = [o for o in ids if o != m.rule_id and book.excludes(m.rule_id, o)]
    by_id = {m.rule_id: m for m in measures}
    pairs = sorted(
        {tuple(sorted((a, b), key=book.order)) for a in ids for b in ids if a != b and book.excludes(a, b)},
        key=lambda p: (book.order(p[0]), book.order(p[1])),
    )
    details = [_choice(book, by_id[a], by_id[b]) for a, b in pairs]
    return MatchResult(
        profile=_profile_summary(book, profile, norm),
        as_of=as_of,
        measures=measures,
        choices=[list(p) for p in pairs],
        choice_details=details,
        suggested=_suggest(book, measures, pairs),
        not_applicable=skipped,
        warnings=_warnings(book, measures, as_of),
    )


def _choice(book: RuleBook, a: MatchedMeasure, b: MatchedMeasure) -> ChoiceDetail:
    d = ChoiceDetail(options=[a.rule_id, b.rule_id], titles=[a.title, b.title], amounts=[a.amount, b.amount])
    if a.amount is not None and b.amount is not None:
        if a.amount != b.amount:
            win = a if a.amount > b.amount else b
            d.better = win.rule_id
            d.note = f"二者不能同时享受；按所给人数计，“{win.title}”金额较高（{format_yuan(win.amount)}）。"
        else:
            d.note = "二者不能同时享受；按所给人数计金额相同。"
    else:
        unknown = [m for m in (a, b) if m.amount is None]
        why = "；".join(
            f"“{m.title}”" + ("本文件未规定具体金额" if m.amount_stated is False else f"还需提供{'、'.join(m.missing) or '相关信息'}")
            for m in unknown
        )
        d.note = f"二者不能同时享受，请选择其一；{why}，无法比较金额。"
    return d


def _suggest(book: RuleBook, measures: list[MatchedMeasure], pairs: list[tuple[str, str]]) -> list[str]:
    """Measures claimable together: in each group of exclusive measures, the combination worth most.

    A group where some amount is unknown is left to the applicant (nothing suggested from it): the
    larger claim cannot be told, and suggesting both would break the document's exclusion.
    """
    ids = [m.rule_id for m in measures]
    adj: dict[str, set[str]] = {i: set() for i in ids}
    for a, b in pairs:
        adj[a].add(b)
        adj[b].add(a)
    amount = {m.rule_id: m.amount for m in measures}
    chosen: list[str] = []
    seen: set[str] = set()
    for start in ids:
        if start in seen:
            continue
        group, stack = [], [start]
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            group.append(node)
            stack.extend(adj[node] - seen)
        if len(group) == 1:
            chosen.append(start)
            continue
        if any(amount[g] is None for g in group) or len(group) > _MAX_CHOICE_GROUP:
            continue
        group.sort(key=book.order)
        best: tuple[Decimal, list[str]] = (Decimal(-1), [])
        for size in range(len(group), 0, -1):
            for combo in combinations(group, size):
                if any(b in adj[a] for a, b in combinations(combo, 2)):
                    continue
                total = sum((amount[c] for c in combo), Decimal(0))
                if total > best[0]:
                    best = (total, list(combo))
        chosen += best[1]
    return sorted(chosen, key=lambda r: ids.index(r))


def _warnings(book: RuleBook, measures: list[MatchedMeasure], as_of: date) -> list[str]:
    out = []
    dated = [m for m in measures if m.lapsed is not None]
    if dated and all(m.lapsed for m in dated):
        out.append(
            f"按{format_date(as_of)}计，以上有执行期限的措施均已到期；现行政策请拨打{HOTLINE}咨询。"
        )
    elif any(m.lapsed for m in dated):
        out.append(f"部分措施的执行期已于{format_date(as_of)}前届满，已逐项标注；现行政策请拨打{HOTLINE}咨询。")
    if any(m.lapsed is None for m in measures):
        out.append(f"部分措施本文件未写明执行期限，是否仍在执行请拨打{HOTLINE}核实。")
    return out


def _plain(v: Any) -> Any:
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else str(v)
    return v


def _profile_summary(book: RuleBook, profile: Profile, norm: Mapping) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in Profile.model_fields:
        if name == "extra":
            continue
        value = profile.value(name)
        if name in norm and norm[name] is not None:
            values = sorted(norm[name])
            out[name] = values[0] if len(values) == 1 else values
        elif value is not None and value is not False:
            out[name] = _plain(value)
    for k, v in profile.extra.items():
        out[k] = _plain(v)
    return out
