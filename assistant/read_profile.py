"""What a question says about the asker, read with the rule book's own words.

Every field a rules file defines — its vocabulary fields (行业, 企业规模, 申请主体类型 …), its yes/no
flags (帮扶车间 …) and its calculation parameters (参保职工人数, 本人工资, 缴费年限 …) — declares what
people call it. This module finds those words in a question and binds the numbers next to them with
the one quantity reader (`assistant.quantities`), so a new rules file is understood with no code
change: nothing here names a field, a parameter or a document.

Language, not domain, is all the code holds: that 不是/没有/非 before a word negates it, and that a
verb of hiring before a kind of person makes that person the object of the question, not the asker
(the verbs are the vocabulary field's `object_cues`, data too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from assistant.quantities import NounSpec, Quantity, Refusal, bind, check_value, is_duration_unit, read_quantities
from assistant.rules import RuleBook

__all__ = ["ProfileReading", "read_profile", "noun_specs"]

# a word right before a term that says the opposite of it ("不是中高风险地区", "没有封控")
_NEGATIONS = ("不属于", "不是", "并非", "没有", "没被", "未被", "不在", "非", "未", "无", "没")
_NEGATION_REACH = 3  # characters between the negation and the term ("不是在中高风险")


@dataclass
class ProfileReading:
    """Slots keyed by rule-book field names: vocabulary values as sorted lists of canonical keys
    (a free-text field keeps the word), flags as booleans, parameters as numbers (int when whole)."""

    slots: dict[str, Any] = field(default_factory=dict)
    refused: list[Refusal] = field(default_factory=list)
    unbound: list[Quantity] = field(default_factory=list)  # numbers next to no known noun ("40个人")
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)  # where each slot was read
    per_one: bool = False  # "一个人多少钱": the question asks the rate for one, not a total


def _negated(text: str, start: int, word: str) -> bool:
    if word.startswith(_NEGATIONS):
        return False  # the word carries its own negation (未出现中高风险)
    before = text[max(0, start - _NEGATION_REACH - 3) : start]
    return any(n in before[-(len(n) + _NEGATION_REACH) :] for n in _NEGATIONS)


def _terms(book: RuleBook) -> list[tuple[str, str, Any]]:
    """(word, field, meaning) for every Chinese word of the rule book's vocabulary and flags, longest
    first; built once per book. Meaning: canonical keys for a vocabulary word, True for a flag."""
    cached = getattr(book, "_profile_terms", None)
    if cached is not None:
        return cached
    out: list[tuple[str, str, Any]] = []
    for fname, vf in book.vocabulary.items():
        table = book.words(fname)
        for word, keys in table.items():
            if len(word) >= 2 and not word.isascii():
                out.append((word, fname, keys))
    topic = _topic_words(book)
    for fname, fs in book.flags.items():
        for word in fs.aliases:
            if len(word) >= 2:
                # a status word the documents use throughout ("失业人员" in 50 clauses) names their subject;
                # it states the asker's status only when the asker speaks of themselves ("我是失业人员")
                out.append((word, fname, _SELF if word in topic else True))
    out.sort(key=lambda t: -len(t[0]))
    book._profile_terms = out  # type: ignore[attr-defined]
    return out


# A flag alias found in at least this many leaf clauses of the corpus is one of its topic words.
_TOPIC_CLAUSES = 10
_SELF = "self"  # meaning of a flag word that states the flag only after a word for the asker
# words by which askers speak of themselves or those they ask for (language, not any document's)
_SELF_CUE = re.compile(r"我|本人|自己|俺|咱|家里|家人|爱人|老公|老婆|丈夫|妻子|父亲|母亲|爸|妈|儿子|女儿|亲属|孩子")
_SELF_REACH = 12


def _topic_words(book: RuleBook) -> set[str]:
    """Flag aliases the documents themselves use in many clauses (built once per book)."""
    cached = getattr(book, "_topic_words", None)
    if cached is not None:
        return cached
    leaves = [c.text for d in book.docs.values() for c in d.clauses.values() if c.is_leaf]
    words = {w for fs in book.flags.values() for w in fs.aliases if len(w) >= 2}
    cached = {w for w in words if sum(1 for t in leaves if w in t) >= _TOPIC_CLAUSES}
    book._topic_words = cached  # type: ignore[attr-defined]
    return cached


def _speaks_of_self(text: str, start: int) -> bool:
    window = text[max(0, start - _SELF_REACH) : start]
    cut = max(window.rfind(ch) for ch in "。；;？?！!")
    return bool(_SELF_CUE.search(window[cut + 1 :]))


def noun_specs(book: RuleBook) -> list[NounSpec]:
    """The quantity reader's view of the rule book's numeric parameters; built once per book."""
    cached = getattr(book, "_noun_specs", None)
    if cached is not None:
        return cached
    specs = []
    for name, p in book.parameters.items():
        if p.type == "choice":
            continue
        nouns = tuple(dict.fromkeys(w for w in (p.label, *p.aliases) if not w.isascii() and len(w) >= 2))
        kind = "duration" if p.type == "duration" else ("number" if p.type == "number" and p.unit in ("", "元") else p.type)
        if p.type == "number" and is_duration_unit(p.unit):
            kind = "duration"
        specs.append(NounSpec(
            name=name, kind=kind, nouns=nouns, unit=p.unit, classifiers=tuple(p.classifiers),
            min=p.min, max=p.max, integer=p.type == "count", part_of=p.part_of,
            members=tuple(p.members.items()),
        ))
    book._noun_specs = specs  # type: ignore[attr-defined]
    return specs


_CLAUSE_END = "，,。；;？?！!、"
_OBJECT_REACH = 8  # "招了3个应届大学生": the verb, a count and a modifier before the person


def _clause_before(text: str, start: int) -> str:
    """The text of the same clause before `start`, at most a few characters."""
    window = text[max(0, start - _OBJECT_REACH) : start]
    cut = max(window.rfind(ch) for ch in _CLAUSE_END)
    return window[cut + 1 :]


# "一个人最高多少", "每人补多少": one of something asked about is the unit of a rate, not a count
_PER_ONE_ASK = ("多少", "最高", "最多", "几", "补", "给", "能拿", "能领", "发")


_EACH = re.compile(r"每(?:一)?(?:个人|人|名|位|个|户|家)")


def asks_per_one(text: str) -> bool:
    """"每人多少", "每名给多少": the rate for one unit is asked."""
    return any(any(w in text[m.end() : m.end() + 5] for w in _PER_ONE_ASK) for m in _EACH.finditer(text))


def _per_one(text: str, q: Quantity) -> bool:
    if q.kind != "count" or q.value != 1:
        return False
    after = text[q.end : q.end + 6]
    return any(after.lstrip("的").startswith(w) or w in after[:4] for w in _PER_ONE_ASK)


# "培训补贴最高是4000": a bare number after a benefit word is the benefit's figure, not a count of the noun
_BENEFIT_WORDS = ("补贴", "补助", "奖励", "奖补", "标准", "最高", "最多", "金额")


def _describes_the_benefit(text: str, b) -> bool:
    q = b.quantity
    if q.raw and any(ch in q.raw for ch in "人名位个"):
        return False
    at = text.rfind(b.noun, 0, q.start)
    between = text[at + len(b.noun) : q.start] if at >= 0 else ""
    return any(w in between for w in _BENEFIT_WORDS)


def _number(d: Decimal) -> int | float:
    return int(d) if d == d.to_integral_value() else float(d)


def read_profile(text: str, book: RuleBook) -> ProfileReading:
    """The rule-book fields a question states, with the numbers bound to their nouns."""
    reading = ProfileReading(per_one=asks_per_one(text))
    taken: list[tuple[int, int]] = []
    for word, fname, meaning in _terms(book):
        start = text.find(word)
        while start != -1:
            end = start + len(word)
            if not any(s < end and start < e for s, e in taken):
                break
            start = text.find(word, end)
        if start == -1:
            continue
        end = start + len(word)
        taken.append((start, end))
        if fname in reading.slots:
            continue  # the first (longest) word of a field decides it
        vf = book.vocabulary.get(fname)
        if vf is not None and any(c in _clause_before(text, start) for c in vf.object_cues):
            continue  # "招了大学生": the asker hires graduates, it is not one
        negated = _negated(text, start, word)
        if meaning == _SELF:
            if not _speaks_of_self(text, start):
                taken.pop()  # "失业人员领取失业金的条件": the subject, not the asker; a longer word may still say it
                continue
            meaning = True
        if meaning is True:
            reading.slots[fname] = not negated
        elif vf is not None and vf.free_text and not negated:
            # a free-text field keeps the canonical value when the word means one (饭店 → 餐饮)
            reading.slots[fname] = next(iter(meaning)) if len(meaning) == 1 else word
        else:
            keys = set(meaning)
            if negated:
                keys = set(vf.values) - keys if vf is not None else set()
            if not keys or (vf is not None and keys == {vf.default}):
                continue  # "劳动密集型企业": naming the default applicant says nothing about the asker
            reading.slots[fname] = sorted(keys)
        reading.spans[fname] = (start, end)

    specs = noun_specs(book)
    if specs:
        result = bind(text, specs)
        by_name = {s.name: s for s in specs}
        for name, b in result.bound.items():
            if _per_one(text, b.quantity):
                reading.per_one = True
                continue
            if _describes_the_benefit(text, b):
                continue
            # a noun several parameters share ("职工") states each of them: the rule that needs one picks it
            sharing = [s for s in specs if b.noun in s.nouns and s.kind == by_name[name].kind] or [by_name[name]]
            ends = [b.quantity, *([b.partner] if b.partner else [])]
            for s in sharing:
                if s.name in reading.slots:
                    continue
                if any(check_value(s, q.value) is not None for q in ends):
                    continue
                # "不足5年" is a bound, not the figure 5: it travels as {"lt": 5} for the calculator to judge
                reading.slots[s.name] = ({q.bound: _number(q.value) for q in ends} if b.is_bound
                                         else _number(b.quantity.value))
                reading.spans[s.name] = (min(q.start for q in ends), max(q.end for q in ends))
        unbound = []
        for q in result.unbound:
            if _per_one(text, q):
                reading.per_one = True
            else:
                unbound.append(q)
        refused = []
        for r in result.refused:
            # "厂里1200人，脱贫劳动力占25%": a share of a part whose total was said without its noun; the one
            # count next to no noun is that total
            spec = by_name.get(r.name or "")
            loose = [q for q in unbound if q.kind == "count" and not q.negative and q.start < r.quantity.start]
            total = by_name.get(spec.part_of) if spec and spec.part_of else None
            if (r.quantity.kind == "share" and total is not None and total.name in reading.slots
                    and isinstance(reading.slots[total.name], (int, float))):
                # the total was said with a noun the part's total shares ("800个工人，一半是脱贫户")
                whole = Decimal(str(reading.slots[total.name]))
                reading.slots.setdefault(spec.name, _number((whole * r.quantity.value).to_integral_value(rounding="ROUND_FLOOR")))
                continue
            if (r.quantity.kind == "share" and total is not None and total.name not in reading.slots
                    and len(loose) == 1 and check_value(total, loose[0].value) is None):
                reading.slots[total.name] = _number(loose[0].value)
                part = (loose[0].value * r.quantity.value).to_integral_value(rounding="ROUND_FLOOR")
                reading.slots.setdefault(spec.name, _number(part))
                unbound.remove(loose[0])
                continue
            refused.append(r)
        # "我们厂一共1200人，里头脱贫劳动力有300个": a part bound, its total said without a noun — the one
        # larger count next to no noun is that total
        for spec in specs:
            total = by_name.get(spec.part_of or "")
            if spec.name not in reading.slots or total is None or total.name in reading.slots:
                continue
            if not isinstance(reading.slots[spec.name], (int, float)):
                continue  # a bound part says nothing about which number is its total
            part = Decimal(str(reading.slots[spec.name]))
            bigger = [q for q in unbound if q.kind == "count" and not q.negative and q.value > part]
            if len(bigger) == 1 and check_value(total, bigger[0].value) is None:
                reading.slots[total.name] = _number(bigger[0].value)
                unbound.remove(bigger[0])
        reading.refused = refused
        reading.unbound = unbound
    return reading
