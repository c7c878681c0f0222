"""Micro-batching of query embeddings: concurrent `encode_one` calls share one encode.

A model encodes 32 questions in one call about twice as fast per question as one at a time, but
each request embeds a single question. `BatchingEmbedder` puts each call on a queue; one dispatcher
thread takes the first waiting question, collects more for at most `window_ms` after it arrived (or
until `max_batch`), encodes them together and hands each caller its own row. Questions that arrive
while a batch encodes wait for the next one, so under load batches grow by themselves.

The window is only waited while questions come together: after a batch of one (sequential use — the
CLI, an eval, a quiet server) the next question is encoded at once with whatever is already queued,
so a lone question pays no window; once a batch held two or more, the next batches wait for company
again. Concurrency that starts from quiet loses at most one batch to this.

Callers wait on a future without holding the interpreter lock. A batch that fails raises its error
in every caller of that batch; a caller never waits on a dispatcher that has died (it checks, and
raises). After `close()` calls encode directly, unbatched, so requests in flight at shutdown still
get their vectors and nothing waits on the stopped thread.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future, TimeoutError as FutureTimeout
from dataclasses import dataclass, field

import numpy as np

from index.embed import Embedder
from index.errors import PolicyQAError

__all__ = ["BatchingEmbedder", "BatchStats"]

log = logging.getLogger(__name__)

# how often a waiting caller checks that the dispatcher is still alive (a dead one would strand it)
_LIVENESS_CHECK_S = 1.0
_STOP = object()


@dataclass
class BatchStats:
    """What the dispatcher did: encodes run, questions encoded, and how many batches had each size."""

    batches: int = 0
    questions: int = 0
    sizes: dict[int, int] = field(default_factory=dict)

    @property
    def mean_size(self) -> float:
        return self.questions / self.batches if self.batches else 0.0


@dataclass
class _Request:
    text: str
    arrived: float
    future: Future = field(default_factory=Future)


class BatchingEmbedder:
    """An `Embedder` whose single-question encodes, from any number of threads, are batched.

    `encode` (many texts at once: index builds, uploads) goes straight to the wrapped embedder.
    """

    def __init__(self, inner: Embedder, *, window_ms: float = 2.0, max_batch: int = 32) -> None:
        if window_ms < 0 or max_batch < 1:
            raise ValueError("window_ms must be ≥ 0 and max_batch ≥ 1")
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.backend = inner.backend
        self.window_s = window_ms / 1000.0
        self.max_batch = max_batch
        self.stats = BatchStats()
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._dispatch, name="embed-batcher", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------ the Embedder interface
    def encode(self, texts: list[str], *, progress: bool = False, batch_size: int = 32) -> np.ndarray:
        return self.inner.encode(texts, progress=progress, batch_size=batch_size)

    def encode_one(self, text: str) -> np.ndarray:
        with self._lock:  # a put after close's stop marker would never be served
            if self._closed:
                request = None
            else:
                request = _Request(text, time.monotonic())
                self._queue.put(request)
        if request is None:
            return self.inner.encode_one(text)
        while True:
            try:
                return request.future.result(timeout=_LIVENESS_CHECK_S)
            except FutureTimeout:
                if not self._thread.is_alive() and not request.future.done():
                    raise PolicyQAError("向量批处理线程已停止", code="embed_batcher_stopped") from None

    def close(self, timeout: float = 5.0) -> None:
        """Stop the dispatcher after the questions already queued; later calls encode unbatched."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
        self._thread.join(timeout)
        if self.stats.batches:
            log.info("embedded %d questions in %d batches (mean %.2f)", self.stats.questions, self.stats.batches,
                     self.stats.mean_size)

    # ------------------------------------------------------------ the dispatcher thread
    def _dispatch(self) -> None:
        stopping = False
        last_size = 0
        while not stopping:
            first = self._queue.get()
            if first is _STOP:
                break
            batch = [first]
            deadline = first.arrived + (self.window_s if last_size > 1 else 0.0)
            while len(batch) < self.max_batch:
                # questions queued during the last encode are taken at once; the window only waits
                # for ones still to come, and never past `window_s` after the first one arrived
                remaining = deadline - time.monotonic()
                try:
                    item = self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stopping = True
                    break
                batch.append(item)
            self._encode(batch)
            last_size = len(batch)

    def _encode(self, batch: list[_Request]) -> None:
        try:
            vectors = self.inner.encode([r.text for r in batch], batch_size=len(batch))
        except BaseException as exc:  # each caller gets the failure; the dispatcher serves the next batch
            for r in batch:
                r.future.set_exception(exc)
            return
        self.stats.batches += 1
        self.stats.questions += len(batch)
        self.stats.sizes[len(batch)] = self.stats.sizes.get(len(batch), 0) + 1
        for r, v in zip(batch, vectors):
            r.future.set_result(v)
