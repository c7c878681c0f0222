"""The scope check's compact tables answer exactly as the sets of strings and pinyin tuples they replace.

The reference definitions below are the set-based ones the tables replaced (assistant/scope.py before the
tables were packed into numpy keys); they are compared on the real documents of corpus/.
"""

from __future__ import annotations

import json
import random
import re

import numpy as np
import pytest
from pypinyin import lazy_pinyin

from tests.conftest import REPO

from assistant.scope import RunTable, ScopeRules, SoundTable, _covered, _ngrams, _sound, _sound_grams
from index.parse import load_corpus
from index.store import IndexVersion

_RUN = re.compile(r"[\u4e00-\u9fff]+")


def reference_ngrams(corpus_text: str) -> frozenset[str]:
    grams: set[str] = set()
    for run in _RUN.findall(corpus_text):
        for i in range(len(run) - 1):
            grams.update(run[i : i + n] for n in range(2, min(8, len(run) - i) + 1))
    return frozenset(grams)


def reference_sound_grams(corpus_text: str) -> frozenset[tuple[str, ...]]:
    out: set[tuple[str, ...]] = set()
    for run in _RUN.findall(corpus_text):
        sounds = tuple(lazy_pinyin(run))
        if len(sounds) != len(run):
            continue
        for i in range(len(run) - 1):
            out.update(tuple(sounds[i : i + n]) for n in range(2, min(4, len(run) - i) + 1))
    return frozenset(out)


def reference_covered(text: str, grams: frozenset[str]) -> list[bool]:
    covered = [False] * len(text)
    for i in range(len(text) - 1):
        for n in range(min(8, len(text) - i), 1, -1):
            if text[i : i + n] in grams:
                covered[i : i + n] = [True] * n
                break
    return covered


@pytest.fixture(scope="module")
def corpus_text() -> str:
    """The text the served version passes to the scope check (IndexVersion.corpus_text)."""
    docs = load_corpus(REPO / "corpus")
    return IndexVersion(None, docs, [], None, None).corpus_text  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def old_grams(corpus_text) -> frozenset[str]:
    return reference_ngrams(corpus_text)


@pytest.fixture(scope="module")
def new_grams(corpus_text) -> RunTable:
    return _ngrams(corpus_text)


@pytest.fixture(scope="module")
def old_sounds(corpus_text) -> frozenset[tuple[str, ...]]:
    return reference_sound_grams(corpus_text)


@pytest.fixture(scope="module")
def new_sounds(corpus_text) -> SoundTable:
    return _sound_grams(corpus_text)


@pytest.fixture(scope="module")
def questions() -> list[str]:
    """Questions of the studied gold sets (not the held-out ones) and of the scope tests."""
    out = []
    for name in ("smoke.jsonl", "scope.jsonl"):
        for line in (REPO / "evals/gold" / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                out += [item.get("question") or ""] + [t.get("question", "") for t in item.get("turns") or []]
    return [q for q in out if q]


def _near_misses(grams: list[str], present, rng: random.Random, count: int) -> list[str]:
    """Grams of the documents with one character changed to another Chinese character, absent from `present`."""
    out = []
    while len(out) < count:
        g = rng.choice(grams)
        i = rng.randrange(len(g))
        g = g[:i] + chr(rng.randrange(0x4E00, 0xA000)) + g[i + 1 :]
        if g not in present:
            out.append(g)
    return out


class TestRunTable:
    def test_run_table_holds_exactly_as_many_runs_as_the_set(self, old_grams, new_grams):
        # windows up to four characters are packed exactly and longer ones hashed: equal counts mean no
        # two runs of the documents share a key
        assert len(new_grams) == len(old_grams) > 100_000

    def test_run_table_finds_every_run_of_a_sample(self, old_grams, new_grams):
        sample = random.Random(7).sample(sorted(old_grams), 5000)
        assert all(g in new_grams for g in sample)
        for n in range(2, 9):  # every length, including the hashed ones
            assert any(len(g) == n for g in sample)

    def test_run_table_refuses_runs_the_documents_lack(self, old_grams, new_grams):
        rng = random.Random(11)
        misses = _near_misses(sorted(old_grams), old_grams, rng, 5000)
        assert not any(g in new_grams for g in misses)
        # non-Chinese characters, one character, more than eight: never runs of the table
        assert "社保" in new_grams
        assert not any(g in new_grams for g in ["社保1", "a社保", "社", "", "社保 ", "社\u3007保"])
        long = next(g for g in old_grams if len(g) == 8)
        assert long in new_grams and long + long[0] not in new_grams

    def test_coverage_of_questions_is_the_same_as_with_the_set(self, old_grams, new_grams, questions):
        assert len(questions) > 100
        for q in questions:
            assert _covered(q, new_grams) == reference_covered(q, old_grams), q

    def test_coverage_of_document_text_with_changed_characters_is_the_same(self, corpus_text, old_grams, new_grams):
        rng = random.Random(3)
        for _ in range(300):
            s = rng.randrange(len(corpus_text) - 40)
            text = list(corpus_text[s : s + 40])
            for _ in range(3):
                text[rng.randrange(40)] = chr(rng.randrange(0x4E00, 0xA000))
            text = "".join(text)
            assert _covered(text, new_grams) == reference_covered(text, old_grams), text

    def test_odd_characters_in_a_question_do_not_break_the_table(self, new_grams):
        assert _covered("社保\ud800卡😀社保", new_grams) == [True, True, False, False, False, True, True]
        assert _covered("", new_grams) == [] and _covered("社", new_grams) == [False]

    def test_blocks_of_a_long_text_give_the_table_of_the_whole(self, corpus_text, monkeypatch):
        import assistant.scope as scope

        whole = _ngrams(corpus_text).keys
        monkeypatch.setattr(scope, "_BLOCK", 997)  # many blocks, cut at non-Chinese characters
        assert np.array_equal(_ngrams(corpus_text).keys, whole)


class TestSoundTable:
    def test_sound_table_holds_exactly_the_sounds_of_the_set(self, old_sounds, new_sounds):
        assert len(new_sounds) == len(old_sounds) > 10_000
        sample = random.Random(5).sample(sorted(old_sounds), 5000)
        assert all(t in new_sounds for t in sample)

    def test_sound_table_refuses_sounds_the_documents_lack(self, old_sounds, new_sounds):
        syllables = sorted({s for t in old_sounds for s in t})
        pool = sorted(old_sounds)
        rng = random.Random(13)
        misses = []
        while len(misses) < 5000:
            t = list(rng.choice(pool))
            t[rng.randrange(len(t))] = rng.choice(syllables)
            if tuple(t) not in old_sounds:
                misses.append(tuple(t))
        assert not any(t in new_sounds for t in misses)
        assert ("zhuan",) not in new_sounds and ("zhuan", "ban", "zu", "zhang", "a") not in new_sounds
        assert ("zhuan", "nosuchsyllable") not in new_sounds

    def test_a_word_sounds_like_the_documents_as_with_the_set(self, corpus_text, old_sounds, questions):
        scope = ScopeRules.load(REPO / "corpus")
        words = {w for q in questions for w, _ in scope.pos_cut(q) if _RUN.fullmatch(w)}
        words |= {"专版", "稳岗反还", "社保卡", "工伤认定"}
        assert len(words) > 200
        for w in words:
            expected = len(w) <= 4 and _sound(w) in old_sounds
            assert scope.sounds_like_the_documents(w, corpus_text) == expected, w
        assert scope.sounds_like_the_documents("专版", corpus_text)  # 专班 in the seed document

    def test_a_version_with_one_more_document_reads_only_its_new_lines(self, corpus_text, new_sounds, monkeypatch):
        import assistant.scope as scope

        added = "第一条 为了规范稳岗返还资金管理，制定本办法。\n第二条 重量级的行长说了算。"
        read: list[str] = []
        real = scope._line_sounds
        monkeypatch.setattr(scope, "_line_sounds", lambda line, runs: read.append(line) or real(line, runs))
        rebuilt = _sound_grams(corpus_text + "\n" + added, [new_sounds])
        assert read == added.split("\n")
        fresh = SoundTable(_sound_grams(corpus_text + "\n" + added).keys, {})
        assert np.array_equal(rebuilt.keys, fresh.keys)
        assert tuple(lazy_pinyin("重量级的行长")[-2:]) in rebuilt


class TestScopeRulesCache:
    def test_requests_on_the_old_and_the_new_version_keep_their_own_tables(self, corpus_text):
        scope = ScopeRules.load(REPO / "corpus")
        old_text = "".join([corpus_text])  # a distinct string object with the same text
        new_text = corpus_text + "\n社保卡激活办法"
        scope.warm(old_text)
        scope.warm(new_text)
        assert "社保卡" in scope._grams(new_text) and "社保卡" not in scope._grams(old_text)
        assert scope.unknown_nouns("社保卡怎么激活", old_text) == ["社保卡"]
        assert scope.unknown_nouns("社保卡怎么激活", new_text) == []
        # only two versions are held: a third drops the oldest, whose tables are rebuilt if asked for
        third = corpus_text + "\n"
        scope.warm(third)
        assert [c[0] is t for c, t in zip(scope._caches, (third, new_text))] == [True, True]
        assert scope.unknown_nouns("社保卡怎么激活", old_text) == ["社保卡"]


def test_occurs_in_documents_is_substring_search(corpus_text):
    """The pipeline's "does the word occur in the documents" check reads the runs table for Chinese runs and
    falls back to a scan for anything else; both must say what `word in corpus_text` says."""
    scope = ScopeRules.load(REPO / "corpus")
    rng = random.Random(7)
    runs = re.findall(r"[\u4e00-\u9fff]{2,}", corpus_text)
    present = [r[i : i + n] for r in rng.sample(runs, 300) for n in (2, 4, 8) for i in [0] if len(r) >= n]
    absent = [w[:-1] + "鑫" for w in present if w[:-1] + "鑫" not in corpus_text]
    others = ["2022年", "12333", "第十六条", "社保卡", "一二三四五六七八九"]  # digits, a 9-character run
    for word in [*present, *absent, *others]:
        assert scope.occurs_in_documents(word, corpus_text) == (word in corpus_text), word
