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
from typing import Any, Iterable, Literal, Mapping

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
    """What an applicant says about itself, keyed by the rule book's own fields (its vocabulary fields,
    yes/no flags and calculation parameters); anything not said is absent (unknown), never guessed."""

    model_config = ConfigDict(extra="forbid")
    values: dict[str, Any] = Field(default_factory=dict)

    def value(self, key: str) -> Any:
        return self.values.get(key)


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


def field_names(book: RuleBook, key: str) -> str | None:
    """The profile field a key means: a field's own name, its Chinese label or one of its aliases."""
    table = getattr(book, "_profile_keys", None)
    if table is None:
        table = {}
        for f in book.profile_fields():
            for word in (f.name, f.label, *f.aliases):
                table.setdefault(word, f.name)  # a word two fields share goes to the first the rule book defines
        book._profile_keys = table  # type: ignore[attr-defined]
    return table.get(str(key).strip())


def parse_profile(book: RuleBook, data: Mapping[str, Any]) -> Profile:
    """Build a Profile from loose input (CLI options, JSON, an agent's arguments, understood slots);
    the fields are the rule book's, so a new rules file brings its own; ProfileError in Chinese."""
    if not isinstance(data, Mapping):
        raise ProfileError("企业情况应为“字段: 值”的键值对（JSON 对象）", field=None)
    items = list(data.items())
    extra_in = data.get("extra")
    if extra_in is not None:  # the older nested form {"extra": {...}}
        if not isinstance(extra_in, Mapping):
            raise ProfileError("extra 应为“参数名: 值”的键值对", field="extra")
        items = [(k, v) for k, v in items if k != "extra"] + list(extra_in.items())
    values: dict[str, Any] = {}
    for key, raw in items:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        name = field_names(book, key)
        if name is None:
            raise ProfileError(f"未知的企业情况字段“{key}”", field=str(key), code="unknown_field")
        values[name] = _coerce_field(book, name, raw)
    return Profile(values=values)


def _coerce_field(book: RuleBook, name: str, raw: Any) -> Any:
    label = book.field_label(name)
    if name in book.flags:
        return _as_bool(raw, name, label)
    vocab = name if name in book.vocabulary else (
        book.param(name).vocabulary or name if name in book.parameters and book.param(name).type == "choice" else None
    )
    if vocab is not None:
        if isinstance(raw, (list, tuple, set, frozenset)):  # canonical values already (the question reader's)
            known = set(book.vocabulary[vocab].values) if vocab in book.vocabulary else set()
            if not raw or any(v not in known for v in raw):
                raise ProfileError(f"{label}（{name}）的取值无法识别：{sorted(map(str, raw))}", field=name)
            return frozenset(raw)
        if not isinstance(raw, str):
            raise ProfileError(f"{label}（{name}）应为文字，收到“{raw}”", field=name)
        if vocab in book.vocabulary:
            try:
                book.normalise(vocab, raw)
            except VocabularyError as exc:
                raise ProfileError(exc.message, field=name) from None
        return raw.strip()
    try:
        value = coerce_param(book, book.param(name), raw, allow_zero=True)
    except ParamError as exc:
        raise ProfileError(exc.message, field=name, code=exc.code) from None
    return int(value) if book.param(name).type == "count" else value


def _normalised(book: RuleBook, profile: Profile) -> dict[str, frozenset[str] | None]:
    out: dict[str, frozenset[str] | None] = {}
    for f, vf in book.vocabulary.items():
        raw = profile.value(f)
        if raw is None:
            raw = vf.default  # who asks when nobody says (a rules file's applicant default, e.g. 企业)
        if raw is None:
            out[f] = None
            continue
        if isinstance(raw, frozenset):
            out[f] = raw
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
        if value is None and field in book.flags:
            value = book.flags[field].default  # a status one would mention (帮扶车间) is absent when not said
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
    # why not: the alternatives nearest the asker's situation (fewest criteria failed) say it; a farther one
    # adds lines about what the asker never claimed to be
    fewest = min((len(why) for _, _, why in results), default=0)
    return False, [], [], _merge_reasons([w for _, _, why in results if len(why) == fewest for w in why])


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


def match_profile(book: RuleBook, profile: Profile, *, as_of: date, doc_ids: Iterable[str] | None = None) -> MatchResult:
    """Every measure that fits the profile, with amounts where computable and choices between exclusive ones;
    `doc_ids` limits it to the rules of those documents (the region served, the documents asked about)."""
    only = set(doc_ids) if doc_ids is not None else None
    norm = _normalised(book, profile)
    for name in profile.values:
        value = profile.value(name)
        if name in book.parameters and book.param(name).type != "choice" and value is not None:
            try:
                coerce_param(book, book.param(name), value, allow_zero=True)
            except ParamError as exc:
                raise ProfileError(exc.message, field=name, code=exc.code) from None
    measures: list[MatchedMeasure] = []
    skipped: list[NotApplicable] = []
    for rule in book:
        if only is not None and rule.doc_id not in only:
            continue
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
    for name, value in profile.values.items():
        if name in norm and norm[name] is not None:
            values = sorted(norm[name])
            out[name] = values[0] if len(values) == 1 else values
        elif value is not None and value is not False:
            out[name] = _plain(value)
    return out
