"""Fusion of BM25 and dense evidence: the convex combination keeps score margins that ranks flatten.

The two retrievers are replaced by fixed rankings (they have their own tests and the end-to-end tests run
them for real); the unit here is `HybridSearch`'s fusion and folding of chunks into clauses.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from assistant.retrieve import HybridSearch
from index.types import Chunk


def _chunk(cid: str) -> Chunk:
    clause = cid.split("~")[0]
    return Chunk(chunk_id=cid, clause_id=clause, doc_id=clause.split("#")[0], header="", text="x", start=0, end=1)


class _Fixed:
    """A retriever that returns fixed (chunk, score) pairs, best first, cut at k."""

    def __init__(self, pairs):
        self.pairs = pairs

    def run(self, *args, **kwargs):
        k = args[1] if len(args) > 1 else kwargs.get("k")
        return self.pairs[:k]


def _search(bm25, dense, **options) -> HybridSearch:
    ids = list(dict.fromkeys([c for c, _ in dense] + [f"d{i}#a{i}" for i in range(40)]))
    chunks = [_chunk(c) for c in ids]
    version = SimpleNamespace(chunks=chunks, clause=lambda cid: None)
    search = HybridSearch(version, tokenizer=None, embedder=None, **options)
    index = {c.chunk_id: i for i, c in enumerate(chunks)}
    search.bm25 = _Fixed([(index[c], s) for c, s in bm25])
    search.dense = _Fixed(dense)
    return search


# a long item holding the question's rare words verbatim: BM25 far ahead, but 25th by cosine behind a crowd of
# short articles; the article "a2" is second in both lists
CROWD = [(f"law#a{i}", 0.82 - i * 0.002) for i in range(1, 25)]
BM25 = [("plan#25", 32.8), ("law#a2", 13.2), ("law#a3", 12.4), ("law#a1", 9.0)]
DENSE = CROWD[:1] + [("law#a2", 0.819)] + CROWD[2:] + [("plan#25", 0.77)] + [(f"law#b{i}", 0.70) for i in range(80)]


def _top(search: HybridSearch) -> str:
    return search.search("q", k=3, tokens=["q"], vector=np.zeros(2))[0].clause_id


def test_a_wide_lexical_margin_survives_the_convex_combination():
    assert _top(_search(BM25, DENSE, fusion="convex")) == "plan#25"


def test_reciprocal_rank_fusion_loses_it():
    assert _top(_search(BM25, DENSE, fusion="rrf", candidate_k=20)) == "law#a2"


def test_agreement_still_wins_when_margins_are_small():
    bm25 = [("law#a2", 10.0), ("plan#25", 9.8), ("law#a1", 9.5)]
    dense = [("law#a2", 0.85), ("law#a1", 0.84)] + [(f"law#b{i}", 0.70) for i in range(98)] + [("plan#25", 0.69)]
    assert _top(_search(bm25, dense, fusion="convex")) == "law#a2"


def test_chunks_fold_into_their_clause_by_the_best_part():
    bm25 = [("plan#3~2", 8.0), ("plan#3", 2.0), ("law#a1", 7.0)]
    dense = [("plan#3", 0.80), ("law#a1", 0.79), ("plan#3~2", 0.60)] + [(f"law#b{i}", 0.5) for i in range(97)]
    hits = _search(bm25, dense, fusion="convex").search("q", k=5, tokens=["q"], vector=np.zeros(2))
    assert [h.clause_id for h in hits].count("plan#3") == 1
    top = hits[0]
    assert top.clause_id == "plan#3" and top.bm25_score == 8.0 and top.dense_score == pytest.approx(0.80)


def test_a_named_measure_breaks_a_tie_but_does_not_outvote_the_evidence():
    bm25 = [("law#a1", 10.0), ("law#a2", 9.9)]
    dense = [("law#a1", 0.85), ("law#a2", 0.849)] + [(f"law#b{i}", 0.70) for i in range(98)]
    near = _search(bm25, dense, fusion="convex").search("q", k=3, tokens=["q"], vector=np.zeros(2),
                                                        named_ids=["law#a2"])
    assert near[0].clause_id == "law#a2"
    far = _search(bm25, dense, fusion="convex").search("q", k=3, tokens=["q"], vector=np.zeros(2),
                                                       named_ids=["law#b5"])
    assert far[0].clause_id == "law#a1"


def test_an_unknown_fusion_is_refused():
    with pytest.raises(ValueError):
        _search(BM25, DENSE, fusion="max")
