"""The numbers in a citizen's question, and the rule-book parameter each one belongs to.

`read_quantities(text)` finds every stated quantity (digits or 汉字, 万/亿, shares, durations, money,
head counts, with bounds such as 不到 / 以上) and normalises it to a `Quantity` with a Decimal value.
`bind(text, specs)` ties each quantity to the parameter whose noun it is said with. The parameters are
data (`NounSpec`, built by the caller from the rules files): nothing here names a benefit, parameter,
province or document, and binding is one algorithm — nearest compatible noun in the same clause.

`check_value(spec, value)` is the one range and type check; the calculator calls the same function,
so a value the reader refuses is a value the calculator would refuse.

Chinese numerals are converted by cn2an (spoken forms such as 一万五 included); this module only
adds the forms around numerals that cn2an does not read: shares (三成, 四分之一, 一半), halves of
durations (半年, 一年半), bounds, and what is not a quantity at all (〔2022〕19号, 第十七条, 一次性).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_FLOOR, Decimal
from functools import lru_cache

import cn2an

from index.tokenize import occurrences

__all__ = ["Binding", "BindResult", "NounSpec", "Quantity", "Refusal", "bind", "check_value", "read_quantities"]

#: No head count, amount (元) or duration in a citizen's question comes near 10^15: it is ten times
#: China's yearly GDP in 元, so anything this large is a typo or a probe, never a fact to compute with.
IMPLAUSIBLE = Decimal(10) ** 15


@dataclass(frozen=True)
class Quantity:
    """One stated quantity; `value` is normalised (25% → 0.25, 一万五 → 15000, 半年 → 6 个月)."""

    value: Decimal
    kind: str  # count | money | share | duration | number | year
    unit: str  # 人, 名, 元, 个月, 年, 天, ... ("" when none; a share is a fraction and has none)
    start: int
    end: int
    bound: str = "eq"  # eq | lt | le | gt | ge
    raw: str = ""
    negative: bool = False


@dataclass(frozen=True)
class NounSpec:
    """One parameter, as the rule book describes it: what it is called and what values it admits."""

    name: str
    kind: str  # count | money | share | duration | number
    nouns: tuple[str, ...]
    unit: str = ""
    classifiers: tuple[str, ...] = ()
    min: Decimal | None = None
    max: Decimal | None = None
    integer: bool = False
    part_of: str | None = None  # name of the parameter whose count this one is part of (其中…)
    # words that each name persons this count counts, with the number one word names alone (父母: 2)
    members: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Binding:
    name: str
    quantity: Quantity  # in the spec's unit; for a derived binding, the computed count
    noun: str  # the words of the question the quantity was bound by
    derived: bool = False  # e.g. a share of a bound total, rounded down
    partner: Quantity | None = None  # the other end of a range said of it (满1年不足5年: the 5年, lt)

    @property
    def is_bound(self) -> bool:
        """Whether the asker stated a bound, not a figure: 不足5年, 十多年, 满1年不足5年 (满5年 alone is 5)."""
        return self.partner is not None or self.quantity.bound in ("lt", "gt")


@dataclass(frozen=True)
class Refusal:
    name: str | None  # the parameter it would have bound, when known
    quantity: Quantity
    message: str  # Chinese, asks the user back


@dataclass
class BindResult:
    bound: dict[str, Binding]
    refused: list[Refusal]
    unbound: list[Quantity]


# ---------------------------------------------------------------------------------------- reading

# full-width forms to ASCII, one character for one; "，" stays, so 120，300人 is not 120,300
_HALF_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F) if c != 0xFF0C}
_HALF_WIDTH |= {0x3000: 0x20, 0x2212: 0x2D, 0x301C: 0x7E}  # ideographic space, minus sign, wave dash
_SEPARATORS = "，,。；;？?！!、\n"
_CN_DIGIT = "零〇一二两三四五六七八九"
_MULTIPLIER = {"十": 10, "百": 100, "千": 1000, "万": 10**4, "亿": 10**8}
_DIGITS = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][+-]?\d+)?"
_CN_NUMBER = rf"[{_CN_DIGIT}十百千万亿]+(?:点[{_CN_DIGIT}]+)?"
_NUMBER = rf"(?:{_DIGITS})(?:[百千万亿]+(?:[1-9](?![\d.]))?)*|{_CN_NUMBER}"

# Numbers that name a thing rather than measure it: document numbers, clause and ordinal references,
# list markers, and set phrases whose 一 is no count (一次性, 每一个, 上一次, 统一, 一县一品 / 一人一档).
_NOT_QUANTITY = re.compile(
    r"[〔\[【(（]\s*\d{4}\s*[〕\]】)）]\s*(?:第\s*)?\d*\s*号?"
    rf"|第\s*[(（]?\s*(?:\d+|[{_CN_DIGIT}十百千]+)\s*[)）]?"
    r"|\d+\s*号"
    r"|[(（]\s*(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*[)）]"
    r"|一次性|(?<=[每这那某同任哪统唯逐上下前])一(?=[次个回年月])"  # 上一次, 前一个月: which one, no count
    r"|(?<=[每这那某同任哪统唯逐])一"
    rf"|一[^\W\d_{_CN_DIGIT}十百千万亿]一[^\W\d_{_CN_DIGIT}十百千万亿]"
)
_DAY = rf"(?:\d{{1,2}}|[{_CN_DIGIT}十]{{1,3}})"
_DATE = re.compile(
    rf"(?P<year>\d{{4}}|[{_CN_DIGIT}]{{4}})\s*年度?(?:\s*{_DAY}\s*月份?(?:\s*{_DAY}\s*[日号])?)?"
    r"|(?P<iso>\d{4})(?:[-/]\d{1,2}(?:[-/]\d{1,2})?|\.\d{1,2}\.\d{1,2})(?![\d.])"  # 1900.5名 is no date
)
_MONTH_DAY = re.compile(rf"{_DAY}\s*月份?(?:\s*{_DAY}\s*[日号])?")  # 12月31日: a calendar date, no count
_SHARE_WORDS = re.compile(
    rf"(?P<per>百|千)分之\s*(?P<pnum>{_NUMBER})"
    rf"|(?P<den>{_NUMBER})\s*分之\s*(?P<num>{_NUMBER})"
    r"|(?<![\d/])(?P<dnum>\d+)\s*/\s*(?P<dden>\d+)(?![\d/])"
    r"|(?P<half>一半|半数|过半)"
)
# 上半年 is a calendar half, 一个半月 is read with its number below
_HALF_DURATION = re.compile(r"(?<![上下前后个])半\s*个?\s*(?P<unit>年|月|天)")
_HALVES = {"年": (Decimal(6), "个月"), "月": (Decimal("0.5"), "个月"), "天": (Decimal("0.5"), "天")}
_TOKEN = re.compile(rf"(?P<sign>负|-)?(?P<num>{_NUMBER})")
_SUFFIX = re.compile(
    r"\s*(?P<approx>多|余|来)?(?P<scale>(?<=[多余来])[百千万亿]+)?\s*(?:"
    r"(?P<pct>%|个百分点)"
    r"|(?P<cheng>成)(?P<tenth>[一二三四五六七八九\d])?(?!立|为|本|功|交|果|就|熟|长|绩|品|员(?!工))"
    r"|(?P<dur>个半月|个(?P<approx_month>多|来)?月|个工作日|工作日|年半|年|天|日|周(?!岁)|星期|个?(?:多|来)?小时|分钟)"
    r"|(?P<money>(?:个[万亿])?(?:万元|元|块钱|块|圆)|个[万亿])"  # 十个亿, 三个亿元
    r"|(?P<cls>个人|号人|人次|人|名|位|个|户|家|次|项|本|张|台|辆|所|间|处|批|件|份|套|期|班|场)"
    r"|(?P<age>周岁|岁)"
    r")?"
)
# a number after 人数 counts people even without a classifier (单位参保人数40)
_HEADCOUNT_CUE = re.compile(r"(?:人数|人头数|名额)\s*(?:是|为|有|共|达|约|:)?\s*$")

# Legal usage, which citizens follow: 以上 / 以下 / 以内 include the number itself (民法典第1259条).
_BOUND_WORDS = {
    "ge": "不少于 不低于 不小于 至少 最少 起码 达到 届满 满",
    "le": "不超过 不高于 不多于 不大于 最多 至多 最高",
    "lt": "不到 不足 不满 未满 没满 少于 低于 小于 未达到 没到",
    "gt": "超过 多于 高于 大于 超出",
}
# longest first, so 不满 is read before 满 and 不超过 before 超过
_BOUND_BEFORE = sorted(((w, b) for b, ws in _BOUND_WORDS.items() for w in ws.split()), key=lambda c: -len(c[0]))
_CUE_GAP = 2  # 至少招了30人: up to two words (招了) may stand between a bound word and its number
_BOUND_AFTER = re.compile(
    r"\s*(?:(?P<ge>及以上|或以上|以上)|(?P<le>及以下|或以下|以下|以内|之内|内)|(?P<lt>不到)|(?P<gt>出头))"
)
_DURATION_UNIT = {"个月": "个月", "年": "年", "天": "天", "日": "天", "周": "周", "星期": "周", "小时": "小时",
                  "分钟": "分钟", "工作日": "工作日", "个工作日": "工作日"}


def is_duration_unit(unit: str) -> bool:
    """Whether a unit (of a rule's result or a parameter) is a length of time: 个月, 月, 年, 天, 日 …"""
    return unit in _DURATION_UNIT or unit == "月"


def _number(s: str) -> Decimal | None:
    """The value of one numeral: digits by Decimal, 汉字 (and 1.5万, 8万5) by cn2an."""
    s = s.replace(",", "")
    if m := re.fullmatch(rf"({_DIGITS})([百千万亿]*)", s):
        value = Decimal(m[1])
        for ch in m[2]:
            value *= _MULTIPLIER[ch]
        return value
    if s[0] in "百千":  # 百万元, 千元: spoken without the leading 一
        s = "一" + s
    try:
        return Decimal(str(cn2an.cn2an(s, "smart")))
    except Exception:  # cn2an raises ValueError and, on a few malformed inputs, KeyError
        return None


def _plausible_numeral(masked: str, m: re.Match, has_unit: bool) -> bool:
    """Whether a 汉字 numeral is a number and not part of a word (一些, 十分, 万一, 几万元, 三三两两)."""
    s = m["num"]
    if s[0] in "0123456789":
        near = masked[m.start() - 1 : m.start()] + masked[m.end() : m.end() + 1]
        return not re.search(r"[A-Za-z]", near)  # A4, 5G
    if s[0] in "万亿" or masked[m.start() - 1 : m.start()] in ("几", "数", "上", "成", "好"):
        return False
    has_digit = any(ch in _CN_DIGIT for ch in s)
    has_order = any(ch in _MULTIPLIER for ch in s)
    if not has_digit and len(s) >= 2 and s[0] in "十百" and s[-1] in "万亿":
        return True  # 十万, 百万: a number with no unit after it (千万 is also the adverb "by all means")
    if not has_digit or len(s) == 1:
        return has_unit
    return has_order or "点" in s


def _read_token(masked: str, m: re.Match) -> Quantity | None:
    suffix = _SUFFIX.match(masked, m.end())
    has_unit = suffix.lastgroup not in (None, "approx", "scale")
    if not _plausible_numeral(masked, m, has_unit):
        return None
    value = _number(m["num"])
    if value is None:
        return None
    for ch in suffix["scale"] or "":  # 五十多万
        value *= _MULTIPLIER[ch]
    kind, unit, end = "number", "", suffix.end() if has_unit or suffix["scale"] else m.end()
    if suffix["pct"]:
        kind, value = "share", value / 100
    elif suffix["cheng"]:  # 三成 = 30%, 三成五 = 35%
        kind, value = "share", value / 10
        if suffix["tenth"]:
            value += (_number(suffix["tenth"]) or 0) / 100
    elif dur := suffix["dur"]:
        kind = "duration"
        if dur == "年半":  # 一年半 = 18 个月, as 半年 = 6 个月
            value, unit = (value + Decimal("0.5")) * 12, "个月"
        elif dur == "个半月":
            value, unit = value + Decimal("0.5"), "个月"
        else:
            # 三个小时 / 三个多小时 are hours, as 三个月 is months
            unit = _DURATION_UNIT[re.sub("[多来个]" if dur.endswith("小时") else "[多来]", "", dur)]
    elif money := suffix["money"]:
        kind, unit = "money", "元"
        for ch in re.sub("[^万亿]", "", money):
            value *= _MULTIPLIER[ch]
    elif cls := suffix["cls"]:
        kind, unit = "count", "人" if cls in ("个人", "号人") else cls
    elif suffix["age"]:
        unit = "岁"
    elif re.search("[万亿]", m["num"] + (suffix["scale"] or "")):
        kind, unit = "money", "元"  # 交了一万五, 返了8万: a bare 万 amount is money in a citizen's question
    elif _HEADCOUNT_CUE.search(masked, 0, m.start()):
        kind, unit = "count", "人"
    sign = m["sign"]
    if sign == "-" and re.match(rf"[\d{_CN_DIGIT}十百千万A-Za-z]", masked[m.start() - 1 : m.start()] or " "):
        sign = None  # 20-30人, 2022-12: a dash between numbers is no minus
    start = m.start() if sign else m.start("num")
    bound = "gt" if "多" in (suffix["approx"], suffix["approx_month"]) or suffix["approx"] == "余" else "eq"
    return Quantity(-value if sign else value, kind, unit, start, end, bound, negative=bool(sign))


def _read_share(m: re.Match) -> Quantity | None:
    if m["half"]:
        return Quantity(Decimal("0.5"), "share", "", m.start(), m.end(), "gt" if m["half"] == "过半" else "eq")
    if m["per"]:
        part, whole = _number(m["pnum"]), Decimal(100 if m["per"] == "百" else 1000)
    elif m["den"]:
        part, whole = _number(m["num"]), _number(m["den"])
    else:
        part, whole = Decimal(m["dnum"]), Decimal(m["dden"])
    if part is None or not whole:
        return None
    return Quantity(part / whole, "share", "", m.start(), m.end())


def _bound(norm: str, q: Quantity, after_previous: int) -> str:
    """The bound a question's words put on a quantity: 不到30人 → lt, 30人以上 → ge."""
    before = norm[max(after_previous, q.start - 8) : q.start]
    before = re.split(f"[{_SEPARATORS}]", before)[-1]
    for cue, bound in _BOUND_BEFORE:
        at = before.rfind(cue)
        gap = before[at + len(cue) :] if at >= 0 else ""
        if at >= 0 and len(gap) <= _CUE_GAP and not re.search(rf"[\d{_CN_DIGIT}]", gap):
            return bound
    if after := _BOUND_AFTER.match(norm, q.end):
        return after.lastgroup
    return q.bound


def _join_ranges(norm: str, found: list[Quantity]) -> list[Quantity]:
    """20-30人, 20到30人: the first number takes the second's unit; the pair becomes ge / le."""
    for i in range(len(found) - 1):
        a, b = found[i], found[i + 1]
        if b.negative and norm[b.start] == "-" and not norm[a.end : b.start].strip():
            b = replace(b, value=-b.value, negative=False, start=b.start + 1)  # 30%-50%: no minus either
            found[i + 1] = b
        dash = re.fullmatch(r"\s*[-~到至]\s*", norm[a.end : b.start])
        if dash and a.kind in ("number", b.kind) and b.kind != "number":
            scale = 10000 if "万" in b.raw and "万" not in a.raw else 1
            found[i] = replace(a, kind=b.kind, unit=b.unit, value=a.value * scale, bound="ge")
            found[i + 1] = replace(b, bound="le")
    return found


def read_quantities(text: str) -> list[Quantity]:
    """Every quantity stated in `text`, in order; spans index `text` itself."""
    norm = text.translate(_HALF_WIDTH)  # one character for one, so spans stay those of `text`
    taken = [False] * len(norm)
    found: list[Quantity] = []

    def claim(start: int, end: int) -> bool:
        if any(taken[start:end]):
            return False
        taken[start:end] = [True] * (end - start)
        return True

    def masked() -> str:
        return "".join("\x00" if t else ch for ch, t in zip(norm, taken))

    for m in _NOT_QUANTITY.finditer(norm):
        claim(m.start(), m.end())
    for m in _DATE.finditer(masked()):
        year = _number(m["year"] or m["iso"])
        if year is not None and 1900 <= year < 2200 and claim(m.start(), m.end()):
            found.append(Quantity(year, "year", "年", m.start(), m.end()))
    for m in _MONTH_DAY.finditer(masked()):
        claim(m.start(), m.end())
    for m in _SHARE_WORDS.finditer(masked()):
        if (q := _read_share(m)) and claim(q.start, q.end):
            found.append(q)
    for m in _HALF_DURATION.finditer(masked()):
        value, unit = _HALVES[m["unit"]]
        if claim(m.start(), m.end()):
            found.append(Quantity(value, "duration", unit, m.start(), m.end()))
    text_now = masked()
    for m in _TOKEN.finditer(text_now):
        if (q := _read_token(text_now, m)) and claim(q.start, q.end):
            found.append(q)

    found = _join_ranges(norm, sorted(found, key=lambda q: q.start))
    result, previous_end = [], 0
    for q in found:
        whole = q.value.to_integral_value()
        value = whole if q.value == whole else q.value  # 1.5万: 15000, not 15000.0
        result.append(replace(q, value=value, bound=_bound(norm, q, previous_end), raw=text[q.start : q.end]))
        previous_end = q.end
    return result


# ---------------------------------------------------------------------------------------- checking

def _show(value: Decimal) -> str:
    if not value.is_finite() or abs(value) >= IMPLAUSIBLE:
        return f"{value:.2E}"
    return format(value.normalize(), "f")


def _label(spec: NounSpec) -> str:
    return spec.nouns[0] if spec.nouns else spec.name


def check_value(spec: NounSpec, value: Decimal) -> str | None:
    """Why `value` cannot be this parameter's value (a question back, in Chinese), or None if it can."""
    label = _label(spec)
    if not value.is_finite() or abs(value) >= IMPLAUSIBLE:
        return f"{label}是{_show(value)}？这个数大得不像实际情况，请问实际是多少？"
    if value < 0:
        return f"{label}不会是负数（{_show(value)}），请问实际是多少？"
    if spec.kind == "share" and value > 1:
        return f"{label}是{_show(value * 100)}%？比例最多是100%，请问实际占多少？"
    if spec.integer and value != value.to_integral_value():
        return f"{label}应是整数，{_show(value)}不是整数，请问实际是多少？"
    unit = spec.unit or (spec.classifiers[0] if spec.classifiers else "")
    if spec.min is not None and value < spec.min:
        return f"{label}是{_show(value)}{unit}？不能少于{_show(spec.min)}{unit}，请问实际是多少？"
    if spec.max is not None and value > spec.max:
        return f"{label}是{_show(value)}{unit}？不能超过{_show(spec.max)}{unit}，请问实际是多少？"
    return None


def _over_whole(q: Quantity) -> str | None:
    """A share of a whole above all of it ("脱贫劳动力占150%"); a rate above 100% alone is no slip: documents
    pay 日工资收入的300%, and a question may quote it."""
    if q.kind == "share" and q.value > 1:
        return f"“{q.raw}”超过了100%，比例最多是100%，请问实际占多少？"
    return None


def _impossible(q: Quantity) -> str | None:
    """What no parameter could accept, whichever it is: a negative, 2.5个, 10^15 (a share above 100% only
    as a part of a whole: `check_value` for a share parameter, `_over_whole` for a part's count)."""
    if q.kind in ("number", "year"):
        return None  # a bare number (an ID, a phone number) is nobody's value until a noun binds it
    if not q.value.is_finite() or abs(q.value) >= IMPLAUSIBLE:
        return f"“{q.raw}”大得不像实际情况，请问实际是多少？"
    if q.negative or q.value < 0:
        return f"“{q.raw}”是负数，这个数不会是负的，请问实际是多少？"
    if q.kind == "count" and q.value != q.value.to_integral_value():
        return f"“{q.raw}”不是整数，个数应是整数，请问实际是多少？"
    return None


# ---------------------------------------------------------------------------------------- binding

_UNIT_BASE = {"元": ("元", 1), "万元": ("元", 10000), "个月": ("个月", 1), "月": ("个月", 1), "年": ("个月", 12),
              "天": ("天", 1), "日": ("天", 1), "周": ("天", 7)}
# a noun after its quantity (300名脱贫劳动力) is usual only after a classifier; after 人 or a bare
# number (1200人脱贫劳动力…) the noun before it is meant, so a noun after costs this many characters
_AFTER_CLASSIFIER, _AFTER_OTHER = 0.25, 3
_DECIMAL_SLACK = Decimal("1e-9")  # 1/3 is 0.333…3 in Decimal: 1200 × it must still round down to 400
_AFTER_DE_OK = "有是为共约占数人达都"  # 职工的人数是40: 的 + these is not 毕业生的父母


@dataclass(frozen=True)
class _Mention:
    spec: int
    noun: str
    start: int
    end: int


def _convert(q: Quantity, unit: str) -> Quantity | None:
    if not unit or unit == q.unit or not q.unit:
        return q
    have, want = _UNIT_BASE.get(q.unit), _UNIT_BASE.get(unit)
    if not have or not want or have[0] != want[0]:
        return None
    return replace(q, value=q.value * have[1] / want[1], unit=unit)


def _fit(spec: NounSpec, q: Quantity) -> Quantity | None:
    """`q` in the spec's unit, or None when it is not the kind of value the spec takes."""
    if spec.kind == "count":
        allowed = {c for c in (*spec.classifiers, spec.unit) if c}
        spoken = q.kind == "money" and not re.search("[元块圆]", q.raw)  # 职工一万: 万 alone names no money
        if q.kind == "number" or spoken or (q.kind == "count" and (not allowed or q.unit in allowed)):
            return replace(q, kind="count", unit=spec.unit or q.unit)  # 300名 and 300人 of one spec alike
        return None
    if spec.kind == "money" and q.kind in ("money", "number"):
        return _convert(replace(q, kind="money", unit="元"), spec.unit)
    if spec.kind == "duration" and q.kind == "duration":
        return _convert(q, spec.unit)
    if spec.kind == "share" and q.kind == "share":
        return q
    if spec.kind == "number" and (q.kind == "number" or (spec.unit and q.unit == spec.unit)):
        return q
    return None


@lru_cache(maxsize=64)
def _headcount_forms(specs: tuple[NounSpec, ...]) -> dict[str, int]:
    """参保人数 for 参保职工, 脱贫人数 for 脱贫劳动力: "X人数" is the number of X's people."""
    forms: dict[str, set[int]] = {}
    for i, spec in enumerate(specs):
        if spec.kind != "count":
            continue
        for noun in spec.nouns:
            for cut in range(1, len(noun) - 1):
                forms.setdefault(noun[:-cut] + "人数", set()).add(i)
    nouns = {noun for spec in specs for noun in spec.nouns}
    return {form: next(iter(ids)) for form, ids in forms.items() if len(ids) == 1 and form not in nouns}


def _find_mentions(text: str, specs: Sequence[NounSpec]) -> list[_Mention]:
    """Where the specs' nouns occur: the longest wins over one it contains (参保职工 over 职工)."""
    found = [
        _Mention(i, noun, start, end)
        for i, spec in enumerate(specs)
        for noun in set(spec.nouns) if noun
        for start, end in occurrences(noun, text)
    ]
    found += [_Mention(i, form, start, end) for form, i in _headcount_forms(tuple(specs)).items()
              for start, end in occurrences(form, text)]
    found.sort(key=lambda m: (m.start - m.end, m.start, m.spec))
    kept: list[_Mention] = []
    blocking: list[_Mention] = []  # a possessive mention blocks the shorter nouns inside it too
    for m in found:
        if any(b.start < m.end and m.start < b.end and (b.start, b.end) != (m.start, m.end) for b in blocking):
            continue
        blocking.append(m)
        after = text[m.end : m.end + 2]
        if after[:1] == "的" and re.match(r"[^\W\d_]", after[1:]) and after[1:] not in _AFTER_DE_OK:
            continue  # 毕业生的父母 speaks of the parents
        kept.append(m)
    return kept


def _yield_to_noun(text: str, q: Quantity, mentions: list[_Mention]) -> Quantity:
    """30个体户, 30家政人员, 月薪6500 日工资是多少: when a noun starts on the classifier or the time unit, that
    character is the noun's."""
    starts = [m.start for m in mentions if q.start < m.start < q.end]
    if q.kind not in ("count", "duration") or not starts:
        return q
    inner = read_quantities(text[q.start : min(starts)])
    if len(inner) != 1 or (q.kind == "duration" and inner[0].kind != "number"):
        return q  # 8个月失业金: 月失业金 starts inside the unit 个月, which stays whole
    return replace(inner[0], start=q.start + inner[0].start, end=q.start + inner[0].end, bound=q.bound)


def _clause_ids(text: str, quantities: list[Quantity]) -> list[int]:
    """Clause number of each character: split on punctuation (not 12,500's comma) and before 其中."""
    inside = {i for q in quantities for i in range(q.start, q.end)}
    ids, clause = [], 0
    for i, ch in enumerate(text):
        if (ch in _SEPARATORS and i not in inside) or text.startswith("其中", i):
            clause += 1
        ids.append(clause)
    return ids


_PHRASE_REACH = 12  # characters of a number's clause before it that may name what it is
# the asker speaking of themselves (我, not 我们: "我们这职工平均工资" is the place's) is the law's 本人
_SELF = re.compile(r"我(?!们)|自己|俺(?!们)")


def _common(a: str, b: str) -> int:
    """Length of the longest common subsequence: how much of a noun a phrase says, in order."""
    row = [0] * (len(b) + 1)
    for ch in a:
        prev = 0
        for j, other in enumerate(b):
            prev, row[j + 1] = row[j + 1], prev + 1 if ch == other else max(row[j + 1], row[j])
    return row[-1]


def _phrase_choice(text: str, q: Quantity, start: int, specs: Sequence[NounSpec]) -> _Mention | None:
    """The parameter the words before a number name best, when their noun phrase says one parameter more
    fully than any other ("我去年月平均工资4500": 本人上年度月均工资, not 职工平均工资, though 平均工资 is the
    longest noun in it): each parameter whose noun occurs in the phrase is scored by how many characters of
    its label or a noun the phrase says in order, the asker's 我 read as the law's 本人."""
    phrase = text[max(start, q.start - _PHRASE_REACH) : q.start]
    phrase = re.split(f"[{_SEPARATORS}]", phrase)[-1]
    if not phrase:
        return None
    said = _SELF.sub("本人", phrase)
    scored: list[tuple[int, int, _Mention]] = []
    offset = q.start - len(phrase)
    for i, spec in enumerate(specs):
        if _fit(spec, q) is None:
            continue
        inside = [n for n in spec.nouns if n and n in phrase]
        if not inside:
            continue
        noun = max(inside, key=len)
        at = offset + phrase.rfind(noun)
        score = max(_common(n, said) for n in spec.nouns)
        scored.append((score, i, _Mention(i, noun, at, at + len(noun))))
    if len(scored) < 2:
        return None
    scored.sort(key=lambda t: -t[0])
    best, second = scored[0], scored[1]
    return best[2] if best[0] > second[0] else None


def _candidates(text: str, quantities: list[Quantity], mentions: list[_Mention], specs: Sequence[NounSpec]):
    """(distance, position, spec, quantity, mention, value) pairs in one clause, nearest first: those
    the spec takes directly, and shares that give a part's count of a total (part_of)."""
    clause = _clause_ids(text, quantities)
    names = {spec.name for spec in specs}
    direct, derived = [], []
    for qi, q in enumerate(quantities):
        previous_end = quantities[qi - 1].end if qi else 0
        if q.kind != "year" and (chosen := _phrase_choice(text, q, previous_end, specs)) is not None:
            # the phrase's own parameter comes before any nearer noun of another
            direct.append((-1, q.start, chosen.spec, qi, chosen, _fit(specs[chosen.spec], q)))
        for m in mentions:
            if q.kind == "year" or clause[m.start] != clause[q.start]:
                continue
            after = m.start >= q.end
            distance = m.start - q.end if after else q.start - m.end
            if after:
                distance += _AFTER_CLASSIFIER if q.kind == "count" and q.unit != "人" else _AFTER_OTHER
            spec = specs[m.spec]
            if (fitted := _fit(spec, q)) is not None:
                direct.append((distance, q.start, m.spec, qi, m, fitted))
            elif q.kind == "share" and spec.kind == "count" and spec.part_of in names:
                derived.append((distance, q.start, m.spec, qi, m, q))
    return sorted(direct, key=lambda c: c[:3]), sorted(derived, key=lambda c: c[:3])


# a word right before a listed person that says there is none ("没有子女"); language, not any document's
_NONE_BEFORE = re.compile(r"(?:没有|没|无|不含|除了|除)$")


def _count_members(text: str, quantities: list[Quantity], specs: Sequence[NounSpec]) -> tuple[dict[str, Binding], set[int]]:
    """"配偶和两个孩子": the persons the asker lists, each word with its numeral (两个孩子 = 2) or the number it
    names alone (配偶 = 1, 父母 = 2), summed for every count whose `members` they are; and the numerals used."""
    bound: dict[str, Binding] = {}
    used: set[int] = set()
    for spec in specs:
        if not spec.members:
            continue
        taken: list[tuple[int, int]] = []
        counted: dict[str, Decimal] = {}
        spans: list[tuple[int, int]] = []
        for word, alone in sorted(spec.members, key=lambda m: -len(m[0])):
            for m_start, m_end in occurrences(word, text):
                if any(a < m_end and m_start < b for a, b in taken):
                    continue
                taken.append((m_start, m_end))
                if _NONE_BEFORE.search(text[max(0, m_start - 2) : m_start]):
                    continue
                numeral = next((i for i, q in enumerate(quantities)
                                if q.kind in ("count", "number") and not text[q.end : m_start].strip(" 的")
                                and q.end <= m_start), None)
                n = Decimal(alone)
                if numeral is not None:
                    n = quantities[numeral].value
                    used.add(numeral)
                    spans.append((quantities[numeral].start, m_end))
                else:
                    spans.append((m_start, m_end))
                counted[word] = max(counted.get(word, Decimal(0)), n)
        if counted:
            start, end = min(a for a, _ in spans), max(b for _, b in spans)
            total = sum(counted.values(), Decimal(0))
            q = Quantity(total, "count", spec.unit or "人", start, end, raw=text[start:end])
            bound[spec.name] = Binding(spec.name, q, "、".join(counted), derived=True)
    return bound, used


_LOWER, _UPPER = ("ge", "gt"), ("le", "lt")
_RANGE_GAP = 4  # 满1年不足5年: the words between the two ends (不足) stay this short


def _range_partner(text: str, quantities: list[Quantity], qi: int, spec: NounSpec, clause: list[int],
                   used: set[int]) -> tuple[int, Quantity] | None:
    """The next quantity when it closes a range the bound one opens (满1年 … 不足5年, 20到30人): same clause,
    a few words apart, a value of the same parameter bounded the other way."""
    q, nxt = quantities[qi], qi + 1
    if q.bound == "eq" or nxt >= len(quantities) or nxt in used:
        return None
    other = quantities[nxt]
    between = text[q.end : other.start]
    if clause[other.start] != clause[q.start] or len(between) > _RANGE_GAP or re.search(f"[{_SEPARATORS}]", between):
        return None
    if not ((q.bound in _LOWER and other.bound in _UPPER) or (q.bound in _UPPER and other.bound in _LOWER)):
        return None
    fitted = _fit(spec, other)
    return (nxt, fitted) if fitted is not None else None


def bind(text: str, specs: Sequence[NounSpec]) -> BindResult:
    """Bind each quantity of `text` to the parameter named by the nearest compatible noun in its clause."""
    by_name = {spec.name: spec for spec in specs}
    mentions = _find_mentions(text, specs)
    quantities = [q for q in read_quantities(text)  # 一线职工: a number inside a noun is part of the noun
                  if not any(m.start <= q.start and q.end <= m.end for m in mentions)]
    listed, numerals = _count_members(text, quantities, specs)
    quantities = [q for i, q in enumerate(quantities) if i not in numerals]
    quantities = [_yield_to_noun(text, q, mentions) for q in quantities]
    mentions = [m for m in mentions if not any(q.start < m.end and m.start < q.end for q in quantities)]
    direct, derived = _candidates(text, quantities, mentions, specs)

    # nearest first; each quantity, noun occurrence and parameter is used once
    bound: dict[str, Binding] = {}
    refused: list[Refusal] = []
    used_q: set[int] = set()
    used_m: set[_Mention] = set()
    decided: set[str] = set()
    for name, b in listed.items():
        if problem := check_value(by_name[name], b.quantity.value):
            refused.append(Refusal(name, b.quantity, problem))
        else:
            bound[name] = b
        decided.add(name)
    refused_q: set[int] = set()
    clause = _clause_ids(text, quantities)
    for _, _, si, qi, m, fitted in direct:
        spec, q = specs[si], quantities[qi]
        if qi in used_q or m in used_m or spec.name in decided:
            continue
        used_q.add(qi)
        used_m.add(m)
        decided.add(spec.name)
        if problem := _impossible(q) or check_value(spec, fitted.value):
            refused.append(Refusal(spec.name, q, problem))
            refused_q.add(qi)
            continue
        partner = _range_partner(text, quantities, qi, spec, clause, used_q)
        if partner is not None and not (problem := _impossible(quantities[partner[0]]) or check_value(spec, partner[1].value)):
            used_q.add(partner[0])
            bound[spec.name] = Binding(spec.name, fitted, m.noun, partner=partner[1])
        else:
            bound[spec.name] = Binding(spec.name, fitted, m.noun)

    # 职工1200人，脱贫劳动力占三分之一: the part's count is the share of the bound total, rounded down
    deriving: set[int] = set()  # a share bound to a share parameter may still give one part's count
    for _, _, si, qi, m, q in derived:
        spec = specs[si]
        if spec.name in decided or qi in refused_q or qi in deriving:
            continue
        deriving.add(qi)
        used_q.add(qi)
        decided.add(spec.name)
        total = bound.get(spec.part_of)
        if total is not None and total.is_bound:
            total = None  # 不到100人, 其中三分之一: a share of a bound is no count; the total is asked back
        if problem := _impossible(q) or _over_whole(q):
            refused.append(Refusal(spec.name, q, problem))
        elif total is None:
            whole = by_name[spec.part_of]
            unit = whole.unit or (whole.classifiers[0] if whole.classifiers else "")
            refused.append(Refusal(spec.name, q, f"{m.noun}占{q.raw}，请问{_label(whole)}一共有多少{unit}？"))
        else:
            value = (q.value * total.quantity.value + _DECIMAL_SLACK).to_integral_value(ROUND_FLOOR)
            count = replace(q, value=value, kind="count", unit=spec.unit or total.quantity.unit)
            if problem := check_value(spec, value):
                refused.append(Refusal(spec.name, q, problem))
            else:
                bound[spec.name] = Binding(spec.name, count, m.noun, derived=True)

    # 职工100人，其中脱贫劳动力300人: a part larger than its whole is a slip to ask about
    for name, part in list(bound.items()):
        whole = bound.get(by_name[name].part_of or "")
        if whole and not part.derived and part.quantity.value > whole.quantity.value:
            del bound[name]
            refused.append(Refusal(name, part.quantity, f"{part.noun}{_show(part.quantity.value)}比"
                                   f"{whole.noun}{_show(whole.quantity.value)}还多，请问哪个数是对的？"))

    unbound = []
    for qi, q in enumerate(quantities):
        if qi in used_q:
            continue
        if problem := _impossible(q):
            refused.append(Refusal(None, q, problem))
        else:
            unbound.append(q)
    return BindResult(bound, refused, unbound)
