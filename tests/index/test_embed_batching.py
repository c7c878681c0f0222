"""Micro-batched query embeddings: the real model, real threads, real timing."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from evals.gold_format import expand_cases, load_gold
from index.embed import Embedder
from index.embed_batch import BatchingEmbedder

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

QUESTIONS = [
    "一次性扩岗补助每人多少钱",
    "小微企业吸纳高校毕业生有什么补贴",
    "失业保险金每个月能领多少",
    "工伤保险待遇怎么申请",
    "社会保险费缓缴到什么时候",
    "职业技能提升补贴的标准是多少",
    "灵活就业人员社保补贴",
    "农民专业合作社能享受哪些政策",
]


class CountingEmbedder:
    """The real embedder, counting the encodes it is asked for and the texts in each (the batcher's
    own statistics are not what these tests trust)."""

    def __init__(self, inner: Embedder, fail_on: str | None = None) -> None:
        self.inner = inner
        self.name, self.dim, self.backend = inner.name, inner.dim, inner.backend
        self.calls: list[int] = []
        self.fail_on = fail_on
        self.hold = threading.Event()  # cleared: encodes wait (to let questions queue behind one)
        self.hold.set()
        self._lock = threading.Lock()

    def encode(self, texts, *, progress=False, batch_size=32):
        with self._lock:
            self.calls.append(len(texts))
        self.hold.wait(timeout=30)
        if self.fail_on and any(self.fail_on in t for t in texts):
            raise RuntimeError(f"cannot encode {self.fail_on}")
        return self.inner.encode(texts, batch_size=batch_size)

    def encode_one(self, text):
        return self.encode([text])[0]


def _concurrently(fn, args: list, *, stagger_s: float = 0.0) -> list:
    """fn(arg) in one thread per arg, all released at once (or `stagger_s` apart); results or exceptions."""
    results: list = [None] * len(args)
    gate = threading.Barrier(len(args))

    def run(i: int) -> None:
        gate.wait()
        if stagger_s:
            time.sleep(i * stagger_s)
        try:
            results[i] = fn(args[i])
        except Exception as exc:  # handed back to the test to inspect
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(args))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a caller hung"
    return results


def _share_a_batch(batcher: BatchingEmbedder, counting: CountingEmbedder) -> None:
    """Make the batcher see concurrency for sure: two questions queue while a third one encodes."""
    counting.hold.clear()
    first = threading.Thread(target=batcher.encode_one, args=(QUESTIONS[6],))
    first.start()
    while not counting.calls:
        time.sleep(0.005)  # the held encode has begun
    others = [threading.Thread(target=batcher.encode_one, args=(q,)) for q in QUESTIONS[:2]]
    for t in others:
        t.start()
    time.sleep(0.1)
    counting.hold.set()
    for t in [first, *others]:
        t.join(timeout=30)
    assert counting.calls[-1] == 2, counting.calls


@pytest.fixture
def counting(embedder) -> CountingEmbedder:
    return CountingEmbedder(embedder)


class TestBatchingEmbedder:
    def test_concurrent_callers_each_get_their_own_vector(self, embedder, counting):
        batcher = BatchingEmbedder(counting, window_ms=20, max_batch=32)
        questions = QUESTIONS * 3  # 24 callers, the same question asked by several at once too
        try:
            got = _concurrently(batcher.encode_one, questions)
        finally:
            batcher.close()
        for q, v in zip(questions, got):
            assert isinstance(v, np.ndarray) and v.shape == (embedder.dim,)
            # padding to a batch's longest question moves only the last bits
            assert float(v @ embedder.encode_one(q)) > 0.99999
            assert np.allclose(v, embedder.encode_one(q), atol=1e-5)
        assert sum(counting.calls) == len(questions)
        assert len(counting.calls) < len(questions) / 2, counting.calls
        assert max(counting.calls) > 1

    def test_questions_released_together_share_one_encode(self, counting):
        batcher = BatchingEmbedder(counting, window_ms=200, max_batch=32)
        try:
            _concurrently(batcher.encode_one, QUESTIONS)
        finally:
            batcher.close()
        # all eight started within microseconds, well inside the window: one or two encodes at most
        assert len(counting.calls) <= 2 and sum(counting.calls) == len(QUESTIONS), counting.calls
        assert batcher.stats.questions == len(QUESTIONS) and batcher.stats.batches == len(counting.calls)

    def test_a_full_batch_does_not_wait_for_the_window(self, counting):
        batcher = BatchingEmbedder(counting, window_ms=5000, max_batch=4)
        try:
            _share_a_batch(batcher, counting)  # the window is on
            before = len(counting.calls)
            t0 = time.monotonic()
            _concurrently(batcher.encode_one, QUESTIONS[:4])
            elapsed = time.monotonic() - t0
        finally:
            batcher.close()
        assert counting.calls[before:] == [4]
        assert elapsed < 2.5, elapsed

    def test_a_lone_question_after_a_shared_batch_waits_the_window_and_no_longer(self, counting):
        batcher = BatchingEmbedder(counting, window_ms=300, max_batch=32)
        try:
            _share_a_batch(batcher, counting)
            t0 = time.monotonic()
            batcher.encode_one(QUESTIONS[5])
            elapsed = time.monotonic() - t0
        finally:
            batcher.close()
        assert 0.3 <= elapsed < 1.3, elapsed
        assert counting.calls[-1] == 1

    def test_sequential_questions_pay_no_window(self, counting):
        batcher = BatchingEmbedder(counting, window_ms=300, max_batch=32)
        try:
            batcher.encode_one(QUESTIONS[0])
            t0 = time.monotonic()
            for q in QUESTIONS[1:4]:
                batcher.encode_one(q)
            elapsed = time.monotonic() - t0
        finally:
            batcher.close()
        assert counting.calls == [1, 1, 1, 1]
        assert elapsed < 0.3 * 3 / 2, elapsed  # three windows would be 0.9 s

    def test_window_closes_after_its_first_question(self, counting):
        # two batches of several switch the window on; then callers 0.25 s apart with a 0.1 s window
        # each arrive after the last batch's window closed
        batcher = BatchingEmbedder(counting, window_ms=100, max_batch=32)
        try:
            _share_a_batch(batcher, counting)
            before = len(counting.calls)
            got = _concurrently(batcher.encode_one, QUESTIONS[:3], stagger_s=0.25)
        finally:
            batcher.close()
        assert all(isinstance(v, np.ndarray) for v in got)
        assert counting.calls[before:] == [1, 1, 1]

    def test_zero_window_batches_what_queued_during_an_encode(self, counting):
        batcher = BatchingEmbedder(counting, window_ms=0, max_batch=32)
        try:
            _concurrently(batcher.encode_one, QUESTIONS * 2)
        finally:
            batcher.close()
        assert sum(counting.calls) == 16 and len(counting.calls) < 16, counting.calls

    def test_a_failing_batch_raises_in_each_of_its_callers_and_the_next_batch_works(self, embedder):
        failing = CountingEmbedder(embedder, fail_on="坏")
        batcher = BatchingEmbedder(failing, window_ms=200, max_batch=32)
        try:
            _share_a_batch(batcher, failing)
            before = len(failing.calls)
            got = _concurrently(batcher.encode_one, ["坏问题", *QUESTIONS[:3]])
            after = batcher.encode_one(QUESTIONS[4])
        finally:
            batcher.close()
        assert failing.calls[before] == 4  # one batch held the bad question and three good ones
        assert all(isinstance(r, RuntimeError) and "坏" in str(r) for r in got), got
        assert np.allclose(after, embedder.encode_one(QUESTIONS[4]), atol=1e-5)

    def test_close_serves_questions_in_flight_and_later_ones_unbatched(self, embedder, counting):
        batcher = BatchingEmbedder(counting, window_ms=300, max_batch=32)
        results: list = []
        callers = [threading.Thread(target=lambda q=q: results.append(batcher.encode_one(q))) for q in QUESTIONS[:3]]
        for t in callers:
            t.start()
        time.sleep(0.05)  # queued, the window still open
        t0 = time.monotonic()
        batcher.close()
        for t in callers:
            t.join(timeout=10)
        assert time.monotonic() - t0 < 5 and not batcher._thread.is_alive()
        assert len(results) == 3
        late = batcher.encode_one(QUESTIONS[5])
        assert np.allclose(late, embedder.encode_one(QUESTIONS[5]), atol=1e-5)
        assert counting.calls[-1] == 1  # the direct encode after close

    def test_batched_vectors_keep_the_dense_ranking_of_every_gold_question(self, assistant, embedder):
        items, _ = load_gold(REPO / "evals" / "gold" / "gold.jsonl")
        questions = [c.question for c in expand_cases(items)]
        dense = assistant.handle.snapshot().search.dense
        alone = np.stack([embedder.encode_one(q) for q in questions])
        # as micro-batches form: in arrival order, 32 at a time, each padded to its longest question
        batched = np.concatenate([embedder.encode(questions[i : i + 32], batch_size=32)
                                  for i in range(0, len(questions), 32)])
        assert float(np.min(np.sum(alone * batched, axis=1))) > 0.99999
        changed = [q for q, a, b in zip(questions, alone, batched)
                   if [c for c, _ in dense.run(a, 20)] != [c for c, _ in dense.run(b, 20)]]
        assert changed == []


class TestSwitch:
    def test_on_wraps_the_assistants_embedder_and_close_stops_it(self, settings, embedder):
        from assistant.pipeline import Assistant

        on = Assistant.open(settings.model_copy(update={"embed_batching": True, "embed_batch_window_ms": 1}),
                            embedder)
        try:
            assert isinstance(on.embedder, BatchingEmbedder) and on.embedder.inner is embedder
            answers = _concurrently(lambda q: on.ask(q).retrieved, QUESTIONS[:4])
            assert on.embedder.stats.questions >= 4
        finally:
            on.close()
        assert not on.embedder._thread.is_alive()
        off = Assistant.open(settings.model_copy(update={"embed_batching": False}), embedder)
        assert off.embedder is embedder
        assert [off.ask(q).retrieved for q in QUESTIONS[:4]] == answers

    def test_answer_threads_are_one_per_core_unless_set(self, settings):
        import os

        cores = os.cpu_count() or 1
        for batching in (True, False):
            assert settings.model_copy(update={"embed_batching": batching, "answer_workers": 0}).answer_threads() == cores
        assert settings.model_copy(update={"embed_batching": True, "answer_workers": 3}).answer_threads() == 3
