"""Deterministic query understanding: clean the text, find the intent and the slots, expand synonyms.

Nothing here calls a model. Vocabulary lives in corpus/ (synonyms.yaml, places.yaml); this module
holds only the language cues of question types (多少钱 → amount, 哪个部门 → department, …).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from index.metadata import load_grammar
import zhconv
from pypinyin import lazy_pinyin

from index.errors import PolicyQAError
from assistant.read_profile import read_profile

__all__ = [
    "QuestionRejected",
    "Lexicon",
    "Understanding",
    "clean_question",
    "cn_numerals_to_digits",
    "understand",
]


class QuestionRejected(PolicyQAError):
    """The question cannot be processed at all (empty, too long, not text)."""

    code = "invalid_question"


# ---------------------------------------------------------------- cleaning
_INVISIBLE = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_SPACES = re.compile(r"\s+")


def clean_question(text: str, max_chars: int) -> str:
    """Normalise a raw question or raise QuestionRejected with a Chinese message."""
    if not isinstance(text, str):
        raise QuestionRejected("问题必须是文本", code="invalid_question")
    text = _SURROGATE.sub("", text)
    text = _INVISIBLE.sub("", text)
    text = unicodedata.normalize("NFKC", text)
    text = _SPACES.sub(" ", text).strip()
    if not text:
        raise QuestionRejected("问题不能为空，请输入您想咨询的内容", code="empty_question")
    if len(text) > max_chars:
        raise QuestionRejected(f"问题太长了（{len(text)} 字），请控制在 {max_chars} 字以内", code="question_too_long")
    # traditional characters → simplified, so 穩崗返還 meets 稳岗返还
    return zhconv.convert(text, "zh-cn")


_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNIT = {"十": 10, "百": 100, "千": 1000}
_CN_AMOUNT_RE = re.compile(
    r"(?<![\d.零〇一二两三四五六七八九十百千万])(?!千万|万一|十分|百分|一百分)"
    r"[一二两三四五六七八九十][零〇一二两三四五六七八九十百千万]*[十百千万][零〇一二两三四五六七八九十百千万]*"
    r"(?![零〇一二两三四五六七八九十百千万])(?!\s*(?:分之|成|倍|余))"
)
_CN_NUM_RE = re.compile(r"(?<![\d.])(?!万|千万)[零〇一二两三四五六七八九十百千万]+(?=\s*(?:个|名|位|人|万|元|块|家|本|张|岁|月|年|天|场|项|%|％|倍|成))")


def _cn_to_int(s: str) -> int | None:
    # "一万五" is 15000 and "三千五" 3500 in speech: a lone digit after a unit counts one unit lower
    if len(s) >= 3 and s[-1] in _CN_DIGIT and s[-2] in "万千百" and _CN_DIGIT[s[-1]]:
        lower = {"万": "千", "千": "百", "百": "十"}[s[-2]]
        s = s + lower
    total, section, digit = 0, 0, None
    for ch in s:
        if ch in _CN_DIGIT:
            digit = _CN_DIGIT[ch]
        elif ch in _CN_UNIT:
            section += (digit if digit is not None else 1) * _CN_UNIT[ch]
            digit = None
        elif ch == "万":
            section += digit or 0
            total += (section or 1) * 10000
            section, digit = 0, None
        else:
            return None
    return total + section + (digit or 0)


def _spoken_amount(m: re.Match) -> str:
    """一万五 → 1.5万, 三十万 → 30万, 三千五百 → 3500 (万 kept, so money words still read as money)."""
    value = _cn_to_int(m.group(0))
    if value is None:
        return m.group(0)
    if value >= 10000 and value % 1000 == 0:
        return f"{value / 10000:g}万"
    return str(value)


def cn_numerals_to_digits(text: str) -> str:
    """二十五个人 → 25个人, 两千元 → 2000元, 三万 → 30000; leaves 一次性 / 一县一品牌 alone."""

    def repl(m: re.Match) -> str:
        s = m.group(0)
        if s == "一" and text[m.end() : m.end() + 1] in ("个", "名", "位") and m.start() > 0 and text[m.start() - 1] in "每这那":
            return s  # 每一个 / 这一名 read better as words and carry no count
        value = _cn_to_int(s)
        return str(value) if value is not None else s

    # "交了一万五", "返了三十万": a spoken amount with a unit character needs no classifier after it
    text = _CN_AMOUNT_RE.sub(_spoken_amount, text)
    return _CN_NUM_RE.sub(repl, text)


_CJK_ONLY = re.compile(r"[\u4e00-\u9fff]+")


@functools.lru_cache(maxsize=8192)
def _char_sound(ch: str) -> str:
    """Toneless pinyin of one character (the character itself when it has none)."""
    if not _CJK.match(ch):
        return ch
    return lazy_pinyin(ch)[0]


# ---------------------------------------------------------------- lexicon (data from corpus/)
@dataclass
class Lexicon:
    synonyms: list[tuple[str, list[str]]]
    typos: dict[str, str]
    provinces: list[str]
    home_regions: list[str]
    industries: list[str]
    topic_terms: list[str] = field(default_factory=list)
    document_words: str = ""  # the corpus text, set by the assistant once an index is open
    # subjects the documents name for themselves (titles, defined terms, recurring nouns), per index version
    corpus_terms: list[str] = field(default_factory=list)

    def use_corpus_terms(self, terms: list[str]) -> None:
        """Take the policy subjects of the served documents (built per index version)."""
        self.corpus_terms = list(terms)
        self._topics_by_length = sorted(set(self.topic_terms) | set(self.corpus_terms), key=len, reverse=True)

    def is_variant(self, word: str) -> bool:
        return word in self._variant_set

    @property
    def vocabulary(self) -> set[str]:
        """Every word this lexicon knows beyond the documents' text: synonyms and their variants, typos,
        industries and regions."""
        return {*self._variant_set, *self.industries, *self.home_regions, *self.provinces}

    def __post_init__(self) -> None:
        self._variant_set = {w for c, vs in self.synonyms for w in (c, *vs)} | set(self.typos)
        by_sound: dict[tuple[str, ...], set[str]] = {}
        for term in self.topic_terms:
            if len(term) >= 3 and _CJK_ONLY.fullmatch(term):
                by_sound.setdefault(tuple(_char_sound(ch) for ch in term), set()).add(term)
        # a sound shared by two different terms says nothing about which one was meant
        self._sound_index = {k: next(iter(v)) for k, v in by_sound.items() if len(v) == 1}
        self._sound_lengths = sorted({len(k) for k in self._sound_index}, reverse=True)
        profile = set(self.industries) | {v for c, vs in self.synonyms if c in self.industries for v in vs}
        self._profile_words = sorted(profile, key=len, reverse=True)
        # words that say who the asker is: its industry and its size (饭店, 国企, 小微企业)
        self._asker_words = profile | {v for c, vs in self.synonyms if c in _SIZE_TERMS for v in (c, *vs)} | set(_SIZE_TERMS)
        self._topics_by_length = sorted(set(self.topic_terms), key=len, reverse=True)

    def has_subject(self, text: str) -> bool:
        """Whether the text names a policy subject beyond who the asker is: its industry, size and the
        generic benefit words do not count ("我开饭店，有什么补贴" has none; "招应届毕业生" has one)."""
        for word in self._profile_words:
            text = text.replace(word, " ")
        return self.has_topic(text)

    def has_topic(self, text: str) -> bool:
        """Whether the text names a policy subject of its own (a dictionary term or a synonym)."""
        return any(t in text for t in self.topic_terms) or any(t in text for t in self.corpus_terms)

    def subjects_in(self, text: str) -> list[str]:
        """The policy subjects the text names beyond who the asker is (饭店, 国企 describe the asker)."""
        return [t for t in self.topics_in(text) if t not in self._asker_words]

    def topics_in(self, text: str) -> list[str]:
        """The policy subjects the text names, longest first, none inside another (取证补贴, 中级工)."""
        found: list[str] = []
        for term in self._topics_by_length:
            if term in text and not any(term in f for f in found):
                found.append(term)
        return found

    @classmethod
    def load(cls, corpus_dir: Path) -> Lexicon:
        syn = yaml.safe_load((corpus_dir / "synonyms.yaml").read_text(encoding="utf-8")) or {}
        places = load_grammar(corpus_dir).place_names()
        return cls(
            synonyms=[(g["canonical"], list(g.get("variants", []))) for g in syn.get("synonyms", [])],
            typos=dict(syn.get("typos") or {}),
            provinces=places,
            home_regions=[],
            industries=list(syn.get("industries", [])),
            topic_terms=_topic_terms(corpus_dir, syn),
        )

    def fix_typos(self, text: str) -> str:
        for wrong in sorted(self.typos, key=len, reverse=True):
            text = text.replace(wrong, self.typos[wrong])
        return self.fix_homophones(text)

    def fix_homophones(self, text: str) -> str:
        """Replace a run that sounds like a policy term but is written otherwise ("留工陪训补助" →
        "留工培训补助"): the wrong character a pinyin input method offers first."""
        index = self._sound_index
        if not index:
            return text
        sounds = [_char_sound(ch) for ch in text]
        out = list(text)
        i = 0
        while i < len(text):
            for length in self._sound_lengths:
                window = text[i : i + length]
                if len(window) < length:
                    continue
                term = index.get(tuple(sounds[i : i + length]))
                # one or two characters differ: a typo; more would be a different phrase that sounds alike
                if term and term != window and sum(a != b for a, b in zip(term, window)) <= 2:
                    out[i : i + length] = list(term)
                    i += length - 1
                    break
            i += 1
        return "".join(out)

    def shares_with_variant(self, canonical: str, text: str) -> bool:
        """Whether a colloquial word of `text` that maps to `canonical` shares two characters with it."""
        grams = {canonical[i : i + 2] for i in range(len(canonical) - 1)}
        return any(
            v in text and any(v[i : i + 2] in grams for i in range(len(v) - 1))
            for c, vs in self.synonyms if c == canonical for v in vs
        )

    def canonical_terms(self, text: str, *, all_variants: bool = False) -> list[str]:
        """Document terms for the colloquial words in `text` (in order, without repeats).

        For retrieval a word the documents use themselves ("农民工" in item 26) needs no translation:
        adding the canonical term would pull the question towards other clauses. `all_variants` also
        translates those, for choosing sentences inside an already chosen clause (社保 → 社会保险)."""
        found: list[str] = []
        for canonical, variants in self.synonyms:
            if canonical in text:
                continue
            if any(v in text and (all_variants or v not in self.document_words) for v in variants) and canonical not in found:
                found.append(canonical)
        return found


def _new_subjects(lexicon: Lexicon, text: str, previous: dict) -> list[str]:
    """The policy subjects a question names that the last turn did not: neither its question nor the
    clauses its answer quoted (`previous["seen"]`) use the term or the document word it stands for.
    "优先安排谁" after an answer about 公益性岗位 that says 优先安置 names nothing new; "失业保险金领多久"
    after a question about 创业补贴 does."""
    seen = f"{previous.get('text', '')} {previous.get('seen', '')}"
    return [t for t in lexicon.topics_in(text)
            if t not in seen and not any(c in seen for c in lexicon.canonical_terms(t, all_variants=True))]


# enterprise sizes: who the asker is, never a policy subject of its own
_SIZE_TERMS = ("大型企业", "中小微企业", "小微企业", "中型企业")


def _topic_terms(corpus_dir: Path, syn: dict) -> list[str]:
    terms: set[str] = set()
    dict_path = corpus_dir / "dictionary.txt"
    if dict_path.exists():
        terms |= {ln.split()[0] for ln in dict_path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")}
    for g in syn.get("synonyms", []):
        terms.add(g["canonical"])
        terms.update(v for v in g.get("variants", []) if len(v) >= 2)
    # generic words that name no particular measure do not make a question self-contained
    return sorted(t for t in terms if t not in {"补助", "补贴", *_SIZE_TERMS})


# ---------------------------------------------------------------- intents and slots
# Order matters: the first intent whose cue appears wins, so a question asking "能拿多少" about
# eligibility is an amount question, and "哪个部门负责…补贴" a department question.
_INTENT_CUES: list[tuple[str, re.Pattern]] = [
    ("department", re.compile(r"哪个部门|哪个处|哪些处室|哪些部门|哪个单位|哪些单位|什么部门|什么单位|哪家单位|谁负责|谁牵头|负责部门|(?<!想)(?<!要)(?<!我们)(?<!我)(?<!公司)牵头(?!申报|建|搞|办|成立|组织|创建|做)|责任处室|责任单位|配合处室|配合单位|配合部门|责任领导|分管领导|哪位领导|哪个领导|负责领导|找谁|联系谁|归谁管|谁管|主管部门|负责人是谁|由谁|哪个科室|承办")),
    ("amount", re.compile(r"几万|几千|几百块|几块钱|多少钱|补多少|拿多少|领多少|发多少|给多少|返多少|奖多少|返还多少|多少元|多少万|金额|能补|多少补贴|补贴多少|补助多少|奖励多少|标准是多少|什么标准|啥标准|比例|百分之|几成|算一下|算算|计算|一共|总共|合计|最高|最多能|上限|哪一档|哪档|几档|每档|补贴标准|补助标准|奖励标准|怎么算|如何计算|咋算|多少")),
    ("deadline", re.compile(r"什么时候|啥时候|何时|截止|截至|期限|到期|哪天|几号|多久|多长时间|有效期|还有效|过期|失效|还能申请|现在还能|现在还可以|今年还|还在执行|还执行|还有吗|几月|时间节点|之前完成|前完成|到什么时候|执行期|缓到|还能(?!再)(?:拿|领|申请|享受|办)|现在还")),
    ("eligibility", re.compile(r"怎样才|怎么样才|怎么才|才给|才发|才能拿|才能领|才可以|能不能|可不可以|可以吗|能吗|能否|是否|符合|有没有资格|有资格|资格|能享受|可以享受|能申请|可以申请|能领|可以领|能拿|算不算|包括|包含|哪些企业|哪些人|哪些行业|什么企业|什么人|谁可以|谁能|同时|一起|都能|都可以|重复享受|兼得|有什么补贴|有哪些补贴|有啥补贴|什么政策|哪些政策|有没有|享受什么|条件")),
]


@dataclass
class Understanding:
    text: str  # cleaned question
    intent: str
    slots: dict[str, Any] = field(default_factory=dict)
    expansions: list[str] = field(default_factory=list)  # canonical document terms added
    synonyms: list[str] = field(default_factory=list)  # canonical terms of every colloquial word, used or not
    # expansions whose colloquial word shares no two characters with them (外地户口 → 户籍): the question's
    # own tokens of that word match nothing, so the document term counts twice
    strong_expansions: list[str] = field(default_factory=list)
    search_text: str = ""  # what retrieval embeds and tokenises
    follow_up: bool = False
    foreign_region: str | None = None
    chinese: bool = True
    has_subject: bool = False  # names a policy subject beyond who the asker is
    references: list[str] = field(default_factory=list)  # clause paths the question names ("2.1", "att2.12")
    refused: list[str] = field(default_factory=list)  # impossible numbers, each with a question back
    unbound: list[Any] = field(default_factory=list)  # numbers next to no noun the rule book knows ("40个人")
    per_one: bool = False  # "一个人给多少": the rate for one is asked
    years: list[int] = field(default_factory=list)  # four-digit years the question names
    topic_text: str = ""  # this question, or for a follow-up the conversation's topic so far and this one


_CONFIRM_CUE = re.compile(r"对吧|没错吧|是吗|是不是|对不对|这么写的吧|是这样吗|吧[?？]?$")
_MONEY_IN_TEXT = re.compile(r"\d+(?:\.\d+)?\s*(?:万|元|块)")


# "工伤认定申请要在多少天内提出": a number of days asked is a time limit, not an amount
# "那几天工资会不会少发": 那/这几天 point at days already named, they ask no number
_DAYS_ASKED = re.compile(r"(?:多少|(?<![那这])几)\s*个?\s*(?:天|日|工作日)|多长时间内|多久内|几天内")


def _intent(text: str) -> str:
    # "帮扶基地吸纳30个人就奖励10万，没错吧？" checks an amount: answer it with the calculation
    if _CONFIRM_CUE.search(text) and _MONEY_IN_TEXT.search(text):
        return "amount"
    if _DAYS_ASKED.search(text) and not _INTENT_CUES[0][1].search(text):
        return "deadline"
    for intent, cue in _INTENT_CUES:
        if cue.search(text):
            return intent
    # a yes/no question about a measure ("能按帮扶车间拿补贴吗") asks whether one qualifies
    if re.search(r"(?:吗|么|不)[?？]?$", text) and re.search(r"能|可以|可|会|算|给|有", text):
        return "eligibility"
    return "fact"


def _slots(text: str, book: Any) -> tuple[dict[str, Any], list[str], list[Any], bool]:
    """Slots in the rule book's own field names (see assistant.read_profile), the refusals of impossible
    numbers, and the numbers next to no known noun; the date a question names."""
    slots: dict[str, Any] = {}
    refused: list[str] = []
    unbound: list[Any] = []
    per_one = False
    if book is not None:
        reading = read_profile(text, book)
        slots.update(reading.slots)
        refused = [r.message for r in reading.refused]
        unbound = reading.unbound
        per_one = reading.per_one
    m = re.search(r"(20\d\d)\s*年\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*日)?", text)
    if m and 1 <= int(m.group(2)) <= 12 and 1 <= int(m.group(3) or 1) <= 31:
        try:
            slots["date"] = date(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1)).isoformat()
        except ValueError:
            pass
    return slots, refused, unbound, per_one


_FOLLOW_UP_START = re.compile(r"^(?:那|那么|那如果|如果是|要是|假如|换成|还有|另外|再问|然后|同样|这个|这项|这条|该|它|他|她|刚才|上面|你刚才|我们)")
_COREF = re.compile(r"这个|这项|这条|该项|该政策|上面|刚才|前面说的|它|那个")

_ITEM_REF = re.compile(r"第\s*(\d{1,3})\s*条(?:\s*第?\s*[（(]?\s*(\d{1,2})\s*[)）]?\s*项)?")
_LEDGER_REF = re.compile(r"(?:附件\s*2|台账|任务清单)[^。？?]{0,12}?第\s*(\d{1,2})\s*(?:项|行|条)")
_LEDGER_REF2 = re.compile(r"第\s*(\d{1,2})\s*(?:项|行)")
_ATTACH_REF = re.compile(r"附件\s*(\d)")


def _references(text: str) -> list[str]:
    """Clause paths a question names by the document's own numbering."""
    refs: list[str] = []
    if m := _LEDGER_REF.search(text):
        refs.append(f"att2.{int(m.group(1))}")
        refs += [f"att2.{int(x)}" for x in _LEDGER_REF2.findall(text[m.end():])]
    elif _ATTACH_REF.search(text) is None:
        for m in _ITEM_REF.finditer(text):
            refs.append(f"{int(m.group(1))}.{int(m.group(2))}" if m.group(2) else str(int(m.group(1))))
    return refs


# talk that opens a question and names nothing: greetings, "我想问一下", "你们说的那个", "听说"
_PADDING = re.compile(
    r"^(?:(?:你好|您好|请问一下|请问|麻烦问一下|麻烦问下|我想问一下|我想问问|我想问下|想问一下|想问下|问一下|问下|"
    r"你们说的|您说的|我听说|听说|那个|这个那个|就是|嗯|啊|呃|哎)[，,。！!？?\s]*)+"
)


def strip_padding(text: str) -> str:
    """The question without the talk that opens it ("听说…", "我想问一下，…")."""
    return _PADDING.sub("", text) or text


def search_text_for(u: "Understanding", text: str) -> str:
    """Retrieval text: department cue words name a role every clause has, not the clause's subject;
    spoken padding is left out (the embedding of a short question is easily pulled by it)."""
    text = strip_padding(text)
    if u.intent == "department":
        text = _INTENT_CUES[0][1].sub(" ", text)
        extra = [e for e in u.expansions if e not in ("责任处室", "责任领导")]
        return " ".join([text, *extra])
    return " ".join([text, *u.expansions, *u.strong_expansions])
_TOPIC_CHARS = 200
_FOLLOW_UP_END = re.compile(r"(?:呢|的话)[?？]?$")


def understand(question: str, lexicon: Lexicon, *, max_chars: int = 500, previous: dict | None = None,
               book: Any = None) -> Understanding:
    """Intent, slots and retrieval text of a question; `previous` carries the last turn's understanding;
    `book` (the rule book) says which fields and parameters a question can state and what people call them."""
    text = clean_question(question, max_chars)
    raw_text = lexicon.fix_typos(text)
    text = cn_numerals_to_digits(raw_text)
    # "ignore all previous instructions … OK 10万": a stray 万 does not make an English question Chinese
    latin_words = len(re.findall(r"[A-Za-z]{2,}", text))
    chinese = bool(_CJK.search(text)) and latin_words <= len(_CJK.findall(text))
    expansions = lexicon.canonical_terms(text)
    u = Understanding(text=text, intent=_intent(text), expansions=expansions, chinese=chinese,
                      synonyms=lexicon.canonical_terms(text, all_variants=True))
    # the quantity reader sees the question as written (it reads 二十五, 三成, 一万五 itself)
    u.slots, u.refused, u.unbound, u.per_one = _slots(raw_text, book)
    u.strong_expansions = [e for e in expansions if not lexicon.shares_with_variant(e, text)]
    u.references = _references(text)
    u.has_subject = lexicon.has_subject(text)
    # "2024年的新政策": a year the question asks the rules *of*, not a date it mentions in passing
    # "2025年全省留工培训补助每人发多少": a year that opens the question, or names the province's rules, is
    # the time the rules are asked for; "现在都2026年了" and "延长到2025年了" only mention one
    u.years = [int(a or b) for a, b in re.findall(
        r"(?:^|[，,。？?！!；;])\s*(20\d\d)\s*年\s*(?!\d|了|底|初|前|后|毕业|招|开始)"
        r"|(20\d\d)\s*年\s*(?:的|新|最新|出台|发布|有哪些|有什么|全省|我省|省里|本省|本市)", text)]
    u.search_text = search_text_for(u, text)
    u.topic_text = text

    if previous:
        own_chars = len(re.sub(r"[^\u4e00-\u9fff]", "", text))
        # "…呢？" and "那…" continue the last question even when they name a new detail ("60个脱贫劳动力呢？");
        # a short question continues it only when it names no subject of its own
        u.follow_up = bool(
            _FOLLOW_UP_START.search(text)
            or _FOLLOW_UP_END.search(text)
            or _COREF.search(text)
            or (own_chars <= 8 and not _new_subjects(lexicon, text, previous))
        )
        carried = {k: v for k, v in previous.get("slots", {}).items() if k != "date"}
        own_slots = dict(u.slots)
        u.slots = {**carried, **u.slots}
        if u.follow_up:
            if u.intent == "fact" and previous.get("intent") not in (None, "out_of_scope", "invalid"):
                u.intent = previous["intent"]
            # "我们吸纳了60个脱贫劳动力呢？" after "就业帮扶基地有奖励吗": new numbers ask for the amount
            new_numbers = [k for k, v in own_slots.items() if isinstance(v, (int, float)) and not isinstance(v, bool)
                           and k not in carried]
            if new_numbers and u.intent in ("fact", "eligibility"):
                u.intent = "amount"
            u.search_text = " ".join([search_text_for(u, previous.get("text", "")), u.search_text])
            # "岗前培训补贴多少" → "要是30个人呢" → "这个政策现在还有效不": the topic rides along every follow-up
            u.topic_text = (previous.get("text", "") + " " + text)[-_TOPIC_CHARS:]
    return u
