"""Is a question about something the documents speak of? Deterministic, data in corpus/scope.yaml.

Naming a known subject is not enough: "社保卡怎么激活" names 社保 but asks about a card the documents never
mention, "社保断缴了对买房有影响吗" about buying a home. This module finds

* the nouns of a question that the documents never use (`unknown_nouns`): the question is cut with jieba's
  general dictionary (which knows 社保卡, 公积金, 营业执照 as words), and a noun counts as known when the
  documents contain it, when it is built of words they contain (劳务输出 = 劳务 + 输出), when it is a
  synonym, a person, unit or place name, one of the everyday question words of corpus/scope.yaml, or the
  asker's own business (纺织厂, 理发店: a profile, not a subject);
* requests of a kind no document serves (`unserved_request`): non-public information, recommendations,
  personal contact details, writing or translating.

Only nouns decide. Verbs and adjectives are where people's phrasing varies most (评上, 拿到, 回来), and a
wrong refusal of an in-scope question costs more than a missed one, so they never refuse on their own.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import yaml

__all__ = ["ScopeRules", "UnservedRequest"]

_CJK_WORD = re.compile(r"[\u4e00-\u9fff]{2,}")
# jieba's part-of-speech tags of nouns that name things: common nouns, other proper nouns, organisation
# names, abbreviations, noun-like verbs/adjectives. Person (nr) and place (ns) names are left out: the
# documents cannot list every citizen or town, and places have their own rule (corpus/places.yaml, assistant.documents).
_NOUN_TAGS = {"n", "nz", "nt", "ng", "j", "vn", "an", "l"}
# "做机械加工的", "普通本科的学生", "我是退伍军人，…": the words inside describe who asks
_PROFILE_PHRASE = re.compile(
    r"(?:做|搞|干|开|办|经营|从事|是)([\u4e00-\u9fff]{2,8}?)的"
    r"|([\u4e00-\u9fff]{2,6}?)的(?:学生|员工|工人|职工|人|企业|公司|单位|老板|毕业生)"
    r"|(?:我|我们|本人|他|她|他们)(?:是|属于|作为)(?:一名|一个|一家|个|名)?([\u4e00-\u9fff]{2,8})(?=[，,。；;！!]|$)"
)


@dataclass(frozen=True)
class UnservedRequest:
    kind: str
    reason: str


@functools.lru_cache(maxsize=1)
def _pos_tokenizer():
    """jieba's general dictionary with parts of speech (separate from the index's policy tokenizer)."""
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    return jieba.posseg.POSTokenizer(jieba.Tokenizer())


class ScopeRules:
    def __init__(self, question_words: set[str], profile_suffixes: tuple[str, ...],
                 requests: list[tuple[str, re.Pattern, str]], procedure_verbs: list[str] | None = None) -> None:
        self.procedure_verbs = procedure_verbs or []
        verbs = "|".join(sorted(map(re.escape, self.procedure_verbs), key=len, reverse=True))
        self._procedure = re.compile(r"(?:怎么|咋|如何|怎样|怎么样)(?:去|才能)?(" + verbs + ")") if verbs else None
        self.question_words = question_words
        self.profile_suffixes = profile_suffixes
        self.requests = requests
        self.decisive_tags = _NOUN_TAGS
        self._caches: tuple[tuple[str, frozenset[str], frozenset[tuple[str, ...]]], ...] = ()

    @classmethod
    def load(cls, corpus_dir: Path) -> ScopeRules:
        path = corpus_dir / "scope.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
        data = data or {}
        return cls(
            set(data.get("question_words") or []),
            tuple(data.get("profile_suffixes") or []),
            [(r["kind"], re.compile(r["pattern"]), r["reason"]) for r in data.get("unserved_requests") or []],
            list(data.get("procedure_verbs") or []),
        )

    def procedure_asked(self, text: str) -> str | None:
        """The verb of a how-to question ("工伤认定咋申请" → 申请), or None."""
        m = self._procedure.search(text) if self._procedure else None
        return m.group(1) if m else None

    def unserved_request(self, text: str) -> UnservedRequest | None:
        for kind, pattern, reason in self.requests:
            if pattern.search(text):
                return UnservedRequest(kind, reason)
        return None

    def unknown_nouns(self, text: str, corpus_text: str, known_terms: Iterable[str] = ()) -> list[str]:
        """Nouns of `text` that the documents never use, in order of appearance, without repeats.

        `known_terms` is vocabulary outside the documents' text (synonyms, names, regions): where one
        occurs in the question its characters count as known, however jieba cuts them (快递/小哥)."""
        profile = {w for m in _PROFILE_PHRASE.finditer(text) for w in m.groups() if w}
        covered = _covered(text, self._grams(corpus_text))
        for term in known_terms:
            start = text.find(term)  # plain search: hundreds of terms would thrash re's pattern cache
            while start != -1:
                covered[start : start + len(term)] = [True] * len(term)
                start = text.find(term, start + 1)
        out: list[str] = []
        pos = 0
        previous = ""
        for pair in _pos_tokenizer().cut(text, HMM=False):
            word, tag = pair.word, pair.flag
            start = text.find(word, pos)
            pos = start + len(word) if start >= 0 else pos
            owner, previous = previous, word
            if tag not in self.decisive_tags or not _CJK_WORD.fullmatch(word) or word in out:
                continue
            if (
                self.sounds_like_the_documents(word, corpus_text)  # 专版 for 专班: a typo, not a new thing
                or owner in _OWNERS  # "我们园区", "咱们村": the asker's own place or business
                or (word[-1] in _LOCATIVE and len(word) == 2 and word[0] in corpus_text)  # 县里, 厅里
                or (len(word) == 2 and word[0] in _PLACE_UNITS)  # 县城, 市区, 村里: where the asker is
                or set(word) <= _PLACE_UNITS  # 县市区
                or (start >= 0 and _known_core(word, covered[start : start + len(word)], self.question_words))
                or word in self.question_words
                or _ASKING.search(word)
                or word.endswith(self.profile_suffixes)
                or any(word in p for p in profile)
            ):
                continue
            out.append(word)
        return out

    def sounds_like_the_documents(self, word: str, corpus_text: str) -> bool:
        """Whether the word reads (toneless pinyin) like a run of two to four characters of the documents."""
        if len(word) > _MAX_SOUND:
            return False
        return _sound(word) in self._tables(corpus_text)[1]

    def _grams(self, corpus_text: str) -> frozenset[str]:
        return self._tables(corpus_text)[0]

    def _tables(self, corpus_text: str) -> tuple[frozenset[str], frozenset[tuple[str, ...]]]:
        """The documents' runs and their sounds, for the corpus text of the version being served. While a
        rebuild swaps versions, requests on both may interleave: each table pair is built whole and
        swapped in one assignment, keyed by the text it was built from."""
        caches = self._caches
        for cached in caches:
            if cached[0] is corpus_text:
                return cached[1], cached[2]
        cached = (corpus_text, _ngrams(corpus_text), _sound_grams(corpus_text))
        self._caches = (cached, *caches[:1])  # the version being served and the one before it
        return cached[1], cached[2]

    @staticmethod
    def pos_cut(text: str):
        """(word, part-of-speech flag) pairs of jieba's general dictionary."""
        return ((w.word, w.flag) for w in _pos_tokenizer().cut(text))

    def warm(self, corpus_text: str) -> None:
        """Load jieba's general dictionary and build the tables for a version before it is served (at
        start-up, and by IndexHandle on a switch), not on a citizen's question."""
        _pos_tokenizer().tokenizer.initialize()  # once per process; POSTokenizer.initialize would re-read the tags
        self._tables(corpus_text)


_OWNERS = {"我们", "咱们", "我", "咱", "我的", "我们的", "本"}
_LOCATIVE = set("里内上中")
_PLACE_UNITS = set("省市县区乡镇村")
# characters that glue onto a neighbour in a cut without carrying meaning of their own ("有奖补" → 有奖/补)
_GLUE = set("有没是能会要了的在给被把都也就还按对让将从向这那个不家些点")


def _known_core(word: str, covered: list[bool], question_words: set[str] = frozenset()) -> bool:
    """All characters covered by the documents' runs, once glue characters at either end are set aside;
    a core of one character, or one that is a question word ("顶多能" → 顶多), says nothing new."""
    lo, hi = 0, len(word)
    while lo < hi and word[lo] in _GLUE and not covered[lo]:
        lo += 1
    while hi > lo and word[hi - 1] in _GLUE and not covered[hi - 1]:
        hi -= 1
    return hi - lo < 2 or word[lo:hi] in question_words or all(covered[lo:hi])


_ASKING = re.compile(r"什么|怎么|怎样|哪|多少|多长|多久|几|谁|啥|咋|如何|为何|是否")
_MAX_GRAM = 8


_MAX_SOUND = 4


@functools.lru_cache(maxsize=1 << 18)
def _sound(text: str) -> tuple[str, ...]:
    """Pinyin of a run; kept for the process, since a rebuilt version shares almost all of its runs."""
    from pypinyin import lazy_pinyin

    return tuple(lazy_pinyin(text))


def _sound_grams(corpus_text: str) -> frozenset[tuple[str, ...]]:
    """The pinyin of every run of 2…4 Chinese characters of the documents."""
    out: set[tuple[str, ...]] = set()
    for run in re.findall(r"[\u4e00-\u9fff]+", corpus_text):
        sounds = _sound(run)
        if len(sounds) != len(run):
            continue
        for i in range(len(run) - 1):
            out.update(tuple(sounds[i : i + n]) for n in range(2, min(_MAX_SOUND, len(run) - i) + 1))
    return frozenset(out)


def _ngrams(corpus_text: str) -> frozenset[str]:
    """Every run of 2…8 Chinese characters the documents contain."""
    grams: set[str] = set()
    for run in re.findall(r"[\u4e00-\u9fff]+", corpus_text):
        for i in range(len(run) - 1):
            grams.update(run[i : i + n] for n in range(2, min(_MAX_GRAM, len(run) - i) + 1))
    return frozenset(grams)


def _covered(text: str, grams: frozenset[str]) -> list[bool]:
    """Per character of `text`: does a run of two or more characters around it occur in the documents?
    (劳务输出 = 劳务 + 输出 is covered; 社保卡 is not: 卡 stands alone; in 专班组长 the 班 of 班组长 is
    covered by 专班.)"""
    covered = [False] * len(text)
    for i in range(len(text) - 1):
        for n in range(min(_MAX_GRAM, len(text) - i), 1, -1):
            if text[i : i + n] in grams:
                covered[i : i + n] = [True] * n
                break
    return covered
