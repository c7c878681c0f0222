"""Codified rules: `corpus/rules/<doc-id>.yaml` → a `RuleBook` whose every quote was found in its source.

A rules file is data: amounts, rates, tiers, thresholds, exclusions and periods, each resting on a
verbatim quote of its clause. `load_rules` finds every quote in the parsed document (only page-break
line breaks are skipped), checks that every number a rule computes with appears in its quotes, and
raises `RuleDataError` naming the rule and the quote otherwise, so a typo fails at start-up instead of
in an answer to a citizen. Interpretation is generic over rule kinds: a new document with its rules
file needs no code change.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Literal, Mapping

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from index.errors import PolicyQAError
from index.parse import locate_quote
from index.types import ParsedDocument, Period

#: libyaml's parser where PyYAML was built with it (several times faster on the rules files), the same safe subset
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

__all__ = [
    "RuleDataError",
    "UnknownRuleError",
    "VocabularyError",
    "RuleKind",
    "ParamSpec",
    "Param",
    "Term",
    "Selection",
    "Tier",
    "Threshold",
    "Alternative",
    "NotIn",
    "Fact",
    "LocatedQuote",
    "ExclusionRef",
    "Rule",
    "RuleBook",
    "load_rules",
    "build_rulebook",
    "meets_threshold",
    "threshold_operator",
    "Interval",
    "as_interval",
]


class RuleDataError(PolicyQAError):
    """A rules file is malformed, or quotes text its source document does not contain."""

    code = "rule_data_error"


class UnknownRuleError(PolicyQAError):
    code = "unknown_rule"


class VocabularyError(PolicyQAError):
    """A profile or parameter value is not a word the rules' vocabulary knows."""

    code = "unknown_value"

    def __init__(self, message: str, *, field: str, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.field = field


# ---------------------------------------------------------------- thresholds
# 《民法典》第一千二百五十九条：民法所称的“以上”“以下”“以内”“届满”，包括本数；所称的“不满”“超过”“以外”，
# 不包括本数。Policy documents follow the same usage, so the inclusiveness of every threshold is
# decided here, once, from the document's own phrase.
_THRESHOLD_PHRASES: dict[str, str] = {
    "以上": ">=",
    "及以上": ">=",
    "届满": ">=",
    "不少于": ">=",
    "不低于": ">=",
    "达到": ">=",
    "至少": ">=",
    "以下": "<=",
    "及以下": "<=",
    "以内": "<=",
    "不超过": "<=",
    "不高于": "<=",
    "最高": "<=",
    "至多": "<=",
    "超过": ">",
    "高于": ">",
    "多于": ">",
    "不满": "<",
    "未满": "<",
    "不足": "<",
    "低于": "<",
    "少于": "<",
}


def threshold_operator(phrase: str) -> str:
    """The comparison a threshold phrase means (">=", "<=", ">" or "<"); RuleDataError if unknown."""
    try:
        return _THRESHOLD_PHRASES[phrase]
    except KeyError:
        raise RuleDataError(
            f"无法识别的门槛用语“{phrase}”，可用：{'、'.join(_THRESHOLD_PHRASES)}", code="rule_bad_phrase"
        ) from None


def meets_threshold(value: Decimal | int, bound: Decimal | int, phrase: str) -> bool:
    """Whether `value` meets a threshold written as `bound` + `phrase` (以上/以下/届满 include `bound`)."""
    op = threshold_operator(phrase)
    v, b = Decimal(value), Decimal(bound)
    if op == ">=":
        return v >= b
    if op == "<=":
        return v <= b
    if op == ">":
        return v > b
    return v < b


_BOUND_WORDS = {"ge": "满", "gt": "超过", "le": "不超过", "lt": "不足"}


class Interval(BaseModel):
    """What an asker states as a bound, not a figure ("不足5年", "满1年不足5年", "十多年"): the values it
    allows. In a question's slots it travels as a plain mapping ({"ge": 1, "lt": 5}), see `as_interval`."""

    model_config = ConfigDict(frozen=True)
    low: Decimal | None = None
    low_open: bool = False  # 超过 5: 5 itself is not allowed
    high: Decimal | None = None
    high_open: bool = False  # 不足 5

    @classmethod
    def from_bounds(cls, bounds: Mapping[str, Any]) -> Interval:
        """From {"ge"|"gt"|"le"|"lt": number}; ValueError on any other key or value."""
        if not bounds or any(k not in _BOUND_WORDS for k in bounds) or ("ge" in bounds and "gt" in bounds) or (
                "le" in bounds and "lt" in bounds):
            raise ValueError(f"not a bound: {dict(bounds)!r}")
        number = {k: Decimal(str(v)) for k, v in bounds.items() if not isinstance(v, bool)}
        if len(number) != len(bounds) or not all(v.is_finite() for v in number.values()):
            raise ValueError(f"not a bound: {dict(bounds)!r}")
        low = number.get("ge", number.get("gt"))
        high = number.get("le", number.get("lt"))
        return cls(low=low, low_open="gt" in number, high=high, high_open="lt" in number)

    def bounds(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        if self.low is not None:
            out["gt" if self.low_open else "ge"] = self.low
        if self.high is not None:
            out["lt" if self.high_open else "le"] = self.high
        return out

    def describe(self, unit: str = "") -> str:
        """满1年不足5年, 超过10年: the bound in the asker's own kind of words."""
        return "".join(f"{_BOUND_WORDS[k]}{_plain(v)}{unit}" for k, v in self.bounds().items())

    def meets(self, bound: Decimal | int, phrase: str) -> bool | None:
        """Whether every allowed value meets a threshold (True), none does (False), or it depends (None)."""
        op, b = threshold_operator(phrase), Decimal(bound)
        lo, hi = self.low, self.high
        if op in (">=", ">"):
            strict = op == ">"
            if lo is not None and (lo > b or (lo == b and (not strict or self.low_open))):
                return True
            if hi is not None and (hi < b or (hi == b and (strict or self.high_open))):
                return False
            return None
        strict = op == "<"
        if hi is not None and (hi < b or (hi == b and (not strict or self.high_open))):
            return True
        if lo is not None and (lo > b or (lo == b and (strict or self.low_open))):
            return False
        return None

    def empty(self) -> bool:
        """满5年不足1年: no value is allowed."""
        if self.low is None or self.high is None:
            return False
        return self.low > self.high or (self.low == self.high and (self.low_open or self.high_open))


def as_interval(value: Any) -> Interval | None:
    """The interval a slot or parameter value states ({"lt": 5}), or None when it is a plain value."""
    if isinstance(value, Interval):
        return value
    if isinstance(value, Mapping):
        try:
            return Interval.from_bounds(value)
        except (ValueError, ArithmeticError):
            return None
    return None


# ---------------------------------------------------------------- the YAML schema
def _to_decimal(value: Any) -> Any:
    """Amounts are written as strings in YAML ("500", "0.9"); floats go through str to stay exact."""
    if isinstance(value, bool):
        raise ValueError("expected a number, got a boolean")
    if isinstance(value, (int, float, str)):
        try:
            return Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
    return value


Num = Annotated[Decimal, BeforeValidator(_to_decimal)]


def _quote_from_str(value: Any) -> Any:
    return {"text": value} if isinstance(value, str) else value


class QuoteSpec(BaseModel):
    """A verbatim quote; `clause` is a clause path of the same document (default: the rule's clause)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    text: str = Field(min_length=2)
    clause: str | None = None


QuoteIn = Annotated[QuoteSpec, BeforeValidator(_quote_from_str)]

RuleKind = Literal[
    "per_head", "cap_per_head", "rate", "tiered", "fixed", "lump_cap", "eligibility_only", "not_stated"
]
ParamType = Literal["count", "money", "share", "duration", "number", "choice"]


class ParamSpec(BaseModel):
    """One input of a calculation, defined once per rules file and shared by the rules that use it."""

    model_config = ConfigDict(extra="forbid")
    name: str = ""
    label: str
    type: ParamType
    unit: str = ""
    min: Num | None = None
    max: Num | None = None
    decimals: int | None = None
    vocabulary: str | None = None
    # what people call it: the nouns a question binds a number to ("参保职工", "职工")
    aliases: list[str] = Field(default_factory=list)
    classifiers: list[str] = Field(default_factory=list)  # 人 / 名 / 位 …: the words counting it
    part_of: str | None = None  # a count that is part of another parameter's count (其中…)
    # a count of persons the asker lists ("配偶和两个孩子"): each word that names one of them, with how many
    # persons the word names when said without a numeral (父母: 2); a numeral before the word counts instead
    members: dict[str, int] = Field(default_factory=dict)
    description: str = ""

    @property
    def display(self) -> str:
        """How messages name the parameter: its Chinese label plus its key, e.g. 本人工资（monthly_wage）."""
        return f"{self.label}（{self.name}）"


Param = ParamSpec


class Term(BaseModel):
    """count × amount, one product of a per-head sum."""

    model_config = ConfigDict(extra="forbid")
    param: str
    amount: Num
    per: str = "人"
    label: str = ""
    max_param: str | None = None  # the count is part of another count and cannot exceed it


class Selection(BaseModel):
    """An amount or rate chosen by a choice parameter (size → rate, park level → amount)."""

    model_config = ConfigDict(extra="forbid")
    param: str
    values: dict[str, Num]


class Tier(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min: Num
    phrase: str = "及以上"
    amount: Num
    quote: QuoteIn
    unit: str = ""  # the counted parameter's unit (filled in on loading: 人, 年 …)

    @property
    def label(self) -> str:
        return f"{_plain(self.min)}{self.unit or '人'}{self.phrase}"


class CapSpec(BaseModel):
    """最高不超过X元: the result is at most this amount; or, with `rate`, at most that multiple of the rule's
    base (最多不超过本人十五个月的失业保险金标准: 15 × the base)."""

    model_config = ConfigDict(extra="forbid")
    amount: Num | None = None
    rate: Num | None = None
    quote: QuoteIn

    @model_validator(mode="after")
    def _one_limit(self) -> CapSpec:
        if (self.amount is None) == (self.rate is None):
            raise ValueError("a cap needs exactly one of amount / rate")
        return self


class TimesSpec(BaseModel):
    """A per-period amount times a duration the asker states (按月发放 × 月数), at most `max` (最长不超过…)."""

    model_config = ConfigDict(extra="forbid")
    param: str
    max: Num | None = None
    quote: QuoteIn | None = None
    # 每供养一人: without the count the rule's result is the figure for one, so the count is not required
    optional: bool = False


class DeriveSpec(BaseModel):
    """An input the rule needs, computed from another the asker states by a conversion the document gives
    (日工资收入 = 月工资 ÷ 月计薪天数（21.75天）): used only when the input itself is not stated."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    param: str
    source: str = Field(alias="from")
    divide_by: Num
    quote: QuoteIn


class PlusSpec(BaseModel):
    """合并计算: a figure the asker states (前次失业应领取而尚未领取的期限) added to the rule's result, the sum at
    most `max` (最长不得超过…). Optional: without it the rule's own result stands."""

    model_config = ConfigDict(extra="forbid")
    param: str
    max: Num | None = None
    quote: QuoteIn


class Threshold(BaseModel):
    """A condition on a parameter (or on the ratio of two) that decides eligibility, not the amount."""

    model_config = ConfigDict(extra="forbid")
    param: str | None = None
    ratio: tuple[str, str] | None = None
    phrase: str
    value: Num
    label: str
    quote: QuoteIn

    @model_validator(mode="after")
    def _one_subject(self) -> Threshold:
        if (self.param is None) == (self.ratio is None):
            raise ValueError("a threshold needs exactly one of param / ratio")
        threshold_operator(self.phrase)
        return self

    @property
    def params(self) -> list[str]:
        return [self.param] if self.param else list(self.ratio or ())


class ExclusionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rule: str | None = None
    group: str | None = None
    quote: QuoteIn

    @model_validator(mode="after")
    def _one_target(self) -> ExclusionSpec:
        if (self.rule is None) == (self.group is None):
            raise ValueError("an exclusion names exactly one of rule / group")
        return self


class PeriodSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str
    quotes: list[QuoteIn] = Field(min_length=1)


class Fact(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str
    value: str
    quote: QuoteIn | None = None


class NotIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    values: list[str] = Field(alias="not")


Criterion = bool | list[str] | NotIn


class Alternative(BaseModel):
    """One way to qualify: every criterion on the profile must hold (a rule qualifies by any one)."""

    model_config = ConfigDict(extra="forbid")
    label: str
    where: dict[str, Criterion] = Field(default_factory=dict)
    conditions: list[str] = Field(default_factory=list)
    undetermined: str | None = None  # a condition no profile field can decide


class VocabValue(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str
    aliases: list[str] = Field(default_factory=list)


class VocabField(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str
    aliases: list[str] = Field(default_factory=list)  # other keys people use for the field itself
    default: str | None = None  # the value when nobody says (e.g. the applicant is an 企业)
    # words that, right before one of this field's words, say the asker is its object, not it
    # ("招了大学生": the asker hires graduates, it is not one)
    object_cues: list[str] = Field(default_factory=list)
    free_text: bool = False
    values: dict[str, VocabValue]
    groups: dict[str, list[str]] = Field(default_factory=dict)


class FlagSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str
    aliases: list[str] = Field(default_factory=list)  # words that state the fact ("帮扶车间", "扶贫车间")
    default: bool | None = None  # what an applicant who says nothing is taken to be (None: unknown, ask)


class ProfileField(BaseModel):
    """One thing an applicant can say about itself, as the rule book defines it (for forms and schemas)."""

    name: str
    label: str
    type: str  # choice | flag | count | money | share | duration | number
    unit: str = ""
    aliases: list[str] = Field(default_factory=list)
    choices: list[tuple[str, str]] | None = None
    free_text: bool = False
    min: Num | None = None
    max: Num | None = None


class GroupSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str
    members: list[str] = Field(min_length=1)
    note: str = ""
    quotes: list[QuoteIn] = Field(default_factory=list)


class RuleSpec(BaseModel):
    """One measure as written in YAML."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    aliases: list[str] = Field(default_factory=list)
    clause: str
    kind: RuleKind
    quotes: list[QuoteIn] = Field(min_length=1)
    unit: str = "元"
    per_period: str | None = None
    params: list[str] = Field(default_factory=list)
    optional_params: list[str] = Field(default_factory=list)
    terms: list[Term] = Field(default_factory=list)
    base: str | None = None
    rate: Num | None = None
    rate_by: Selection | None = None
    minus_rate: Num | None = None
    # the upper end of a range of rates the document states ("处欠缴数额1倍以上3倍以下的罚款"): the rule
    # computes base × rate to base × rate_max
    rate_max: Num | None = None
    # a quotient the document defines (日工资 = 月工资收入 ÷ 月计薪天数; 小时工资 = ÷（月计薪天数 × 8小时）): the
    # base divided by the product of these, instead of multiplied by a rate
    divide_by: list[Num] = Field(default_factory=list)
    count: str | None = None
    per: str = "人"
    tiers: list[Tier] = Field(default_factory=list)
    amount: Num | None = None
    amount_by: Selection | None = None
    thresholds: list[Threshold] = Field(default_factory=list)
    conditions: list[str] = Field(default_factory=list)
    exclusions: list[ExclusionSpec] = Field(default_factory=list)
    facts: list[Fact] = Field(default_factory=list)
    period: PeriodSpec | None = None
    eligibility: list[Alternative] | None = None
    note: str = ""
    included_in: str | None = None
    cap: CapSpec | None = None
    times: TimesSpec | None = None
    plus: PlusSpec | None = None
    derive: list[DeriveSpec] = Field(default_factory=list)
    # drafted by `policy-qa rules draft` and not yet checked by a person against the text
    reviewed: bool = True

    @model_validator(mode="after")
    def _shape_fits_kind(self) -> RuleSpec:
        k = self.kind
        has_money = bool(self.terms or self.rate or self.rate_by or self.divide_by or self.tiers or self.amount or self.amount_by)
        if k in ("per_head", "cap_per_head") and not self.terms:
            raise ValueError(f"kind {k} needs terms")
        if k == "rate" and (not self.base or [self.rate is not None, self.rate_by is not None, bool(self.divide_by)].count(True) != 1):
            raise ValueError("kind rate needs base and exactly one of rate / rate_by / divide_by")
        if self.rate_max is not None and (k != "rate" or self.rate is None or self.minus_rate is not None
                                          or self.rate_max <= self.rate):
            raise ValueError("rate_max is the upper end of a rate rule's range: it needs rate, and exceeds it")
        if any(d <= 0 for d in self.divide_by):
            raise ValueError("divide_by takes positive numbers")
        if k == "tiered":
            if not self.count or not self.tiers:
                raise ValueError("kind tiered needs count and tiers")
            mins = [t.min for t in self.tiers]
            amounts = [t.amount for t in self.tiers]
            if mins != sorted(set(mins)) or amounts != sorted(amounts):
                raise ValueError("tiers must rise: strictly increasing thresholds, non-decreasing amounts")
        if k in ("fixed", "lump_cap") and (self.amount is None) == (self.amount_by is None):
            raise ValueError(f"kind {k} needs exactly one of amount / amount_by")
        if k in ("eligibility_only", "not_stated") and has_money:
            raise ValueError(f"kind {k} states no amount; remove terms/rates/tiers/amounts")
        return self

    @property
    def is_cap(self) -> bool:
        return self.kind in ("cap_per_head", "lump_cap")

    @property
    def amount_stated(self) -> bool | None:
        """False when the document names the benefit without an amount; None when no money is involved."""
        if self.kind == "not_stated":
            return False
        if self.kind == "eligibility_only":
            return None
        return True

    def required_names(self) -> list[str]:
        names: list[str] = []
        if len(self.terms) == 1:
            names.append(self.terms[0].param)
        for n in (self.base, self.rate_by.param if self.rate_by else None, self.count,
                  self.amount_by.param if self.amount_by else None,
                  self.times.param if self.times and not self.times.optional else None):
            if n:
                names.append(n)
        names += self.params
        return list(dict.fromkeys(names))

    def optional_names(self) -> list[str]:
        req = set(self.required_names())
        names = [t.param for t in self.terms] if len(self.terms) > 1 else []
        names += self.optional_params
        if self.plus:
            names.append(self.plus.param)
        names += [d.source for d in self.derive]
        if self.times and self.times.optional:
            names.append(self.times.param)
        for th in self.thresholds:
            names += th.params
        return [n for n in dict.fromkeys(names) if n not in req]

    def all_names(self) -> list[str]:
        return self.required_names() + self.optional_names()


class RuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    doc_id: str
    version: int = 1
    reviewed: bool = True  # False: every rule of the file is a draft
    vocabulary: dict[str, VocabField] = Field(default_factory=dict)
    flags: dict[str, FlagSpec] = Field(default_factory=dict)
    parameters: dict[str, ParamSpec] = Field(default_factory=dict)
    groups: dict[str, GroupSpec] = Field(default_factory=dict)
    rules: list[RuleSpec] = Field(min_length=1)


# ---------------------------------------------------------------- resolved rules
class LocatedQuote(BaseModel):
    """A quote found in the source: `quote` is the repaired source text, offsets are raw."""

    clause_id: str
    text: str
    quote: str
    start: int
    end: int


class ExclusionRef(BaseModel):
    """Another rule this one cannot be combined with, and the document's words saying so."""

    other: str
    label: str  # the other rule's title
    group: str | None = None  # the name the document used, when it excluded a whole group (一次性吸纳就业补贴)
    quotes: list[LocatedQuote]


class Rule(RuleSpec):
    """A rule whose quotes were found in its document, with the periods it rests on."""

    doc_id: str
    clause_id: str
    citations: list[LocatedQuote]
    periods: list[Period] = Field(default_factory=list)
    excludes: list[ExclusionRef] = Field(default_factory=list)
    fact_quotes: list[LocatedQuote | None] = Field(default_factory=list)
    # the quotes of the numbers a computation may use beyond the rule's own quotes, so an answer cites the
    # clause of every number in its formula: one per tier, and the cap's and the duration limit's
    tier_quotes: list[LocatedQuote] = Field(default_factory=list)
    cap_quote: LocatedQuote | None = None
    times_quote: LocatedQuote | None = None
    plus_quote: LocatedQuote | None = None
    derive_quotes: list[LocatedQuote] = Field(default_factory=list)  # one per `derive`, in order
    # a rate above one its quotes write as a percentage (日工资收入的300%), not as a multiple (3倍): shown so
    percent_rate: bool = False


class RuleBook:
    """Every loaded rule, with lookup by id, name and clause, the shared parameters and vocabulary."""

    def __init__(
        self,
        rules: list[Rule],
        *,
        parameters: dict[str, ParamSpec],
        vocabulary: dict[str, VocabField],
        flags: dict[str, FlagSpec],
        groups: dict[str, GroupSpec],
        docs: Mapping[str, ParsedDocument],
    ) -> None:
        self.rules: dict[str, Rule] = {r.id: r for r in rules}
        self.parameters = parameters
        self.vocabulary = vocabulary
        self.flags = flags
        self.groups = groups
        self.docs = docs
        self._order = {rid: i for i, rid in enumerate(self.rules)}
        self._aliases = {f: _alias_table(vf) for f, vf in vocabulary.items()}

    def __len__(self) -> int:
        return len(self.rules)

    def __iter__(self):
        return iter(self.rules.values())

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self.rules

    def order(self, rule_id: str) -> int:
        return self._order[rule_id]

    def get(self, rule_id: str) -> Rule:
        """The rule with this id; UnknownRuleError (Chinese message with close names) otherwise."""
        rule = self.rules.get(rule_id)
        if rule is not None:
            return rule
        hint = self.find(rule_id)
        extra = f"；您是否指：{'、'.join(f'{r.title}（{r.id}）' for r in hint[:5])}" if hint else ""
        raise UnknownRuleError(f"未找到规则“{rule_id}”{extra}。可用 policy-qa calc --list 查看全部规则")

    def _exact(self, key: str) -> list[Rule]:
        if key in self.rules:
            return [self.rules[key]]
        exact = [r for r in self if key == r.title or key in r.aliases]
        if exact:
            return exact
        for group in self.groups.values():
            if key == group.label:
                return [self.rules[m] for m in group.members if m in self.rules]
        return []

    def find(self, name: str) -> list[Rule]:
        """Rules whose id, title or alias is `name`; failing that, those whose names contain it or it them."""
        key = name.strip()
        if not key:
            return []
        return self._exact(key) or [
            r for r in self if any(key in n or (len(n) >= 3 and n in key) for n in [r.title, *r.aliases])
        ]

    def resolve(self, name: str) -> Rule:
        """One rule by id, title or alias; UnknownRuleError if none (with suggestions) or several match."""
        key = name.strip()
        exact = self._exact(key)
        if len(exact) == 1:
            return exact[0]
        if len(exact) > 1:
            names = "、".join(f"{r.title}（{r.id}）" for r in exact)
            raise UnknownRuleError(f"“{key}”对应多项规则：{names}，请指明其中一项", code="ambiguous_rule")
        return self.get(key)

    def by_clause(self, clause_id: str, *, cited: bool = False) -> list[Rule]:
        """Rules resting on a clause (its own clause; with cited=True also rules that quote it)."""
        own = [r for r in self if r.clause_id == clause_id]
        if not cited:
            return own
        more = [r for r in self if r not in own and any(q.clause_id == clause_id for q in r.citations)]
        return own + more

    def param(self, name: str) -> ParamSpec:
        return self.parameters[name]

    def excluded_pairs(self) -> set[frozenset[str]]:
        return {frozenset((r.id, x.other)) for r in self for x in r.excludes}

    def excludes(self, a: str, b: str) -> bool:
        return any(x.other == b for x in self.rules[a].excludes)

    def doc(self, doc_id: str) -> ParsedDocument:
        return self.docs[doc_id]

    # ------------------------------------------------------------ vocabulary
    def words(self, field: str) -> dict[str, frozenset[str]]:
        """Every word of a vocabulary field (keys, labels, aliases, group names) → the values it means."""
        return self._aliases[field]

    def profile_fields(self) -> list["ProfileField"]:
        """Every field a profile (a question, a form, an agent) can state: the vocabulary's fields, the
        yes/no flags and the calculation parameters, in the order the rules files define them."""
        out: list[ProfileField] = []
        for name, vf in self.vocabulary.items():
            out.append(ProfileField(name=name, label=vf.label, type="choice", aliases=vf.aliases,
                                    choices=[(k, v.label) for k, v in vf.values.items()], free_text=vf.free_text))
        for name, fs in self.flags.items():
            out.append(ProfileField(name=name, label=fs.label, type="flag", aliases=fs.aliases))
        for name, ps in self.parameters.items():
            if name in self.vocabulary:
                continue
            choices = None
            if ps.type == "choice" and ps.vocabulary in self.vocabulary:
                choices = [(k, v.label) for k, v in self.vocabulary[ps.vocabulary].values.items()]
            out.append(ProfileField(name=name, label=ps.label, type=ps.type, unit=ps.unit, aliases=ps.aliases,
                                    choices=choices, min=ps.min, max=ps.max))
        return out

    def field_label(self, field: str) -> str:
        if field in self.vocabulary:
            return self.vocabulary[field].label
        if field in self.flags:
            return self.flags[field].label
        if field in self.parameters:
            return self.parameters[field].label
        return field

    def value_label(self, field: str, value: str) -> str:
        vf = self.vocabulary.get(field)
        if vf and value in vf.values:
            return vf.values[value].label
        return value

    def normalise(self, field: str, text: str) -> frozenset[str]:
        """Canonical values a word means (小微 → {small, micro}); VocabularyError naming the field if unknown."""
        vf = self.vocabulary[field]
        word = str(text).strip()
        low = word.lower()
        if low in vf.values:
            return frozenset({low})
        table = self._aliases[field]
        if word in table:
            return table[word]
        if vf.free_text:
            # known words inside free text, a shorter one only when not part of a longer hit
            # (旅游景区 → 旅游 once; 餐饮和零售 → both, so a criterion can see the mix)
            kept: list[str] = []
            for hit in sorted((a for a in table if a and a in word), key=len, reverse=True):
                if not any(hit in k for k in kept):
                    kept.append(hit)
            return frozenset().union(*(table[k] for k in kept)) if kept else frozenset({word})
        options = "、".join(f"{v.label}（{k}）" for k, v in vf.values.items())
        groups = f"，或 {'、'.join(vf.groups)}" if vf.groups else ""
        raise VocabularyError(f"{vf.label}（{field}）无法识别“{word}”，可选：{options}{groups}", field=field)


def _alias_table(vf: VocabField) -> dict[str, frozenset[str]]:
    table: dict[str, frozenset[str]] = {}
    for key, v in vf.values.items():
        for word in (key, v.label, *v.aliases):
            table[word] = frozenset({key})
    for word, members in vf.groups.items():
        table[word] = frozenset(members)
    return table


def _plain(d: Decimal) -> str:
    return format(d.normalize(), "f") if d != d.to_integral_value() else str(int(d))


# ---------------------------------------------------------------- number check
def _number_forms(value: Decimal, *, as_rate: bool) -> list[str]:
    """How a number may be written in the source: 500, 1,500, 5万, 90%."""
    if as_rate:
        return [_plain(value * 100) + "%"]
    forms = [_plain(value)]
    if value == value.to_integral_value() and value >= 1000:
        forms.append(f"{int(value):,}")
    if value >= 10000:
        forms.append(_plain(value / 10000) + "万")
    return forms


# A law writes its figures in 汉字 (百分之八十, 千分之二, 十二个月, 二千元): read as digits for the check.
_CN_NUMERAL = "零〇一二两三四五六七八九十百千万"
_CN_SHARE = re.compile(rf"(百|千|万)分之([{_CN_NUMERAL}点]+)")
_CN_COUNT = re.compile(
    rf"([{_CN_NUMERAL}]*[一二两三四五六七八九十][{_CN_NUMERAL}]*)(?=个月|个|年|倍|元|人|名|日|天|%)"
)


def _hanzi_digits(text: str) -> str:
    import cn2an

    def share(m: re.Match) -> str:
        try:
            v = Decimal(str(cn2an.cn2an(m.group(2), "normal")))
        except (ValueError, KeyError, TypeError, IndexError):
            return m.group(0)
        return _plain(v / {"百": 1, "千": 10, "万": 100}[m.group(1)]) + "%"

    def count(m: re.Match) -> str:
        if m.group(1) == "一" and m.string[m.start() - 1 : m.start()] in ("上", "下", "同", "统", "唯", "第", "每"):
            return m.group(0)  # 上一年度, 每一名: words, not counts
        try:
            return _plain(Decimal(str(cn2an.cn2an(m.group(1).replace("〇", "零"), "normal"))))
        except (ValueError, KeyError, TypeError, IndexError):
            return m.group(0)

    return _CN_COUNT.sub(count, _CN_SHARE.sub(share, text))


def _number_in(value: Decimal, text: str, *, as_rate: bool) -> bool:
    compact = re.sub(r"\s+", "", text)
    compact = compact + "\n" + _hanzi_digits(compact)
    return any(
        re.search(r"(?<![\d.])" + re.escape(f) + r"(?![\d])", compact) for f in _number_forms(value, as_rate=as_rate)
    )


# ---------------------------------------------------------------- loading
def load_rules(corpus_dir: Path, docs: Mapping[str, ParsedDocument]) -> RuleBook:
    """Load every `corpus_dir/rules/*.yaml`, verifying quotes against `docs`; RuleDataError on any problem."""
    rules_dir = Path(corpus_dir) / "rules"
    files = sorted(rules_dir.glob("*.yaml")) if rules_dir.is_dir() else []
    if not files:
        raise RuleDataError(f"规则目录 {rules_dir} 中没有 .yaml 规则文件", code="rule_files_missing")
    raw_files: list[tuple[str, Any]] = []
    for path in files:
        try:
            raw_files.append((path.name, yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise RuleDataError(f"规则文件 {path.name} 无法读取或不是有效的 YAML：{exc}") from exc
    return build_rulebook(raw_files, docs)


def build_rulebook(files: list[tuple[str, Any]], docs: Mapping[str, ParsedDocument]) -> RuleBook:
    """Validate and resolve already-parsed rules files (name, data); the work behind `load_rules`."""
    parsed: list[tuple[str, RuleFile]] = []
    for name, data in files:
        if not isinstance(data, dict):
            raise RuleDataError(f"规则文件 {name} 应为键值映射")
        try:
            parsed.append((name, RuleFile.model_validate(data)))
        except ValidationError as exc:
            raise RuleDataError(f"规则文件 {name} 格式错误：{_brief(exc)}") from exc

    parameters: dict[str, ParamSpec] = {}
    vocabulary: dict[str, VocabField] = {}
    flags: dict[str, FlagSpec] = {}
    groups: dict[str, GroupSpec] = {}
    for name, rf in parsed:
        for pname, spec in rf.parameters.items():
            spec = spec.model_copy(update={"name": pname})
            if pname in parameters and parameters[pname] != spec:
                raise RuleDataError(f"规则文件 {name}：参数 {pname} 与其他规则文件中的定义不一致")
            parameters[pname] = spec
        for fname, vf in rf.vocabulary.items():
            vocabulary[fname] = _merge_vocab(vocabulary.get(fname), vf, name, fname)
        for fname, fs in rf.flags.items():
            if fname in flags:
                fs = FlagSpec(label=flags[fname].label, aliases=list(dict.fromkeys([*flags[fname].aliases, *fs.aliases])),
                              default=flags[fname].default if flags[fname].default is not None else fs.default)
            flags[fname] = fs
        for gname, g in rf.groups.items():
            if gname in groups:
                raise RuleDataError(f"规则文件 {name}：互斥组 {gname} 重复定义")
            groups[gname] = g

    specs: list[tuple[str, RuleFile, RuleSpec]] = []
    seen: set[str] = set()
    for name, rf in parsed:
        if rf.doc_id not in docs:
            raise RuleDataError(f"规则文件 {name} 所依据的文档 {rf.doc_id} 不在语料中", code="rule_doc_missing")
        for spec in rf.rules:
            if spec.id in seen:
                raise RuleDataError(f"规则 {spec.id} 重复定义（{name}）")
            seen.add(spec.id)
            specs.append((name, rf, spec))

    for _, rf in parsed:
        for gname, g in rf.groups.items():
            for m in g.members:
                if m not in seen:
                    raise RuleDataError(f"互斥组 {gname} 的成员 {m} 不是已定义的规则")
            for q in g.quotes:
                _locate(docs[rf.doc_id], rf.doc_id, q, default_clause=None, owner=f"互斥组 {gname}")

    rules = [_resolve(spec, rf, docs[rf.doc_id], parameters, vocabulary, flags) for _, rf, spec in specs]
    _link_exclusions(rules, groups, {rf.doc_id: docs[rf.doc_id] for _, rf in parsed})
    for r in rules:
        if r.included_in and r.included_in not in seen:
            raise RuleDataError(f"规则 {r.id} 的 included_in 指向未定义的规则 {r.included_in}")
    return RuleBook(rules, parameters=parameters, vocabulary=vocabulary, flags=flags, groups=groups, docs=docs)


def _brief(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(x) for x in err["loc"])
        parts.append(f"{loc}: {err['msg']}")
    return "；".join(parts)


def _merge_vocab(old: VocabField | None, new: VocabField, file: str, field: str) -> VocabField:
    if old is None:
        return new
    values = dict(old.values)
    for k, v in new.values.items():
        if k in values and values[k].label != v.label:
            raise RuleDataError(f"规则文件 {file}：词表 {field}.{k} 与其他规则文件不一致")
        values[k] = VocabValue(label=v.label, aliases=list(dict.fromkeys([*values.get(k, v).aliases, *v.aliases])))
    return VocabField(
        label=old.label, free_text=old.free_text or new.free_text, values=values, groups={**old.groups, **new.groups},
        aliases=list(dict.fromkeys([*old.aliases, *new.aliases])), default=old.default or new.default,
        object_cues=list(dict.fromkeys([*old.object_cues, *new.object_cues])),
    )


def _clause_id(doc_id: str, path: str) -> str:
    return f"{doc_id}#{path}"


def _locate(doc: ParsedDocument, doc_id: str, q: QuoteSpec, *, default_clause: str | None, owner: str) -> LocatedQuote:
    path = q.clause or default_clause
    if path is None:
        raise RuleDataError(f"{owner}：引文“{q.text}”未指明条款")
    cid = _clause_id(doc_id, path)
    clause = doc.clauses.get(cid)
    if clause is None:
        raise RuleDataError(f"{owner}：条款 {cid} 在文档中不存在", code="rule_clause_missing")
    span = locate_quote(doc, q.text, within=(clause.start, clause.end))
    if span is None:
        raise RuleDataError(
            f"{owner}：引文“{q.text}”在原文 {cid}（{clause.label}）中找不到，请逐字核对（含空格）",
            code="rule_quote_not_found",
        )
    s, e = span
    return LocatedQuote(clause_id=cid, text=q.text, quote=doc.quote(s, e), start=s, end=e)


def _resolve(
    spec: RuleSpec,
    rf: RuleFile,
    doc: ParsedDocument,
    parameters: dict[str, ParamSpec],
    vocabulary: dict[str, VocabField],
    flags: dict[str, FlagSpec],
) -> Rule:
    owner = f"规则 {spec.id}"
    doc_id = rf.doc_id
    cid = _clause_id(doc_id, spec.clause)
    if cid not in doc.clauses:
        raise RuleDataError(f"{owner}：条款 {cid} 在文档中不存在", code="rule_clause_missing")

    def loc(q: QuoteSpec) -> LocatedQuote:
        return _locate(doc, doc_id, q, default_clause=spec.clause, owner=owner)

    citations = [loc(q) for q in spec.quotes]
    extra = [loc(t.quote) for t in spec.tiers] + [loc(t.quote) for t in spec.thresholds]
    extra += [loc(x.quote) for x in spec.exclusions]
    extra += [loc(q) for q in (spec.cap.quote if spec.cap else None, spec.times.quote if spec.times else None,
                               spec.plus.quote if spec.plus else None) if q]
    derive_quotes = [loc(d.quote) for d in spec.derive]
    extra += derive_quotes
    fact_quotes = [loc(f.quote) if f.quote else None for f in spec.facts]

    _check_params(spec, parameters, vocabulary, owner)
    quoted = " ".join(q.quote for q in citations + extra)
    _check_numbers(spec, quoted, owner)
    percent_rate = spec.rate is not None and spec.rate >= 1 and _number_in(spec.rate, quoted, as_rate=True) \
        and not _number_in(spec.rate, quoted, as_rate=False)
    _check_eligibility(spec, vocabulary, flags, owner)

    periods: list[Period] = []
    if spec.period:
        for q in spec.period.quotes:
            lq = loc(q)
            clause = doc.clauses[lq.clause_id]
            inside = [p for p in clause.periods if lq.start <= p.start and p.end <= lq.end]
            if not inside:
                raise RuleDataError(f"{owner}：期限引文“{q.text}”中没有可解析的日期", code="rule_period_unparsed")
            periods += inside
    data = spec.model_dump(by_alias=True)
    data["reviewed"] = spec.reviewed and rf.reviewed
    if spec.count and spec.count in parameters:
        for t in data["tiers"]:
            t["unit"] = t["unit"] or parameters[spec.count].unit
    return Rule(
        **data,
        doc_id=doc_id,
        clause_id=cid,
        citations=citations,
        periods=periods,
        fact_quotes=fact_quotes,
        tier_quotes=[loc(t.quote) for t in spec.tiers],
        cap_quote=loc(spec.cap.quote) if spec.cap else None,
        times_quote=loc(spec.times.quote) if spec.times and spec.times.quote else None,
        plus_quote=loc(spec.plus.quote) if spec.plus else None,
        percent_rate=percent_rate,
        derive_quotes=derive_quotes,
    )


def _check_params(spec: RuleSpec, parameters: dict[str, ParamSpec], vocabulary: dict[str, VocabField], owner: str) -> None:
    names = spec.all_names()
    for n in names:
        if n not in parameters:
            raise RuleDataError(f"{owner}：参数 {n} 未在 parameters 中定义")
    for t in spec.terms:
        if t.max_param and t.max_param not in names:
            raise RuleDataError(f"{owner}：max_param {t.max_param} 不是本规则的参数")
    for d in spec.derive:
        if d.param not in names:
            raise RuleDataError(f"{owner}：derive 的 {d.param} 不是本规则的参数")
        if d.divide_by <= 0:
            raise RuleDataError(f"{owner}：derive 的除数应大于 0")
    for sel in (spec.rate_by, spec.amount_by):
        if sel is None:
            continue
        p = parameters[sel.param]
        if p.type != "choice" or not p.vocabulary or p.vocabulary not in vocabulary:
            raise RuleDataError(f"{owner}：按 {sel.param} 选择金额/比例，但该参数不是带词表的选项参数")
        options = set(vocabulary[p.vocabulary].values)
        if set(sel.values) != options:
            raise RuleDataError(f"{owner}：{sel.param} 的取值表应恰好覆盖 {sorted(options)}")
    # names and labels are keys of the calculator's input and must be unique; the nouns people use
    # (aliases) may be shared on purpose ("员工" states both 参保职工人数 and 职工总数)
    keys: dict[str, str] = {}
    for n in names:
        for word in (n, parameters[n].label):
            if keys.get(word, n) != n:
                raise RuleDataError(f"{owner}：参数别名“{word}”同时指向 {keys[word]} 和 {n}")
            keys[word] = n


def _check_numbers(spec: RuleSpec, quoted: str, owner: str) -> None:
    """Every number the rule computes with must be written in its quotes: catches typos in the YAML."""
    checks: list[tuple[Decimal, bool]] = [(t.amount, False) for t in spec.terms]
    checks += [(t.min, False) for t in spec.tiers] + [(t.amount, False) for t in spec.tiers]
    checks += [(th.value, th.ratio is not None) for th in spec.thresholds]
    if spec.amount is not None:
        checks.append((spec.amount, False))
    if spec.amount_by:
        checks += [(v, False) for v in spec.amount_by.values.values()]
    for r in (spec.rate, spec.minus_rate, spec.rate_max):
        if r is not None:
            # a multiple (3倍, 27个月的本人工资) is written as a plain number, a share as a percentage, and a
            # share above one either way (日工资收入的300%): None accepts both
            checks.append((r, None))
    if spec.cap and spec.cap.amount is not None:
        checks.append((spec.cap.amount, False))
    if spec.cap and spec.cap.rate is not None:
        checks.append((spec.cap.rate, None))
    if spec.times and spec.times.max is not None:
        checks.append((spec.times.max, False))
    if spec.plus and spec.plus.max is not None:
        checks.append((spec.plus.max, False))
    if spec.rate_by:
        checks += [(v, None) for v in spec.rate_by.values.values()]
    checks += [(d.divide_by, False) for d in spec.derive] + [(d, False) for d in spec.divide_by]
    for value, as_rate in checks:
        found = (_number_in(value, quoted, as_rate=True) or _number_in(value, quoted, as_rate=False)) \
            if as_rate is None else _number_in(value, quoted, as_rate=as_rate)
        if not found:
            shown = _plain(value * 100) + "%" if as_rate or (as_rate is None and value < 1) else _plain(value)
            raise RuleDataError(f"{owner}：数值 {shown} 在其引文中找不到，请核对原文", code="rule_number_not_quoted")


def _check_eligibility(
    spec: RuleSpec,
    vocabulary: dict[str, VocabField],
    flags: dict[str, FlagSpec],
    owner: str,
) -> None:
    for alt in spec.eligibility or []:
        for field, crit in alt.where.items():
            if isinstance(crit, bool):
                if field not in flags:
                    raise RuleDataError(f"{owner}：条件字段 {field} 是是/否条件，但未在 flags 中定义")
                continue
            if field not in vocabulary:
                raise RuleDataError(f"{owner}：条件字段 {field} 不在词表 vocabulary 中")
            values = crit.values if isinstance(crit, NotIn) else crit
            unknown = [v for v in values if v not in vocabulary[field].values]
            if unknown:
                raise RuleDataError(f"{owner}：条件 {field} 的取值 {unknown} 不在词表中")


def _link_exclusions(rules: list[Rule], groups: dict[str, GroupSpec], docs: Mapping[str, ParsedDocument]) -> None:
    """Make every exclusion symmetric and expand groups into their member rules."""
    by_id = {r.id: r for r in rules}
    for r in rules:
        doc = docs[r.doc_id]
        for x in r.exclusions:
            lq = _locate(doc, r.doc_id, x.quote, default_clause=r.clause, owner=f"规则 {r.id}")
            if x.group:
                if x.group not in groups:
                    raise RuleDataError(f"规则 {r.id}：互斥组 {x.group} 未定义")
                targets, group = groups[x.group].members, groups[x.group].label
            else:
                if x.rule not in by_id:
                    raise RuleDataError(f"规则 {r.id}：互斥规则 {x.rule} 未定义")
                targets, group = [x.rule], None
            for t in targets:
                if t == r.id:
                    raise RuleDataError(f"规则 {r.id} 不能与自身互斥")
                _add_exclusion(r, by_id[t], group, lq)
                _add_exclusion(by_id[t], r, None, lq)


def _add_exclusion(rule: Rule, other: Rule, group: str | None, lq: LocatedQuote) -> None:
    for ref in rule.excludes:
        if ref.other == other.id:
            if all(q.start != lq.start for q in ref.quotes):
                ref.quotes.append(lq)
            return
    rule.excludes.append(ExclusionRef(other=other.id, label=other.title, group=group, quotes=[lq]))
