"""Answers that rest on codified rules: amounts from the calculator, eligibility from the matcher.

The retriever finds the clause; the rule attached to that clause (or named by the question) does the
arithmetic. Numbers in these answers come only from the rule's quotes and the calculation.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

from assistant.calculate import (UNREVIEWED, CalcOutcome, calculate, describe_amount, format_yuan, plain_number,
                                 rule_validity, threshold_value)
from assistant.contract import Calculation, MeasureLine
from assistant.compose import Composition, Context, asked_text, asks_when, best_sentences, quote_clause, validity_sentence
from assistant.match import MatchResult, Profile, match_profile, parse_profile
from assistant.quantities import is_duration_unit
from assistant.rules import Interval, Rule, RuleBook, as_interval, meets_threshold
from assistant.validity import HOTLINE
from index.errors import PolicyQAError
from index.types import Clause

__all__ = ["named_rules", "names_a_measure", "compose_profile_statement", "select_rule", "slot_params", "profile_from_slots", "profile_keys", "describes_asker", "compose_amount", "compose_eligibility"]

_COMBINE_CUE = re.compile(r"同时|一起|都能|都可以|重复|兼得|叠加|又能|还能再|再拿|再领|两个都|二者|两项")
_LIST_CUE = re.compile(r"有什么|有哪些|有啥|哪些政策|什么政策|能享受|可以享受|享受什么|能拿哪些|都能拿|能领哪些|补贴吗|政策吗"
                       # "能领什么补贴", "可以拿哪些补助": a question word before a generic benefit noun
                       r"|(?:什么|哪些|哪几种|啥)(?:样的)?(?:补贴|补助|政策|优惠|扶持|待遇|奖励|好处|钱)")


def slot_params(book: RuleBook, slots: dict[str, Any]) -> dict[str, Any]:
    """Calculator parameters among the understood slots (the slots are in the rule book's own names)."""
    return {k: v for k, v in slots.items() if k in book.parameters}


def profile_keys(book: RuleBook) -> set[str]:
    """The fields that say who the asker is: the rule book's vocabulary fields and yes/no flags."""
    return {*book.vocabulary, *book.flags}


def describes_asker(book: RuleBook, slots: dict[str, Any]) -> bool:
    """Whether the question says who the asker is beyond defaults (行业, 规模, 主体类型, a flag)."""
    return any(k in slots for k in profile_keys(book))


def profile_from_slots(book: RuleBook, slots: dict[str, Any]) -> Profile | None:
    """The matcher's profile from understood slots; None when a slot value is unusable."""
    fields = {f.name for f in book.profile_fields()}
    try:
        # a bound ("不足5年") is no value a profile field takes: the calculator and the threshold check judge it
        return parse_profile(book, {k: v for k, v in slots.items() if k in fields and as_interval(v) is None})
    except PolicyQAError:
        return None


def _match(book: RuleBook, slots: dict[str, Any], as_of, docs: tuple[str, ...] | None = None) -> MatchResult | None:
    profile = profile_from_slots(book, slots)
    return match_profile(book, profile, as_of=as_of, doc_ids=docs) if profile is not None else None


def _distinct_names(book: RuleBook) -> list[tuple[Rule, list[str]]]:
    """Each rule with its names (3+ characters) that no rule on another clause shares; built once per book.

    Shared across the whole book, not the question's scope: 失业金 is an alias of the national standard and
    of 河南's, and it names the benefit, not one of the rules about it (its duration, its standard)."""
    cached = getattr(book, "_distinct_names", None)
    if cached is None:
        clauses_of: dict[str, set[str]] = {}
        for rule in book:
            for n in [rule.title, *rule.aliases]:
                clauses_of.setdefault(n, set()).add(rule.clause_id)
        cached = [
            (rule, [n for n in [rule.title, *rule.aliases] if len(n) >= 3 and len(clauses_of[n]) == 1]) for rule in book
        ]
        book._distinct_names = cached  # type: ignore[attr-defined]
    return cached


def named_rules(book: RuleBook, text: str, docs: tuple[str, ...] | None = None) -> list[Rule]:
    """Rules the text names by title or alias, longest names first (so 留工培训补助 beats 补助); with
    `docs`, only those documents' rules (the question's scope: a province's rule is not one a hotline
    elsewhere was asked about, even when only that province's rules file uses the name).

    A name shared by rules on different clauses (社保缓缴: items 1(1) and 1(2)) does not name one.
    """
    found: list[tuple[int, int, Rule]] = []
    for rule, names in _distinct_names(book):
        if docs is not None and rule.doc_id not in docs:
            continue
        hit = [n for n in names if n in text]
        if hit:
            found.append((max(len(n) for n in hit), -book.order(rule.id), rule))
    found.sort(key=lambda t: (-t[0], -t[1]))
    return [r for _, _, r in found]


def names_a_measure(book: RuleBook | None, text: str) -> bool:
    """Whether the text names any measure by its title or an alias of 3+ characters, shared names
    included (社保缓缴 names a measure even though it does not say which of items 1(1) and 1(2))."""
    if book is None:
        return False
    names = getattr(book, "_all_names", None)
    if names is None:
        names = sorted({n for rule, _ in _distinct_names(book) for n in (rule.title, *rule.aliases) if len(n) >= 3},
                       key=len, reverse=True)
        book._all_names = names  # type: ignore[attr-defined]
    return any(n in text for n in names)


def _flag_fit(rule: Rule, slots: dict[str, Any]) -> int:
    """How many of the rule's yes/no qualifying flags (帮扶车间, 就业帮扶基地, …) the question states."""
    return sum(1 for alt in rule.eligibility or [] for key, val in alt.where.items() if val is True and slots.get(key))


def _unmet_thresholds(book: RuleBook, rule: Rule, params: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """The rule's thresholds the given numbers fail, each as "要求…，您的情况为…", and the inputs used
    (the calculator's own threshold check, so the comparison and its wording are the calculator's)."""
    values: dict[str, Any] = {k: Decimal(str(v)) for k, v in params.items()
                              if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool)}
    # "不到30人": a bound the asker states fails a threshold as surely as a figure does, when all it allows fails
    values |= {k: iv for k, v in params.items() if (iv := as_interval(v)) is not None}
    out: list[str] = []
    inputs: dict[str, Any] = {}
    for th in rule.thresholds or []:
        if th.ratio and not values.get(th.ratio[1]):
            continue  # no denominator to divide by
        unit = "" if th.ratio else (getattr(book.parameters.get(th.param), "unit", "") or "")
        res = threshold_value(th, values, unit)
        if res is not None and not res[0]:
            out.append(f"要求{th.label}，您的情况为{res[1]}")
            inputs.update({p: params[p] for p in th.params})
    # a tiered award below its lowest tier ("吸纳了29个脱贫劳动力": the first tier is 30人及以上)
    if rule.tiers and rule.count and rule.count in values:
        lowest = min(rule.tiers, key=lambda t: Decimal(str(t.min)))
        value = values[rule.count]
        counted = book.param(rule.count)
        unit = counted.unit or rule.per or ""
        if isinstance(value, Interval):
            if value.meets(lowest.min, lowest.phrase) is False:
                out.append(f"要求{counted.label}达到最低一档{lowest.label}，您的情况为{value.describe(unit)}")
                inputs[rule.count] = params[rule.count]
        elif not meets_threshold(value, Decimal(str(lowest.min)), lowest.phrase):
            out.append(f"要求{counted.label}达到最低一档{lowest.label}，您的情况为{value.normalize():f}{unit}")
            inputs[rule.count] = params[rule.count]
    return out, inputs


def _threshold_fit(rule: Rule, params: dict[str, Any]) -> int:
    """How many of the rule's thresholds the question's numbers can test (all their inputs given)."""
    return sum(1 for th in rule.thresholds or [] if th.params and all(p in params for p in th.params))


# What a question asks for, by its question word: a length of time ("能领多久", "最长几个月") or money
# ("每个月能领多少钱"). Chinese question words, not any document's vocabulary.
_DURATION_ASK = re.compile(r"多久|多长时间|多长|几个月|多少个月|几年|多少年|几天|多少天|几周|期限")
_MONEY_ASK_RE = re.compile(r"多少钱|几块|多少元|几元|多少块|金额|标准是多少|(?:领|拿|给|发|补)多少(?!个月|年|天)")


def asked_quantity(text: str) -> str | None:
    """"duration", "money" or None (the question does not say which kind of figure it wants)."""
    duration, money = bool(_DURATION_ASK.search(text)), bool(_MONEY_ASK_RE.search(text))
    return "duration" if duration and not money else "money" if money and not duration else None


def rule_quantity(rule: Rule) -> str | None:
    """The kind of figure a rule gives: a duration (its unit is a time unit), money, or None (no figure)."""
    if rule.kind in ("eligibility_only",):
        return None
    return "duration" if is_duration_unit(rule.unit) else "money" if rule.unit.endswith("元") else None


def _answers_the_ask(rule: Rule, asked: str | None) -> int:
    """1 when the rule gives the kind of figure asked for (or nothing in particular is asked), else 0:
    "失业金每个月能领多少钱" is not answered by the rule of how many months it is paid."""
    kind = rule_quantity(rule)
    return 1 if asked is None or kind is None or kind == asked else 0


def select_rule(book: RuleBook, ctx: Context) -> Rule | None:
    """The rule a question is about: one it names whose clause was retrieved, else the top clause's rule."""
    text = ctx.u.search_text
    retrieved = [c.clause_id for c in ctx.clauses[:3]]
    asked = asked_quantity(ctx.u.text)
    named = named_rules(book, text, ctx.docs)
    # a named rule giving the kind of figure asked for comes before one that gives another kind
    named = sorted(named, key=lambda r: -_answers_the_ask(r, asked))
    params = slot_params(book, ctx.u.slots)
    # a rule the question names by a name no other rule in its scope shares is asked about when its clause,
    # or a clause it quotes, is among the first five ("自己辞职的，能领失业金吗": the standard's article and the
    # conditions it quotes rank below the articles on what is paid while receiving it)
    near = {c.clause_id for c in ctx.clauses[:5]}
    for rule in named:
        if not _answers_the_ask(rule, asked):
            continue
        if near & {rule.clause_id, *(q.clause_id for q in rule.citations)}:
            # "厂里800个工人，一半是脱贫户，能享受帮扶车间…补贴吗": the numbers test 12(4)'s thresholds (1000人,
            # 30%), the rule under which a factory gets the workshop's subsidy; the named rule tests none
            tested = [r for c in retrieved[:2] for r in book.by_clause(c)
                      if _threshold_fit(r, params) > _threshold_fit(rule, params)]
            if tested:
                return max(tested, key=lambda r: _threshold_fit(r, params))
            # a sibling on the same clause that the question's facts single out wins over the plain name
            # ("已经按30%返过…还能补发多少": the top-up, not the refund)
            flagged = [r for r in book.by_clause(rule.clause_id) if r is not rule and _flag_fit(r, ctx.u.slots)]
            return flagged[0] if flagged and not _flag_fit(rule, ctx.u.slots) else rule
    rank = {c.clause_id: i for i, c in enumerate(ctx.clauses)}
    candidates: list[Rule] = list(book.by_clause(ctx.clauses[0].clause_id)) if ctx.clauses else []
    if asked and candidates and not any(_answers_the_ask(r, asked) for r in candidates):
        # the top clause's rules give another kind of figure ("每个月多少钱" on the clause of how many
        # months): a retrieved clause whose rule gives the figure asked for answers instead
        # (a rule counts for a clause it quotes: a standard written in one article, its conditions in another)
        top3 = set(retrieved)
        candidates = [r for r in book if rule_quantity(r) == asked and (ctx.docs is None or r.doc_id in ctx.docs)
                      and (r.clause_id in top3 or any(c.clause_id in top3 for c in r.citations))]
        if not candidates:
            return None  # no rule gives what is asked: the answer quotes the clause
    # the runner-up clause's rules compete only when the question says whom they are for
    # ("就业帮扶基地…" brings in 12(3)'s award even when 12(2) was retrieved first)
    for clause in ctx.clauses[1:2]:
        candidates += [r for r in book.by_clause(clause.clause_id) if _flag_fit(r, ctx.u.slots) or _threshold_fit(r, params)]
    if not candidates:
        return named[0] if named else None
    # several rules on one clause (e.g. item 2(1)'s refund and its top-up): the one whose inputs the
    # question supplies, then the one whose words overlap the question most

    def fit(rule: Rule) -> tuple[int, ...]:
        # numbers the question gives that the rule's own thresholds test ("1200人，脱贫劳动力占25%": 12(4)'s
        # 1000人以上 and 30%, even when the question also says 帮扶车间)
        tested = _threshold_fit(rule, params)
        # who the rule is for, as the question says it ("就业帮扶基地" → the base award, not the workshop's)
        flags = _flag_fit(rule, ctx.u.slots)
        supplied = sum(1 for n in rule.all_names() if n in params)
        # how much of the rule's own name the question shares, two characters at a time
        grams = {name[i : i + 2] for name in (rule.title, *rule.aliases) for i in range(len(name) - 1)}
        overlap = sum(1 for g in grams if g in text)
        # a rule folded into another ("included_in") answers only when the question asks for it by name
        return (_answers_the_ask(rule, asked), tested, flags, supplied, overlap - (3 if rule.included_in else 0),
                -rank.get(rule.clause_id, len(rank)), -book.order(rule.id))

    return max(candidates, key=fit)


def _computable_for_profile(ctx: Context, book: RuleBook) -> Rule | None:
    """"我开饭店…25个员工都参保了，能领多少？" names no measure: the one the profile qualifies for and
    whose amount its numbers compute, preferring measures the retriever ranked higher."""
    if named_rules(book, ctx.u.search_text, ctx.docs) or not any(k in ctx.u.slots for k in book.vocabulary):
        return None
    result = _match(book, ctx.u.slots, ctx.as_of, ctx.docs)
    if result is None:
        return None
    computable = [m for m in result.measures if m.status in ("applies", "check") and m.amount is not None]
    if not computable:
        return None
    rank = {c.clause_id: i for i, c in enumerate(ctx.clauses)}
    # "今年毕业的大学生，开了个奶茶店…创业那个补贴能给多少": the measures the question is about were
    # retrieved; one the profile merely qualifies for elsewhere (留工补助 for a 餐饮 shop) does not answer it
    computable = [m for m in computable if rank.get(m.clause_id, 99) < 3]
    if not computable:
        return None
    # the measure whose own qualifying facts the question states ("之前按30%已经返过一次了": the top-up)
    # before the one the retriever ranked higher
    best = min(computable, key=lambda m: (
        -_flag_fit(book.get(m.rule_id), ctx.u.slots), m.status != "applies", rank.get(m.clause_id, len(rank))
    ))
    return book.get(best.rule_id)


def _cite_outcome(ctx: Context, outcome: CalcOutcome) -> str:
    """Re-number the calculator's citations into the answer's citation book; return their markers."""
    marks = []
    for c in outcome.citations:
        clause = ctx.version.clause(c.clause_id)
        if clause is not None:
            marks.append(ctx.book.cite_span(clause, c.start, c.end))
    return "".join(dict.fromkeys(marks))


def _rule_quote(ctx: Context, rule: Rule, outcome: CalcOutcome) -> str:
    """The rule's own quotes (written down once in the rules file) with their markers."""
    marks = _cite_outcome(ctx, outcome)
    own = rule.clause_id
    quotes = [c.quote for c in outcome.citations if c.clause_id == own] or [c.quote for c in outcome.citations]
    return f"文件规定{marks}：" + "".join(f"“{q}”" for q in quotes[:2])


def _rule_params(book: RuleBook, rule: Rule, u) -> dict[str, Any]:
    """Slots bound to this rule's inputs. When the rule still needs one number, a number the question
    gives elsewhere fills it if there is exactly one candidate: a number next to no known noun ("10
    staff"), or one bound to parameters this rule does not use ("40个工人参加了培训" → the trainees).
    A number the rule's own quotes state ("最高是4000还是8000") is the document's figure, not the asker's."""
    names = set(rule.all_names())
    params = {k: v for k, v in slot_params(book, u.slots).items() if k in names}
    if getattr(u, "follow_up", False):
        # "那10年以上呢？": a follow-up's own number next to no noun is the new value of the one input of this
        # rule it fits, not a figure to ignore beside the value the last turn carried
        fits = {(n, q) for q in getattr(u, "unbound", []) or [] for n in rule.required_names()
                if not q.negative and _fits_param(book.param(n), q)}
        if len(fits) == 1:
            (name, q), = fits
            value = int(q.value) if q.value == q.value.to_integral_value() else float(q.value)
            params[name] = {q.bound: value} if q.bound in ("lt", "gt") else value
    # an input the rule derives from one the asker gave (日工资收入 from 月工资) is not still needed
    derived = {d.param for d in rule.derive if d.source in params}
    needed = [n for n in rule.required_names()
              if n not in params and n not in derived and book.param(n).type != "choice"]
    if len(needed) != 1:
        return params
    spec = book.param(needed[0])
    if _MINIMUM_CUE.search(u.text) and any(th.ratio and th.ratio[0] == spec.name for th in rule.thresholds or []):
        return params  # "1200个职工，脱贫劳动力最少要招多少": the missing count is what is asked (solved below)
    quoted = " ".join(q.quote for q in rule.citations).replace(" ", "")
    values: set[Decimal] = set()
    for q in getattr(u, "unbound", []) or []:
        if q.negative or not (q.kind == spec.type or (q.kind == "number" and spec.type in ("count", "money"))):
            continue
        # a bare number the rule's own quotes state ("最高是4000还是8000") is the document's figure
        if q.kind == "number" and re.search(rf"(?<![\d.]){re.escape(plain_number(q.value))}(?![\d])", quoted):
            continue
        values.add(q.value)
    # a number given for another input may be this one's ("40个工人参加了培训" → the trainees), unless the two
    # are sums of different periods: "日工资250元" is no 月工资收入
    period = _period_of(spec.label)
    for k, v in slot_params(book, u.slots).items():
        other = book.param(k)
        if k not in names and isinstance(v, (int, float)) and not isinstance(v, bool) and other.type == spec.type \
                and not (period and _period_of(other.label) not in (None, period)):
            values.add(Decimal(str(v)))
    # a number already given to one of this rule's own inputs ("1200个职工" is the workforce) counts nobody else
    values -= {Decimal(str(v)) for v in params.values() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    if len(values) == 1:
        v = values.pop()
        if not (spec.type == "count" and v == 1):  # "1个人补多少" asks per person
            params[needed[0]] = int(v) if v == v.to_integral_value() else float(v)
    return params


_PERIOD_WORD = re.compile(r"小时|[日天周月年]")


def _period_of(label: str) -> str | None:
    """The period a sum is per, as its label opens with it (日工资 → 日, 月工资收入 → 月); None for 本人工资."""
    m = _PERIOD_WORD.match(label)
    return {"天": "日"}.get(m.group(), m.group()) if m else None


def _fits_param(spec, q) -> bool:
    """Whether a quantity said with no noun can be this input's value: its kind, and a duration's own unit."""
    if spec.type == "duration":
        return q.kind == "duration" and q.unit.lstrip("个") == spec.unit.lstrip("个")
    if spec.type in ("count", "money"):
        return q.kind in (spec.type, "number")
    return spec.type == q.kind


_MINIMUM_CUE = re.compile(r"最少|至少|起码|最低|多少人才|几个人才|要达到多少|达到多少")


def _ratio_label(rule: Rule, param: str) -> str:
    return next((th.label for th in rule.thresholds or [] if th.ratio and th.ratio[0] == param), "")


def _threshold_answer(ctx: Context, rule: Rule, params: dict[str, Any], missing: str) -> Calculation | None:
    """"1200个职工，脱贫劳动力最少要招多少人": a ratio threshold on the missing count, solved for it."""
    if not _MINIMUM_CUE.search(ctx.u.text):
        return None
    for th in rule.thresholds or []:
        if not th.ratio or th.ratio[0] != missing:
            continue
        total = params.get(th.ratio[1])
        if total is None:
            continue
        need = math.ceil(Decimal(str(total)) * Decimal(str(th.value)) - Decimal("1e-9"))
        share = f"{(Decimal(str(th.value)) * 100).normalize():f}%"
        return Calculation(
            rule_id=rule.id,
            inputs={th.ratio[1]: total},
            formula=f"{int(total):,}人 × {share} = {need:,}人",
            amount=need,
            unit="人",
            note=th.quote if isinstance(th.quote, str) else "",
        )
    return None


_MONEY_CUE = re.compile(r"钱|元|补|奖|返|费|金额|标准|比例|资助|扶持|万|工资|薪|(?:领|拿|给)多少|(?<!开)发多少")


def compose_amount(ctx: Context, book: RuleBook) -> Composition | None:
    asked = asked_text(ctx.u)
    if asks_when(ctx.u.text) and asked_quantity(ctx.u.text) is None:
        return None  # "90%的比例执行到什么时候": a point in time is asked, not the figure a rule computes
    if asked_quantity(ctx.u.text) == "duration":
        # "交了7年失业保险，能领多久": a rule whose figure is a length of time computes it; none → the quote
        # A question giving figures the rule does not use ("上次还剩8个月没领") is a case the rule alone
        # does not settle: the clause is quoted, not a partial result computed.
        asked_rule = select_rule(book, ctx)
        if asked_rule is None or rule_quantity(asked_rule) != "duration" or getattr(ctx.u, "unbound", None):
            return None
    elif not _MONEY_CUE.search(asked):
        # "开发多少个见习岗位" asks a count the text states, not money a rule computes; a count a rule
        # computes ("150个职工最多能用多少个实习生": 在职职工总数 × 30%) is the rule's to answer
        asked_rule = _count_rule(ctx, book)
        if asked_rule is None:
            return None
    else:
        asked_rule = None
    several = _several_rules(ctx, book)
    if len(several) > 1:
        return _compose_several(ctx, book, several)
    if (_LIST_CUE.search(ctx.u.text) and _asks_for_measures(ctx, book, named_rules(book, ctx.u.search_text, ctx.docs))
            and _computable_for_profile(ctx, book) is None):
        return _compose_profile_list(ctx, book)
    rule = _computable_for_profile(ctx, book) or asked_rule or select_rule(book, ctx)
    if rule is None:
        return None
    params = _rule_params(book, rule, ctx.u)
    unmet, _ = _unmet_thresholds(book, rule, {**slot_params(book, ctx.u.slots), **params})
    if unmet and ctx.u.intent == "amount" and rule.eligibility:
        # "800个工人…能不能按帮扶车间的标准享受": the numbers given already fail the measure's thresholds
        composed = compose_eligibility(ctx, book, rule=rule)
        if composed is not None:
            return composed
    outcome = calculate(book, rule.id, params, as_of=ctx.as_of)
    lead = _rule_quote(ctx, rule, outcome)
    validity = outcome.validity
    note = validity_sentence(validity)
    if outcome.amount_stated is False:
        text = (f"文件没有规定“{rule.title}”的具体金额，我不能替文件给出数字；具体标准请拨打{HOTLINE}咨询。\n"
                f"依据：{lead}")
        return Composition("no_answer", "\n".join(p for p in (text, note) if p), ctx.book.items, validity=validity)
    if not outcome.ok:
        err = outcome.error
        if err and err.code == "bound_only":
            # "不足5年" where the schedule's steps differ below and above 1年: the exact figure is asked back,
            # with the steps it could still fall on (the calculator's message)
            standard = _standard_line(book, rule) if rule.kind != "tiered" else ""
            text = "\n".join(p for p in (f"{standard}{err.message}。", f"依据：{lead}", note) if p)
            return Composition("clarify", text, ctx.book.items, validity=validity, missing=[err.param] if err.param else [])
        missing = [err.param] if err and err.param and err.code == "missing_param" else []
        if missing and (solved := _threshold_answer(ctx, rule, params, missing[0])) is not None:
            text = f"至少需要{solved.formula.rsplit('= ', 1)[-1]}：{solved.formula}（“{rule.title}”的条件：{_ratio_label(rule, missing[0])}）。\n依据：{lead}"
            return Composition("answered", "\n".join(p for p in (text, note) if p), ctx.book.items,
                               calculation=solved, validity=validity)
        if missing and rule.kind == "tiered" and missing[0] == rule.count:
            # "失业金最多能领多久" without the years: the schedule itself answers, and the number asked for
            # narrows it to one step
            counted = book.param(rule.count)
            what = "期限" if rule_quantity(rule) == "duration" else "金额"
            text = "\n".join(p for p in (
                f"“{rule.title}”按{counted.label}分档：{describe_amount(book, rule)}。"
                f"告诉我您的{counted.label}，我可以算出具体{what}。", f"依据：{lead}", note) if p)
            return Composition("answered", text, ctx.book.items, validity=validity, missing=missing)
        if missing and ctx.u.per_one and rule.kind in ("per_head", "cap_per_head"):
            # "一个人多少钱": the standard for one is the answer, not a question back
            text = "\n".join(p for p in (f"“{rule.title}”的标准是{describe_amount(book, rule)}。", f"依据：{lead}", note) if p)
            return Composition("answered", text, ctx.book.items, validity=validity)
        needed = re.sub(r"（[A-Za-z_]+）", "", err.message.split("：", 1)[-1]) if err else ""
        what = "期限" if rule_quantity(rule) == "duration" else "金额"
        if missing and (standard := _standard_line(book, rule)):
            # "稳岗返还比例多少", "扩岗补助标准是多少": the rule's own standard is the answer; the asker's
            # figure that would turn it into an amount is asked for after it, not instead of it
            ask = f"{standard}要算出您的具体{what}，还需要：{needed}。请告诉我，我来帮您计算。"
            text = "\n".join(p for p in (ask, f"依据：{lead}", note) if p)
            return Composition("clarify", text, ctx.book.items, validity=validity, missing=missing)
        ask = (
            f"要算出“{rule.title}”的具体{what}，还需要：{needed}。请告诉我，我来帮您计算。"
            if missing
            else f"您提供的数字无法计算：{err.message if err else ''}"
        )
        text = "\n".join(p for p in (ask, f"关于“{rule.title}”，{lead}", note) if p)
        return Composition("clarify", text, ctx.book.items, validity=validity, missing=missing)
    calc = outcome.calculation
    assert calc is not None
    if outcome.eligible is False:
        parts = [f"不能领取“{rule.title}”：{calc.note or '不满足文件规定的条件'}", f"依据：{lead}"]
    else:
        parts = [amount_conclusion(rule.title, calc, pays=asker_pays(rule), converts=bool(rule.divide_by)), f"依据：{lead}", _fit_sentence(ctx, book, rule)]
        if calc.exclusions:
            parts.append("注意：" + "；".join(calc.exclusions[:2]) + "。")
    if not rule.reviewed:
        parts.append(UNREVIEWED)
    parts.append(note)
    return Composition("answered", "\n".join(p for p in parts if p), ctx.book.items, calculation=calc, validity=validity)


def _standard_line(book: RuleBook, rule: Rule) -> str:
    """"“X”的标准是每人1,500元。": the rule's own figures in one sentence (the calculator's description of
    them), or "" for a rule that states no figure of its own."""
    if rule.kind in ("not_stated", "eligibility_only"):
        return ""
    described = describe_amount(book, rule)
    return f"“{rule.title}”的标准是{described}。" if described else ""


# "最多能用多少个实习生", "几名": a count asked for (几个月 and 几个工作日 ask a length of time)
_COUNT_ASK = re.compile(r"(?:多少|几)\s*(?:个(?!月|工作日|小时)|名|人|位|家|项|所|户)")


def _count_rule(ctx: Context, book: RuleBook) -> Rule | None:
    """The rule that computes the count a question asks for, when the rule's result is a count (人, 个 …)
    rather than money or a length of time; None when nothing of the kind is asked or computed."""
    if not _COUNT_ASK.search(ctx.u.text):
        return None
    rule = select_rule(book, ctx)
    if rule is None or rule.kind in ("not_stated", "eligibility_only") or rule_quantity(rule) is not None:
        return None
    return rule if rule.unit and not rule.unit.endswith("元") else None


# a rule's quotes say whether money is paid by the asker (a contribution, a late fee, a fine) or to them
_PAYING = re.compile(r"缴纳|缴费|加收|罚款|收取|滞纳金")
_RECEIVING = re.compile(r"发给|发放|补贴|补助|领取|奖励|返还|支付.{0,6}(?:待遇|金)")


def asker_pays(rule: Rule) -> bool:
    """Whether the rule's amount is one the asker pays ("本人工资的1%缴纳失业保险费"), not one received."""
    quoted = "".join(q.quote for q in rule.citations[:2])
    return bool(_PAYING.search(rule.title + quoted)) and not _RECEIVING.search(rule.title + quoted)


def amount_conclusion(title: str, calc: Calculation, *, pays: bool = False, converts: bool = False) -> str:
    """"可领“X”12,500元（1.25万元）：25人 × 500元/人 = 12,500元。" — the amount first, then its formula; a figure
    the document converts (日工资 = 月工资收入 ÷ 21.75) is stated ("为"), neither received nor paid."""
    if calc.amount is None:
        return f"“{title}”：{calc.formula}。"
    unit = calc.unit or "元"
    def show(d: Decimal) -> str:
        return format_yuan(d, wan=False) if unit == "元" else f"{d:,}{unit}".replace(".0" + unit, unit)

    shown = show(calc.amount)
    if calc.amount_max is not None:
        # a range the document states (罚款 1倍以上3倍以下): both ends; the figure within it is decided case by case
        return f"“{title}”为{shown}至{show(calc.amount_max)}（{_working(calc.formula)}）。"
    if converts:
        verb = "为"
    elif pays:
        verb = "最高应缴" if calc.is_cap else ("应缴" if unit.startswith("元") else "为")
    else:
        verb = "最高可领" if calc.is_cap else ("可领" if unit.startswith("元") else "为")
    how = _working(calc.formula)
    if calc.is_cap:
        how += ("；" if how else "") + "文件规定的是最高标准"
    return f"“{title}”{verb}{shown}" + (f"（{how}）" if how else "") + "。"


def _working(formula: str) -> str:
    """The computation of a formula without its result ("25人 × 500元/人" of "… = 12,500元"), or "" when
    the formula only restates a flat amount."""
    sep = " = " if " = " in formula else " → "
    how = formula.rsplit(sep, 1)[0] if sep in formula else formula
    return how.rstrip("，") if any(op in how for op in ("×", "÷", "→", "档", "+")) else ""


_SEVERAL_CUE = re.compile(
    r"[和与及加跟同]|以及|各是|各多少|各补|各给|各奖|分别|一共|合计|总共|加起来|还有|都是多少"
    # two questions in one: "一次性奖多少？每年运营补助最多多少", "奖励多少 运营补助一年最多给多少"
    r"|(?:多少|几).+(?:多少|几)|[？?]\s*\S"
)
_TOTAL_CUE = re.compile(r"一共|合计|总共|加起来|加")


def _several_rules(ctx: Context, book: RuleBook) -> list[Rule]:
    """Measures a question asks about together ("稳岗返还加留工补助一共", "一次性奖励和每年运营补助各是多少"):
    those it names, or rules on the top clause whose own words (the two-character runs no sibling shares)
    the question uses."""
    if not _SEVERAL_CUE.search(ctx.u.text) or not ctx.clauses:
        return []
    retrieved = {c.clause_id for c in ctx.clauses[:3]}
    named = [r for r in named_rules(book, _without_inputs(book, ctx.u), ctx.docs) if r.clause_id in retrieved and r.included_in is None]
    if len({r.id for r in named}) > 1:
        return named[:3]
    siblings = [r for r in book.by_clause(ctx.clauses[0].clause_id) if r.included_in is None]
    if len(siblings) < 2:
        return []

    def grams(rule: Rule) -> set[str]:
        return {n[i : i + 2] for n in (rule.title, *rule.aliases) for i in range(len(n) - 1)}

    own = {r.id: grams(r) - set().union(*(grams(o) for o in siblings if o is not r)) for r in siblings}
    asked = [r for r in siblings if any(g in ctx.u.text for g in own[r.id])]
    return asked if len(asked) > 1 else []


def _without_inputs(book: RuleBook, u) -> str:
    """The question without the words that name a number it gives ("本人失业保险金标准1600元"): a measure's
    name inside the name of an input ("失业保险金") names that input, not a measure asked about."""
    text = u.text
    names = {n for k in slot_params(book, u.slots) for n in (book.param(k).label, *book.param(k).aliases) if len(n) >= 2}
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, " " * len(name))
    return text


def _compose_several(ctx: Context, book: RuleBook, rules: list[Rule]) -> Composition:
    """Each measure with its quote and its own result; a total when the question asks for one."""
    parts, formulas, amounts, missing = [], [], [], []
    # (computed?, its conclusion line, rule, outcome): measures computed lead, so an amount opens the answer
    blocks: list[tuple[bool, str, Rule, CalcOutcome]] = []
    validity = None
    for rule in rules:
        outcome = calculate(book, rule.id, _rule_params(book, rule, ctx.u), as_of=ctx.as_of)
        # the most cautionary period wins: one lapsed measure in the answer is worth the notice
        if validity is None or (outcome.validity is not None and outcome.validity.lapsed and not validity.lapsed):
            validity = outcome.validity
        calc = outcome.calculation
        if outcome.ok and calc is not None and calc.amount is not None and outcome.eligible is not False:
            formulas.append(f"{rule.title}：{calc.formula}")
            amounts.append(calc.amount)
            blocks.append((True, amount_conclusion(rule.title, calc, pays=asker_pays(rule), converts=bool(rule.divide_by)), rule, outcome))
        elif outcome.error and outcome.error.code == "bound_only":
            missing.append(outcome.error.param or "")
            blocks.append((False, f"{_standard_line(book, rule)}要算出“{rule.title}”，{outcome.error.message}。", rule, outcome))
        elif outcome.error and outcome.error.code == "missing_param":
            needed = re.sub(r"（[A-Za-z_]+）", "", outcome.error.message.split("：", 1)[-1])
            missing.append(outcome.error.param or "")
            blocks.append((False, f"{_standard_line(book, rule)}要算出“{rule.title}”的具体金额，还需要：{needed}。",
                           rule, outcome))
        else:
            blocks.append((False, f"文件没有规定“{rule.title}”的具体金额。" if outcome.amount_stated is False else "",
                           rule, outcome))
    for _, line, rule, outcome in sorted(blocks, key=lambda b: not b[0]):  # stable: the asked order within each
        parts += [line, f"依据：{_rule_quote(ctx, rule, outcome)}"]
    calculation = None
    if formulas:
        formula = "；".join(formulas)
        total = None
        # a total adds sums of one nature: no conversion (日工资 beside 小时工资), nothing paid beside received
        summable = not any(r.divide_by for r in rules) and len({asker_pays(r) for r in rules}) == 1
        if len(amounts) == len(rules) and summable and _TOTAL_CUE.search(ctx.u.text):
            total = sum(amounts)
            formula += f"；合计 {' + '.join(f'{a:,}' for a in amounts)} = {total:,}元"
            parts.insert(0, f"合计可领{format_yuan(total)}：{' + '.join(f'{a:,}' for a in amounts)} = {total:,}元。")
        calculation = Calculation(
            rule_id="+".join(r.id for r in rules),
            inputs={},
            formula=formula,
            amount=total if total is not None else (amounts[0] if len(amounts) == 1 else None),
            is_cap=any(r.is_cap for r in rules),
        )
    parts.append(validity_sentence(validity))
    status = "answered" if formulas or not missing else "clarify"
    return Composition(status, "\n".join(p for p in parts if p), ctx.book.items, calculation=calculation,
                       validity=validity, missing=[m for m in missing if m])


def _fit_sentence(ctx: Context, book: RuleBook, rule: Rule) -> str:
    """Whom the rule is for, judged on what the asker said: fits, must confirm, or does not fit."""
    if not rule.eligibility or not describes_asker(book, ctx.u.slots):
        return ""  # the asker said nothing about who they are: nothing to judge
    result = _match(book, ctx.u.slots, ctx.as_of, ctx.docs)
    if result is None:
        return ""
    measure = next((m for m in result.measures if m.rule_id == rule.id), None)
    if measure is None:
        reason = next((n.reason for n in result.not_applicable if n.rule_id == rule.id), "")
        return "但按您说的情况，可能不属于适用对象" + (f"：{reason}" if reason else "") + "。"
    if measure.status == "applies":
        who = "；".join(measure.who[:1])
        more = f"还需确认：{'；'.join(measure.conditions[:2])}。" if measure.conditions else ""
        return (f"按您说的情况，属于适用对象（{who}）。" if who else "按您说的情况，属于适用对象。") + more
    return "是否属于适用对象还需确认：" + "；".join(measure.conditions[:2] or ["以经办机构认定为准"]) + "。"


def _exclusion_answer(ctx: Context, book: RuleBook, rules: list[Rule]) -> Composition | None:
    """"A 和 B 能同时享受吗": the document's own 不重复享受 sentence, or that it states none."""
    text = ctx.u.search_text
    for rule in rules:
        for ref in rule.excludes:
            other = book.get(ref.other) if ref.other in book else None
            names = [ref.label, ref.group or ""] + ([other.title, *other.aliases] if other else [])
            if any(n and n in text for n in names) or len(rules) == 1:
                marks = []
                for lq in ref.quotes:
                    clause = ctx.version.clause(lq.clause_id)
                    if clause is not None:
                        marks.append(ctx.book.cite_span(clause, lq.start, lq.end))
                quote = "；".join(dict.fromkeys(lq.quote for lq in ref.quotes))
                answer = (
                    f"不能同时享受。“{rule.title}”与“{ref.group or ref.label}”不重复享受，文件原文{''.join(dict.fromkeys(marks))}："
                    f"“{quote}”只能选择其中一项。"
                )
                return Composition("answered", answer, ctx.book.items)
    return None


def compose_eligibility(ctx: Context, book: RuleBook, *, rule: Rule | None = None) -> Composition | None:
    if rule is not None:
        return _eligibility_of(ctx, book, rule)
    named = named_rules(book, ctx.u.search_text, ctx.docs)
    if _COMBINE_CUE.search(ctx.u.text):
        nearby = [r for c in ctx.clauses[:2] for r in book.by_clause(c.clause_id) if r not in named]
        combined = _exclusion_answer(ctx, book, (named + nearby)[:4])
        if combined is not None:
            return combined
    if _asks_for_measures(ctx, book, named):
        return _compose_profile_list(ctx, book)
    rule = select_rule(book, ctx)
    if rule is None or not rule.eligibility:
        return None
    return _eligibility_of(ctx, book, rule)


def _asks_for_measures(ctx: Context, book: RuleBook, named: list[Rule]) -> bool:
    """"我开饭店，25个员工都交了社保，能领什么": the asker says who it is and names no measure or policy
    subject of its own — the matcher's question: every measure that may apply."""
    if named or not any(k in ctx.u.slots for k in book.vocabulary):
        return False
    return bool(_LIST_CUE.search(ctx.u.text)) or not ctx.u.has_subject


def _eligibility_of(ctx: Context, book: RuleBook, rule: Rule) -> Composition | None:
    """Whether the asker meets one measure: the measure's own sentences, then the verdict."""
    result = _match(book, ctx.u.slots, ctx.as_of, ctx.docs)
    if result is None:
        return None
    measure = next((m for m in result.measures if m.rule_id == rule.id), None)
    clause = ctx.version.clause(rule.clause_id)
    if clause is None:
        return None
    # the sentences the rules file quotes for this measure: "要怎样才给社保补贴" is answered by the
    # social-insurance sentence of 12(2), not by its 1500元 sentence that shares more words
    quoted = _eligibility_quote(ctx, clause, rule)

    # the rule's own period (what the rules file quotes for this measure), not whichever sentence was quoted
    validity = rule_validity(book, rule, ctx.as_of)
    told = describes_asker(book, ctx.u.slots) or bool(slot_params(book, ctx.u.slots))
    unmet, inputs = _unmet_thresholds(book, rule, slot_params(book, ctx.u.slots))
    if unmet:
        # "厂里800个工人，一半是脱贫户": the numbers the asker gave fail the measure's own thresholds; the
        # comparison is a calculation, so every number in the verdict traces to it
        verdict = f"不能享受“{rule.title}”。按您提供的数字，不符合条件：" + "；".join(unmet) + "。"
        validity = rule_validity(book, rule, ctx.as_of)
        check = Calculation(rule_id=rule.id, inputs=inputs, formula="；".join(unmet), amount=None, unit="",
                            note="不满足文件规定的条件")
        text = "\n".join(p for p in (verdict, _basis(quoted), validity_sentence(validity)) if p)
        return Composition("answered", text, ctx.book.items, calculation=check, validity=validity)
    if not told and (measure is None or measure.status != "applies"):
        # "脱贫劳动力这个说法包括防返贫监测对象吗" says nothing about the asker: state whom the measure is for
        # instead of judging an empty profile
        who = "；".join(alt.label for alt in rule.eligibility)
        verdict = f"“{rule.title}”的适用对象：{who}。" + (
            "条件：" + "；".join(conds[:3]) + "。" if (conds := (measure.conditions if measure is not None else []) or list(rule.conditions or [])) else ""
        )
    elif measure is not None and measure.status == "applies":
        verdict = f"可以。按您说的情况，符合“{rule.title}”的适用对象。"
        if measure.conditions:
            verdict += "还需确认：" + "；".join(measure.conditions[:3]) + "。"
    elif measure is not None:
        verdict = f"能否享受“{rule.title}”，还要看以下条件：" + "；".join(measure.conditions[:3] or ["以当地经办机构认定为准"]) + "。"
    else:
        reason = next((n.reason for n in result.not_applicable if n.rule_id == rule.id), "")
        verdict = f"不能。按您说的情况，不符合“{rule.title}”的适用条件" + (f"：{reason}" if reason else "") + "。"
    text = "\n".join(p for p in (verdict, _basis(quoted), validity_sentence(validity)) if p)
    return Composition("answered", text, ctx.book.items, validity=validity)


def _basis(quoted: str) -> str:
    """The quote after the conclusion: "依据：文件规定[1]：“…”"."""
    return f"依据：{quoted.removeprefix('根据')}" if quoted else ""


def _eligibility_quote(ctx: Context, clause: Clause, rule: Rule) -> str:
    """The clause sentence closest to the question and the sentences the rules file quotes for the
    measure ("要怎样才给社保补贴": 12(2)'s social-insurance sentence, not only its 1500元 one), in order."""
    spans = {(q.start, q.end) for q in rule.citations if q.clause_id == rule.clause_id}
    for span, _ in best_sentences(ctx.version, clause, ctx.u, ctx.tokenizer, limit=1):
        if not any(s < span[1] and span[0] < e for s, e in spans):
            spans.add(span)
    spans = sorted(spans)[:3]
    if clause.kind in ("roster_entry", "ledger_row") or not spans:
        return quote_clause(ctx, clause)[0]
    marks = [ctx.book.cite_span(clause, s, e) for s, e in spans]
    # the citation book holds each quote as the answer cites it (page breaks repaired)
    quotes = [ctx.book.items[int(m.strip("[]")) - 1].quote.strip() for m in marks]
    return f"根据文件规定{''.join(marks)}：" + "".join(f"“{q}”" for q in quotes)


def _has_subject(ctx: Context, book: RuleBook) -> bool:
    """Whether the question names what it is about beyond who the asker is ("招应届毕业生" vs "我开饭店")."""
    return ctx.u.has_subject or bool(named_rules(book, ctx.u.text, ctx.docs))


_QUESTION_CUE = re.compile(r"[?？吗呢]|什么|多少|怎么|哪|几|谁|是否|能否|可否|如何")


def compose_profile_statement(ctx: Context, book: RuleBook) -> Composition | None:
    """"我开饭店，在低风险地区" tells who the asker is and asks nothing yet: show what may apply."""
    has_profile = any(k in ctx.u.slots for k in book.vocabulary)
    if not has_profile or _QUESTION_CUE.search(ctx.u.text) or _has_subject(ctx, book):
        return None
    return _compose_profile_list(ctx, book)


def _compose_profile_list(ctx: Context, book: RuleBook) -> Composition:
    """"我开饭店，有什么补贴？": every measure the profile may qualify for, each with its clause cited."""
    result = _match(book, ctx.u.slots, ctx.as_of, ctx.docs)
    if result is None:
        return Composition("clarify", "您提供的企业情况有无法识别的内容，请说明行业、规模、参保人数等。", ctx.book.items)
    # measures on the clauses the question retrieved come first: "中型企业招应届毕业生有什么补贴" is
    # about hiring graduates, not every measure a medium enterprise could meet
    retrieved = [c.clause_id for c in ctx.clauses]
    relevant = [m for m in result.measures if m.clause_id in retrieved[:5]]
    if relevant and _has_subject(ctx, book):
        # the measures the question is about first, then the others the asker meets
        first = sorted(relevant, key=lambda m: retrieved.index(m.clause_id))
        measures = first + [m for m in result.measures if m not in first and m.status == "applies"]
    else:  # "我开饭店，有什么补贴？": the profile is the whole question, so every measure it meets
        measures = sorted(result.measures, key=lambda m: m.status != "applies")
    lines: list[str] = []
    out: list[MeasureLine] = []
    missing: list[str] = []
    for m in measures[:8]:
        clause = ctx.version.clause(m.clause_id)
        if clause is None:
            continue
        mark = ctx.book.cite_clause(clause)
        state = "符合" if m.status == "applies" else (
            f"可能符合，{m.conditions[0]}" if m.conditions else "可能符合，需确认条件")
        amount = ""
        if m.amount is not None and m.amount_stated is not False:
            how = _working(m.formula)
            shown = format_yuan(m.amount, wan=False) if m.unit == "元" else f"{m.amount}{m.unit}"
            amount = f"{'最高' if m.is_cap else ''}{shown}" + (f"（{how}）" if how else "") + "；"
        elif m.missing:
            missing += [x for x in m.missing if x not in missing]
        rule = book.get(m.rule_id)
        validity = rule_validity(book, rule, ctx.as_of)
        when = (f"（已过期：{m.period}）" if m.period else "（已过期）") if m.lapsed else (
            "（未写明期限）" if m.lapsed is None else "")
        lines.append(f"· {m.title}{when}：{amount}{state}{mark}")
        out.append(MeasureLine(title=m.title, status=m.status, amount=m.amount if amount else None,
                               formula=m.formula if amount else "", validity=validity,
                               citations=[int(mark.strip("[]"))], note=m.note))
    if not lines:
        return Composition(
            "clarify",
            "按您目前提供的情况，我没有找到明确适用的措施。请告诉我企业所在行业、规模、参保人数等信息。",
            ctx.book.items,
        )
    head = "按您提供的情况，文件中可能适用的措施有："
    # one validity for the whole answer only when every listed measure has the same one; else each line says
    states = {m.validity.lapsed if m.validity else None for m in out}
    overall = out[0].validity if len(states) == 1 else None
    tail = ""
    if any(m.validity and m.validity.lapsed for m in out):
        tail = f"标注“已过期”的措施按文件规定已到期，现行政策请拨打{HOTLINE}咨询。"
    if result.choices:
        tail += "\n其中有的措施不能同时享受，需择一申请。"
    if missing:
        tail += f"\n要算出其余措施的金额，请告诉我：{'、'.join(re.sub(r'（[A-Za-z_]+）', '', x) for x in missing[:4])}。"
    return Composition("answered", "\n".join([head, *lines, tail.strip()]).strip(), ctx.book.items,
                       validity=overall, measures=out)
