"""The ONNX encoder: a sentence-transformers model exported once to ONNX (fp32, or int8 weights) and
run by onnxruntime, giving the same L2-normalised vectors as the torch model.

Why not `SentenceTransformer(path, backend="onnx")`: that route runs through optimum-onnx, whose
newest release (0.1.0) requires transformers < 4.58 while sentence-transformers 6 requires
transformers ≥ 5, so the two cannot be installed together. The export here is the same idea with
fewer moving parts: torch traces the model's Transformer module with its pooling and normalisation
inside the graph, and int8 is onnxruntime's dynamic quantisation, the call optimum's
`ORTQuantizer` (and so sentence-transformers' `export_dynamic_quantized_onnx_model`) makes.

An exported model lives in `cache_dir/<model>-<key>/` (`model.onnx`, `model_int8.onnx`,
`encoder.json`), where the key changes with the source weights and config; it is written once,
under a file lock and by rename, so concurrent processes (a server and an index build) neither
export twice nor read a half-written file.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np

from index.errors import PolicyQAError

__all__ = ["OnnxEncoder", "export_onnx", "ONNX_BACKENDS"]

log = logging.getLogger(__name__)

#: backend name → file of the exported folder it runs
ONNX_BACKENDS = {"onnx": "model.onnx", "onnx-int8": "model_int8.onnx"}
#: bump when the export itself changes (graph, opset, quantisation), so old exports are not reused
EXPORT_FORMAT = "2"  # 2: int8 with reduce_range
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# 17 holds every operator a BERT encoder needs and is read by every onnxruntime since 1.14
OPSET = 17
_POOLING = ("mean", "cls")


def _source_key(model_path: Path) -> str:
    """Changes when the model's weights or config change (sizes and mtimes: hashing ~100 MB each
    start would cost more than the export check is worth)."""
    h = hashlib.sha256(EXPORT_FORMAT.encode())
    for p in sorted(model_path.iterdir()):
        if p.is_file():
            st = p.stat()
            h.update(f"|{p.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def export_onnx(model_path: str | Path, cache_dir: Path) -> Path:
    """The folder holding `model_path` exported to ONNX (fp32 and int8); exported now if absent."""
    model_path = Path(model_path)
    target = cache_dir / f"{model_path.name}-{_source_key(model_path)}"
    if (target / "encoder.json").exists():
        return target
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with _export_lock(cache_dir / f"{target.name}.lock"):
            if not (target / "encoder.json").exists():  # another process may have exported meanwhile
                _export(model_path, target)
    except PolicyQAError:
        raise
    except Exception as exc:
        raise PolicyQAError(
            f"无法把向量模型导出为 ONNX（{type(exc).__name__}: {exc}）；请检查 POLICY_QA_MODEL_CACHE_DIR 是否可写、"
            "onnx 与 onnxruntime 是否已安装，或设 POLICY_QA_EMBEDDING_BACKEND=torch",
            code="embedding_export_failed",
        ) from exc
    return target


@contextlib.contextmanager
def _export_lock(path: Path):
    handle = open(path, "w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)  # blocking: the waiter then finds the finished export
        yield
    finally:
        handle.close()


def _export(model_path: Path, target: Path) -> None:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from sentence_transformers import SentenceTransformer

    log.info("exporting %s to ONNX in %s (once per model)", model_path, target)
    st = SentenceTransformer(str(model_path), device="cpu")
    transformer, pooling = _modules(st)
    graph = _pooled_encoder(transformer.auto_model, pooling).eval()
    probe = transformer.tokenizer(["示例", "一个稍长一些的示例句子"], padding=True, return_tensors="pt")
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        with torch.no_grad(), warnings.catch_warnings():
            # the tracer warns that two shape tests become constants; both are about a missing attention
            # mask or a key/value cache, and the graph is always fed a mask and never a cache
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            warnings.filterwarnings("ignore", message="Exporting aten::index operator")
            # The TorchScript exporter (dynamo=False): the torch.export one needs onnxscript and did not
            # give dynamic batch and sequence axes for this model any more simply.
            torch.onnx.export(
                graph, tuple(probe[n] for n in _INPUTS), str(work / ONNX_BACKENDS["onnx"]),
                input_names=list(_INPUTS), output_names=["sentence_embedding"],
                dynamic_axes={**{n: {0: "batch", 1: "sequence"} for n in _INPUTS}, "sentence_embedding": {0: "batch"}},
                opset_version=OPSET, dynamo=False,
            )
        # int8 weights, activations quantised per call ("dynamic"): no calibration data needed;
        # per-channel scales keep each output row's own range, which held the vectors closest to fp32.
        # reduce_range (7-bit weights): on a CPU without VNNI, onnxruntime's u8×s8 kernels add pairs of
        # products in 16 bits and saturate with full-range per-channel weights — on such a machine
        # (onnxruntime 1.32) the vectors fell to cosine ~0.8 of fp32 without it, 0.997 with it
        hint = _DropQuantizerHint()
        logging.getLogger().addFilter(hint)
        try:
            quantize_dynamic(work / ONNX_BACKENDS["onnx"], work / ONNX_BACKENDS["onnx-int8"],
                             weight_type=QuantType.QInt8, per_channel=True, reduce_range=True)
        finally:
            logging.getLogger().removeFilter(hint)
        meta = {
            "source": str(model_path),
            "max_seq_length": int(st.max_seq_length),
            "dimension": int(st.get_embedding_dimension()),
            "pooling": pooling,
            "export_format": EXPORT_FORMAT,
            "torch": torch.__version__,
        }
        (work / "encoder.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        os.replace(work, target)  # one step: readers see no folder or a complete one
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)


class _DropQuantizerHint(logging.Filter):
    """onnxruntime's quantizer logs a root-logger warning suggesting its pre-processing step; the
    graph is quantised as exported (tests/index/test_embed_onnx.py checks the int8 vectors), and the
    line would read like a fault on every fresh machine's first start."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing before quantization" not in record.getMessage()


def _modules(st) -> tuple[object, str]:
    """(the Transformer module, its pooling mode) of a Transformer → Pooling [→ Normalize] model."""
    mods = list(st)
    names = [type(m).__name__ for m in mods]
    if len(mods) not in (2, 3) or names[:2] != ["Transformer", "Pooling"] or names[2:] not in ([], ["Normalize"]):
        raise PolicyQAError(f"ONNX 后端只支持 Transformer→Pooling 结构的模型，此模型为 {names}",
                            code="embedding_export_unsupported")
    mode = str(mods[1].get_config_dict().get("pooling_mode", ""))
    if mode not in _POOLING:
        raise PolicyQAError(f"ONNX 后端不支持池化方式 {mode}", code="embedding_export_unsupported")
    return mods[0], mode


def _pooled_encoder(model, pooling: str):
    """The transformer, its pooling and L2 normalisation as one torch module (torch imported only to export)."""
    import torch

    class PooledEncoder(torch.nn.Module):
        """The transformer, its pooling and L2 normalisation, as one graph."""

        def __init__(self, model, pooling: str) -> None:
            super().__init__()
            self.model = model
            self.pooling = pooling

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask,
                                token_type_ids=token_type_ids).last_hidden_state
            if self.pooling == "cls":
                pooled = hidden[:, 0]
            else:
                mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

    return PooledEncoder(model, pooling)


class OnnxEncoder:
    """Encodes texts with an exported model: the model's own tokenizer, then one onnxruntime call per batch."""

    def __init__(self, export_dir: Path, model_path: str | Path, backend: str, threads: int) -> None:
        import onnxruntime as ort
        from transformers import AutoTokenizer

        meta = json.loads((export_dir / "encoder.json").read_text(encoding="utf-8"))
        self.max_length = int(meta["max_seq_length"])
        self.dim = int(meta["dimension"])
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_path))
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1  # one call at a time per process: the micro-batcher's job
        # idle pool threads sleep instead of spinning: the cores are shared with the answer threads (and
        # other processes), and spinning took CPU from both (embeddings/s and Python work/s both lower)
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(export_dir / ONNX_BACKENDS[backend]), options,
                                            providers=["CPUExecutionProvider"])
        self._feeds = [i.name for i in self.session.get_inputs()]

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        # shortest first, as sentence-transformers does: batches of similar length pad less
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for s in range(0, len(order), batch_size):
            idx = order[s : s + batch_size]
            enc = self.tokenizer([texts[i] for i in idx], padding=True, truncation="longest_first",
                                 max_length=self.max_length, return_tensors="np")
            feeds = {n: enc[n].astype(np.int64) for n in self._feeds}
            out[idx] = self.session.run(None, feeds)[0]
        return out
