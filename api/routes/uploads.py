"""A staff upload of a new document, and the background build of the index version that includes it.

The file arrives in parts (each within the service's body limit) into a temporary folder. Commit starts
one build job in a thread:

    checking    the name is free, the file reads and parses (CorpusError → refused, with its message)
    embedding   build_index over a staging copy of the corpus plus the file; the new chunks are embedded
                (progress counts them), the rules must still quote the documents (RuleDataError → refused)
    indexing    BM25, Chroma and the self-check of the new version; build_index switches ACTIVE
    switching   the file joins corpus/documents; the assistant's IndexHandle opens the new version
    done | refused | failed

Building from a staging copy keeps corpus/ free of a file the build refused: a refused or failed upload
leaves both the corpus and the served index exactly as they were.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from api.errors import NotFound, RequestRejected
from api.storage import new_token
from api.wire import Text
from assistant.pipeline import Assistant
from assistant.rules import load_rules
from assistant.settings import Settings
from index.errors import PolicyQAError
from index.formats import SUPPORTED_SUFFIXES
from index.metadata import load_grammar
from index.parse import describe_document, parse_document
from index.store import build_index

__all__ = ["UploadStart", "UploadTicket", "BuildJob", "DocumentUploads", "uploads_of", "MAX_UPLOAD_BYTES"]

log = logging.getLogger(__name__)

#: the largest document accepted: policy documents, even scanned-then-OCRed PDFs, stay far below
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
#: an upload not committed within this time is dropped with its parts
UPLOAD_TTL_S = 3600.0
#: texts embedded per progress step
EMBED_BATCH = 32
#: how long a finished build waits for the server to open the new version before saying so
SWITCH_WAIT_S = 30.0
# a file name is the document's id: letters, digits, CJK, dot, dash, underscore; no path, no leading dot
_NAME = re.compile(r"^[0-9A-Za-z\u4e00-\u9fff][0-9A-Za-z\u4e00-\u9fff._-]{0,99}$")

Stage = Literal["queued", "checking", "embedding", "indexing", "switching", "done", "refused", "failed"]


class UploadStart(BaseModel):
    filename: Text = Field(min_length=1, max_length=120, description="文件名（不含路径），如 sx-rst-2023-5.docx")
    size: int = Field(ge=1, le=MAX_UPLOAD_BYTES, description="文件字节数")


class UploadTicket(BaseModel):
    upload_id: str
    part_bytes: int = Field(description="每片最多字节数；第 n 片是文件的 [n×part_bytes, (n+1)×part_bytes) 字节")
    parts: int


class DocumentReport(BaseModel):
    doc_id: str
    title: str
    doc_number: str = ""
    structure: str
    counts: list[str]
    coverage: float
    warnings: list[str] = Field(default_factory=list)


class BuildJob(BaseModel):
    job_id: str
    filename: str
    doc_id: str
    stage: Stage = "queued"
    progress: float = Field(0.0, ge=0, le=1)
    message: str = ""
    version: str | None = Field(None, description="the index version built")
    switched: bool = Field(False, description="True once the running assistant serves the new version")
    document: DocumentReport | None = None
    started_at: datetime
    finished_at: datetime | None = None


class _Upload:
    def __init__(self, upload_id: str, filename: str, size: int, part_bytes: int, path: Path) -> None:
        self.id = upload_id
        self.filename = filename
        self.size = size
        self.part_bytes = part_bytes
        self.parts = -(-size // part_bytes)
        self.path = path
        self.received: set[int] = set()
        self.created = time.monotonic()


class _ProgressEmbedder:
    """The assistant's embedder, encoding in batches so the job can count embedded chunks."""

    def __init__(self, inner, job: BuildJob) -> None:
        self._inner = inner
        self._job = job
        self.name = inner.name
        self.dim = inner.dim

    def encode(self, texts: list[str], *, progress: bool = False, batch_size: int = EMBED_BATCH) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = []
        for i in range(0, len(texts), EMBED_BATCH):
            out.append(self._inner.encode(texts[i : i + EMBED_BATCH]))
            self._job.progress = round(0.1 + 0.75 * min(1.0, (i + EMBED_BATCH) / len(texts)), 3)
        self._job.stage = "indexing"
        return np.concatenate(out)


class DocumentUploads:
    """Uploads in progress and build jobs of one server process; one build at a time."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.part_bytes = settings.max_body_bytes
        self._dir = Path(tempfile.mkdtemp(prefix="policy-qa-uploads-"))
        self._lock = threading.Lock()
        self._uploads: dict[str, _Upload] = {}
        self._jobs: dict[str, BuildJob] = {}
        self._running: str | None = None

    # uploads

    def start(self, body: UploadStart) -> UploadTicket:
        name = body.filename.strip()
        suffix = Path(name).suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            raise RequestRejected(f"不支持的文件类型“{suffix or name}”：请上传 {'、'.join(SUPPORTED_SUFFIXES)} 之一。",
                                  code="upload_bad_type", field="filename")
        if not _NAME.match(name) or name.count(".") < 1:
            raise RequestRejected("文件名只能含字母、数字、汉字、点、横线和下划线（文件名即文件编号）。",
                                  code="upload_bad_name", field="filename")
        stem = Path(name).stem
        existing = {p.stem for p in (self.settings.corpus_dir / "documents").iterdir()}
        if stem in existing:
            raise RequestRejected(f"已有编号为“{stem}”的文件；修改已收录的文件请在服务器上更新后重建索引。",
                                  code="upload_exists", field="filename")
        with self._lock:
            self._expire()
            upload_id = new_token()
            path = self._dir / upload_id
            with open(path, "wb") as f:
                f.truncate(body.size)
            self._uploads[upload_id] = _Upload(upload_id, name, body.size, self.part_bytes, path)
            parts = self._uploads[upload_id].parts
        return UploadTicket(upload_id=upload_id, part_bytes=self.part_bytes, parts=parts)

    def put_part(self, upload_id: str, n: int, data: bytes) -> None:
        up = self._upload(upload_id)
        expected = min(up.part_bytes, up.size - n * up.part_bytes)
        if n >= up.parts or len(data) != expected:
            raise RequestRejected(f"第 {n} 片应为 {max(expected, 0)} 字节，收到 {len(data)} 字节。",
                                  code="upload_bad_part", field="body")
        with open(up.path, "r+b") as f:
            f.seek(n * up.part_bytes)
            f.write(data)
        with self._lock:
            up.received.add(n)

    def commit(self, upload_id: str, assistant: Assistant) -> BuildJob:
        up = self._upload(upload_id)
        missing = sorted(set(range(up.parts)) - up.received)
        if missing:
            raise RequestRejected(f"还有 {len(missing)} 片未上传（如第 {missing[0]} 片）。", code="upload_incomplete")
        with self._lock:
            if self._running is not None:
                raise RequestRejected("另一份文件正在建立索引，请等它完成后再提交。", code="upload_busy")
            self._uploads.pop(upload_id, None)
            job = BuildJob(job_id=new_token(), filename=up.filename, doc_id=Path(up.filename).stem,
                           started_at=datetime.now(UTC))
            self._jobs[job.job_id] = job
            self._running = job.job_id
        threading.Thread(target=self._build, args=(job, up.path, assistant), daemon=True,
                         name=f"index-build-{job.doc_id}").start()
        return job.model_copy()

    def job(self, job_id: str) -> BuildJob:
        job = self._jobs.get(job_id)
        if job is None:
            raise NotFound("找不到该建索引任务（服务重启后任务记录不保留）。", code="unknown_job")
        return job.model_copy(deep=True)

    def _upload(self, upload_id: str) -> _Upload:
        with self._lock:
            up = self._uploads.get(upload_id)
        if up is None:
            raise NotFound("找不到该上传（可能已超时或已提交），请重新上传。", code="unknown_upload")
        return up

    def _expire(self) -> None:
        now = time.monotonic()
        for uid, up in list(self._uploads.items()):
            if now - up.created > UPLOAD_TTL_S:
                up.path.unlink(missing_ok=True)
                del self._uploads[uid]

    # the build

    def _build(self, job: BuildJob, path: Path, assistant: Assistant) -> None:
        staging = Path(tempfile.mkdtemp(prefix="policy-qa-build-"))
        try:
            self._run(job, path, assistant, staging / "corpus")
        except PolicyQAError as exc:  # a document or rules problem: the upload is refused, nothing changed
            self._finish(job, "refused", f"未收录：{exc.message}")
        except Exception:
            log.exception("building the index with %s failed", job.filename)
            self._finish(job, "failed", "建立索引时出错（详见服务日志）；原索引继续服务。")
        finally:
            path.unlink(missing_ok=True)
            shutil.rmtree(staging, ignore_errors=True)
            with self._lock:
                self._running = None

    def _run(self, job: BuildJob, path: Path, assistant: Assistant, corpus: Path) -> None:
        s = self.settings
        job.stage = "checking"
        shutil.copytree(s.corpus_dir, corpus, ignore=shutil.ignore_patterns(".*"))
        target = corpus / "documents" / job.filename
        shutil.copyfile(path, target)
        doc = parse_document(target, load_grammar(corpus))
        if not doc.leaves():
            raise PolicyQAError("文件中没有可检索的文字（空文件或扫描件？）。", code="upload_empty")
        r = describe_document(doc)
        job.document = DocumentReport(doc_id=r["doc_id"], title=r["title"], doc_number=r["doc_number"],
                                      structure=r["structure"], counts=r["counts"], coverage=r["coverage"],
                                      warnings=r["warnings"])
        job.stage, job.progress = "embedding", 0.1
        manifest, _ = build_index(corpus, s.index_dir, _ProgressEmbedder(assistant.embedder, job),
                                  chroma_url=s.chroma_url, validate=lambda docs: load_rules(corpus, docs))
        job.version = manifest.version
        job.stage, job.progress = "switching", 0.9
        kept = ""
        try:
            _add_to_corpus(path=target, documents=s.corpus_dir / "documents")
        except OSError as exc:  # served already; only the next rebuild from corpus/ would drop it
            log.error("could not add %s to %s: %s", job.filename, s.corpus_dir, exc)
            kept = f"（注意：未能写入语料目录：{exc.strerror or exc}；下次重建索引前请把文件放入 corpus/documents）"
        deadline = time.monotonic() + max(SWITCH_WAIT_S, 3 * s.index_poll_seconds)
        while s.index_poll_seconds and time.monotonic() < deadline:
            if assistant.handle.snapshot().version.version == manifest.version:
                job.switched = True
                break
            time.sleep(min(0.2, s.index_poll_seconds))
        if job.switched:
            self._finish(job, "done", f"已收录并切换到索引版本 {manifest.version}。{kept}")
        else:
            self._finish(job, "done", f"索引版本 {manifest.version} 已建立；服务尚未切换（重启服务后生效）。{kept}")

    def _finish(self, job: BuildJob, stage: Stage, message: str) -> None:
        job.message = message
        job.finished_at = datetime.now(UTC)
        if stage == "done":
            job.progress = 1.0
        job.stage = stage
        log.info("document upload %s: %s", job.filename, message)


def _add_to_corpus(*, path: Path, documents: Path) -> None:
    """Copy the built file into corpus/documents in one rename, so `index build` sees all of it or none."""
    tmp = documents / f".{path.name}.{os.getpid()}.tmp"
    shutil.copyfile(path, tmp)
    os.replace(tmp, documents / path.name)


_registry_lock = threading.Lock()


def uploads_of(app, settings: Settings) -> DocumentUploads:
    """The app's upload registry, made on first use."""
    with _registry_lock:
        uploads = getattr(app.state, "document_uploads", None)
        if uploads is None:
            uploads = app.state.document_uploads = DocumentUploads(settings)
        return uploads
