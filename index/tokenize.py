"""jieba tokenisation with the corpus's policy dictionary, shared by the index and the query side."""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from pathlib import Path

import jieba

__all__ = ["PolicyTokenizer", "general_dictionary", "load_terms", "occurrences"]

log = logging.getLogger(__name__)
jieba.setLogLevel(logging.WARNING)

_WORD_RE = re.compile(r"[\w%％]+", re.UNICODE)
_CJK_RUN_RE = re.compile(r"[\u4e00-\u9fff]{2,}")


def occurrences(word: str, text: str) -> list[tuple[int, int]]:
    """(start, end) of each non-overlapping occurrence of the literal `word` in `text`, left to right
    (str.find: no pattern compiled per word, which on a per-question path overflowed re's cache)."""
    spans, at = [], text.find(word) if word else -1
    while at >= 0:
        spans.append((at, at + len(word)))
        at = text.find(word, at + len(word))
    return spans


def load_terms(corpus_dir: Path) -> list[str]:
    """Policy terms from corpus/dictionary.txt plus every term of corpus/synonyms.yaml."""
    import yaml

    terms: list[str] = []
    dict_path = corpus_dir / "dictionary.txt"
    if dict_path.exists():
        for line in dict_path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                terms.append(line.split()[0])
    syn_path = corpus_dir / "synonyms.yaml"
    if syn_path.exists():
        data = yaml.safe_load(syn_path.read_text(encoding="utf-8")) or {}
        for group in data.get("synonyms", []):
            terms.append(group["canonical"])
            terms.extend(group.get("variants", []))
        for wrong, right in (data.get("typos") or {}).items():
            terms.extend([wrong, right])
    return terms


_ENUM_RE = re.compile(r"[\u4e00-\u9fff]{2,12}(?:、[\u4e00-\u9fff]{2,12})+")
_QUOTED_RE = re.compile(r"[“《]([\u4e00-\u9fff]{2,16})[”》]")


def document_terms(text: str) -> list[str]:
    """Noun phrases a document marks itself: quoted names (“一县一品牌”) and the middle members of
    enumerations (农村集体经济组织、农民专业合作社、涉农企业), so that jieba keeps them whole."""
    terms = [m.group(1) for m in _QUOTED_RE.finditer(text)]
    for m in _ENUM_RE.finditer(text):
        items = m.group(0).split("、")
        # the first and last members run into the words around the list; the middle ones are clean
        terms += [t for t in items[1:-1] if 2 <= len(t) <= 10]
        last = re.split(r"[等的和及与]", items[-1])[0]
        if 3 <= len(last) <= 8:
            terms.append(last)
    # a member that swallowed a function word ("厅长陈振亮为组长") is a clause fragment, not a term
    return [t for t in terms if not re.search(r"[为和在中每最]", t)]


@functools.lru_cache(maxsize=1)
def general_dictionary() -> tuple[dict[str, int], int]:
    base = jieba.Tokenizer()
    base.initialize()
    return base.FREQ, base.total


class PolicyTokenizer:
    """Search-mode jieba cut (whole terms plus their parts), stopwords removed, NFKC-normalised."""

    def __init__(self, terms: list[str] | None = None, stopwords: set[str] | None = None) -> None:
        self._jieba = jieba.Tokenizer()
        # a copy of the general dictionary read once per process (marshal.load is ~1 s; every index
        # version opened by a server needs its own tokenizer with its own added terms)
        freq, total = general_dictionary()
        self._jieba.FREQ, self._jieba.total, self._jieba.initialized = dict(freq), total, True
        for term in terms or []:
            # a high frequency makes jieba keep the whole policy term as one token
            self._jieba.add_word(term, freq=200000)
        self.stopwords = stopwords or set()
        # one question's answer cuts the same texts many times (its clauses' sentences, by several stages),
        # and the clauses quoted recur across questions: the cut of a recent text is kept
        self._words = functools.lru_cache(maxsize=8192)(self._cut_words)

    @classmethod
    def from_corpus(cls, corpus_dir: Path) -> PolicyTokenizer:
        stop_path = corpus_dir / "stopwords.txt"
        stopwords = set()
        if stop_path.exists():
            stopwords = {
                ln.strip() for ln in stop_path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")
            }
        return cls(load_terms(corpus_dir), stopwords)

    @classmethod
    def for_documents(cls, corpus_dir: Path, docs) -> PolicyTokenizer:
        """The corpus dictionary plus every person and unit name the parsed documents record."""
        tok = cls.from_corpus(corpus_dir)
        for doc in docs.values():
            for clause in doc.clauses.values():
                for name in [*clause.leaders, *clause.units, str(clause.extra.get("name", ""))]:
                    if len(name) >= 2:
                        tok._jieba.add_word(name, freq=200000)
                for term in document_terms(clause.text):
                    tok._jieba.add_word(term, freq=100000)
        return tok

    def words(self, text: str, *, hmm: bool = True) -> list[str]:
        """jieba search-mode words without stopwords and punctuation; `hmm=False` keeps to the dictionaries'
        words (jieba's and the corpus's), so a character pair jieba's HMM guesses into a word (能休, 天是) is not one."""
        return list(self._words(text, hmm))

    def _cut_words(self, text: str, hmm: bool) -> tuple[str, ...]:
        text = unicodedata.normalize("NFKC", text).lower()
        out = []
        for tok in self._jieba.cut_for_search(text, HMM=hmm):
            tok = tok.strip()
            if not tok or tok in self.stopwords or not _WORD_RE.fullmatch(tok):
                continue
            out.append(tok)
        return tuple(out)

    def cut(self, text: str) -> list[str]:
        """jieba's plain cut with the corpus's dictionary, every word kept (stopwords and modal words too:
        "要 / 不要 / 交" tells a duty question that search-mode words without stopwords do not)."""
        return [w for w in self._jieba.lcut(unicodedata.normalize("NFKC", text), HMM=False) if w.strip()]

    def tokens(self, text: str) -> list[str]:
        """Words plus character bigrams of every Chinese run.

        Bigrams let a colloquial or misspelt compound ("留工补助", "稳岗反还") still meet the
        document's wording ("一次性留工培训补助", "稳岗返还") on its shared parts, where whole
        jieba words would not match at all.
        """
        words = self.words(text)
        text = unicodedata.normalize("NFKC", text).lower()
        grams = []
        for run in _CJK_RUN_RE.findall(text):
            grams.extend("#" + run[i : i + 2] for i in range(len(run) - 1) if run[i : i + 2] not in self.stopwords)
        return words + grams
