"""Hybrid retrieval: jieba BM25 and dense (m3e-small, exact over the Chroma store's vectors) as separate units, fused by RRF.

`BM25Search` and `DenseSearch` each rank chunks; `fuse_rrf` merges their rankings; `HybridSearch`
runs both over one index version and folds chunks into clauses. `HybridRetriever` exposes the same
as a LangChain `BaseRetriever` for agents and chains.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from index.embed import Embedder
from index.store import IndexVersion
from index.tokenize import PolicyTokenizer

__all__ = ["SearchFilters", "ClauseHit", "BM25Search", "DenseSearch", "fuse_rrf", "HybridSearch", "HybridRetriever"]


@dataclass(frozen=True)
class SearchFilters:
    doc_id: str | None = None
    doc_ids: tuple[str, ...] = ()  # the documents a question names (any of them)
    unit: str | None = None
    leader: str | None = None
    section: str | None = None  # "s1" or a section title fragment

    def active(self) -> bool:
        return any((self.doc_id, self.doc_ids, self.unit, self.leader, self.section))

    def documents_only(self) -> bool:
        """Only documents are filtered (the question's or the served region's): the fast path."""
        return bool(self.doc_ids) and not any((self.doc_id, self.unit, self.leader, self.section))

    def allows(self, meta: dict) -> bool:
        if self.doc_id and meta.get("doc_id") != self.doc_id:
            return False
        if self.doc_ids and meta.get("doc_id") not in self.doc_ids:
            return False
        if self.unit and self.unit not in str(meta.get("units", "")):
            return False
        if self.leader and self.leader not in str(meta.get("leaders", "")):
            return False
        if self.section and self.section not in (meta.get("section"), ) and self.section not in str(
            meta.get("section_title", "")
        ):
            return False
        return True


@dataclass
class ClauseHit:
    clause_id: str
    score: float
    bm25_rank: int | None = None
    dense_rank: int | None = None
    bm25_score: float = 0.0
    dense_score: float = 0.0
    chunk_ids: list[str] = field(default_factory=list)


def fuse_rrf(rankings: list[list[str]], k: int = 60, weights: list[float] | None = None) -> dict[str, float]:
    """Reciprocal-rank fusion: score(d) = Σ w_i / (k + rank_i(d)), ranks from 1.

    RRF needs no score calibration between BM25 (unbounded) and cosine (−1…1); k = 60 (Cormack et al.)
    keeps the first few ranks of either list from swamping the other.
    """
    weights = weights or [1.0] * len(rankings)
    fused: dict[str, float] = {}
    for ranking, w in zip(rankings, weights):
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + w / (k + rank)
    return fused


class BM25Search:
    """Ranks an index version's chunks by BM25 over jieba tokens."""

    def __init__(self, version: IndexVersion, tokenizer: PolicyTokenizer) -> None:
        self.version = version
        self.tokenizer = tokenizer

    def run(self, tokens: list[str], k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        if not tokens:
            return []
        scores = self.version.bm25.get_scores(tokens)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        order = np.argsort(-scores)[:k]
        return [(int(i), float(scores[i])) for i in order if scores[i] > 0]

    def share_of_chunks(self, token: str) -> float:
        """The share of the version's chunks that hold `token` (0 when the index never saw it)."""
        model = self.version.bm25
        tid = model.vocab_dict.get(token)
        if tid is None:
            return 0.0
        indptr = model.scores["indptr"]
        return int(indptr[tid + 1] - indptr[tid]) / max(int(model.scores["num_docs"]), 1)


class DenseSearch:
    """Ranks chunks by cosine similarity of m3e embeddings.

    Exact search over the version's in-process copy of its vectors (`IndexVersion.vectors`): a
    restriction to documents is a row mask, so its cost does not grow with the number of documents
    named, as a Chroma `$in` filter over hundreds of ids did. Exact also means no neighbour lost to the
    approximate HNSW graph. Without that copy, the Chroma collection answers."""

    def __init__(self, version: IndexVersion) -> None:
        self.version = version

    def run(self, vector: np.ndarray, k: int, mask: np.ndarray | None = None) -> list[tuple[str, float]]:
        vectors = self.version.vectors
        if vectors is None:
            return self._run_chroma(vector, k, mask)
        norm = float(np.linalg.norm(vector))
        query = np.asarray(vector, dtype=np.float32) / (norm or 1.0)
        if mask is None:
            rows = None
            scores = vectors @ query
        else:
            rows = np.flatnonzero(mask)
            if not len(rows):
                return []
            # a few documents: multiply their rows only; most of them: the whole matrix is cheaper than a copy
            scores = vectors[rows] @ query if len(rows) * 2 < len(vectors) else (vectors @ query)[rows]
        n = min(k, len(scores))
        top = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
        top = top[np.lexsort((top, -scores[top]))]  # best first; equal scores in index order
        chunks = self.version.chunks
        return [(chunks[int(rows[i] if rows is not None else i)].chunk_id, float(scores[i])) for i in top]

    def _run_chroma(self, vector: np.ndarray, k: int, mask: np.ndarray | None) -> list[tuple[str, float]]:
        kwargs = {}
        if mask is not None:
            allowed = sorted({c.clause_id for c, ok in zip(self.version.chunks, mask) if ok})
            if not allowed:
                return []
            kwargs["where"] = {"clause_id": {"$in": allowed}}
        n = min(k, len(self.version.chunks))
        res = self.version.collection.query(
            query_embeddings=[vector.tolist()], n_results=n, include=["distances"], **kwargs
        )
        # the collection uses cosine space: distance = 1 − cosine
        return [(cid, 1.0 - float(d)) for cid, d in zip(res["ids"][0], res["distances"][0])]


def _clause_hits(fused: dict[str, float], bm25: dict[str, float], cosine: dict[str, float]) -> list[ClauseHit]:
    """One hit per fused clause with each retriever's evidence; `bm25` and `cosine` hold each clause's best
    chunk score in that retriever's order (best first), so a clause's rank is its position there."""
    bm25_rank = {cid: r for r, cid in enumerate(bm25, start=1)}
    dense_rank = {cid: r for r, cid in enumerate(cosine, start=1)}
    return [
        ClauseHit(
            clause_id=cid,
            score=score,
            bm25_rank=bm25_rank.get(cid),
            dense_rank=dense_rank.get(cid),
            bm25_score=bm25.get(cid, 0.0),
            dense_score=cosine.get(cid, 0.0),
        )
        for cid, score in fused.items()
    ]


class HybridSearch:
    """BM25 ∪ dense over one index version, fused by RRF and folded from chunks to clauses."""

    def __init__(self, version: IndexVersion, tokenizer: PolicyTokenizer, embedder: Embedder, *, rrf_k: int = 60,
                 candidate_k: int = 20, named_weight: float = 0.5, bm25_margin_weight: float = 0.0,
                 fusion: str = "rrf", fusion_alpha: float = 0.6, fusion_depth: int = 100) -> None:
        self.version = version
        self.bm25 = BM25Search(version, tokenizer)
        self.dense = DenseSearch(version)
        self.embedder = embedder
        self.tokenizer = tokenizer
        self._last_vector: tuple[str, np.ndarray] | None = None
        self.rrf_k = rrf_k
        self.candidate_k = candidate_k
        # a rule alias is exact but one name can fit several clauses: it breaks ties, it does not outvote
        self.named_weight = named_weight
        self.bm25_margin_weight = bm25_margin_weight
        if fusion not in ("rrf", "convex"):
            raise ValueError(f"unknown fusion {fusion!r}")
        self.fusion = fusion
        self.fusion_alpha = fusion_alpha
        self.fusion_depth = fusion_depth

    def search(
        self,
        text: str,
        *,
        k: int = 5,
        filters: SearchFilters | None = None,
        tokens: list[str] | None = None,
        vector: np.ndarray | None = None,
        kind_weights: dict[str, float] | None = None,
        context_ids: list[str] | None = None,
        named_ids: list[str] | None = None,
    ) -> list[ClauseHit]:
        """Top-k clauses for `text`; `kind_weights` scales the fused score of clause kinds.

        The task ledger (附件2) restates the body's measures in shorter words, so on equal evidence
        a question about a measure should land on the body clause: callers pass a weight < 1 for
        ledger rows unless the question is about the ledger itself.
        """
        chunks = self.version.chunks
        mask = None
        if filters and filters.active():
            if filters.documents_only():
                mask = self.version.document_mask(filters.doc_ids)  # cached per document set
            else:  # a staff search by unit, leader or section
                mask = np.array([filters.allows(c.metadata) for c in chunks], dtype=bool)
        tokens = tokens if tokens is not None else self.tokenizer.tokens(text)
        if vector is None:
            # one question may be searched twice (the scope check's look at its best clauses, then the answer's
            # search): the last text's vector is kept, one tuple swapped whole so threads never see a mixed pair
            last = self._last_vector
            vector = last[1] if last is not None and last[0] == text else self.embedder.encode_one(text)
            self._last_vector = (text, vector)
        extras = [(ids, w) for ids, w in ((context_ids, 1.0), (named_ids, self.named_weight)) if ids]
        if self.fusion == "convex":
            hits = self._convex(tokens, vector, mask, extras)
        else:
            hits = self._rrf(tokens, vector, mask, extras)
        if kind_weights:
            for h in hits:
                clause = self.version.clause(h.clause_id)
                if clause is not None:
                    h.score *= kind_weights.get(clause.kind, 1.0)
        hits.sort(key=lambda h: (-h.score, -h.bm25_score))
        return hits[:k]

    def _convex(self, tokens: list[str], vector: np.ndarray, mask: np.ndarray | None,
                extras: list[tuple[list[str], float]]) -> list[ClauseHit]:
        """Convex combination of normalised scores (Bruch et al., "An Analysis of Fusion Functions for
        Hybrid Retrieval", 2023): α · BM25/max BM25 + (1 − α) · the cosine min-max scaled over the dense
        top `fusion_depth`, per clause (its best chunk).

        Ranks alone (RRF) flatten margins: with many documents a long work-plan item that holds the
        question's rare words verbatim (BM25 twice the next clause) but sits 25th by cosine, behind a
        crowd of short law articles, lost to an article second in both lists. Scores keep the margin.
        """
        chunks = self.version.chunks
        depth = self.fusion_depth
        bm25: dict[str, float] = {}
        for i, sc in self.bm25.run(tokens, depth, mask):
            bm25.setdefault(chunks[i].clause_id, sc)
        cosine: dict[str, float] = {}
        dense = self.dense.run(vector, depth, mask)
        for cid, sc in dense:
            cosine.setdefault(cid.split("~")[0], sc)
        top_b = max(bm25.values(), default=0.0)
        hi = max(cosine.values(), default=0.0)
        # the depth-th cosine is the floor: a clause below the dense top-depth adds nothing from that side
        lo = min((sc for _, sc in dense), default=0.0)
        span = hi - lo
        alpha = self.fusion_alpha
        fused: dict[str, float] = {}
        for cid in dict.fromkeys([*bm25, *cosine]):
            nb = bm25.get(cid, 0.0) / top_b if top_b > 0 else 0.0
            nd = max(cosine[cid] - lo, 0.0) / span if cid in cosine and span > 0 else (1.0 if cid in cosine else 0.0)
            fused[cid] = alpha * nb + (1 - alpha) * nd
        # a follow-up's previous clauses and the measures the question names by rule title: ranked lists on
        # the scale of one retriever (its first rank is worth what a retriever's best score is worth, ½)
        for ids, weight in extras:
            for rank, cid in enumerate(ids, start=1):
                fused[cid] = fused.get(cid, 0.0) + weight * 0.5 * (self.rrf_k + 1) / (self.rrf_k + rank)
        return _clause_hits(fused, bm25, cosine)

    def _rrf(self, tokens: list[str], vector: np.ndarray, mask: np.ndarray | None,
             extras: list[tuple[list[str], float]]) -> list[ClauseHit]:
        """Reciprocal-rank fusion of the two top-`candidate_k` lists (the earlier default)."""
        chunks = self.version.chunks
        sparse = self.bm25.run(tokens, self.candidate_k, mask)
        dense = self.dense.run(vector, self.candidate_k, mask)

        def clause_ranking(chunk_ids: list[str]) -> list[str]:
            seen: list[str] = []
            for cid in chunk_ids:
                clause_id = cid.split("~")[0]
                if clause_id not in seen:
                    seen.append(clause_id)
            return seen

        sparse_ids = clause_ranking([chunks[i].chunk_id for i, _ in sparse])
        dense_ids = clause_ranking([cid for cid, _ in dense])
        # a follow-up question ("那大型企业呢？") is about what the last answer was about: the previous
        # turn's clauses enter the fusion as a third ranked list
        # clauses of measures the question names exactly ("一次性扩岗补助") are a third kind of evidence
        rankings = [sparse_ids, dense_ids]
        weights = [1.0, 1.0]
        for extra, weight in extras:
            rankings.append(list(extra))
            weights.append(weight)
        fused = fuse_rrf(rankings, k=self.rrf_k, weights=weights)
        sparse_score: dict[str, float] = {}
        for i, s in sparse:
            sparse_score.setdefault(chunks[i].clause_id, s)
        # RRF sees ranks only; a clause that out-scores the next by a wide BM25 margin ("农民专业合作社"
        # found verbatim) keeps part of that margin, scaled to the best score of this query
        top_sparse = max(sparse_score.values(), default=0.0)
        if top_sparse > 0 and self.bm25_margin_weight:
            for cid, sc in sparse_score.items():
                fused[cid] = fused.get(cid, 0.0) + self.bm25_margin_weight * sc / top_sparse
        dense_score: dict[str, float] = {}
        for cid, s in dense:
            dense_score.setdefault(cid.split("~")[0], s)
        return _clause_hits(fused, sparse_score, dense_score)


class HybridRetriever(BaseRetriever):
    """LangChain face of `HybridSearch`: documents are clauses with their citation metadata."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    search_engine: HybridSearch
    k: int = 5
    filters: SearchFilters | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        version = self.search_engine.version
        docs = []
        for hit in self.search_engine.search(query, k=self.k, filters=self.filters):
            clause = version.clause(hit.clause_id)
            if clause is None:
                continue
            docs.append(
                Document(
                    page_content=clause.text,
                    id=clause.clause_id,
                    metadata={
                        "clause_id": clause.clause_id,
                        "doc_id": clause.doc_id,
                        "label": clause.label,
                        "title": clause.title,
                        "start": clause.start,
                        "end": clause.end,
                        "score": hit.score,
                    },
                )
            )
        return docs
