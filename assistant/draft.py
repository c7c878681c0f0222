"""Propose a rules file from a document's text: the work behind `policy-qa rules draft`.

`draft_rules(doc)` reads a parsed document's clauses sentence by sentence and recognises the grammar
Chinese rule sentences share, whatever the document:

* per head: 按照每名<noun> X 元的标准发放<benefit>, 每吸纳一名<noun>补贴 X 元, 补贴标准为A X元、B Y元
  (with 按…人数), 最高补贴至每人 X 元 (a cap per head);
* one amount: 给予 X 元的<benefit>, 分别给予(最高) X 元和 Y 元 (one rule per named recipient, or one
  rule choosing by level when the recipients are 省级和国家级<noun>), 按A每年最高X元、B每年最高Y元的标准;
* tiers: 达到 N 人及以上的，给予 X 元 … over consecutive sentences; a single such sentence is one amount
  with a threshold (带动 1 人以上就业的…给予 X 元), never a per-head amount;
* rates: 按<base>的 X%, 按<base> X% 的标准, <base>的 N 倍, N 个月的<base>, A为<base>的X%，B为…
  (chosen by a category the sentence names), 由 X% 提高至 Y% (and the difference, when the text pays
  it to those paid at the old rate), 每满1年发给1个月、最多不超过N个月的<base> (a rate times a duration);
* schedules: 满 X 年不足 Y 年的，…期限最长为 N 个月 … (tiers over a duration yielding months);
* per period: 每人每月 X 元…最长不超过 N 个月 and 按月发放…最长不超过 N 个月 (the monthly amount times the
  months the asker states); per thing counted: 每张床位给予 X 元;
* caps, thresholds and periods of the sentence: 最高不超过 X 元, 不少于 / 以上 /
  以下, 期限至 YYYY 年…; benefits named without an amount (按规定给予<benefit>) and deferrals with a
  period (缓缴…期限到…) become `not_stated` and `eligibility_only` rules.

A benefit the document prices in one clause and grants in another (享受<benefit>政策) takes the price with
the other clause's thresholds; rules sharing a name take their recipient (对<recipient>…的) or choices.
Penalties (罚款), bounds on a base (高于…300%的，按…300%计算) and rates of nothing anyone receives are
left out. Chinese numerals (十二个月, 百分之九十) are read with cn2an. Every proposal quotes its sentence verbatim
and carries `reviewed: false`; ids come from the pinyin of the benefit's name. `check_draft` loads the
draft with the real loader (`assistant.rules.build_rulebook`) and drops what it refuses, with the
reason. Nothing here names a document, a benefit or a place: a pattern that only fits one text is a bug.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import cn2an
import yaml

from assistant.rules import RuleDataError, build_rulebook
from index.types import Clause, ParsedDocument

__all__ = ["DraftCheck", "Refusal", "draft_rules", "render_draft", "check_draft", "slug", "normalise"]

NO_MONEY = ("not_stated", "eligibility_only")
#: clause kinds that state measures; rosters and ledger rows of attachments only restate them
BODY_KINDS = {"item", "subitem", "section", "article", "paragraph", "preamble", "closing"}

# ---------------------------------------------------------------- words of the grammar
# Heads of the nouns naming money someone receives, longest first so 补助金 wins over 补助.
BENEFIT_HEADS = ("补助金", "补助费", "抚慰金", "慰问金", "抚恤金", "保险金", "救济金", "救助金", "养老金", "补偿金",
                 "生活费", "护理费", "奖励金", "津贴", "补贴", "补助", "奖补", "奖励", "奖金", "返还", "扶持", "资助", "贴息",
                 "赔偿金", "报酬")
# Words a noun phrase cannot extend left over: verbs and prepositions opening the phrase before it.
STOP_WORDS = ("给予", "发放", "发给", "支付", "享受", "领取", "落实好", "落实", "实施", "开展", "按照", "按", "对于", "对",
              "的", "为", "并", "与", "及", "和", "或", "由", "从", "向", "可", "将", "予以", "计发", "做好", "拨付",
              "申领", "申请", "获得", "整合", "同等", "继续", "优先", "鼓励", "最高", "最多", "可以", "一律", "均",
              "规定", "确定", "标准", "其", "除", "、")
# Modifiers that say nothing about which benefit it is (给予适当补助, 相应奖励).
VAGUE = re.compile(r"^(?:适当的?|一定的?|相应的?|必要的?|各项|有关|其他|上述|该项?|此项?)")
GRANT_VERBS = ("给予", "发放", "发给", "支付", "享受", "落实好", "落实", "计发", "拨付", "予以")
# Fragments that take money away or forbid it are not benefits (骗取…保险金, 停止领取…).
NEGATIONS = ("不得", "停止", "停发", "不再", "取消", "骗取", "追回", "退还", "挪用", "冒领", "侵占", "截留", "以外")
PENALTY = re.compile(r"罚款|罚金|没收")
# Verbs after which the phrase before is a subject (who does something), not part of a noun.
SUBJECT_CUTS = ("吸纳", "招用", "招收", "组织", "开展", "实施", "成功", "创建", "参加", "实现", "首次", "签订", "带动",
                "认定", "评选", "新招聘", "获得", "取得", "举办", "开办", "兴办", "建设", "安置", "录用", "聘用",
                "用工", "在", "达到", "因", "经", "被", "已", "未", "等", "并", "且", "，")
PERSON_HEADS = ("毕业生", "职工", "人员", "劳动力", "劳动者", "学生", "人才", "农民工", "工人", "员工", "青年", "群众",
                "残疾人", "老人", "儿童", "亲属", "学员", "人")
DEFERRAL_VERBS = ("缓缴", "减免", "免征", "免收", "延期", "暂缓", "减征")
EXCLUSIVE = re.compile(r"[^，。；]*(?:不重复享受|不可同时|不得重复|不能同时|不同时享受)[^，。；]*")
_LEVEL = r"(?:国家|省|自治区|直辖市|市|地|县|区|乡镇|乡|村|\d+|[一二三四五六七八九十]+)级"
LEVEL_RE = re.compile(_LEVEL + "$")
LEVEL_HEAD_RE = re.compile(_LEVEL)

_CJK = r"\u4e00-\u9fff"
_NUM = r"\d+(?:\.\d+)?"
SENTENCE_MARKER = re.compile(r"^\s*(?:[（(][一二三四五六七八九十\d]+[)）]|\d+[.．、]|[①-⑳])\s*")

# ---------------------------------------------------------------- numerals
_CN_DIGITS = "零〇一二两三四五六七八九十百千万亿"
_UNITS_AFTER = r"(?:个月|个工作日|个|年|倍|元|人|名|位|户|家|日|天|周岁|岁|项|次(?!性)|小时|周|%)"
_CN_RUN = re.compile(
    rf"(百|千|万)分之([{_CN_DIGITS}点]+)|(?<![\d.])([{_CN_DIGITS}]*[零〇一二两三四五六七八九十][{_CN_DIGITS}]*)(?=\s*{_UNITS_AFTER})"
)


@dataclass(frozen=True)
class _Norm:
    """A sentence with its numerals as digits (十二个月 → 12个月), mapped back to the original characters."""

    orig: str
    text: str
    src: tuple[tuple[int, int], ...]  # per character of `text`: its span in `orig`

    def orig_span(self, a: int, b: int) -> str:
        """The original text behind text[a:b]."""
        if a >= b:
            return ""
        return self.orig[self.src[a][0] : self.src[b - 1][1]]


def _cn_value(numeral: str) -> str | None:
    try:
        value = cn2an.cn2an(numeral.replace("〇", "零"), "normal")
    except (ValueError, KeyError, TypeError, IndexError):
        return None
    if isinstance(value, float) and value == int(value):
        value = int(value)
    return str(value)


def normalise(text: str) -> _Norm:
    """Digits for Chinese numerals before a unit (二十四个月, 百分之八十, 五百元); 一次性 and labels stay."""
    out: list[str] = []
    src: list[tuple[int, int]] = []
    pos = 0
    for m in _CN_RUN.finditer(text):
        per, pct, run = m.group(1), m.group(2), m.group(3)
        if run == "一" and (text[m.start() - 1 : m.start()] in ("上", "下", "同", "统", "唯", "第", "每")
                            or text.startswith("年度", m.end())):
            continue  # 上一年度, 同一, 每一: words, not counts
        value = _cn_value(pct or run)
        if value is None:
            continue
        for i in range(pos, m.start()):
            out.append(text[i])
            src.append((i, i + 1))
        if pct and per != "百":  # 千分之二 = 0.2%, 万分之五 = 0.05%
            value = _s(Decimal(value) / (10 if per == "千" else 100))
        piece = value + ("%" if pct else "")
        out.extend(piece)
        src.extend([(m.start(), m.end())] * len(piece))
        pos = m.end()
    for i in range(pos, len(text)):
        out.append(text[i])
        src.append((i, i + 1))
    return _Norm(text, "".join(out), tuple(src))


def _dec(number: str, scale: str | None = None) -> Decimal:
    value = Decimal(number)
    return value * {"万": 10000, "千": 1000, "亿": 100000000}.get(scale or "", 1)


def _s(d: Decimal) -> str:
    """A number as the rules files write it: "500", "0.9"."""
    d = d.normalize()
    return str(int(d)) if d == d.to_integral_value() else format(d, "f")


# ---------------------------------------------------------------- ids
@functools.lru_cache(maxsize=1)
def _tokenizer():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    return tok


def slug(text: str, *, words: int = 6) -> str:
    """An ascii snake-case name from Chinese text via pinyin: 一次性留工培训补助 → yicixing_liugong_peixun_buzhu."""
    from pypinyin import lazy_pinyin

    parts: list[str] = []
    for word in _tokenizer().lcut(text):
        sound = re.sub(r"[^a-z0-9]", "", "".join(lazy_pinyin(word)).lower().replace("ü", "v"))
        if sound:
            parts.append(sound)
    name = "_".join(parts[:words]) or "rule"
    return name if name[0].isalpha() else f"n{name}"


# ---------------------------------------------------------------- nouns
def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or ch in "“”"


def _extend_left(text: str, end: int, lo: int = 0) -> int:
    """Start of the noun phrase ending at `end`: Chinese characters back to a stop word or punctuation."""
    i = end
    while i > lo and _is_cjk(text[i - 1]):
        if any(text[:i].endswith(w) for w in STOP_WORDS):
            break
        i -= 1
    while i < end and text[i] in "“”" and text[i:end].count("”") < text[i:end].count("“") + (text[i] == "”"):
        i += 1
    return i


@dataclass(frozen=True)
class _NP:
    a: int
    b: int
    text: str
    category: bool = False

    @property
    def head(self) -> str:
        return next(h for h in BENEFIT_HEADS if self.text.endswith(h))

    @property
    def bare(self) -> bool:
        """Only a head and generic modifiers (一次性, 阶梯性): it names no benefit of its own."""
        rest = self.text[: -len(self.head)].replace("一次性", "")
        return self.category or len(rest) < 2


_HEAD_RE = re.compile("|".join(BENEFIT_HEADS))


def benefit_nps(text: str) -> list[_NP]:
    """Every phrase of `text` naming money someone receives (一次性留工培训补助, 失业保险金)."""
    found = [(i, i + len(h)) for i in range(len(text)) for h in BENEFIT_HEADS if text.startswith(h, i)]
    # of overlapping heads the one reaching furthest wins: 获奖补助 ends in 补助, not in 奖补
    heads = [(a, b) for a, b in found if not any(a <= c < b and d > b for c, d in found) and
             not any(c <= a and b < d for c, d in found)]
    out: list[_NP] = []
    for a, b in heads:
        start = _extend_left(text, a)
        vague = VAGUE.match(text[start:a])
        start += vague.end() if vague else 0
        # 各项就业扶持, 其他补贴: a category of benefits, not one of them
        out.append(_NP(start, b, text[start:b], category=bool(vague and re.match("各项|其他|有关", vague.group(0)))))
    return out


def _activity(text: str) -> str:
    """What a sentence says is done (开展订单式、项目制培训 → 订单式、项目制培训), for naming its subsidy."""
    found = re.findall(r"(?:开展|组织|举办|实施)([^，。；]{2,30}?)(?=[，。；]|$)", text)
    act = found[-1].split("的")[-1] if found else ""
    return act if re.fullmatch(rf"[{_CJK}、“”]{{2,20}}", act) else ""


def _enrich(np: _NP, text: str, nps: list[_NP], prior: list[str] = ()) -> str:
    """A bare name (补助金, 一次性奖励) takes the fuller phrase with the same head said before it; a name
    whose modifier the sentence's activity ends with takes the activity (培训补贴 → 定向培训补贴)."""
    if np.bare:
        for other in reversed(nps):
            if other.b <= np.a and other.head == np.head and not other.bare:
                return other.text
        return next((t for t in reversed(prior) if t.endswith(np.head)), np.text)
    modifier = np.text[: -len(np.head)]
    act = _activity(text)
    if act and act != modifier and act.endswith(modifier) and len(modifier) >= 2:
        return act + np.head
    return np.text


def _strip_subject(phrase: str) -> str:
    """The recipient a 对…的 phrase names, without what it does: 帮扶车间吸纳劳动者就业 → 帮扶车间."""
    phrase = re.sub(r"^(?:获得|成功创建|创建|新认定|认定|被评为|评为|获评)", "", phrase)
    phrase = phrase.split("的")[-1] if "的" in phrase and not phrase.endswith("的") else phrase.rstrip("的")
    cut = len(phrase)
    for w in SUBJECT_CUTS:
        i = phrase.find(w)
        if 0 < i < cut:
            cut = i
    out = phrase[:cut]
    out = re.split(r"等|、", out)[0]
    if out.endswith("数"):  # 对吸纳人数达到…: a count, not a recipient
        return ""
    return out if 2 <= len(out) <= 14 else ""


def _recipient(text: str, before: int) -> str:
    """The 对<recipient>… phrase of the fragment before `before`, reduced to its noun."""
    m = None
    for m in re.finditer(r"对(?:于)?([^，。；]+?)(?:的)?[，。；]", text[:before] + "，"):
        pass
    return _strip_subject(m.group(1)) if m else ""


def _qualify(title: str, text: str, at: int) -> str:
    """Prefix a generic benefit name with the recipient the sentence names (省级劳务品牌 + 一次性建设补助)."""
    bare = re.sub(r"一次性|阶梯[性式]", "", title)
    if bare not in BENEFIT_HEADS:
        return title
    who = _activity(text) if bare.startswith("补") else ""
    who = who or _recipient(text, at)
    return f"{who}{title}" if who and who not in title else title


def _clean_base(phrase: str) -> str:
    """The base of a rate without pronouns and verbs around it: 其享受失业保险金 → 失业保险金."""
    phrase = re.sub(r"^(?:按照|按|以|依照|依据|其|该|享受|按其|照)+", "", phrase)
    phrase = re.sub(r"(?:发放|确定|计算|支付|计发|缴纳|发给|执行|给予|核定|返还|补贴)$", "", phrase)
    return phrase


# Qualifiers of place, time and owner a base or count is often said without (当地最低工资标准 → 最低工资标准).
QUALIFIERS = re.compile(r"^(?:当地|本地|本单位|单位|该单位|统筹地区|全国|全省|本省|本市|上年度|上一年度|上年|当年|"
                        r"上月|本年度|年度|累计|实际|毕业年度)")


def _noun_variants(noun: str) -> list[str]:
    """The noun and the shorter forms people also say, dropping qualifiers of place, time and owner."""
    out = [noun]
    rest = noun
    while (m := QUALIFIERS.match(rest)) and len(rest) - m.end() >= 2:
        rest = rest[m.end():]
        out.append(rest)
    return out


def _person_object(text: str) -> str:
    """What a sentence counts: 招用毕业年度高校毕业生 → 毕业年度高校毕业生; 按取证人数 → 取证."""
    m = re.search(rf"按(?:照)?([{_CJK}]{{1,8}}?)人数", text)
    if m:
        return m.group(1)
    heads = "|".join(PERSON_HEADS[:-1])
    m = re.search(rf"(?:招用|吸纳|组织|招收|招聘|安置|录用|聘用|培训|吸收|雇用)([{_CJK}]{{0,12}}?(?:{heads}))", text)
    if m:
        return m.group(1).split("的")[-1]
    who = _recipient(text, len(text))
    if who and who.endswith(PERSON_HEADS):
        return who
    return ""


# ---------------------------------------------------------------- parameters and vocabularies
class _Book:
    """The parameters and vocabularies a draft defines, each named once from its label."""

    def __init__(self) -> None:
        self.parameters: dict[str, dict[str, Any]] = {}
        self.vocabulary: dict[str, dict[str, Any]] = {}

    def param(self, label: str, ptype: str, unit: str = "", *, aliases: list[str] | None = None,
              required: bool = True) -> str:
        spec: dict[str, Any] = {"label": label, "type": ptype}
        if unit:
            spec["unit"] = unit
        if ptype == "count":
            spec.update(min="1" if required else "0", max="1000000",
                        classifiers=["人", "名", "位"] if unit == "人" else [unit])
        elif ptype == "money":
            spec.update(min="0", max="100000000000", decimals=2)
        elif ptype == "duration":
            spec.update(min="0", max="100" if unit == "年" else "1200")
        words = [w for w in dict.fromkeys([*(aliases or []), label]) if w]
        spec["aliases"] = words
        name = slug(label)
        for n in (name, *(f"{name}_{i}" for i in range(2, 50))):
            old = self.parameters.get(n)
            if old is None:
                self.parameters[n] = spec
                return n
            if old["label"] == label and old["type"] == ptype and old.get("unit", "") == unit:
                old["aliases"] = list(dict.fromkeys([*old["aliases"], *words]))
                return n
        raise RuleDataError(f"参数 {label} 的名称无法确定")

    def choice(self, label: str, values: list[str]) -> str:
        """A choice parameter over `values` (labels as the text writes them); reused when the values repeat."""
        for name, vf in self.vocabulary.items():
            if [v["label"] for v in vf["values"].values()] == values:
                return name
        common = _common_suffix(values)
        table: dict[str, Any] = {}
        for v in values:
            short = v[: len(v) - len(common)] if len(common) >= 2 and len(v) > len(common) else ""
            forms = [v, short, normalise(v).text, normalise(short).text]
            aliases = [w for w in dict.fromkeys(forms) if w and len(w) >= 2]
            key = slug(v)
            while key in table:
                key += "_"
            table[key] = {"label": v, "aliases": aliases}
        base = slug(label)
        name = base
        i = 2
        while name in self.vocabulary or name in self.parameters:
            name = f"{base}_{i}"
            i += 1
        self.vocabulary[name] = {"label": label, "values": table}
        self.parameters[name] = {"label": label, "type": "choice", "vocabulary": name, "aliases": [label]}
        return name

    def keys(self, name: str, labels: list[str]) -> list[str]:
        """The vocabulary keys of `labels`, in order."""
        by_label = {v["label"]: k for k, v in self.vocabulary[name]["values"].items()}
        return [by_label[x] for x in labels]


def _common_suffix(words: list[str]) -> str:
    if len(words) < 2:
        return ""
    s = words[0]
    for w in words[1:]:
        while s and not w.endswith(s):
            s = s[1:]
    return s


def _choice_label(norm: str, labels: list[str], context: str = "") -> str:
    """What a choice is called: 按伤残等级 → 伤残等级; levels (省级/国家级) → <noun>级别; else the common head."""
    m = re.search(rf"按(?:照)?([{_CJK}]{{1,8}}?(?:等级|级别|类别|类型|档次))", norm)
    if m:
        return m.group(1)
    common = _common_suffix(labels)
    if all(LEVEL_RE.search(x) for x in labels):
        return f"{context}级别" if context else f"{common}级别"
    if common:
        return f"{common}类别"
    return f"{context}适用情形" if context else "适用情形"


# ---------------------------------------------------------------- quantities
_QTY = re.compile(rf"({_NUM})\s*(万|千|亿)?\s*(元|%|个月|个工作日|倍|年|周岁|岁|天|日|人|名|位|户|家|个|项|场|次(?!性))")


@dataclass(frozen=True)
class _Qty:
    value: Decimal
    unit: str
    a: int
    b: int


def quantities(text: str) -> list[_Qty]:
    """Numbers with their units in a normalised sentence; calendar dates are not quantities."""
    out = []
    for m in _QTY.finditer(text):
        number, scale, unit = m.groups()
        if unit == "年" and re.fullmatch(r"(?:19|20)\d\d", number):
            continue
        if unit == "日" and re.search(r"月\s*$", text[: m.start()]):
            continue
        out.append(_Qty(_dec(number, scale), unit, m.start(), m.end()))
    return out


def _fragment(text: str, a: int, b: int) -> tuple[int, int]:
    """The comma-delimited fragment around text[a:b]."""
    lo = max(text.rfind(c, 0, a) for c in "，。；：,;:") + 1
    his = [i for i in (text.find(c, b) for c in "，。；：,;:") if i >= 0]
    return lo, min(his) if his else len(text)


# ---------------------------------------------------------------- proposals
@dataclass
class _Proposal:
    """One rule drafted from a sentence (or a run of sentences) of one clause."""

    clause: Clause
    kind: str
    title: str
    quotes: list[str]
    body: dict[str, Any] = field(default_factory=dict)  # kind-specific fields (terms, rate, tiers …)
    thresholds: list[dict[str, Any]] = field(default_factory=list)
    period: dict[str, Any] | None = None
    conditions: list[str] = field(default_factory=list)
    facts: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""
    sentence: int = 0  # index of the sentence in the clause
    also: tuple[int, ...] = ()  # other sentences of the clause the rule rests on
    who: str = ""  # the recipient the sentence names (对<who>…的)
    at: int = 0  # position of the proposal in its sentence
    span: tuple[int, int] = (0, 0)  # normalised span the pattern consumed (for thresholds)
    raises: list[tuple[str, Decimal, Decimal]] = field(default_factory=list)  # (group, old rate, new rate)

    def numbers(self) -> tuple:
        b = self.body
        nums: list[str] = [t["amount"] for t in b.get("terms", [])]
        nums += [b[k] for k in ("amount", "rate", "minus_rate", "rate_max") if k in b]
        for k in ("amount_by", "rate_by"):
            if k in b:
                nums += list(b[k]["values"].values())
        for t in b.get("tiers", []):
            nums += [t["min"], t["amount"]]
        return tuple(sorted(nums))


@dataclass
class _Sentence:
    index: int
    norm: _Norm
    nps: list[_NP]
    prior: list[str] = field(default_factory=list)  # benefits the clause's earlier sentences name

    @property
    def text(self) -> str:
        return self.norm.text

    @property
    def quote(self) -> str:
        return self.norm.orig


def _sentences(doc: ParsedDocument, clause: Clause) -> list[_Sentence]:
    out = []
    for i, (s, e) in enumerate(clause.sentences):
        text = doc.quote(s, e).strip()
        text = SENTENCE_MARKER.sub("", text, count=1).strip()
        if len(text) < 4:
            continue
        norm = normalise(text)
        prior = [np.text for st in out for np in st.nps if not np.bare]
        out.append(_Sentence(i, norm, benefit_nps(norm.text), prior))
    return out


def _title_near(st: _Sentence, a: int, b: int) -> str:
    """The benefit a money expression at text[a:b] belongs to: after it (…元的一次性奖励 / …的标准发放X),
    else the last one named before it, else the sentence's subject."""
    text = st.text
    after = re.match(rf"\s*(?:的)?(?:标准)?(?:，)?(?:{'|'.join(GRANT_VERBS)})?", text[b:])
    pos = b + (after.end() if after else 0)
    for np in st.nps:
        if pos <= np.b and np.a <= pos + 1 and _fragment(text, b, b)[1] >= np.a - 1:
            return _qualify(_enrich(np, text, st.nps, st.prior), text, a)
    frag_end = _fragment(text, b, b)[1]
    for np in st.nps:
        if b <= np.a and np.b <= frag_end + 12 and text[b:np.a].count("，") <= 1:
            return _qualify(_enrich(np, text, st.nps, st.prior), text, a)
    before = [np for np in st.nps if np.b <= a and not (a <= np.a < b)]
    if before:
        return _qualify(_enrich(before[-1], text, st.nps, st.prior), text, a)
    subj = re.match(rf"([{_CJK}“”]{{2,20}}?)(?:按照|按|为|标准为|的标准|由)", text)
    if not subj:
        return ""
    subject = subj.group(1)
    if subject in BENEFIT_HEADS:
        subject = next((t for t in reversed(st.prior) if t.endswith(subject)), subject)
    return subject


def _period_of(doc: ParsedDocument, clause: Clause, st: _Sentence) -> dict[str, Any] | None:
    """The period a sentence states (政策执行期至…), quoted as the fragment that contains it."""
    s, e = clause.sentences[st.index]
    found = [p for p in clause.periods if s <= p.start and p.end <= e and p.kind != "recurring"]
    if not found:
        return None
    quotes = []
    for p in found:
        text = doc.quote(p.start, p.end)
        i = st.quote.find(text)
        if i < 0:
            continue
        lo, hi = _fragment(st.quote, i, i + len(text))
        quotes.append(st.quote[lo:hi].strip())
    quotes = [q for q in dict.fromkeys(quotes) if q]
    if not quotes:
        return None
    return {"text": "；".join(quotes), "quotes": quotes}


# ---------------------------------------------------------------- the patterns
def _per_head(st: _Sentence, book: _Book, clause: Clause) -> list[_Proposal]:
    """按照每名<noun> X 元的标准 / 每吸纳一名<noun>补贴 X 元 / 最高补贴至每人 X 元 (a cap)."""
    text = st.text
    out = []
    pat = re.compile(
        rf"每(?:(?P<verb>[{_CJK}]{{1,4}}?)1)?(?P<cls>名|人|位|户|家|张|台|套|间|处|个)(?P<noun>[{_CJK}]{{0,12}}?)"
        rf"(?P<pp>每(?:月|年|日|天))?(?:最高|最多)?(?:补贴|补助|奖励|资助|发放|给予|发给)?\s*(?P<n>{_NUM})\s*(?P<sc>万|千)?\s*元"
    )
    for m in pat.finditer(text):
        if re.search(r"最高|最多|不超过|不得超过", m.group("noun")) or m.group("noun").startswith(("月", "年")):
            continue  # 每户最高不超过3000元: a cap on another amount; 每个月: a period, not a head
        lo, _hi = _fragment(text, m.start(), m.end())
        cap = bool(re.search(r"最高|最多|不超过|不高于", text[max(0, lo - 1) : m.end()]))
        cls = m.group("cls")
        person = cls in ("名", "人", "位")
        noun = re.sub(r"(?:给予|发放|发给|补贴|补助|奖励|资助)$", "", m.group("noun"))
        noun = noun or (_person_object(text[: m.start()]) or _person_object(text) if person else "")
        verb = m.group("verb") or ""
        count = "人数" if person else "数量"
        label = f"{verb}{noun}" if noun else ""
        label = label if label.endswith(("人数", "数", "数量")) else (f"{label}{count}" if label else "")
        title = _title_near(st, m.start(), m.end()) or _after_amount(text, m.end())
        label = label or f"{title or '补贴'}计发{count}"
        unit = "人" if person else cls
        param = book.param(label, "count", unit, aliases=_noun_variants(noun) if noun else [])
        term = {"param": param, "amount": _s(_dec(m.group("n"), m.group("sc"))), "per": unit}
        body: dict[str, Any] = {"terms": [term]}
        longest = re.search(rf"最长(?:不超过|不得超过|为)\s*({_NUM})\s*个月", text)
        if m.group("pp") == "每月" and longest:
            # 每人每月1500元…最长不超过12个月: the monthly amount times the months the asker states
            months = book.param(f"{title}领取月数", "duration", "个月", aliases=["领取月数", "月数"], required=False)
            body["times"] = {"param": months, "max": _s(_dec(longest.group(1))),
                             "quote": st.norm.orig_span(*_fragment(text, longest.start(), longest.end())).strip()}
        elif m.group("pp"):
            body["per_period"] = m.group("pp")[1]
        out.append(_Proposal(clause, "cap_per_head" if cap else "per_head", title, [st.quote], body,
                             sentence=st.index, at=m.start(), span=(m.start(), m.end())))
    return out


def _after_amount(text: str, end: int) -> str:
    """What an amount no benefit noun names is for: …5000元定额依次扣减增值税 → 定额依次扣减增值税."""
    m = re.match(rf"\s*(?:的标准)?([{_CJK}]{{2,14}})(?=[，。；]|$)", text[end:])
    return m.group(1) if m else ""


def _money_lists(st: _Sentence, book: _Book, clause: Clause) -> list[_Proposal]:
    """分别给予 X元和 Y元 (one rule per recipient, or chosen by level), A X元、B Y元的标准 (per head or by choice)."""
    text = st.text
    out = []
    money = rf"(?:最高)?\s*{_NUM}\s*(?:万|千)?\s*元"
    m = re.search(rf"对(?:于)?(?P<subj>[^，。；]+?)(?:的)?，?分别给予(?P<list>{money}(?:(?:和|、|及|或)\s*{money})+)(?:的)?", text)
    if m:
        found = re.findall(rf"(最高)?\s*({_NUM})\s*(万|千)?\s*元", m.group("list"))
        amounts = [(_dec(n, sc), bool(mx)) for mx, n, sc in found]
        subj = re.sub(r"^(?:成功创建|创建|认定|评为|新认定|获评)", "", m.group("subj"))
        subjects = re.split(r"和|、|及|或", subj)
        cap = any(mx for _, mx in amounts)
        kind = "lump_cap" if cap else "fixed"
        np = next((x for x in st.nps if x.a >= m.end() - 1), None)
        benefit = np.text if np else ""
        if len(subjects) == len(amounts) > 1:
            # 省级和国家级人力资源服务产业园: levels sharing one noun make one rule chosen by level
            levels = [LEVEL_RE.search(x) for x in subjects[:-1]] + [LEVEL_HEAD_RE.match(subjects[-1])]
            head_noun = subjects[-1][levels[-1].end():] if all(levels) and subjects[-1][levels[-1].end():] else ""
            if head_noun:
                subjects = [lv.group(0) for lv in levels]
                name = book.choice(_choice_label(text, subjects, head_noun), subjects)
                keys = book.keys(name, subjects)
                body = {"amount_by": {"param": name, "values": {k: _s(v) for k, (v, _) in zip(keys, amounts)}}}
                out.append(_Proposal(clause, kind, f"{head_noun}{benefit}", [st.quote], body,
                                     sentence=st.index, at=m.start(), span=(m.start(), m.end())))
            else:
                for s, (v, _) in zip(subjects, amounts):
                    who = _strip_subject(s) or s
                    out.append(_Proposal(clause, kind, f"{who}{benefit}", [st.quote], {"amount": _s(v)},
                                         sentence=st.index, at=m.start(), span=(m.start(), m.end())))
    # 按A每年最高X元、B每年最高Y元的标准 / 补贴标准为A X元、B Y元
    item = rf"([{_CJK}]{{1,10}}?)\s*(每年|每月|每人)?\s*(最高|最多)?\s*({_NUM})\s*(万|千)?\s*元"
    for m in re.finditer(rf"(?:按(?:照)?|标准为|标准分别为)((?:{item}[、，和及或]?\s*){{2,}})(?:的标准)?", text):
        items = re.findall(item, m.group(1))
        labels = [x[0] for x in items]
        if len(set(labels)) != len(labels) or any(len(x) < 2 for x in labels):
            continue
        cap = any(x[2] for x in items)
        period = next((x[1][1] for x in items if x[1] in ("每年", "每月")), None)
        counted = re.search(rf"按(?:照)?[{_CJK}]{{1,8}}?人数|每人|每名", text)
        title = _title_near(st, m.start(), m.end())
        if counted:
            terms = []
            for lab, _pp, _mx, n, sc in items:
                p = book.param(f"{lab}人数", "count", "人", aliases=[lab])
                terms.append({"param": p, "amount": _s(_dec(n, sc)), "per": "人", "label": lab})
            body: dict[str, Any] = {"terms": terms}
            kind = "cap_per_head" if cap else "per_head"
        else:
            known = next((vf["label"] for vf in book.vocabulary.values()
                          if [v["label"] for v in vf["values"].values()] == labels), "")
            # the same levels named before (省级和国家级<noun>): the noun they qualify names this benefit too
            noun = known.removesuffix("级别") if known.endswith("级别") else ""
            if noun and noun not in title:
                title = f"{noun}{title}"
            name = book.choice(known or _choice_label(text, labels), labels)
            keys = book.keys(name, labels)
            body = {"amount_by": {"param": name, "values": {k: _s(_dec(x[3], x[4])) for k, x in zip(keys, items)}}}
            kind = "lump_cap" if cap else "fixed"
        if period:
            body["per_period"] = period
        out.append(_Proposal(clause, kind, title, [st.quote], body, sentence=st.index, at=m.start(),
                             span=(m.start(), m.end())))
    return out


def _single_amounts(st: _Sentence, clause: Clause, taken: list[tuple[int, int]]) -> list[_Proposal]:
    """给予 X 元的<benefit> / <benefit>为 X 元: one amount (a maximum after 最高/不超过)."""
    text = st.text
    out = []
    for q in quantities(text):
        if q.unit != "元" or any(a <= q.a < b for a, b in taken):
            continue
        before = text[max(0, q.a - 8) : q.a]
        after = text[q.b : q.b + 4]
        if re.match(r"\s*(?:及)?(?:以上|以下|以内)", after) or re.search(r"(?:不少于|不低于|少于|低于|超过|高于|达到)\s*$", before):
            continue  # a threshold, not an amount
        if not re.search(rf"(?:{'|'.join(GRANT_VERBS)}|为|奖励|补助|补贴)\s*(?:最高|最多|不超过)?\s*(?:可达)?\s*$", before):
            continue
        cap = bool(re.search(r"最高|最多|不超过", before))
        title = _title_near(st, q.a, q.b)
        out.append(_Proposal(clause, "lump_cap" if cap else "fixed", title, [st.quote], {"amount": _s(q.value)},
                             sentence=st.index, at=q.a, span=(q.a, q.b)))
    return out


_TIER = re.compile(rf"(?:达到|满)?\s*(?P<n>{_NUM})\s*(?P<u>人|名|户|家|个)\s*(?P<ph>及以上|以上)的?，?[^，。；]*?"
                   rf"(?:给予|奖励|补贴|补助)\s*(?P<amt>{_NUM})\s*(?P<sc>万|千)?\s*元")


_SCHEDULE = re.compile(rf"满?\s*(?P<lo>{_NUM})\s*(?P<u>年|个月)(?:(?:不足|不满|未满)\s*(?P<hi>{_NUM})\s*(?P=u))?\s*(?P<ph>以上)?的，"
                       rf"[^。；]*?最长(?:为|不超过|不得超过)\s*(?P<m>{_NUM})\s*个月")


def _duration_noun(text: str) -> str:
    """The duration a schedule counts: …按照规定累计缴费时间满 → 累计缴费时间."""
    m = re.search(rf"([{_CJK}]+?)满?\s*{_NUM}\s*(?:年|个月)", text)
    if not m:
        return ""
    run = m.group(1)
    for cut in ("按照规定", "按规定", "本人", "和", "的", "后"):
        if cut in run:
            run = run.rsplit(cut, 1)[1]
    run = run.removesuffix("满")
    if run and not run.endswith(("时间", "年限", "期限", "年龄", "工龄")):
        run += "时间"
    return run if len(run) >= 3 else ""


def _rates(st: _Sentence, book: _Book, clause: Clause) -> list[_Proposal]:
    """按<base>的X% / <base>的N倍 / N个月的<base> / A为<base>的X%，B为… / 由X%提高至Y%: the first shape found."""
    if re.search(rf"(?:高于|低于|超过|不足)[^，。；]*?{_NUM}%的，按", st.text):
        return []  # a bound on the base itself (本人工资高于…300%的，按…300%计算), not an amount
    rs = _RateSentence(st, book, clause)
    for shape in (rs.enumerated, rs.listed, rs.raised, rs.per_completed_period, rs.ranged, rs.per_day):
        if shape():
            return rs.out
    rs.single()
    return rs.out


class _RateSentence:
    """The rate shapes of one sentence; each adds its proposals to `out` and says whether it matched."""

    ENUM_MONTHS = re.compile(rf"([{_CJK}]{{2,10}}?)为\s*({_NUM})\s*个月的([{_CJK}]{{2,30}})")
    ENUM_SHARE = re.compile(rf"([{_CJK}]{{2,10}}?)为([{_CJK}]{{2,30}}?)的\s*({_NUM})\s*%")
    SINGLE = (  # (pattern, the number is a percentage)
        (re.compile(rf"按(?:照)?(?P<base>[{_CJK}“”]{{2,30}}?)的\s*(?P<r>{_NUM})\s*%"), True),
        (re.compile(rf"按(?:照)?(?P<base>[{_CJK}“”]{{2,30}}?)(?P<r>{_NUM})\s*%的标准"), True),
        (re.compile(rf"(?:标准)?为(?P<base>[{_CJK}“”]{{2,30}}?)的\s*(?P<r>{_NUM})\s*倍"), False),
        (re.compile(rf"(?:为|按(?:照)?)[{_CJK}]{{0,8}}?(?P<r>{_NUM})\s*个月的(?P<base>[{_CJK}“”]{{2,30}})"), False),
        (re.compile(rf"(?P<verb>预支|领取|发给|支付|返还)(?P<base>[{_CJK}“”]{{2,30}}?)的\s*(?P<r>{_NUM})\s*%"), True),
    )

    def __init__(self, st: _Sentence, book: _Book, clause: Clause) -> None:
        self.st, self.book, self.clause = st, book, clause
        self.text = st.text
        self.monthly = bool(re.search(r"按月|每月", self.text))
        self.out: list[_Proposal] = []

    def base(self, phrase: str) -> str:
        base = _clean_base(phrase)
        return self.book.param(base, "money", "元", aliases=_noun_variants(base))

    def choice(self, label: str, labels: list[str], rates: list[Decimal]) -> dict[str, Any]:
        name = self.book.choice(label, labels)
        return {"param": name, "values": {k: _s(r) for k, r in zip(self.book.keys(name, labels), rates)}}

    def add(self, body: dict[str, Any], title: str, a: int, b: int) -> None:
        """A rate proposal, with the cap and the months the sentence states (最高不超过X元, 按月…最长N个月)."""
        text, title = self.text, title or "待遇"
        cap = re.search(rf"最高(?:不超过|不得超过|为)?\s*({_NUM})\s*(万|千)?\s*元", text)
        if cap:
            body["cap"] = {"amount": _s(_dec(cap.group(1), cap.group(2))),
                           "quote": self.st.norm.orig_span(*_fragment(text, cap.start(), cap.end())).strip()}
        longest = re.search(rf"最长(?:不超过|不得超过|为)\s*({_NUM})\s*个月", text)
        if self.monthly and longest and "times" not in body:
            months = self.book.param(f"{title}领取月数", "duration", "个月", aliases=["领取月数", "月数"], required=False)
            body["times"] = {"param": months, "max": _s(_dec(longest.group(1))),
                             "quote": self.st.norm.orig_span(*_fragment(text, longest.start(), longest.end())).strip()}
        elif self.monthly and "times" not in body:
            body["per_period"] = "月"
        self.out.append(_Proposal(self.clause, "rate", title, [self.st.quote], body, sentence=self.st.index,
                                  at=a, span=(a, b)))

    def enumerated(self) -> bool:
        """标准为：A为27个月的本人工资，B为… / A为本人工资的90%，B为…: a rate chosen by a category."""
        for pat, months in ((self.ENUM_MONTHS, True), (self.ENUM_SHARE, False)):
            items = list(pat.finditer(self.text))
            labels = [x.group(1) for x in items]
            if len(items) < 2 or len(set(labels)) != len(labels):
                continue
            rates = [_dec(x.group(2)) if months else _dec(x.group(3)) / 100 for x in items]
            bases = {_clean_base(x.group(3) if months else x.group(2)) for x in items}
            if len(bases) != 1:
                continue
            a = items[0].start()
            rate_by = self.choice(_choice_label(self.text, labels), labels, rates)
            self.add({"base": self.base(bases.pop()), "rate_by": rate_by}, _title_near(self.st, a, a), a, items[-1].end())
            return True
        return False

    def listed(self) -> bool:
        """按照A、B或者C3个不同等级支付，其标准分别为<base>的50%、40%或者30%."""
        m = re.search(rf"分别为([{_CJK}]{{2,30}}?)的\s*((?:{_NUM}\s*%[、，和或者及]*)+)", self.text)
        lst = re.search(rf"按(?:照)?([{_CJK}、]+?(?:或者|或|和)[{_CJK}]+?)\s*\d+\s*个(?:不同)?(?:等级|档次|类别|情形)", self.text)
        if not (m and lst):
            return False
        labels = [x for x in re.split(r"、|或者|或|和", lst.group(1)) if x]
        rates = [_dec(x) / 100 for x in re.findall(rf"({_NUM})\s*%", m.group(2))]
        if not len(labels) == len(rates) > 1:
            return False
        title = _title_near(self.st, 0, 0)
        rate_by = self.choice(_choice_label(self.text, labels, title), labels, rates)
        self.add({"base": self.base(m.group(1)), "rate_by": rate_by}, title, m.start(), m.end())
        return True

    def raised(self) -> bool:
        """由X%提高至Y%, for one group or several (对中小微企业…由60%提高至90%，对大型企业…); the old rates
        are kept for `_raise_topups`."""
        text, st = self.text, self.st
        raises = list(re.finditer(rf"(?:对([{_CJK}]{{2,16}}?))?由\s*({_NUM})\s*%\s*提高(?:至|到)\s*({_NUM})\s*%", text))
        if not raises:
            return False
        a, b = raises[0].start(), raises[-1].end()
        before = [np for np in st.nps if np.b <= a]
        inside = [np for np in st.nps if a <= np.a < b]
        title = (_enrich(before[-1], text, st.nps, st.prior) if before else inside[0].text if inside
                 else _title_near(st, a, b))
        # the document states the rate, not what it is a rate of: a reviewer names the base
        base = self.book.param(f"{title}计算基数", "money", "元", aliases=[])
        groups = [_raise_group(r.group(1)) for r in raises]
        new = [_dec(r.group(3)) / 100 for r in raises]
        if len(raises) > 1 and all(groups) and len(set(groups)) == len(groups):
            self.add({"base": base, "rate_by": self.choice(_choice_label(text, groups), groups, new)}, title, a, b)
        else:
            self.add({"base": base, "rate": _s(new[0])}, title, a, b)
        self.out[-1].raises = [(g, _dec(r.group(2)) / 100, n) for g, r, n in zip(groups, raises, new)]
        return True

    def per_completed_period(self) -> bool:
        """每满1年发给1个月、最多不超过12个月的<base>: one month of the base per year the asker states."""
        m = re.search(rf"([{_CJK}]{{2,8}}?)每满\s*1\s*(年|个月)\s*发给\s*1\s*个月[、，]?(?P<cap>(?:最多|最长)?\s*"
                      rf"(?:不超过|不得超过|为)?\s*(?P<max>{_NUM})\s*个月)的([{_CJK}]{{2,30}})", self.text)
        if not m:
            return False
        dur = re.split("按其|按照|按|其", m.group(1))[-1]
        label = dur if dur.endswith(("时间", "年限")) else f"{dur}时间"
        times = {"param": self.book.param(label, "duration", m.group(2), aliases=[dur]),
                 "max": _s(_dec(m.group("max"))), "quote": self.st.norm.orig_span(m.start("cap"), m.end("cap")).strip()}
        self.add({"base": self.base(m.group(5)), "rate": "1", "times": times},
                 _title_near(self.st, m.start(), m.start()), m.start(), m.end())
        return True

    def ranged(self) -> bool:
        """处<base>N倍以上M倍以下的罚款: a range of multiples of a base the asker states, both ends computed."""
        m = re.search(rf"处(?:以)?(?P<base>[{_CJK}“”]{{2,30}}?)(?:的)?\s*(?P<lo>{_NUM})\s*倍以上\s*(?P<hi>{_NUM})\s*倍以下的"
                      rf"(?P<what>罚款|赔偿金|罚金)", self.text)
        if not m or _dec(m.group("hi")) <= _dec(m.group("lo")):
            return False
        base = m.group("base")
        title = f"{m.group('what')}（{base}{m.group('lo')}倍以上{m.group('hi')}倍以下）"
        self.add({"base": self.base(base), "rate": _s(_dec(m.group("lo"))), "rate_max": _s(_dec(m.group("hi")))},
                 title, m.start(), m.end())
        return True

    def per_day(self) -> bool:
        """按日加收X%的滞纳金 (自欠缴之日起): a share of the sum owed per day, times the days the asker states."""
        m = re.search(rf"按日加收\s*(?P<r>{_NUM})\s*%的(?P<what>滞纳金)", self.text)
        if not m:
            return False
        owed = re.search(rf"(欠缴|滞纳|未缴)[{_CJK}]{{0,10}}?之日起", self.text)
        word = owed.group(1) if owed else "欠缴"
        base = self.book.param(f"{word}数额", "money", "元", aliases=[f"{word}数额", f"{word}金额"])
        days = self.book.param(f"{word}天数", "duration", "天", aliases=[f"{word}天数", f"自{word}之日起"])
        title = f"{m.group('what')}（自{word}之日起按日加收{m.group('r')}%）"
        self.add({"base": base, "rate": _s(_dec(m.group("r")) / 100), "times": {"param": days}}, title, m.start(), m.end())
        return True

    def single(self) -> None:
        """Each single rate: 按<base>的X%, 按<base>X%的标准, <base>的N倍, N个月的<base>, 预支<base>的X%."""
        text = self.text
        seen: list[tuple[int, int]] = []
        for i, (pat, pct) in enumerate(self.SINGLE):
            for m in pat.finditer(text):
                if any(a < m.end() and m.start() < b for a, b in seen):
                    continue
                if i == 0 and re.search(r"[高低]于|超过|不足", text[max(0, m.start() - 12) : m.start()]):
                    continue
                base_text = m.group("base")
                if i == 3:
                    base_text = re.split("发放|确定|计算|支付|计发|发给|执行", base_text)[0]
                rate = _dec(m.group("r")) / 100 if pct else _dec(m.group("r"))
                seen.append((m.start(), m.end()))
                title = self.title(m, base_text)
                if title is None:
                    continue
                self.add({"base": self.base(base_text), "rate": _s(rate)}, title, m.start(), m.end())

    def title(self, m: re.Match, base_text: str) -> str | None:
        """城镇企业事业单位缴纳失业保险费 / 应当缴纳数额 (…确定X) / 预支<base> / the benefit near the rate;
        None when the rate is of nothing anyone receives or pays (…的5%计算调剂金, …的1.5%提取经费)."""
        text = self.text
        verb = re.match(rf"(?:的标准|的比例)?(缴纳|发放|确定|计发|支付|核定|返还|给予)([{_CJK}]{{2,14}})", text[m.end() : m.end() + 16])
        if verb and verb.group(1) == "缴纳":
            subject = re.match(rf"([{_CJK}“”]{{2,20}}?)(?:可以|可)?(?:按照|按|为|标准为|的标准为)", text[: m.start() + 3])
            return f"{subject.group(1) if subject else ''}缴纳{verb.group(2)}"
        if verb and verb.group(1) in ("确定", "核定") and not subject_is_benefit(text[: m.start()]):
            return verb.group(2)
        if m.groupdict().get("verb"):
            return f"{m.group('verb')}{_clean_base(base_text)}"
        title = _title_near(self.st, m.start(), m.end())
        return title if title.endswith(BENEFIT_HEADS) else None


def subject_is_benefit(text: str) -> bool:
    """Whether the sentence opens with the benefit it prices (失业保险金按照…确定)."""
    return bool(re.match(rf"[{_CJK}]{{0,12}}(?:{'|'.join(BENEFIT_HEADS)})(?:按照|按|的标准)", text))


def _raise_group(phrase: str | None) -> str:
    """Who a 由X%提高至Y% applies to: 中小微企业返还比例 → 中小微企业."""
    if not phrase:
        return ""
    phrase = re.sub(r"(?:比例|费率|标准|幅度|水平)$", "", phrase)
    for h in BENEFIT_HEADS:
        if phrase.endswith(h) and len(phrase) > len(h) + 1:
            return phrase[: -len(h)]
    return phrase


def _thresholds(st: _Sentence, book: _Book, spans: list[tuple[int, int]]) -> tuple[list[dict[str, Any]], list[str]]:
    """Conditions on a number the sentence states (带动1人以上就业, 不少于3个月的定向培训, 用工在1000人以上)."""
    text = st.text
    out: list[dict[str, Any]] = []
    notes: list[str] = []
    for m in re.finditer(
        rf"(?P<pre>不少于|不低于|不超过|不高于|不满|未满|不足|超过|低于|高于|少于|至少)?\s*(?P<n>{_NUM})\s*"
        rf"(?P<u>人|名|个月|年|天|%|万元|元)\s*(?P<post>及以上|以上|及以下|以下|以内)?",
        text,
    ):
        phrase = m.group("pre") or m.group("post")
        if not phrase or any(a <= m.start() < b for a, b in spans):
            continue
        if re.search(r"(?:最长|最高|最多|一般)\s*$", text[max(0, m.start() - 3) : m.start()]):
            continue  # a cap on the amount or duration, not a condition
        unit = m.group("u")
        value = _dec(m.group("n"), "万" if unit == "万元" else None)
        lo, hi = _fragment(text, m.start(), m.end())
        raw_before = text[lo : m.start()].strip()
        near = max(lo, m.start() - 10)
        near += max((text.rfind(w, near, m.start()) + len(w) - near for w in ("对", "的", "并", "、", "且")
                     if text.rfind(w, near, m.start()) >= 0), default=0)
        before = re.sub(r"(?:在|达到|为|满|有)$", "", raw_before)
        after_m = re.match(rf"(?:的)?([{_CJK}]{{0,10}})", text[m.end() : hi])
        after = after_m.group(1)
        after = re.split("的|并|且|和|及|、|或|就业后", after)[0] if not after.startswith("就业") else "就业"
        quote = st.norm.orig_span(lo, hi).strip()
        if unit == "%":
            ratio = re.search(rf"([{_CJK}]{{2,16}}?)比例(?:达到|占|不低于)?([{_CJK}]{{2,16}}?)的?\s*$", text[lo : m.start()])
            if not ratio:
                notes.append(quote)
                continue
            num = _strip_lead(ratio.group(1))
            den = ratio.group(2)
            pn = book.param(num if num.endswith("数") else f"{num}人数", "count", "人", aliases=[num], required=False)
            pd = book.param(den if den.endswith("数") else f"{den}人数", "count", "人", aliases=[den], required=False)
            book.parameters[pn]["part_of"] = pd
            out.append({"ratio": [pn, pd], "phrase": phrase, "value": _s(value / 100), "label": quote, "quote": quote})
            continue
        verb = re.search(r"(带动|吸纳|招用|安置|签订|订立|开展|参加|连续工作|工作|经营|缴费|缴纳|培训)$", before)
        before = re.sub(r"(?:签订|订立|开展|参加)$", "", before)
        # the noun the number counts: the verb's object after it (带动1人以上就业, 签订1年以上劳动合同),
        # else the noun before it (用工在1000人以上, 距法定退休年龄不足5年)
        use_after = bool(verb and after) or not _strip_lead(before)
        if unit in ("人", "名"):
            noun = f"{verb.group(1)}{after}" if verb and after else _strip_lead(before) or after
            label = noun if noun.endswith("数") else f"{noun}人数"
            p = book.param(label, "count", "人", aliases=[noun], required=False)
        elif unit in ("元", "万元"):
            noun = _strip_lead(before) or after
            p = book.param(noun, "money", "元", aliases=[noun], required=False)
        else:
            if verb and after:
                noun = after + ("期限" if after.endswith("合同") else "时长")
            elif verb and verb.group(1) not in ("签订", "订立"):
                noun, use_after = f"{verb.group(1)}时间", False
            else:
                noun = _strip_lead(before) or after
                noun = noun if noun.endswith(("时间", "年限", "期限", "时长", "年龄")) else f"{noun}时间"
            p = book.param(noun, "duration", unit, aliases=[noun], required=False)
        if len(book.parameters[p]["label"]) < 3:
            notes.append(quote)
            continue
        if m.group("pre") and use_after:  # 开展不少于3个月的定向培训: the condition starts at its verb
            near = m.start() - (len(verb.group(1)) if verb else 0)
        end = m.end() + (after_m.start(1) + len(after) if use_after and after else 0)
        narrow = st.norm.orig_span(near, end).strip()
        out.append({"param": p, "phrase": phrase, "value": _s(value), "label": narrow, "quote": narrow})
    return out, notes


def _strip_lead(phrase: str) -> str:
    """The noun at the end of a phrase: 劳动密集型企业用工 → 用工; keeps short phrases whole."""
    phrase = re.split(r"的|对于|对|在|为|，", phrase)[-1] or phrase
    phrase = re.sub(r"^(?:凡|其中|可)", "", phrase)
    words = _tokenizer().lcut(phrase)
    while len("".join(words)) > 8 and len(words) > 1:
        words = words[1:]
    return "".join(words)


def _named_only(st: _Sentence, clause: Clause, claimed: set[str]) -> list[_Proposal]:
    """按规定给予<benefit> / 发放<benefit> / 落实好<benefit>: a benefit the sentence names without an amount."""
    text = st.text
    out = []
    for m in re.finditer(rf"(?:{'|'.join(GRANT_VERBS)})", text):
        lo, hi = _fragment(text, m.start(), m.end())
        frag = text[lo:hi]
        if any(w in frag for w in NEGATIONS):
            continue
        names = [np for np in st.nps if m.end() <= np.a]
        if not names or names[0].a > m.end() + 12:
            continue
        first = names[0]
        if first.bare:
            continue  # 给予奖励 names no benefit of its own
        if text[m.end() : first.a].strip("的 ") and not re.fullmatch(rf"[{_CJK}]{{0,4}}", text[m.end() : first.a]):
            continue
        end = first.b
        for np in names[1:]:
            if re.fullmatch(r"[、和及与]", text[end : np.a]):
                end = np.b
        title = text[first.a : end]
        if title in claimed or any(title in c or c in title for c in claimed):
            continue
        claimed.add(title)
        out.append(_Proposal(clause, "not_stated", title, [st.quote], sentence=st.index, at=m.start()))
    return out


def _deferrals_and_limits(doc: ParsedDocument, st: _Sentence, clause: Clause) -> list[_Proposal]:
    """缓缴…期限到2022年年底 (with a period) / …期限最长不超过6个月: eligibility without money."""
    text = st.text
    out = []
    period = _period_of(doc, clause, st)
    verb = next((v for v in DEFERRAL_VERBS if v in text), None)
    if verb and period:
        objs = [re.split("期限|实施|期间|单位缴费部分|政策", x)[0] for x in re.findall(rf"{verb}([{_CJK}、]{{2,24}})", text)]
        obj = max(objs, key=len, default="")
        title = f"{obj}{verb}" if obj else verb
        facts = [{"label": "期限", "value": q, "quote": q} for q in period["quotes"]]
        out.append(_Proposal(clause, "eligibility_only", title, [st.quote], period=period, facts=facts,
                             sentence=st.index, at=0))
        return out
    m = re.search(rf"([{_CJK}]{{2,24}}?)(?:自[^，。；]*?起)?(?:一般|原则上)?(?:最长|最多)?(?:不超过|不得超过|为)"
                  rf"\s*({_NUM})\s*(个月|年|天|日)", text)
    if m and re.search(r"期|期限|时间|时长", m.group(1)):
        quote = st.norm.orig_span(*_fragment(text, m.start(), m.end())).strip()
        title = re.sub(r"^(?:其中|但|且|并)", "", m.group(1))
        out.append(_Proposal(clause, "eligibility_only", title,
                             [st.quote],
                             facts=[{"label": "最长期限", "value": f"{_s(_dec(m.group(2)))}{m.group(3)}", "quote": quote}],
                             sentence=st.index, at=m.start()))
    return out


# ---------------------------------------------------------------- one clause
def _draft_clause(doc: ParsedDocument, clause: Clause, book: _Book) -> list[_Proposal]:
    """Every proposal of one clause: tiers and schedules over its sentences, then each sentence's amounts,
    rates and thresholds, then the benefits it names without an amount, deferrals and duration limits."""
    sentences = _sentences(doc, clause)
    taken: dict[int, list[tuple[int, int]]] = {}  # sentence → spans a tier or schedule consumed
    props = _tiered(sentences, book, clause, taken) + _schedule(sentences, book, clause, taken)
    for st in sentences:
        if PENALTY.search(st.text):
            # a fine is no benefit: only its range of multiples of a sum the asker states (处…1倍以上3倍以下的罚款)
            ranged = _RateSentence(st, book, clause)
            if ranged.ranged():
                props += ranged.out
            continue
        spans = list(taken.get(st.index, []))
        found = _per_head(st, book, clause)
        spans += [p.span for p in found]
        found += [p for p in _money_lists(st, book, clause) if not any(a <= p.at < b for a, b in spans)]
        spans += [p.span for p in found]
        found += _single_amounts(st, clause, spans)
        if not any(st.index == p.sentence for p in props):
            found += _rates(st, book, clause)
        spans += [p.span for p in found]
        period = _period_of(doc, clause, st)
        thresholds, notes = _thresholds(st, book, spans)
        for p in found:
            p.who = _recipient(st.text, p.at + 1)
            p.thresholds = list(thresholds)
            p.conditions = [c.strip() for c in EXCLUSIVE.findall(st.quote)] + [f"（未能编码的条件）{n}" for n in notes]
            p.period = period
        props += found
    claimed = {p.title for p in props}
    for st in sentences:
        if PENALTY.search(st.text) or any((p.sentence == st.index or st.index in p.also) and p.kind != "not_stated"
                                          for p in props):
            continue
        limits = _deferrals_and_limits(doc, st, clause)
        named = [] if limits else _named_only(st, clause, claimed)
        for p in named + limits:
            p.period = p.period or _period_of(doc, clause, st)
            if p.kind == "not_stated":
                p.thresholds = _thresholds(st, book, [])[0]
            p.conditions = [c.strip() for c in EXCLUSIVE.findall(st.quote)]
            p.who = _recipient(st.text, p.at + 1) if re.search("对|向", st.text) else ""
        props += named + limits
    _raise_topups(props, sentences)
    return props


def _tiered(sentences: list[_Sentence], book: _Book, clause: Clause,
            taken: dict[int, list[tuple[int, int]]]) -> list[_Proposal]:
    """达到30人及以上的，给予5万元；达到50人及以上的… over consecutive sentences: one tiered rule per run
    (a single such sentence is left to be an amount with a threshold)."""
    runs: list[list[tuple[re.Match, _Sentence]]] = []
    for st in sentences:
        items = [(m, st) for m in _TIER.finditer(st.text)]
        if items and runs and runs[-1][-1][1].index in (st.index - 1, st.index):
            runs[-1].extend(items)
        elif items:
            runs.append(items)
    out = []
    for run in (r for r in runs if len(r) >= 2):
        for m, st in run:
            taken.setdefault(st.index, []).append((m.start(), m.end()))
        first = run[0][1]
        noun_m = re.search(rf"([{_CJK}]{{2,12}}?)(?:达到|满)\s*\d", first.text)
        counted = noun_m.group(1).removeprefix("对") if noun_m else ""
        lead = [st for st in sentences if st.index < first.index]
        # 根据吸纳脱贫劳动力人数给予阶梯性奖励。对吸纳人数达到…: the lead sentence names the count in full
        earlier = next((m for st in reversed(lead) if (m := re.search(rf"根据([{_CJK}]{{2,16}}?人数)", st.text))), None)
        label = earlier.group(1) if earlier else (counted if counted.endswith("数") else f"{counted}人数")
        param = book.param(label, "count", "人", aliases=[w for w in (counted, label) if w])
        tiers = []
        for m, st in run:  # a tier quotes its condition and its amount
            lo, hi = _fragment(st.text, m.start(), m.start())[0], _fragment(st.text, m.end(), m.end())[1]
            tiers.append({"min": _s(_dec(m.group("n"))), "phrase": m.group("ph"),
                          "amount": _s(_dec(m.group("amt"), m.group("sc"))),
                          "quote": st.norm.orig_span(lo, hi).strip()})
        quotes = list(dict.fromkeys(st.quote for _, st in run))
        title = _title_near(first, run[0][0].start("amt"), run[0][0].end())
        named = [np for np in first.nps if np.a >= run[0][0].end()]
        fuller = [(np, st) for st in lead for np in st.nps if not np.bare]
        if (not named or named[0].bare) and fuller:  # 一次性奖励 → the lead sentence's 阶梯性奖励
            np, st0 = fuller[-1]
            title = _qualify(np.text, st0.text, np.a)
            quotes.insert(0, st0.quote)
        out.append(_Proposal(clause, "tiered", title, quotes, {"count": param, "per": "人", "tiers": tiers},
                             sentence=first.index, at=run[0][0].start(),
                             also=tuple({st.index for _, st in run} | {s.index for s in lead if s.quote in quotes})))
    return out


def _schedule(sentences: list[_Sentence], book: _Book, clause: Clause,
              taken: dict[int, list[tuple[int, int]]]) -> list[_Proposal]:
    """满1年不足5年的，领取…的期限最长为12个月；… : tiers over a duration yielding months."""
    sched = [(m, st) for st in sentences for m in _SCHEDULE.finditer(st.text)]
    if len(sched) < 2:
        return []
    for m, st in sched:
        taken.setdefault(st.index, []).append((m.start(), m.end()))
    st0 = sched[0][1]
    noun = _duration_noun(st0.text) or "计算年限"
    unit = sched[0][0].group("u")
    param = book.param(noun, "duration", unit, aliases=_noun_variants(noun), required=False)
    tiers = [{"min": _s(_dec(m.group("lo"))), "phrase": "以上", "amount": _s(_dec(m.group("m"))),
              "quote": st.norm.orig_span(_fragment(st.text, m.start(), m.start())[0], m.end()).strip()}
             for m, st in sched]
    what = re.search(rf"(?:领取|享受)([{_CJK}]{{2,12}}?)的期限", st0.text)
    title = f"{what.group(1)}领取期限" if what else f"{noun}对应期限"
    quotes = list(dict.fromkeys(st.quote for _, st in sched))
    # 重新就业后…合并计算，最长不超过24个月: said of the same schedule, kept as its condition
    rest = [st.quote for st in sentences if st.index > sched[-1][1].index and re.search(r"最长|合并计算", st.text)]
    return [_Proposal(clause, "tiered", title, quotes, {"count": param, "per": unit, "unit": "个月", "tiers": tiers},
                      sentence=st0.index, at=sched[0][0].start(), conditions=rest,
                      also=tuple({st.index for _, st in sched} | {st.index for st in sentences if st.quote in rest}))]


def _raise_topups(props: list[_Proposal], sentences: list[_Sentence]) -> None:
    """由30%提高至50% and, in a later sentence, 已按30%…补发: the difference paid to those paid at the old rate."""
    for p in list(props):
        raises = p.raises
        if not raises:
            continue
        for st in sentences:
            if st.index <= p.sentence or not re.search(r"补发|补足|差额", st.text):
                continue
            for group, old, new in raises:
                if re.search(rf"已按\s*{re.escape(_s(old * 100))}\s*%", st.text):
                    who = group if group and group not in p.title else ""
                    props.append(_Proposal(
                        p.clause, "rate", f"{who}{p.title}补发（由{_s(old * 100)}%提高至{_s(new * 100)}%的差额）",
                        [*p.quotes, st.quote], {"base": p.body["base"], "rate": _s(new), "minus_rate": _s(old)},
                        sentence=p.sentence, at=p.at + 1,
                    ))


# ---------------------------------------------------------------- cross references
def _references(doc: ParsedDocument, props: list[_Proposal], book: _Book) -> list[_Proposal]:
    """享受<benefit>政策: a clause granting a benefit another clause prices takes that price, with its own
    thresholds (劳动密集型企业…的，享受帮扶车间一次性吸纳就业补贴政策)."""
    priced = [p for p in props if p.kind not in ("not_stated", "eligibility_only")]
    out = []
    for clause in doc.leaves():
        if clause.kind not in BODY_KINDS:
            continue
        for st in _sentences(doc, clause):
            for m in re.finditer(rf"享受([{_CJK}“”]{{4,30}}?)政策", st.text):
                name = m.group(1)
                ref = next((p for p in priced if p.clause.path != clause.path and _names(p, name)), None)
                if ref is None or any(p.clause.path == clause.path and p.sentence == st.index and p.kind != "not_stated"
                                      for p in props):
                    continue
                lead = re.match(rf"([{_CJK}]{{2,12}}?)(?:用工|吸纳|招用|在|达到|的|，)", st.text)
                who = lead.group(1) if lead else ""
                thresholds, notes = _thresholds(st, book, [])
                quotes: list[Any] = [st.quote, *({"clause": ref.clause.path, "text": q} for q in ref.quotes
                                                 if isinstance(q, str))]
                out.append(_Proposal(clause, ref.kind, f"{who}享受{name}" if who else name, quotes, dict(ref.body),
                                     thresholds=thresholds, sentence=st.index, at=m.start(),
                                     note=f"金额按第 {ref.clause.label} 的标准计（原文：享受{name}政策）",
                                     conditions=[f"（未能编码的条件）{n}" for n in notes]))
                props[:] = [p for p in props if not (p.kind == "not_stated" and p.clause.path == clause.path
                                                     and p.sentence == st.index)]
    return out


def _names(p: _Proposal, name: str) -> bool:
    """Whether `name` (帮扶车间一次性吸纳就业补贴) names the rule `p` (一次性吸纳就业补贴 for 帮扶车间)."""
    if p.title == name:
        return True
    if not name.endswith(p.title):
        return False
    who = name[: -len(p.title)]
    return any(isinstance(q, str) and who in q for q in p.quotes)


# ---------------------------------------------------------------- the draft
def draft_rules(doc: ParsedDocument) -> dict[str, Any]:
    """A YAML-ready rules-file dict proposing the rules `doc`'s sentences state, every one `reviewed: false`."""
    book = _Book()
    props: list[_Proposal] = []
    for clause in doc.leaves():
        if clause.kind in BODY_KINDS:
            props += _draft_clause(doc, clause, book)
    # a benefit named again without a recipient is a mention (核定、发放失业保险金), not a grant
    priced = {p.title for p in props if p.kind not in ("not_stated", "eligibility_only")}
    props = [p for p in props if not (p.kind == "not_stated" and p.title in priced and not p.who)]
    _distinguish(props, book)
    props += _references(doc, props, book)
    props = _dedupe(props)
    order = {c: i for i, c in enumerate(doc.clauses)}
    props.sort(key=lambda p: (order[p.clause.clause_id], p.sentence, p.at))
    rules = []
    ids: set[str] = set()
    for p in props:
        rules.append(_rule_dict(p, ids))
    used = _used_params(rules)
    parameters = {k: v for k, v in book.parameters.items() if k in used}
    vocabulary = {k: v for k, v in book.vocabulary.items() if k in used}
    data: dict[str, Any] = {"doc_id": doc.meta.doc_id, "version": 1, "reviewed": False}
    if vocabulary:
        data["vocabulary"] = vocabulary
    data["parameters"] = parameters
    data["rules"] = rules
    return data


def _distinguish(props: list[_Proposal], book: _Book) -> None:
    """Rules sharing a name take their recipient (帮扶车间一次性吸纳就业补贴) or their choices (（五级、六级伤残）)."""
    counts: dict[str, int] = {}
    for p in props:
        counts[p.title] = counts.get(p.title, 0) + 1
    for p in props:
        if counts[p.title] < 2:
            continue
        if p.who and p.who not in p.title:
            p.title = f"{p.who}{p.title}"
            continue
        sel = p.body.get("rate_by") or p.body.get("amount_by")
        if sel and sel["param"] in book.vocabulary:
            labels = [v["label"] for v in book.vocabulary[sel["param"]]["values"].values()]
            p.title = f"{p.title}（{'、'.join(labels)}）"


def _dedupe(props: list[_Proposal]) -> list[_Proposal]:
    """One proposal per clause, kind and numbers; a benefit named without an amount in several clauses is one
    rule quoting each of them (由工伤保险基金支付一次性工伤医疗补助金 in two articles)."""
    out: list[_Proposal] = []
    seen: set[tuple] = set()
    named: dict[str, _Proposal] = {}
    for p in props:
        if p.kind == "not_stated" and p.title in named and named[p.title].clause.path != p.clause.path:
            first = named[p.title]
            first.quotes += [{"clause": p.clause.path, "text": q} for q in p.quotes if isinstance(q, str)]
            continue
        key = (p.clause.path, p.kind, p.numbers(), p.title if p.kind in NO_MONEY else "")
        if key in seen:
            continue
        seen.add(key)
        if p.kind == "not_stated":
            named.setdefault(p.title, p)
        out.append(p)
    return out


def _rule_dict(p: _Proposal, ids: set[str]) -> dict[str, Any]:
    title = p.title or p.clause.title or "规则"
    named = re.sub(r"（[^）]*）", "", title)  # the name without what tells same-named rules apart
    if re.search(rf"[{_CJK}]", named):
        base = slug(named)
    else:
        base = f"rule_{re.sub(r'[^a-z0-9]+', '_', p.clause.path.lower())}"
    rid = base
    i = 2
    while rid in ids:
        rid = f"{base}_{i}"
        i += 1
    ids.add(rid)
    rule: dict[str, Any] = {"id": rid, "title": title, "clause": p.clause.path, "kind": p.kind, "reviewed": False}
    body = dict(p.body)
    rule.update(body)
    rule["quotes"] = list(dict.fromkeys(q if isinstance(q, str) else (q["clause"], q["text"]) for q in p.quotes))
    rule["quotes"] = [q if isinstance(q, str) else {"clause": q[0], "text": q[1]} for q in rule["quotes"]]
    if p.thresholds:
        rule["thresholds"] = p.thresholds
    if p.conditions:
        rule["conditions"] = list(dict.fromkeys(p.conditions))
    if p.facts:
        rule["facts"] = p.facts
    if p.period:
        rule["period"] = p.period
    if p.note:
        rule["note"] = p.note
    return rule


def _used_params(rules: list[dict[str, Any]]) -> set[str]:
    used: set[str] = set()
    for r in rules:
        used.update(t["param"] for t in r.get("terms", []))
        for k in ("base", "count"):
            if r.get(k):
                used.add(r[k])
        for k in ("rate_by", "amount_by", "times"):
            if r.get(k):
                used.add(r[k]["param"])
        for th in r.get("thresholds", []):
            used.update([th["param"]] if "param" in th else th["ratio"])
    return used


# ---------------------------------------------------------------- loading the draft
@dataclass(frozen=True)
class Refusal:
    """A drafted rule the loader refused, and its message (e.g. 数值 12 在其引文中找不到)."""

    rule: dict[str, Any]
    reason: str
    code: str = "rule_data_error"  # the loader's error code, e.g. rule_number_not_quoted

    @property
    def rule_id(self) -> str:
        return self.rule["id"]


@dataclass
class DraftCheck:
    """What the real loader made of a draft: the rules it kept and the ones it refused."""

    data: dict[str, Any]  # the draft without the refused rules
    loaded: int
    refused: list[Refusal]


def check_draft(data: dict[str, Any], doc: ParsedDocument, *, name: str = "draft.yaml") -> DraftCheck:
    """Load each drafted rule with `assistant.rules.build_rulebook`; drop the refused ones and load the rest."""
    docs = {doc.meta.doc_id: doc}
    kept: list[dict[str, Any]] = []
    refused: list[Refusal] = []
    for rule in data.get("rules", []):
        try:
            build_rulebook([(name, {**data, "rules": [rule]})], docs)
        except RuleDataError as exc:
            refused.append(Refusal(rule, exc.message, exc.code))
            continue
        kept.append(rule)
    out = {**data, "rules": kept}
    used = _used_params(kept)
    out["parameters"] = {k: v for k, v in data.get("parameters", {}).items() if k in used}
    if "vocabulary" in data:
        out["vocabulary"] = {k: v for k, v in data["vocabulary"].items() if k in used}
        if not out["vocabulary"]:
            del out["vocabulary"]
    if not kept:
        return DraftCheck(out, 0, refused)
    book = build_rulebook([(name, out)], docs)
    return DraftCheck(out, len(book), refused)


# ---------------------------------------------------------------- YAML
class _Dumper(yaml.SafeDumper):
    pass


def _represent_list(dumper: yaml.SafeDumper, items: list) -> yaml.Node:
    flow = all(isinstance(x, str) and len(x) <= 20 for x in items) and len(items) <= 8
    return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=flow)


def _represent_dict(dumper: yaml.SafeDumper, d: dict) -> yaml.Node:
    flow = len(d) <= 4 and all(isinstance(v, str) and len(v) <= 16 for v in d.values())
    return dumper.represent_mapping("tag:yaml.org,2002:map", d.items(), flow_style=flow)


_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(dict, _represent_dict)


def _dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)


def render_draft(data: dict[str, Any], doc: ParsedDocument, *, refused: list[Refusal] | tuple = ()) -> str:
    """The draft as YAML text with a header comment; refused rules follow, commented out, with the reason."""
    meta = doc.meta
    name = f"{meta.doc_number}（{meta.title}）" if meta.doc_number else f"《{meta.title}》"
    lines = [
        f"# DRAFT rules of {name}, corpus/documents/{meta.path or meta.doc_id}.",
        "#",
        "# Proposed by `policy-qa rules draft` from the grammar of the document's sentences; nobody has",
        "# reviewed it. Before it goes into corpus/rules/: check each rule's kind, numbers, title and",
        "# parameters against the text; give ids and parameters English names; merge parameters that",
        "# mean the same thing; add eligibility, vocabulary words and exclusions; delete what is not a",
        "# benefit; then set reviewed: true (here and on each rule).",
        "# The loader (assistant/rules.py) has found every quote below in the source and every number a",
        "# rule uses in its quotes.",
    ]
    if refused:
        lines.append(f"# {len(refused)} drafted rule(s) the loader refused are listed, commented out, at the end.")
    text = "\n".join(lines) + "\n\n" + (_dump(data) if data.get("rules") else f"doc_id: {meta.doc_id}\nrules: []\n")
    for r in refused:
        text += f"\n# REFUSED by the loader: {r.reason}\n"
        text += "".join(f"# {line}\n" for line in _dump([r.rule]).splitlines())
    return text
