"""Persistent, versioned index: Chroma (dense) + bm25s over jieba tokens (sparse) + the clause trees.

Layout under `index_dir`::

    ACTIVE                      name of the version that serves (replaced in one os.replace)
    versions/<version>/
        manifest.json           written last: a version without it is an interrupted build
        docs.json               the parsed documents (clause trees, raw text) this version answers from
        chunks.jsonl            the chunks, in index order
        vectors.npy             their embeddings (reused by the next build for unchanged chunks)
        bm25/                   bm25s index
        chroma/                 embedded Chroma store (absent when a Chroma server is used)

A build never touches the active version: it writes a new one, validates it, then switches ACTIVE.
Killing a build midway leaves ACTIVE, and therefore what is served, unchanged. Only the process that
runs the build writes; servers only read, so embedded Chroma is never written by two processes.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable
from urllib.parse import urlparse

import bm25s
import numpy as np
from pydantic import BaseModel

from index.chunking import DEFAULT_MAX_CHARS, chunk_document
from index.embed import Embedder
from index.errors import IndexBuildError, IndexNotBuilt, PolicyQAError
from index.parse import load_corpus
from index.tokenize import PolicyTokenizer
from index.types import Chunk, Clause, ParsedDocument

__all__ = ["Manifest", "IndexVersion", "build_index", "open_index", "index_status", "active_version", "chroma_client"]

log = logging.getLogger(__name__)

#: bump when chunking or tokenisation changes, so a rebuild is not skipped as "unchanged"
SCHEMA_VERSION = "5"
# versions kept after a build starts: the active one and the one before it, which a server that has not
# polled ACTIVE yet (index_poll_seconds) may still be reading; older ones are removed
KEEP_VERSIONS = 3


class Manifest(BaseModel):
    version: str
    schema_version: str
    model: str
    dimension: int
    corpus_hash: str
    chunk_count: int
    documents: list[str]
    embedded: int  # chunks embedded in this build
    reused: int  # chunks whose vectors were reused from the previous version
    build_seconds: float
    built_at: str
    chroma: str  # "embedded" or the server URL
    collection: str


def chroma_client(path: Path | None, url: str | None):
    """An embedded persistent client at `path`, or an HTTP client for a Chroma server at `url`."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if url:
        u = urlparse(url)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise PolicyQAError(f"Chroma 服务地址无效：{url}", code="bad_chroma_url")
        return chromadb.HttpClient(host=u.hostname, port=u.port or 8000, ssl=u.scheme == "https", settings=settings)
    assert path is not None
    return chromadb.PersistentClient(path=str(path), settings=settings)


#: corpus files besides the documents that change how chunks are tokenised
TOKENIZER_FILES = ("dictionary.txt", "stopwords.txt", "synonyms.yaml")


def _corpus_hash(docs: dict[str, ParsedDocument], model: str, max_chars: int, corpus_dir: Path) -> str:
    h = hashlib.sha256(f"{SCHEMA_VERSION}|{model}|{max_chars}".encode())
    for doc_id in sorted(docs):
        doc = docs[doc_id]
        # the file (its sha256 is in the metadata) and what the parser made of it, so a parser or metadata
        # change rebuilds the index too
        h.update(f"|{doc_id}:".encode() + doc.meta.model_dump_json().encode())
        for c in doc.clauses.values():
            h.update(f"|{c.clause_id}:{c.kind}:{c.start}:{c.end}:{c.label}:{c.title}".encode())
    for name in TOKENIZER_FILES:
        path = corpus_dir / name
        if path.exists():
            h.update(f"|{name}:".encode() + hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def _text_key(model: str, chunk: Chunk) -> str:
    return hashlib.sha256(f"{model}\n{chunk.indexed_text}".encode()).hexdigest()


def active_version(index_dir: Path) -> str | None:
    try:
        name = (index_dir / "ACTIVE").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name if (index_dir / "versions" / name / "manifest.json").exists() else None


def _read_manifest(vdir: Path) -> Manifest:
    return Manifest.model_validate_json((vdir / "manifest.json").read_text(encoding="utf-8"))


@dataclass
class IndexVersion:
    """One built version, opened for reading: chunks, clause trees, BM25 and the Chroma collection."""

    manifest: Manifest
    docs: dict[str, ParsedDocument]
    chunks: list[Chunk]
    bm25: bm25s.BM25
    collection: object  # chromadb Collection
    clauses: dict[str, Clause] = field(default_factory=dict)
    #: the chunks' embeddings in chunk order, rows scaled to length 1: the in-process copy of the Chroma
    #: collection, so a search restricted to some documents is one matrix product, not a `$in` filter
    vectors: np.ndarray | None = None

    def __post_init__(self) -> None:
        order = {doc_id: n for n, doc_id in enumerate(self.docs)}
        # the document of every chunk as a small integer, so a restriction to documents is one lookup
        self._chunk_doc = np.array([order.get(c.doc_id, -1) for c in self.chunks], dtype=np.int32)
        self._doc_order = order
        self._masks: dict[frozenset[str], np.ndarray] = {}

    def document_mask(self, doc_ids) -> np.ndarray:
        """Which chunks belong to any of `doc_ids`: computed once per set of documents and version (the
        served region's documents are the same set for nearly every question)."""
        key = frozenset(doc_ids)
        mask = self._masks.get(key)
        if mask is None:
            wanted = np.zeros(len(self._doc_order) + 1, dtype=bool)  # the extra slot is index -1
            wanted[[self._doc_order[d] for d in key if d in self._doc_order]] = True
            mask = wanted[self._chunk_doc]
            mask.flags.writeable = False
            if len(self._masks) >= _MASK_CACHE:
                self._masks.pop(next(iter(self._masks)))
            self._masks[key] = mask
        return mask

    @property
    def version(self) -> str:
        return self.manifest.version

    @property
    def corpus_text(self) -> str:
        """All documents' text with page breaks joined, for "does the corpus use this word" checks."""
        if not hasattr(self, "_corpus_text"):
            self._corpus_text = "\n".join(d.quote(0, len(d.raw)) for d in self.docs.values())
        return self._corpus_text

    @property
    def names(self) -> set[str]:
        """People and units the documents name (leaders, roster, responsible units)."""
        if not hasattr(self, "_names"):
            names: set[str] = set()
            for c in self.clauses.values():
                names.update(n for n in [*c.leaders, *c.units, str(c.extra.get("name", ""))] if len(n) >= 2)
            self._names = names
        return self._names

    def clause(self, clause_id: str) -> Clause | None:
        return self.clauses.get(clause_id)

    def document_of(self, clause_id: str) -> ParsedDocument:
        return self.docs[clause_id.split("#", 1)[0]]


#: document sets whose chunk masks a version keeps (the served region's, a conversation's few documents)
_MASK_CACHE = 64


def _load_vectors(vdir: Path, collection, chunks: list[Chunk]) -> np.ndarray:
    """The chunks' embeddings as unit rows in chunk order: vectors.npy as the build wrote it beside the
    collection, checked against the collection (the store of record) by its count and a few rows; read
    from the collection itself when the file is missing or disagrees."""
    ids = [c.chunk_id for c in chunks]
    vectors = None
    try:
        vectors = np.load(vdir / "vectors.npy").astype(np.float32, copy=False)
    except (OSError, ValueError):
        pass
    if vectors is not None and collection.count() == len(chunks) == len(vectors):
        probes = sorted({0, len(ids) // 2, len(ids) - 1}) if ids else []
        got = collection.get(ids=[ids[i] for i in probes], include=["embeddings"])
        stored = dict(zip(got["ids"], np.asarray(got["embeddings"], dtype=np.float32)))
        if not all(ids[i] in stored and np.allclose(stored[ids[i]], vectors[i], atol=1e-5) for i in probes):
            vectors = None
    else:
        vectors = None
    if vectors is None:
        log.warning("vectors of %s read from the collection (vectors.npy missing or not matching)", vdir.name)
        rows = {}
        for s in range(0, len(ids), 1000):
            got = collection.get(ids=ids[s : s + 1000], include=["embeddings"])
            rows.update(zip(got["ids"], got["embeddings"]))
        vectors = np.asarray([rows[i] for i in ids], dtype=np.float32).reshape(len(ids), -1)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def open_index(index_dir: Path, *, chroma_url: str | None = None, version: str | None = None) -> IndexVersion:
    """Open the active (or the named) version for reading."""
    version = version or active_version(index_dir)
    if not version:
        raise IndexNotBuilt("索引尚未建立，请先运行 `policy-qa index build`")
    vdir = index_dir / "versions" / version
    manifest = _read_manifest(vdir)
    raw_docs = json.loads((vdir / "docs.json").read_text(encoding="utf-8"))
    docs = {d["meta"]["doc_id"]: ParsedDocument.model_validate(d) for d in raw_docs}
    chunks = [Chunk.model_validate_json(line) for line in (vdir / "chunks.jsonl").read_text(encoding="utf-8").splitlines()]
    bm25 = bm25s.BM25.load(str(vdir / "bm25"))
    url = chroma_url if manifest.chroma != "embedded" else None
    client = chroma_client(None if url else vdir / "chroma", url)
    collection = client.get_collection(manifest.collection)
    clauses = {cid: c for d in docs.values() for cid, c in d.clauses.items()}
    return IndexVersion(manifest, docs, chunks, bm25, collection, clauses, _load_vectors(vdir, collection, chunks))


def index_status(index_dir: Path, corpus_dir: Path, model: str) -> dict:
    """What is active, and whether it matches the corpus and model on disk (fresh) or not (stale)."""
    version = active_version(index_dir)
    if not version:
        return {"built": False, "fresh": False, "message": "索引尚未建立"}
    manifest = _read_manifest(index_dir / "versions" / version)
    docs = load_corpus(corpus_dir)
    current = _corpus_hash(docs, _model_name(model), DEFAULT_MAX_CHARS, corpus_dir)
    from index.parse import describe_document

    return {
        "built": True,
        "fresh": current == manifest.corpus_hash,
        **manifest.model_dump(),
        "document_reports": [describe_document(d) for d in docs.values()],
    }


def _model_name(model: str) -> str:
    return Path(model).name or model


def _new_version_name() -> str:
    return datetime.now(timezone.utc).strftime("v%Y%m%dT%H%M%S%f")


def _previous_vectors(index_dir: Path, model: str) -> dict[str, np.ndarray]:
    version = active_version(index_dir)
    if not version:
        return {}
    vdir = index_dir / "versions" / version
    try:
        manifest = _read_manifest(vdir)
        if manifest.model != model:
            return {}
        vectors = np.load(vdir / "vectors.npy")
        keys = (vdir / "keys.txt").read_text(encoding="utf-8").split()
    except (OSError, ValueError):
        return {}
    return dict(zip(keys, vectors))


def build_index(
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    *,
    tokenizer: PolicyTokenizer | None = None,
    chroma_url: str | None = None,
    force: bool = False,
    progress: bool = False,
    max_chars: int = DEFAULT_MAX_CHARS,
    validate: Callable[[dict[str, ParsedDocument]], None] | None = None,
) -> tuple[Manifest, bool]:
    """Build a new version if the corpus or model changed; return (manifest, built_now).

    Chunks whose text did not change reuse the previous version's vectors, so an edit to one clause
    embeds one chunk. The active version changes only after the new one validates.
    """
    t0 = time.perf_counter()
    docs = load_corpus(corpus_dir)  # raises CorpusError naming the file before anything is written
    if validate is not None:
        # e.g. the rules files must still quote the new text; a failure leaves the old version serving
        validate(docs)
    model = embedder.name
    corpus_hash = _corpus_hash(docs, model, max_chars, corpus_dir)
    current = active_version(index_dir)
    if current and not force:
        manifest = _read_manifest(index_dir / "versions" / current)
        if manifest.corpus_hash == corpus_hash and (manifest.chroma == "embedded") == (chroma_url is None):
            return manifest, False

    index_dir.mkdir(parents=True, exist_ok=True)
    with _build_lock(index_dir):
        return _build_locked(docs, corpus_dir, index_dir, embedder, tokenizer, chroma_url, progress, max_chars,
                             corpus_hash, t0), True


@contextlib.contextmanager
def _build_lock(index_dir: Path):
    """One build at a time per index folder: a second one would delete the first one's unfinished version."""
    handle = open(index_dir / "BUILD.lock", "w")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexBuildError("另一个索引构建正在进行，请等它结束后再试", code="index_build_running") from None
        yield
    finally:
        handle.close()  # closing releases the lock, also when the process is killed


def _build_locked(docs, corpus_dir, index_dir, embedder, tokenizer, chroma_url, progress, max_chars, corpus_hash, t0):
    model = embedder.name
    tokenizer = tokenizer or PolicyTokenizer.for_documents(corpus_dir, docs)
    chunks = [c for doc in docs.values() for c in chunk_document(doc, max_chars)]
    if not chunks:
        raise IndexBuildError("语料中没有可入库的条款", code="index_empty")

    keys = [_text_key(model, c) for c in chunks]
    cache = _previous_vectors(index_dir, model)
    missing = [i for i, k in enumerate(keys) if k not in cache]
    fresh = embedder.encode([chunks[i].indexed_text for i in missing], progress=progress and len(missing) > 8)
    vectors = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
    for row, i in enumerate(missing):
        vectors[i] = fresh[row]
    for i, k in enumerate(keys):
        if k in cache:
            vectors[i] = cache[k]

    versions_dir = index_dir / "versions"
    versions_dir.mkdir(parents=True, exist_ok=True)
    _collect_garbage(index_dir, chroma_url, keep=KEEP_VERSIONS)
    version = _new_version_name()
    vdir = versions_dir / version
    vdir.mkdir()
    collection_name = f"pqa_{version.lower()}"

    (vdir / "docs.json").write_text(
        json.dumps([d.model_dump(mode="json") for d in docs.values()], ensure_ascii=False), encoding="utf-8"
    )
    (vdir / "chunks.jsonl").write_text("\n".join(c.model_dump_json() for c in chunks), encoding="utf-8")
    np.save(vdir / "vectors.npy", vectors)
    (vdir / "keys.txt").write_text("\n".join(keys), encoding="utf-8")

    retriever = bm25s.BM25()
    retriever.index([tokenizer.tokens(c.indexed_text) for c in chunks], show_progress=False)
    retriever.save(str(vdir / "bm25"))

    client = chroma_client(None if chroma_url else vdir / "chroma", chroma_url)
    collection = client.create_collection(collection_name, metadata={"hnsw:space": "cosine", "version": version})
    batch = 256
    for s in range(0, len(chunks), batch):
        part = chunks[s : s + batch]
        collection.add(
            ids=[c.chunk_id for c in part],
            embeddings=vectors[s : s + batch].tolist(),
            documents=[c.indexed_text for c in part],
            metadatas=[c.metadata for c in part],
        )
    _validate(collection, retriever, tokenizer, chunks, vectors)

    manifest = Manifest(
        version=version,
        schema_version=SCHEMA_VERSION,
        model=model,
        dimension=embedder.dim,
        corpus_hash=corpus_hash,
        chunk_count=len(chunks),
        documents=list(docs),
        embedded=len(missing),
        reused=len(chunks) - len(missing),
        build_seconds=round(time.perf_counter() - t0, 3),
        built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        chroma=chroma_url or "embedded",
        collection=collection_name,
    )
    (vdir / "manifest.json").write_text(manifest.model_dump_json(indent=2), encoding="utf-8")
    tmp = index_dir / f"ACTIVE.{os.getpid()}.tmp"
    tmp.write_text(version, encoding="utf-8")
    os.replace(tmp, index_dir / "ACTIVE")  # the one step that switches what is served
    log.info("index version %s active (%d chunks, %d embedded)", version, len(chunks), len(missing))
    return manifest


def _validate(collection, retriever: bm25s.BM25, tokenizer: PolicyTokenizer, chunks: list[Chunk], vectors) -> None:
    """Counts match and a few chunks find themselves by both routes, or the build is refused."""
    if collection.count() != len(chunks):
        raise IndexBuildError(f"向量库条数 {collection.count()} 与分块数 {len(chunks)} 不一致", code="index_invalid")
    probes = sorted({0, len(chunks) // 2, len(chunks) - 1})
    for i in probes:
        res = collection.query(query_embeddings=[vectors[i].tolist()], n_results=min(3, len(chunks)))
        if chunks[i].chunk_id not in res["ids"][0]:
            raise IndexBuildError(f"向量检索自检失败：{chunks[i].chunk_id}", code="index_invalid")
        scores = retriever.get_scores(tokenizer.tokens(chunks[i].indexed_text))
        if int(np.argmax(scores)) != i and scores[i] < scores.max():
            raise IndexBuildError(f"关键词检索自检失败：{chunks[i].chunk_id}", code="index_invalid")


def _collect_garbage(index_dir: Path, chroma_url: str | None, keep: int) -> None:
    """Drop interrupted builds and versions older than the `keep - 1` newest complete ones besides ACTIVE."""
    versions_dir = index_dir / "versions"
    active = active_version(index_dir)
    complete = sorted(p.name for p in versions_dir.iterdir() if (p / "manifest.json").exists())
    survivors = set(complete[-(keep - 1) :] if keep > 1 else []) | ({active} if active else set())
    for p in versions_dir.iterdir():
        if p.name in survivors:
            continue
        if (p / "manifest.json").exists() and chroma_url:
            try:
                chroma_client(None, chroma_url).delete_collection(_read_manifest(p).collection)
            except Exception as exc:  # the server may already have lost it; the folder still goes
                log.warning("could not drop collection of %s: %s", p.name, exc)
        shutil.rmtree(p, ignore_errors=True)
