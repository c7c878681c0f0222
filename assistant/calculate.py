"""Compute a measure's amount from its codified rule: exact Decimal arithmetic, a Chinese formula, citations.

`calculate(book, rule_id, params, as_of=...)` is pure: the rules were loaded once into a `RuleBook`, and
nothing here reads files or the clock. Bad input never raises out of `calculate`: it returns
`ok=False` with a Chinese message naming the parameter (Chinese label and key), so the same function
serves the answer composer, the LangChain tool, the CLI and the HTTP face.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Mapping

from pydantic import BaseModel, Field

from assistant.contract import Calculation, Citation, Validity
from assistant.rules import (
    Interval,
    LocatedQuote,
    ParamSpec,
    Rule,
    RuleBook,
    Threshold,
    UnknownRuleError,
    VocabularyError,
    as_interval,
    meets_threshold,
)
from assistant.documents import document_name
from assistant.validity import HOTLINE, clause_validity
from index.errors import PolicyQAError

__all__ = [
    "CalcError",
    "CalcOutcome",
    "FactOut",
    "ParamError",
    "ParamInfo",
    "calculate",
    "coerce_param",
    "required_params",
    "missing_params",
    "describe_params",
    "describe_amount",
    "rule_validity",
    "rule_citations",
    "format_yuan",
    "plain_number",
    "NOT_STATED",
]

NOT_STATED = "本文件未规定具体金额"
UNREVIEWED = "（此计算规则由系统从原文起草，尚未经人工核对。）"


class ParamError(PolicyQAError):
    """A parameter is missing or unusable; `param` is its key."""

    code = "invalid_param"

    def __init__(self, message: str, *, param: str | None, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.param = param


class CalcError(BaseModel):
    code: str
    message: str = Field(description="Chinese, names the parameter")
    param: str | None = None


class FactOut(BaseModel):
    label: str
    value: str


class CalcOutcome(BaseModel):
    """What `calculate` returns: the calculation or an error, with citations and validity either way."""

    rule_id: str
    title: str = ""
    kind: str = ""
    ok: bool
    error: CalcError | None = None
    calculation: Calculation | None = None
    citations: list[Citation] = Field(default_factory=list)
    validity: Validity | None = None
    amount_stated: bool | None = Field(
        None, description="False: the document names the benefit but no amount; None: no money involved"
    )
    eligible: bool | None = Field(None, description="False when a stated threshold is not met; None when unchecked")
    reviewed: bool = Field(True, description="False: the rule was drafted from the text and no person has checked it yet")
    facts: list[FactOut] = Field(default_factory=list)


class ParamInfo(BaseModel):
    name: str
    label: str
    type: str
    unit: str = ""
    required: bool
    min: Decimal | None = None
    max: Decimal | None = None
    choices: dict[str, str] | None = None
    aliases: list[str] = Field(default_factory=list)


# ---------------------------------------------------------------- formatting
def _plain(d: Decimal) -> str:
    if d == d.to_integral_value():
        return str(int(d))
    return format(d.normalize(), "f")


plain_number = _plain  # 12500 → "12500", 0.50 → "0.5": a number as the documents write it


def _grouped(d: Decimal) -> str:
    if d == d.to_integral_value():
        return f"{int(d):,}"
    return format(d.normalize(), ",f")


def _to_fen(exact: Decimal, money: bool) -> tuple[Decimal, str]:
    """A quotient as it is paid: money rounded to 分 (half up), and how the formula writes the step
    ("= 200元", or "≈ 229.89元（按分四舍五入）" as the sign and the words after the figure)."""
    value = exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if money else exact
    return value, ("=" if value == exact else "≈")


_ROUNDED = "（按分四舍五入）"


def _shown_value(spec: ParamSpec, value: Decimal) -> str:
    return format_yuan(value, wan=False) if spec.type == "money" else _count(value, spec.unit)


def format_yuan(d: Decimal, *, wan: bool = True) -> str:
    """12500 → "12,500元（1.25万元）"; the 万 form only for whole amounts of at least 10,000."""
    text = f"{_grouped(d)}元"
    if wan and d >= 10000 and d == d.to_integral_value():
        text += f"（{_plain(d / 10000)}万元）"
    return text


def _pct(r: Decimal) -> str:
    return f"{_plain(r * 100)}%"


def _times(r: Decimal, rule: Rule | None = None) -> str:
    """A rate as the document writes it: a share as a percentage, a multiple (3倍, 27个月的工资) as a number,
    a rate above one that the rule's quotes write as a percentage (300%) as that percentage."""
    if rule is not None and r < Decimal("0.01") and (r * 10000) == (r * 10000).to_integral_value() \
            and any("万分之" in q.quote for q in rule.citations):
        import cn2an

        return "万分之" + cn2an.an2cn(int(r * 10000))  # 按日加收万分之五: as the quote writes it
    return _pct(r) if r < 1 or (rule is not None and rule.percent_rate and r == rule.rate) else _plain(r)


def _rate_range(rule: Rule) -> str:
    """The two ends of a range of rates as the quotes write them: 1倍至3倍, 10%至30%."""
    lo, hi = rule.rate, rule.rate_max
    if lo >= 1 and not rule.percent_rate:
        return f"{_plain(lo)}倍至{_plain(hi)}倍"
    return f"{_times(lo, rule)}至{_times(hi)}"


def _tidy(d: Decimal) -> Decimal:
    return d.quantize(Decimal(1)) if d == d.to_integral_value() else d.normalize()


def _amount_text(rule: Rule, d: Decimal) -> str:
    """An amount in the rule's own unit: money as 元, a schedule's value as 12个月."""
    return format_yuan(d) if rule.unit == "元" else f"{_grouped(d)}{rule.unit}"


def _count(d: Decimal, unit: str) -> str:
    return f"{_grouped(d)}{unit}"


# ---------------------------------------------------------------- parameters
_NUMBER_RE = re.compile(r"^([+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*(万)?\s*(元|人|名|个月|月|年|天|日|本|个|张|%|％)?$")


def _parse_number(spec: ParamSpec, raw: Any) -> Decimal:
    bad = ParamError(f"参数 {spec.display} 应为数字，收到“{raw}”", param=spec.name, code="not_a_number")
    if isinstance(raw, bool):
        raise bad
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(repr(raw))
    elif isinstance(raw, str):
        text = unicodedata.normalize("NFKC", raw).strip().replace(",", "").replace("，", "")
        m = _NUMBER_RE.match(text)
        if not m:
            raise bad
        try:
            value = Decimal(m.group(1))
        except InvalidOperation:
            raise bad from None
        if m.group(2):
            value *= 10000
        if m.group(3) in ("%", "％"):
            value /= 100
    else:
        raise bad
    if not value.is_finite():
        raise ParamError(f"参数 {spec.display} 不是有效数字（收到 {raw}）", param=spec.name, code="not_a_number")
    return value


def coerce_param(book: RuleBook, spec: ParamSpec, raw: Any, *,
                 allow_zero: bool = False) -> Decimal | frozenset[str] | Interval:
    """Check and convert one input: a Decimal for numbers, canonical values for choices, an `Interval` for a
    bound the asker states ({"lt": 5}: 不足5年); ParamError otherwise.

    `allow_zero` lets a profile say "none hired" where a calculation needs at least one.
    """
    if spec.type != "choice" and (interval := as_interval(raw)) is not None:
        # each end is checked as a value would be: 不足-3年 is as wrong as -3年
        ends = {k: coerce_param(book, spec, v, allow_zero=True) for k, v in interval.bounds().items()}
        interval = Interval.from_bounds(ends)
        if interval.empty():
            raise ParamError(f"参数 {spec.display} 的范围“{interval.describe(spec.unit)}”不可能成立，请核对",
                             param=spec.name, code="empty_bound")
        return interval
    if spec.type == "choice":
        if isinstance(raw, (list, tuple, set, frozenset)) and raw:
            # canonical values already (what the question reader found: 小微 → [micro, small])
            known = book.vocabulary[spec.vocabulary or spec.name].values if (spec.vocabulary or spec.name) in book.vocabulary else {}
            if all(isinstance(v, str) and v in known for v in raw):
                return frozenset(raw)
            raise ParamError(f"参数 {spec.display} 的取值无法识别：{sorted(map(str, raw))}", param=spec.name, code="unknown_choice")
        if not isinstance(raw, str) or not raw.strip():
            raise ParamError(f"参数 {spec.display} 应为文字选项，收到“{raw}”", param=spec.name, code="unknown_choice")
        try:
            return book.normalise(spec.vocabulary or spec.name, raw)
        except VocabularyError as exc:
            raise ParamError(
                f"参数 {spec.display} 的取值“{raw}”无法识别；{exc.message.split('，', 1)[-1]}",
                param=spec.name,
                code="unknown_choice",
            ) from None
    value = _parse_number(spec, raw)
    unit = spec.unit
    if value < 0:
        raise ParamError(f"参数 {spec.display} 不能为负数，收到 {raw}", param=spec.name, code="negative")
    if spec.max is not None and value > spec.max:
        raise ParamError(
            f"参数 {spec.display} 数值过大（{raw}），超出合理范围（最多 {_grouped(spec.max)}{unit}），请核对",
            param=spec.name,
            code="too_large",
        )
    if spec.type == "share" and value > 1:
        if value <= 100 and isinstance(raw, str) and raw.strip().endswith(("%", "％")):
            value = value / 100
        else:
            raise ParamError(f"参数 {spec.display} 是比例，不能超过 100%，收到 {raw}", param=spec.name, code="too_large")
    if spec.type == "count" and value != value.to_integral_value():
        raise ParamError(f"参数 {spec.display} 必须是整数（人数不能有小数），收到 {raw}", param=spec.name, code="fractional")
    if spec.min is not None and value < spec.min and not (allow_zero and value == 0):
        if value == 0:
            raise ParamError(f"参数 {spec.display} 必须大于 0，收到 0", param=spec.name, code="zero")
        raise ParamError(
            f"参数 {spec.display} 不能小于 {_plain(spec.min)}{unit}，收到 {raw}", param=spec.name, code="below_min"
        )
    if spec.decimals is not None and value != value.quantize(Decimal(1).scaleb(-spec.decimals)):
        raise ParamError(
            f"参数 {spec.display} 最多保留 {spec.decimals} 位小数（精确到分），收到 {raw}",
            param=spec.name,
            code="too_many_decimals",
        )
    return value.quantize(Decimal(1)) if spec.type == "count" else value


def _key_table(book: RuleBook, rule: Rule) -> dict[str, str]:
    table: dict[str, str] = {}
    for n in rule.all_names():
        spec = book.param(n)
        for word in (n, spec.label, *spec.aliases):
            table.setdefault(word, n)
    return table


def _bind(book: RuleBook, rule: Rule, params: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Map input keys (ids, Chinese labels, aliases) to the rule's parameters; unknown keys are set aside."""
    table = _key_table(book, rule)
    bound: dict[str, Any] = {}
    unused: list[str] = []
    for key, raw in params.items():
        name = table.get(str(key).strip())
        if name is None:
            unused.append(str(key))
            continue
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        if name in bound and bound[name] != raw:
            spec = book.param(name)
            raise ParamError(f"参数 {spec.display} 给出了两个不同的值", param=name, code="duplicate_param")
        bound[name] = raw
    return bound, unused


def _missing(book: RuleBook, rule: Rule, present: set[str]) -> list[ParamSpec]:
    present = present | {d.param for d in rule.derive if d.source in present}
    out = [book.param(n) for n in rule.required_names() if n not in present]
    if len(rule.terms) > 1 and not any(t.param in present for t in rule.terms):
        out += [book.param(t.param) for t in rule.terms]
    return out


def required_params(book: RuleBook, rule_id: str) -> list[ParamSpec]:
    """Inputs the rule's amount needs (for a sum of several counts: each of them; at least one is needed)."""
    rule = book.resolve(rule_id)
    names = rule.required_names() + ([t.param for t in rule.terms] if len(rule.terms) > 1 else [])
    return [book.param(n) for n in dict.fromkeys(names)]


def missing_params(book: RuleBook, rule_id: str, params: Mapping[str, Any]) -> list[ParamSpec]:
    """Required inputs not present in `params` (keys may be ids, Chinese labels or aliases)."""
    rule = book.resolve(rule_id)
    table = _key_table(book, rule)
    present = {table[str(k).strip()] for k, v in params.items() if str(k).strip() in table and v not in (None, "")}
    return _missing(book, rule, present)


def describe_params(book: RuleBook, rule_id: str) -> list[ParamInfo]:
    """Every input of a rule with its label, unit, limits, whether it is required and its choices."""
    rule = book.resolve(rule_id)
    required = {p.name for p in required_params(book, rule.id)}
    out = []
    for n in rule.all_names():
        spec = book.param(n)
        choices = None
        if spec.type == "choice" and spec.vocabulary in book.vocabulary:
            choices = {k: v.label for k, v in book.vocabulary[spec.vocabulary].values.items()}
        out.append(
            ParamInfo(
                name=n, label=spec.label, type=spec.type, unit=spec.unit, required=n in required,
                min=spec.min, max=spec.max, choices=choices, aliases=spec.aliases,
            )
        )
    return out


# ---------------------------------------------------------------- amounts
def _select(book: RuleBook, param: str, chosen: frozenset[str], values: Mapping[str, Decimal]) -> tuple[Decimal, str]:
    amounts = {values[c] for c in chosen}
    spec = book.param(param)
    labels = "、".join(book.value_label(spec.vocabulary or param, c) for c in sorted(chosen))
    if len(amounts) > 1:
        options = "；".join(f"{book.value_label(spec.vocabulary or param, k)}：{v}" for k, v in values.items())
        raise ParamError(
            f"参数 {spec.display} 包含多种情况（{labels}），标准不同（{options}），请写明其中一种",
            param=param,
            code="ambiguous_choice",
        )
    return amounts.pop(), labels


def describe_amount(book: RuleBook, rule: Rule) -> str:
    """The rule's standard in one Chinese line, e.g. 每人 500元 / 中小微企业 90%，大型企业 50%."""
    cap = "最高" if rule.is_cap else ""
    if rule.kind in ("per_head", "cap_per_head"):
        return "；".join(
            f"{t.label + '：' if t.label else ''}每{t.per}{cap}{format_yuan(t.amount, wan=False)}" for t in rule.terms
        )
    if rule.kind == "rate" and rule.divide_by:
        return f"{book.param(rule.base).label} ÷ " + " ÷ ".join(_plain(d) for d in rule.divide_by)
    if rule.kind == "rate":
        if rule.rate_by:
            spec = book.param(rule.rate_by.param)
            by_rate: dict[Decimal, list[str]] = {}
            for k, v in rule.rate_by.values.items():
                by_rate.setdefault(v, []).append(book.value_label(spec.vocabulary or spec.name, k))
            return "，".join(f"{'、'.join(ks)} {_times(v)}" for v, ks in by_rate.items()) + f"（× {book.param(rule.base).label}）"
        text = _times(rule.rate, rule) if rule.minus_rate is None else f"({_times(rule.rate, rule)} − {_times(rule.minus_rate)})"
        every = f"，按{book.param(rule.times.param).label}计，最长{_plain(rule.times.max)}{book.param(rule.times.param).unit}" if rule.times and rule.times.max is not None else ""
        cap = ""
        if rule.cap:
            cap = (f"，最高{format_yuan(rule.cap.amount)}" if rule.cap.amount is not None
                   else f"，最高{book.param(rule.base).label} × {_times(rule.cap.rate)}")
        return f"{book.param(rule.base).label} × {text}{every}{cap}"
    if rule.kind == "tiered":
        return "；".join(f"{t.label} {_amount_text(rule, t.amount)}" for t in rule.tiers)
    if rule.kind in ("fixed", "lump_cap"):
        every = f"每{rule.per_period}" if rule.per_period else ""
        if rule.amount_by:
            spec = book.param(rule.amount_by.param)
            return "；".join(
                f"{book.value_label(spec.vocabulary or spec.name, k)} {every}{cap}{format_yuan(v)}"
                for k, v in rule.amount_by.values.items()
            )
        return f"{every}{cap}{format_yuan(rule.amount)}"
    if rule.kind == "not_stated":
        return NOT_STATED
    return "不涉及补贴金额（" + "；".join(f"{f.label}：{f.value}" for f in rule.facts) + "）"


def threshold_value(th: Threshold, values: Mapping[str, Any], unit: str = "") -> tuple[bool, str] | None:
    """(met, description of the actual value with `unit`) or None when its inputs are not given (or a bound
    leaves it open). A bound carries the unit after each of its numbers (满1年不足5年)."""
    if any(p not in values for p in th.params):
        return None
    if th.param:
        v = values[th.param]
        if isinstance(v, Interval):
            # "不到30人" fails "30人以上" whatever the exact number; "不足5年" against "满1年" depends on it
            met = v.meets(th.value, th.phrase)
            return None if met is None else (met, v.describe(unit))
        return meets_threshold(v, th.value, th.phrase), _plain(v) + unit
    if any(isinstance(values[p], Interval) for p in th.ratio or ()):
        return None
    num, den = (values[p] for p in th.ratio)  # type: ignore[union-attr]
    # compare num ≥ value × den instead of dividing: exact for every input
    met = meets_threshold(num, th.value * den, th.phrase)
    share = num * 100 / den
    shown = _plain(share) if share == share.quantize(Decimal("0.01")) else f"约{share.quantize(Decimal('0.01'))}"
    return met, f"{_grouped(num)} ÷ {_grouped(den)} = {shown}%"


def _tier_reached(rule: Rule, value: Decimal | Interval) -> int | None:
    """Index of the highest tier `value` reaches (-1: below the lowest); None when a bound leaves it open."""
    if isinstance(value, Interval):
        met = [value.meets(t.min, t.phrase) for t in rule.tiers]
        if None in met:
            return None
    else:
        met = [meets_threshold(value, t.min, t.phrase) for t in rule.tiers]
    return max((i for i, m in enumerate(met) if m), default=-1)


def _open_tiers(book: RuleBook, rule: Rule, value: Interval) -> str:
    """The schedule's steps a bound still allows ("不足1年：不能领取；1年及以上 12个月")."""
    met = [value.meets(t.min, t.phrase) for t in rule.tiers]
    steps = []
    if met[0] is not True:
        steps.append(f"未达到“{rule.tiers[0].label}”：{_amount_text(rule, Decimal(0))}")
    for i, t in enumerate(rule.tiers):
        if met[i] is not False and (i + 1 == len(rule.tiers) or met[i + 1] is not True):
            steps.append(f"“{t.label}”：{_amount_text(rule, t.amount)}")
    return "；".join(steps)


def _exact_needed(book: RuleBook, rule: Rule, values: Mapping[str, Any]) -> None:
    """A bound is no figure to compute with: the inputs an amount multiplies or adds must be exact."""
    computed = [rule.base, *(t.param for t in rule.terms), rule.times.param if rule.times else None,
                rule.plus.param if rule.plus else None]
    for name in dict.fromkeys(n for n in computed if n):
        value = values.get(name)
        if isinstance(value, Interval):
            spec = book.param(name)
            raise ParamError(f"计算需要确切的{spec.label}：您说的是“{value.describe(spec.unit)}”，"
                             f"请告诉我具体是多少", param=name, code="bound_only")
    if rule.kind == "tiered" and isinstance(values.get(rule.count), Interval):
        value = values[rule.count]
        if _tier_reached(rule, value) is None:
            spec = book.param(rule.count)
            raise ParamError(f"{spec.label}“{value.describe(spec.unit)}”还不能确定属于哪一档（{_open_tiers(book, rule, value)}），"
                             f"请告诉我确切的{spec.label}", param=rule.count, code="bound_only")


def _compute(book: RuleBook, rule: Rule, bound: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, raw in bound.items():
        values[name] = coerce_param(book, book.param(name), raw)
    # an input the document converts from another the asker states (月工资 ÷ 21.75 = 日工资收入)
    steps: list[str] = []
    derived_quotes: list[LocatedQuote] = []
    for d, quote in zip(rule.derive, rule.derive_quotes):
        source = values.get(d.source)
        if d.param in values or source is None:
            continue
        if isinstance(source, Interval):
            spec = book.param(d.source)
            raise ParamError(f"计算需要确切的{spec.label}：您说的是“{source.describe(spec.unit)}”，"
                             f"请告诉我具体是多少", param=d.source, code="bound_only")
        src, dst = book.param(d.source), book.param(d.param)
        # money is paid in 分: the converted wage is rounded to it, and the rest computes with what is shown
        value, sign = _to_fen(source / d.divide_by, dst.type == "money")
        values[d.param] = value
        steps.append(f"{src.label}{_shown_value(src, source)} ÷ {_plain(d.divide_by)} {sign} {dst.label}{_shown_value(dst, value)}"
                     + (_ROUNDED if sign == "≈" else ""))
        derived_quotes.append(quote)
    missing = _missing(book, rule, set(values))
    if missing:
        names = "、".join(p.display for p in missing)
        lead = "缺少参数" if len(rule.terms) <= 1 or any(m.name in rule.required_names() for m in missing) else "至少需要以下一项参数"
        raise ParamError(f"{lead}：{names}", param=missing[0].name, code="missing_param")
    for t in rule.terms:
        if t.max_param and t.param in values and t.max_param in values and values[t.param] > values[t.max_param]:
            a, b = book.param(t.param), book.param(t.max_param)
            raise ParamError(f"参数 {a.display} 不能超过 {b.display}", param=t.param, code="exceeds_total")
    _exact_needed(book, rule, values)
    if len(rule.terms) > 1 and all(values.get(t.param, 0) == 0 for t in rule.terms):
        names = "、".join(book.param(t.param).display for t in rule.terms)
        raise ParamError(f"{names} 至少一项须大于 0", param=rule.terms[0].param, code="zero")

    failed: list[tuple[Threshold, str]] = []
    unchecked: list[Threshold] = []
    for th in rule.thresholds:
        res = threshold_value(th, values, (book.param(th.param).unit or "") if th.param else "")
        if res is None:
            unchecked.append(th)
        elif not res[0]:
            failed.append((th, res[1]))
    # eligibility as far as the inputs decide it: None when the rule states no threshold they can check
    eligible: bool | None = False if failed else (True if rule.thresholds and not unchecked else None)

    cap = "最高" if rule.is_cap else ""
    amount: Decimal | None = None
    amount_max: Decimal | None = None  # the upper end when the document states a range
    formula = ""
    if failed:
        th, actual = failed[0]
        subject = book.param(th.param).label + actual if th.param else actual
        formula = f"不符合“{th.label}”（{subject}）"
        if rule.amount_stated:
            amount = Decimal(0)
            formula += " → 0元"
    elif rule.kind in ("per_head", "cap_per_head"):
        parts, total = [], Decimal(0)
        for t in rule.terms:
            if t.param not in values:
                continue
            n = values[t.param]
            total += n * t.amount
            parts.append(f"{t.label}{_count(n, t.per)} × {cap}{_grouped(t.amount)}元/{t.per}")
        amount = total
        formula = " + ".join(parts) + f" = {cap}{format_yuan(total)}"
    elif rule.kind == "rate" and rule.divide_by:
        base = values[rule.base]
        divisor = Decimal(1)
        for d in rule.divide_by:
            divisor *= d
        amount, sign = _to_fen(base / divisor, rule.unit == "元")
        shown_base = _shown_value(book.param(rule.base), base)
        shown_div = _plain(rule.divide_by[0]) if len(rule.divide_by) == 1 else \
            "（" + " × ".join(_plain(d) for d in rule.divide_by) + "）"
        formula = f"{shown_base} ÷ {shown_div} {sign} {_amount_text(rule, amount)}" + (_ROUNDED if sign == "≈" else "")
    elif rule.kind == "rate":
        base = values[rule.base]
        if rule.rate_by:
            rate, _ = _select(book, rule.rate_by.param, values[rule.rate_by.param], rule.rate_by.values)
        else:
            rate = rule.rate
        shown_base = _shown_value(book.param(rule.base), base)
        if rule.minus_rate is not None:
            amount = base * (rate - rule.minus_rate)
            formula = f"{shown_base} × ({_times(rate)} − {_times(rule.minus_rate)}) = {_amount_text(rule, amount)}"
        elif rule.rate_max is not None:
            # "1倍以上3倍以下": both ends, each a product of the asker's base
            amount, amount_max = base * rate, base * rule.rate_max
            formula = (f"{shown_base} × {_rate_range(rule)} = "
                       f"{_amount_text(rule, amount)}至{_amount_text(rule, amount_max)}")
        else:
            amount = base * rate
            # in the rule's own unit: a share of a head count is people (150人 × 30% = 45人), not 元
            formula = f"{shown_base} × {_times(rate, rule)} = {_amount_text(rule, amount)}"
    elif rule.kind == "tiered":
        n = values[rule.count]
        label = book.param(rule.count).label
        top = _tier_reached(rule, n)
        eligible = top is not None and top >= 0
        unit = book.param(rule.count).unit or rule.per
        said = n.describe(unit) if isinstance(n, Interval) else _count(n, unit)
        if eligible:
            tier = rule.tiers[top]
            amount = tier.amount
            formula = f"{label}{said}，达到“{tier.label}”档 → {_amount_text(rule, tier.amount)}"
        else:
            amount = Decimal(0)
            formula = f"{label}{said}，未达到最低档“{rule.tiers[0].label}” → {_amount_text(rule, Decimal(0))}"
    elif rule.kind in ("fixed", "lump_cap"):
        every = f"每{rule.per_period}" if rule.per_period else ""
        prefix = ""
        if rule.amount_by:
            amount, chosen = _select(book, rule.amount_by.param, values[rule.amount_by.param], rule.amount_by.values)
            prefix = f"{chosen}："
        else:
            amount = rule.amount
        formula = f"{prefix}{every}{cap}{format_yuan(amount)}"
    elif rule.kind == "not_stated":
        formula = NOT_STATED
    else:
        formula = "；".join(f"{f.label}：{f.value}" for f in rule.facts) or "不涉及补贴金额"

    if amount is not None and not failed and rule.times is not None and rule.times.param in values:
        # 按月发放: the monthly amount times the months the asker states, at most the document's maximum
        months = values[rule.times.param]
        spec = book.param(rule.times.param)
        used = months if rule.times.max is None or months <= rule.times.max else rule.times.max
        over = f"（文件规定最长{_plain(rule.times.max)}{spec.unit}，按{_plain(used)}{spec.unit}计）" if used != months else ""
        per, per_max = amount, amount_max
        amount = per * used
        every = spec.unit.lstrip("个")
        if per_max is None:
            formula = f"{formula.rsplit(' = ', 1)[0]} = {format_yuan(per, wan=False)}/{every}；× {_count(used, spec.unit)}{over} = {format_yuan(amount)}"
        else:
            amount_max = per_max * used
            formula = (f"{formula.rsplit(' = ', 1)[0]} = {format_yuan(per, wan=False)}至{format_yuan(per_max, wan=False)}/{every}"
                       f"；× {_count(used, spec.unit)}{over} = {format_yuan(amount)}至{format_yuan(amount_max)}")
    merged = False
    if amount is not None and not failed and eligible is not False and rule.plus is not None and rule.plus.param in values:
        # 合并计算: the asker's figure (前次未领取的期限) joins the rule's result, the sum at most the stated limit
        spec = book.param(rule.plus.param)
        extra = values[rule.plus.param]
        total = amount + extra
        formula += f"；与{spec.label}{_count(extra, spec.unit)}合并计算：{_plain(amount)} + {_plain(extra)} = {_amount_text(rule, total)}"
        if rule.plus.max is not None and total > rule.plus.max:
            # the last " = " gives the result, so the answer's working keeps the sum and the limit before it
            formula += f"，文件规定最长不得超过{_amount_text(rule, rule.plus.max)} = {_amount_text(rule, rule.plus.max)}"
            total = rule.plus.max
        amount, merged = total, True
    cap_amount = None
    if rule.cap is not None:
        cap_amount = rule.cap.amount if rule.cap.amount is not None else (
            values[rule.base] * rule.cap.rate if rule.base in values else None)
    if amount is not None and not failed and cap_amount is not None and amount > cap_amount:
        limit = format_yuan(cap_amount) if rule.cap.amount is not None else (
            f"{book.param(rule.base).label} × {_times(rule.cap.rate)} = {format_yuan(cap_amount)}")
        formula += f"，超过文件规定的最高{limit}，按最高标准 → {format_yuan(cap_amount)}"
        amount = cap_amount
    if amount_max is not None and cap_amount is not None and amount_max > cap_amount:
        formula += f"，上限超过文件规定的最高{format_yuan(cap_amount)}，按最高标准计"
        amount_max = cap_amount
    if amount is not None:
        # 100000 × 0.9 is Decimal("90000.0"): keep the value exact but drop zeros that only echo the rate
        amount = _tidy(amount)
    if amount_max is not None and (failed or amount is None):
        amount_max = None
    elif amount_max is not None:
        amount_max = _tidy(amount_max)
    used: list[LocatedQuote] = []
    if rule.kind == "tiered" and not failed and values.get(rule.count) is not None:
        top = _tier_reached(rule, values[rule.count])
        if top is not None and 0 <= top < len(rule.tier_quotes):
            used.append(rule.tier_quotes[top])
        elif rule.tier_quotes:
            used.append(rule.tier_quotes[0])  # below the lowest tier: the lowest tier's words decide it
    if merged and rule.plus_quote is not None:
        used.append(rule.plus_quote)
    if "最长" in formula and rule.times_quote is not None:
        used.append(rule.times_quote)
    if "按最高标准" in formula and rule.cap_quote is not None:
        used.append(rule.cap_quote)
    if steps and formula:
        # the conversion first, then the computation with the converted figure
        formula = "；".join(steps) + "；" + formula
        used += derived_quotes
    return {
        "used": used,
        "values": values,
        "amount": amount,
        "amount_max": amount_max,
        "formula": formula,
        "eligible": eligible,
        "unchecked": unchecked,
        "failed": failed,
    }


# ---------------------------------------------------------------- citations, validity
def rule_citations(book: RuleBook, rule: Rule, used: list[LocatedQuote] | None = None) -> list[Citation]:
    """The rule's quotes (and exclusion quotes from other clauses) as numbered citations, no span twice;
    `used`: the quotes of the numbers a computation used (its tier, cap, limit), cited first."""
    doc = book.doc(rule.doc_id)
    located: list[LocatedQuote] = [*(used or []), *rule.citations]
    for ref in rule.excludes:
        located += ref.quotes
    out: list[Citation] = []
    for lq in located:
        if any(c.start <= lq.start and lq.end <= c.end for c in out):
            continue
        clause = doc.clauses[lq.clause_id]
        out.append(
            Citation(
                n=len(out) + 1, doc_id=rule.doc_id, document=document_name(doc.meta), clause_id=lq.clause_id,
                label=clause.label,
                title=clause.title, quote=lq.quote, start=lq.start, end=lq.end,
            )
        )
    return out


def rule_validity(book: RuleBook, rule: Rule, as_of: date) -> Validity:
    """In force or lapsed on `as_of`, judged on the periods this rule's own quotes state."""
    clause = book.doc(rule.doc_id).clauses[rule.clause_id]
    validity = clause_validity(clause.model_copy(update={"periods": rule.periods}), as_of,
                               meta=book.doc(rule.doc_id).meta)
    if rule.period:
        validity.period = rule.period.text
    return validity


# ---------------------------------------------------------------- the calculator
def _exclusion_texts(rule: Rule) -> list[str]:
    """One line per exclusion the document states; a group exclusion lists the rules it covers."""
    merged: dict[tuple, tuple[str | None, list[str], list[str]]] = {}
    for ref in rule.excludes:
        key = (ref.group, tuple(q.start for q in ref.quotes))
        group, titles, quotes = merged.setdefault(key, (ref.group, [], [q.quote for q in ref.quotes]))
        titles.append(ref.label)
    lines = []
    for group, titles, quotes in merged.values():
        said = "；".join(f"“{q}”" for q in quotes)
        if group:
            lines.append(f"不能与“{group}”同时享受（本文件中包括：{'、'.join(titles)}；原文：{said}）")
        else:
            lines.append(f"不能与“{'”“'.join(titles)}”同时享受（原文：{said}）")
    return lines


def _eligibility_text(rule: Rule) -> list[str]:
    alts = rule.eligibility or []
    if not alts:
        return []

    def one(a) -> str:
        extra = "；".join(a.conditions + ([a.undetermined] if a.undetermined else []))
        return a.label + (f"（{extra}）" if extra else "")

    if len(alts) == 1:
        return [f"适用对象：{one(alts[0])}"]
    marks = "①②③④⑤⑥⑦⑧⑨⑩"
    return ["适用对象（满足其一）：" + "；".join(f"{marks[i] if i < 10 else i + 1}{one(a)}" for i, a in enumerate(alts))]


def _json_value(v: Any) -> Any:
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else str(v)
    if isinstance(v, Interval):
        return {k: _json_value(b) for k, b in v.bounds().items()}
    if isinstance(v, frozenset):
        items = sorted(v)
        return items[0] if len(items) == 1 else items
    return v


def calculate(
    book: RuleBook, rule_id: str, params: Mapping[str, Any] | None = None, *, as_of: date
) -> CalcOutcome:
    """Compute one rule's amount (or say the document states none); bad input gives ok=False, never raises."""
    if not isinstance(rule_id, str) or not rule_id.strip():
        return CalcOutcome(
            rule_id=str(rule_id), ok=False,
            error=CalcError(code="unknown_rule", message="缺少规则名称（rule_id）", param="rule_id"),
        )
    try:
        rule = book.resolve(rule_id)
    except UnknownRuleError as exc:
        return CalcOutcome(rule_id=rule_id, ok=False, error=CalcError(code=exc.code, message=exc.message, param="rule_id"))
    head = dict(
        rule_id=rule.id,
        title=rule.title,
        kind=rule.kind,
        citations=rule_citations(book, rule),
        validity=rule_validity(book, rule, as_of),
        amount_stated=rule.amount_stated,
        facts=[FactOut(label=f.label, value=f.value) for f in rule.facts],
    )
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        return CalcOutcome(
            **head, ok=False,
            error=CalcError(code="bad_params", message="参数应为“参数名=数值”的键值对", param="params"),
        )
    try:
        bound, unused = _bind(book, rule, params)
        res = _compute(book, rule, bound)
    except ParamError as exc:
        return CalcOutcome(**head, ok=False, error=CalcError(code=exc.code, message=exc.message, param=exc.param))

    conditions = _eligibility_text(rule) + list(rule.conditions)
    conditions += [f"需满足：{th.label}" for th in res["unchecked"]]
    notes = [rule.note] if rule.note else []
    if res["failed"]:
        notes.append("；".join(f"未满足“{th.label}”" for th, _ in res["failed"]) + "，按本文件不能享受该项政策。")
    if rule.kind == "not_stated":
        notes.append(f"{NOT_STATED}，具体标准请咨询 {HOTLINE} 或当地人社部门。")
    amount = res["amount"]
    if amount is not None and amount != amount.quantize(Decimal("0.01")):
        notes.append("以上为精确计算结果；本文件未规定取整方式，实际发放金额以经办机构核定为准。")
    if rule.is_cap and res["amount"]:
        notes.append("文件规定的是最高标准，实际金额以经办机构核定为准。")
    if unused:
        notes.append(f"未使用的参数：{'、'.join(unused)}")
    if not rule.reviewed:
        notes.append(UNREVIEWED)
    if res["used"]:
        head["citations"] = rule_citations(book, rule, res["used"])
    calc = Calculation(
        rule_id=rule.id,
        inputs={k: _json_value(v) for k, v in res["values"].items()},
        formula=res["formula"],
        amount=res["amount"],
        amount_max=res["amount_max"],
        unit=f"{rule.unit}/{rule.per_period}" if rule.per_period else rule.unit,
        is_cap=rule.is_cap,
        conditions=conditions,
        exclusions=_exclusion_texts(rule),
        note=" ".join(notes),
    )
    return CalcOutcome(**head, ok=True, calculation=calc, eligible=res["eligible"], reviewed=rule.reviewed)
