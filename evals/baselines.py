"""Three baselines the pipeline is measured against, on the same questions in the same run.

* `langchain-chroma` — the standard LangChain recipe: RecursiveCharacterTextSplitter 250/50 over the raw
  text, normalised m3e-small embeddings in an in-memory Chroma collection (its default L2 space), top-k
  similarity.
* `jieba-bm25` — BM25 (bm25s, Lucene variant) over jieba tokens of the same splits.
* `ragflow-laws` — RAGFlow's "laws" template: one chunk per numbered item with its sub-items merged in
  (prefixed by its section heading, as RAGFlow prefixes ancestor titles), scored
  0.7 × max-normalised BM25 + 0.3 × cosine.

Each baseline maps its chunks back to clause ids so the retrieval metrics compare like with like: a raw
split becomes the leaf clause it overlaps most; a laws chunk *is* an item (or a preamble, notice,
attachment, ledger row). Its "answer" is the top chunk's text, cited as that chunk's clause. Baselines
keep no conversation state: each turn is asked on its own.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import numpy as np

from assistant.contract import Answer, Citation
from index.types import ParsedDocument

__all__ = [
    "BaselineChunk",
    "Baseline",
    "LangChainChromaBaseline",
    "JiebaBM25Baseline",
    "RagflowLawsBaseline",
    "split_raw",
    "laws_chunks",
    "map_to_leaf",
    "jieba_tokens",
    "build_baselines",
    "TextEncoder",
    "CHUNK_SIZE",
    "CHUNK_OVERLAP",
    "LAWS_BM25_WEIGHT",
]

log = logging.getLogger(__name__)

# the recipe as LangChain's tutorials and most Chinese RAG write-ups give it
CHUNK_SIZE = 250
CHUNK_OVERLAP = 50
# RAGFlow's hybrid similarity weights keyword match 0.7 and vector 0.3 by default
LAWS_BM25_WEIGHT = 0.7
#: distinct clauses a baseline returns, deeper than any metric looks
BASELINE_DEPTH = 10
_WORD_RE = re.compile(r"\w", re.UNICODE)


@dataclass(frozen=True)
class BaselineChunk:
    text: str
    doc_id: str
    clause_id: str  # the clause this chunk stands for in retrieval metrics
    label: str
    title: str
    start: int
    end: int


def jieba_tokens(text: str) -> list[str]:
    """jieba's default cut with punctuation and whitespace tokens dropped."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return [t for t in jieba.lcut(text) if _WORD_RE.search(t)]


def map_to_leaf(doc: ParsedDocument, start: int, end: int) -> tuple[str, str, str]:
    """(clause_id, label, title) of the leaf clause overlapping [start, end) most; a pseudo id when none does."""
    best, best_overlap = None, 0
    for leaf in doc.leaves():
        overlap = min(end, leaf.end) - max(start, leaf.start)
        if overlap > best_overlap:
            best, best_overlap = leaf, overlap
    if best is None:
        # letterhead, headings or signature only: an id that names no clause and matches nothing
        return f"{doc.meta.doc_id}#raw@{start}", "正文片段", ""
    return best.clause_id, best.label, best.title


def split_raw(docs: dict[str, ParsedDocument]) -> list[BaselineChunk]:
    """RecursiveCharacterTextSplitter(250, 50) over each raw text, every split mapped to its leaf clause."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True)
    chunks = []
    for doc in docs.values():
        for split in splitter.create_documents([doc.raw]):
            start = split.metadata["start_index"]
            end = start + len(split.page_content)
            clause_id, label, title = map_to_leaf(doc, start, end)
            chunks.append(BaselineChunk(split.page_content, doc.meta.doc_id, clause_id, label, title, start, end))
    return chunks


def laws_chunks(docs: dict[str, ParsedDocument]) -> list[BaselineChunk]:
    """RAGFlow "laws": one chunk per numbered item (sub-items merged), preamble/notice and ledger rows on
    their own, an unnumbered attachment (the roster) as one chunk."""
    chunks = []
    for doc in docs.values():
        for clause in doc.clauses.values():
            parent = doc.clauses[clause.parent_id] if clause.parent_id else None
            children = [doc.clauses[c] for c in clause.children]
            if clause.kind == "section" or clause.kind in ("subitem", "roster_entry"):
                continue  # a heading is a prefix, not a chunk; sub-items and roster lines merge upwards
            if clause.kind == "paragraph" and parent is not None and parent.kind == "attachment":
                continue
            if clause.kind == "attachment" and children and children[0].kind == "ledger_row":
                continue  # the ledger's rows are numbered items of their own
            body = "\n".join([clause.text] + [c.text for c in children])
            heading = {"item": clause.section_title, "ledger_row": clause.section_title}.get(clause.kind, "")
            end = max([clause.end] + [c.end for c in children])
            chunks.append(
                BaselineChunk(
                    f"{heading}\n{body}" if heading else body,
                    doc.meta.doc_id,
                    clause.clause_id,
                    clause.label,
                    clause.title,
                    clause.start,
                    end,
                )
            )
    return chunks


class Baseline:
    """A ranked list of chunks for a question, answered as "the top chunk" in the `Answer` contract."""

    name = "baseline"
    description = ""

    def __init__(self, chunks: list[BaselineChunk]) -> None:
        if not chunks:
            raise ValueError("a baseline needs at least one chunk")
        self.chunks = chunks

    def rank(self, question: str) -> list[int]:
        """Chunk indices, best first."""
        raise NotImplementedError

    def new_session(self) -> str:
        return uuid.uuid4().hex

    def answer(self, question: str, session_id: str | None = None, *, as_of: date | None = None) -> Answer:
        order = self.rank(question)
        retrieved = list(dict.fromkeys(self.chunks[i].clause_id for i in order))[:BASELINE_DEPTH]
        top = self.chunks[order[0]]
        citation = Citation(
            n=1, doc_id=top.doc_id, clause_id=top.clause_id, label=top.label, title=top.title,
            quote=top.text, start=top.start, end=top.end,
        )
        return Answer(
            question=question, status="answered", intent="fact", answer=f"{top.text}[1]",
            citations=[citation], retrieved=retrieved, index_version=self.name,
        )


class TextEncoder(Protocol):
    """What the baselines need of an embedding model: `index.embed.Embedder` (L2-normalised vectors)."""

    def encode(self, texts: list[str]) -> np.ndarray: ...


class LangChainChromaBaseline(Baseline):
    name = "langchain-chroma"
    description = "LangChain recipe: 250/50 recursive splits, m3e-small, Chroma top-k"

    def __init__(self, chunks: list[BaselineChunk], encoder: TextEncoder) -> None:
        super().__init__(chunks)
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        self._encoder = encoder
        client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
        # a fresh name per instance: ephemeral clients in one process share their state
        self._collection = client.create_collection(f"baseline-{uuid.uuid4().hex}", embedding_function=None)
        # Chroma's default L2 space, as LangChain's Chroma wrapper creates it; on the normalised m3e vectors
        # (encode_kwargs={"normalize_embeddings": True}, the usual m3e set-up) L2 ranks as cosine does
        vectors = encoder.encode([c.text for c in chunks])
        self._collection.add(ids=[str(i) for i in range(len(chunks))], embeddings=vectors, documents=[c.text for c in chunks])

    def rank(self, question: str) -> list[int]:
        query = self._encoder.encode([question])
        # ask for every chunk: several splits map to one clause, and we want BASELINE_DEPTH distinct clauses
        res = self._collection.query(query_embeddings=query, n_results=len(self.chunks))
        return [int(i) for i in res["ids"][0]]


class JiebaBM25Baseline(Baseline):
    name = "jieba-bm25"
    description = "BM25 over jieba tokens of the same 250/50 splits"

    def __init__(self, chunks: list[BaselineChunk]) -> None:
        super().__init__(chunks)
        import bm25s

        self._bm25 = bm25s.BM25()
        self._bm25.index([jieba_tokens(c.text) for c in chunks], show_progress=False)

    def scores(self, question: str) -> np.ndarray:
        tokens = jieba_tokens(question)
        if not tokens:
            return np.zeros(len(self.chunks), dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)

    def rank(self, question: str) -> list[int]:
        # stable sort: ties keep document order, so an all-zero query still returns a ranking
        return [int(i) for i in np.argsort(-self.scores(question), kind="stable")]


class RagflowLawsBaseline(Baseline):
    name = "ragflow-laws"
    description = "RAGFlow laws template: one chunk per item, 0.7 BM25 + 0.3 cosine"

    def __init__(self, chunks: list[BaselineChunk], encoder: TextEncoder) -> None:
        super().__init__(chunks)
        self._encoder = encoder
        self._bm25 = JiebaBM25Baseline(chunks)
        self._vectors = encoder.encode([c.text for c in chunks])

    def rank(self, question: str) -> list[int]:
        bm25 = self._bm25.scores(question)
        top = float(bm25.max())
        bm25 = bm25 / top if top > 0 else bm25
        cosine = self._vectors @ self._encoder.encode([question])[0]
        score = LAWS_BM25_WEIGHT * bm25 + (1 - LAWS_BM25_WEIGHT) * cosine
        return [int(i) for i in np.argsort(-score, kind="stable")]


def build_baselines(docs: dict[str, ParsedDocument], encoder: TextEncoder) -> list[Baseline]:
    """The three baselines over a parsed corpus, sharing one loaded embedding model (the assistant's)."""
    splits = split_raw(docs)
    log.info("baselines: %d raw splits, building indexes", len(splits))
    return [
        LangChainChromaBaseline(splits, encoder),
        JiebaBM25Baseline(splits),
        RagflowLawsBaseline(laws_chunks(docs), encoder),
    ]
