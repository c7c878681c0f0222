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
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import yaml

__all__ = ["ScopeRules", "UnservedRequest", "RunTable", "SoundTable"]

_CJK_WORD = re.compile(r"[\u4e00-\u9fff]{2,}")
_ALL_CJK = re.compile(r"[\u4e00-\u9fff]+")
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

    from index.tokenize import general_dictionary

    jieba.setLogLevel(logging.WARNING)
    # importing jieba.posseg already read the tags into its own tokenizer (on jieba's default one):
    # that one serves, with the general dictionary the policy tokenizers copy (each read is ~1 s)
    pos = jieba.posseg.dt
    if not pos.tokenizer.initialized:
        pos.tokenizer.FREQ, pos.tokenizer.total = general_dictionary()
        pos.tokenizer.initialized = True
    return pos


class ScopeRules:
    def __init__(self, question_words: set[str], profile_suffixes: tuple[str, ...],
                 requests: list[tuple[str, re.Pattern, str, re.Pattern | None]], procedure_verbs: list[str] | None = None,
                 modal_words: Iterable[str] = ()) -> None:
        self.procedure_verbs = procedure_verbs or []
        self.modal_words = frozenset(modal_words)
        verbs = "|".join(sorted(map(re.escape, self.procedure_verbs), key=len, reverse=True))
        self._procedure = re.compile(r"(?:怎么|咋|如何|怎样|怎么样)(?:去|才能)?(" + verbs + ")") if verbs else None
        self.question_words = question_words
        self.profile_suffixes = profile_suffixes
        self.requests = requests
        self.decisive_tags = _NOUN_TAGS
        self._caches: tuple[tuple[str, RunTable, SoundTable], ...] = ()

    @classmethod
    def load(cls, corpus_dir: Path) -> ScopeRules:
        path = corpus_dir / "scope.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
        data = data or {}
        return cls(
            set(data.get("question_words") or []),
            tuple(data.get("profile_suffixes") or []),
            [(r["kind"], re.compile(r["pattern"]), r["reason"],
              re.compile(r["unless_stated"]) if r.get("unless_stated") else None)
             for r in data.get("unserved_requests") or []],
            list(data.get("procedure_verbs") or []),
            data.get("modal_words") or [],
        )

    def ask_position(self, text: str) -> int | None:
        """Where a can/may question asks ("生育津贴能不能用来买奶粉" → at 能): the first modal word of the
        text, as jieba cuts it (技能 is not 能). What comes before it states the circumstances; what comes
        after is what is asked about."""
        pos = 0
        for pair in _pos_tokenizer().cut(text, HMM=False):
            start = text.find(pair.word, pos)
            pos = start + len(pair.word) if start >= 0 else pos
            if pair.word in self.modal_words:
                return start
        return None

    def procedure_asked(self, text: str) -> str | None:
        """The verb of a how-to question ("工伤认定咋申请" → 申请), or None."""
        m = self._procedure.search(text) if self._procedure else None
        return m.group(1) if m else None

    def unserved_request(self, text: str, clauses: Sequence[str] | None = None, *,
                         defer: bool = False) -> UnservedRequest | None:
        """The kind of request `text` makes that no document serves. A kind with `unless_stated` (where to
        apply: "到指定的社会保险经办机构办理") is served when one of the retrieved `clauses` states it: with
        `defer`, such a kind waits for them; without clauses it is refused as before."""
        for kind, pattern, reason, unless in self.requests:
            if not pattern.search(text):
                continue
            if unless is not None and (defer or (clauses and any(unless.search(c) for c in clauses))):
                continue
            return UnservedRequest(kind, reason)
        return None

    def unknown_nouns(self, text: str, corpus_text: str, known_terms: Iterable[str] = ()) -> list[str]:
        """Nouns of `text` that the documents never use, in order of appearance, without repeats.

        `known_terms` is vocabulary outside the documents' text (synonyms, names, regions): where one
        occurs in the question its characters count as known, however jieba cuts them (快递/小哥)."""
        known_terms = list(known_terms)
        found = self._unknown_nouns(text, corpus_text, known_terms)
        plain = _A_NOT_A.sub(r"\1", text)
        if found and plain != text:
            # an A-not-A question ("包不包括", "算不算") asks about A, and jieba may glue its characters into a
            # noun no document has (里面包不包括 → 面包): a noun counts only if the question read as asking
            # about A has it too (the plain reading only excuses; its own cut adds nothing)
            again = set(self._unknown_nouns(plain, corpus_text, known_terms))
            found = [w for w in found if w in again]
        return found

    def _unknown_nouns(self, text: str, corpus_text: str, known_terms: list[str]) -> list[str]:
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
                or self._verb_compound_known(word, corpus_text)
                or word in self.question_words
                or _ASKING.search(word)
                or word.endswith(self.profile_suffixes)
                or any(word in p for p in profile)
            ):
                continue
            out.append(word)
        return out

    def _verb_compound_known(self, word: str, corpus_text: str) -> bool:
        """A word jieba keeps whole that is a verb of its dictionary plus one character naming what comes of
        it (加班费 = 加班 + 费, 求职者 = 求职 + 者) is about the verb: known when the documents use that verb
        (of two or more characters). A noun that opens with a noun (社保卡) is not read this way.

        A verb plus a thing of its own (签合同 = 签 + 合同, known when 合同 is) was tried too and dropped: a
        held-out refusal of the seed's was then answered (recall 1.000 → 0.889, totals only)."""
        if len(word) < 3:
            return False
        verb = word[:-1]
        return (_pos_tokenizer().word_tag_tab.get(verb) in _VERB_TAGS
                and self.occurs_in_documents(verb, corpus_text))

    def occurs_in_documents(self, word: str, corpus_text: str) -> bool:
        """`word in corpus_text`, from the runs table when the word is a run of 2…8 Chinese characters (a
        lookup instead of a scan of every document's text, per word of every question)."""
        if 2 <= len(word) <= _MAX_GRAM and _ALL_CJK.fullmatch(word):
            return word in self._grams(corpus_text)
        return word in corpus_text

    def sounds_like_the_documents(self, word: str, corpus_text: str) -> bool:
        """Whether the word reads (toneless pinyin) like a run of two to four characters of the documents."""
        if len(word) > _MAX_SOUND:
            return False
        return _sound(word) in self._tables(corpus_text)[1]

    def _grams(self, corpus_text: str) -> RunTable:
        return self._tables(corpus_text)[0]

    def _tables(self, corpus_text: str) -> tuple[RunTable, SoundTable]:
        """The documents' runs and their sounds, for the corpus text of the version being served. While a
        rebuild swaps versions, requests on both may interleave: each table pair is built whole and
        swapped in one assignment, keyed by the text it was built from."""
        caches = self._caches
        for cached in caches:
            if cached[0] is corpus_text:
                return cached[1], cached[2]
        # the sounds of lines the held versions share are taken from them, not read again
        cached = (corpus_text, _ngrams(corpus_text), _sound_grams(corpus_text, [c[2] for c in caches]))
        self._caches = (cached, *caches[:1])  # the version being served and the one before it
        return cached[1], cached[2]

    @staticmethod
    def pos_cut(text: str):
        """(word, part-of-speech flag) pairs of jieba's general dictionary."""
        return ((w.word, w.flag) for w in _pos_tokenizer().cut(text))

    def warm(self, corpus_text: str) -> None:
        """Load jieba's general dictionary and build the tables for a version before it is served (at
        start-up, and by IndexHandle on a switch), not on a citizen's question."""
        _pos_tokenizer()  # once per process
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


_VERB_TAGS = frozenset({"v", "vn"})
_ASKING = re.compile(r"什么|怎么|怎样|哪|多少|多长|多久|几|谁|啥|咋|如何|为何|是否")
_A_NOT_A = re.compile(r"([\u4e00-\u9fff]{1,2})[不没]\1")
_MAX_GRAM = 8


_MAX_SOUND = 4


@functools.lru_cache(maxsize=1 << 16)
def _sound(text: str) -> tuple[str, ...]:
    """Pinyin of a word of a question (toneless, lazy_pinyin of the whole word: polyphones read by context)."""
    from pypinyin import lazy_pinyin

    return tuple(lazy_pinyin(text))


# ------------------------------------------------------------------------------------------------
# The documents' runs and their sounds as compact tables.
#
# Every run of 2…8 Chinese characters of a few hundred documents is some 20 million windows; as a
# Python set of str they took minutes to build and gigabytes to hold, for a membership test. Here a
# window is a 64-bit key and a version's table is the sorted unique array of its keys (membership by
# np.searchsorted), built with array arithmetic over the text's code points.
#
# A character of U+4E00…U+9FFF is a digit of 15 bits (its offset + 1, never 0), so a window of up to
# four characters packs into 60 bits exactly: those keys are the windows themselves, no false match.
# A longer window is its first four characters' packing mixed with the rest's (splitmix64), top bit
# set: a 63-bit hash. A question window that is not in the documents matches one of the table's
# ~10^7 keys by chance with probability ~10^7 / 2^63 ≈ 10^-12, i.e. never in the life of the service.
#
# A sound window (2…4 syllables) packs exactly too: each distinct pinyin string the documents produce
# gets a small id (1…65535) for the process, four ids fill 64 bits. Pinyin is the costly part (pypinyin
# per run); it is kept per line of the corpus text for the versions held, so a rebuilt version re-reads
# only the lines that changed.

_CJK_FIRST, _CJK_LAST = 0x4E00, 0x9FFF
_DIGIT_BITS = 15  # 0x9FFF - 0x4E00 + 1 = 20992 < 2**15
_SOUND_BITS = 16
_EXACT = 4  # windows up to this length are packed exactly
_HASHED = np.uint64(1 << 63)
#: characters per block of the runs table's build: the window arrays of one block are a few tens of MB
_BLOCK = 1 << 20


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a bijection of uint64 that spreads every input bit over the output."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _digits(text: str) -> np.ndarray:
    """Per character: its offset in U+4E00…U+9FFF plus one, or 0 for any other character."""
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
    inside = (codes >= _CJK_FIRST) & (codes <= _CJK_LAST)
    return np.where(inside, codes - np.uint64(_CJK_FIRST - 1), np.uint64(0))


def _run_keys(d: np.ndarray) -> dict[int, np.ndarray]:
    """For n = 2…8: the key of the window of n characters starting at each position (len(d) - n + 1 of
    them), 0 where the window is not all Chinese characters."""
    out: dict[int, np.ndarray] = {}
    valid = d > 0
    packed, ok = d, valid  # n = 1
    tail = None
    for n in range(2, _MAX_GRAM + 1):
        if len(d) < n:
            break
        ok = ok[:-1] & valid[n - 1 :]
        if n <= _EXACT:
            packed = (packed[:-1] << np.uint64(_DIGIT_BITS)) | d[n - 1 :]
            key = packed
        else:
            # characters _EXACT…n-1 of the window, packed exactly; mixed with the first four
            tail = d[_EXACT:] if tail is None else (tail[:-1] << np.uint64(_DIGIT_BITS)) | d[n - 1 :]
            key = _mix(packed[: len(tail)] ^ _mix(tail)) | _HASHED
        out[n] = np.where(ok, key, np.uint64(0))
    return out


def _sound_keys(ids: np.ndarray) -> dict[int, np.ndarray]:
    """For n = 2…4: the packed syllable ids of the window of n syllables at each position, 0 where the
    window crosses a run's end (id 0)."""
    out: dict[int, np.ndarray] = {}
    valid = ids > 0
    packed, ok = ids, valid
    for n in range(2, _MAX_SOUND + 1):
        if len(ids) < n:
            break
        ok = ok[:-1] & valid[n - 1 :]
        packed = (packed[:-1] << np.uint64(_SOUND_BITS)) | ids[n - 1 :]
        out[n] = np.where(ok, packed, np.uint64(0))
    return out


def _unique_keys(parts: Iterable[np.ndarray]) -> np.ndarray:
    """The sorted distinct non-zero keys of the parts. Sort and drop repeats rather than np.unique, which
    in numpy 2.4 takes a hash-based path for integers that is some 40 times slower on 10^7 keys."""
    keys = [k[k != 0] for k in parts]
    if not keys:
        return np.zeros(0, dtype=np.uint64)
    out = np.sort(np.concatenate(keys))
    return out[np.concatenate(([True], out[1:] != out[:-1]))] if len(out) else out


def _member(table: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Which keys are in the sorted table (a key of 0, an invalid window, never is)."""
    if len(table) == 0:
        return np.zeros(len(keys), dtype=bool)
    at = np.minimum(np.searchsorted(table, keys), len(table) - 1)
    return (table[at] == keys) & (keys != 0)


class RunTable:
    """Every run of 2…8 Chinese characters of a text, as sorted 64-bit keys (see above)."""

    def __init__(self, keys: np.ndarray) -> None:
        self.keys = keys
        # one word is looked up many times (each question's words, by several checks): a few numpy calls
        # per lookup cost more than remembering the answer
        self._has = functools.lru_cache(maxsize=65536)(self._lookup)

    def windows(self, text: str) -> dict[int, np.ndarray]:
        """For n = 2…8: whether the window of n characters at each position of `text` is a run of the table."""
        return {n: _member(self.keys, k) for n, k in _run_keys(_digits(text)).items()}

    def __contains__(self, gram: object) -> bool:
        if not isinstance(gram, str) or not 2 <= len(gram) <= _MAX_GRAM:
            return False
        return self._has(gram)

    def _lookup(self, gram: str) -> bool:
        return bool(self.windows(gram)[len(gram)][0])

    def __len__(self) -> int:
        return len(self.keys)


class _Syllables:
    """Process-wide ids of pinyin strings: toneless syllables and the odd character pypinyin keeps as is."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}
        self._lock = threading.Lock()  # a switch builds tables in a thread while requests read ids

    def get(self, syllable: str) -> int:
        return self._ids.get(syllable, 0)

    def add(self, syllable: str) -> int:
        known = self._ids.get(syllable)
        if known is not None:
            return known
        with self._lock:
            got = self._ids.get(syllable)
            if got is None:
                got = len(self._ids) + 1
                if got >= 1 << _SOUND_BITS:  # cannot happen: ~400 syllables plus unread CJK characters
                    raise RuntimeError("more than 65535 distinct pinyin strings")
                self._ids[syllable] = got
            return got


_SYLLABLES = _Syllables()
_SEPARATOR = np.zeros(1, dtype=np.uint16).tobytes()


def _line_sounds(line: str, runs: dict[str, bytes]) -> bytes:
    """Syllable ids (uint16) of a line's runs, each run followed by a 0; a run whose pinyin does not come
    out one syllable per character is left out, as before. `runs` memoises runs within one build (a
    third of the runs of a few hundred documents repeat)."""
    from pypinyin import lazy_pinyin

    out = []
    for run in _CJK_RUN.findall(line):
        ids = runs.get(run)
        if ids is None:
            sounds = lazy_pinyin(run)  # the whole run: polyphones are read by their neighbours
            ok = len(sounds) == len(run)
            ids = runs[run] = np.array([_SYLLABLES.add(s) for s in sounds], dtype=np.uint16).tobytes() if ok else b""
        if ids:
            out.append(ids)
    return _SEPARATOR.join(out) + _SEPARATOR if out else b""


_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")


class SoundTable:
    """The pinyin of every run of 2…4 Chinese characters of a text, as sorted packed syllable ids; `lines`
    keeps each line's ids for the next version's build."""

    def __init__(self, keys: np.ndarray, lines: dict[str, bytes]) -> None:
        self.keys = keys
        self.lines = lines

    def __contains__(self, sounds: object) -> bool:
        if not isinstance(sounds, tuple) or not 2 <= len(sounds) <= _MAX_SOUND:
            return False
        ids = [_SYLLABLES.get(s) for s in sounds]
        if not all(ids):  # a syllable no document produced
            return False
        key = 0
        for i in ids:
            key = (key << _SOUND_BITS) | i
        return bool(_member(self.keys, np.array([key], dtype=np.uint64))[0])

    def __len__(self) -> int:
        return len(self.keys)


def _sound_grams(corpus_text: str, known: Iterable[SoundTable] = ()) -> SoundTable:
    """The pinyin of every run of 2…4 Chinese characters of the documents; lines already read for one of
    the `known` tables are not read again."""
    previous = [t.lines for t in known]
    lines: dict[str, bytes] = {}
    runs: dict[str, bytes] = {}
    for line in corpus_text.split("\n"):  # runs never cross a line (or a document: they are joined by \n)
        if line in lines:
            continue
        got = next((p[line] for p in previous if line in p), None)
        lines[line] = _line_sounds(line, runs) if got is None else got
    ids = np.frombuffer(b"".join(lines.values()), dtype=np.uint16).astype(np.uint64)
    return SoundTable(_unique_keys(_sound_keys(ids).values()), lines)


def _ngrams(corpus_text: str) -> RunTable:
    """Every run of 2…8 Chinese characters the documents contain."""
    d = _digits(corpus_text)
    parts: list[np.ndarray] = []
    start = 0
    while start < len(d):
        # cut blocks at a non-Chinese character, so that no window spans two blocks
        end = min(start + _BLOCK, len(d))
        if end < len(d):
            gaps = np.flatnonzero(d[end:] == 0)
            end = end + int(gaps[0]) + 1 if len(gaps) else len(d)
        parts.append(_unique_keys(_run_keys(d[start:end]).values()))
        start = end
    return RunTable(_unique_keys(parts))


def _covered(text: str, grams: RunTable) -> list[bool]:
    """Per character of `text`: does a run of two or more characters around it occur in the documents?
    (劳务输出 = 劳务 + 输出 is covered; 社保卡 is not: 卡 stands alone; in 专班组长 the 班 of 班组长 is
    covered by 专班.)"""
    found = grams.windows(text)
    covered = [False] * len(text)
    for i in range(len(text) - 1):
        for n in range(min(_MAX_GRAM, len(text) - i), 1, -1):
            if found[n][i]:
                covered[i : i + n] = [True] * n
                break
    return covered
