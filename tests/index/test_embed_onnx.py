"""The ONNX encoder backends: a real export of the model (once per test session, in a temp folder)."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from evals.gold_format import expand_cases, load_gold
from index.embed import embedding_fingerprint, load_embedder
from index.embed_onnx import _source_key, export_onnx
from index.errors import PolicyQAError
from index.store import active_version, build_index, index_status
from index.types import Chunk

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def model_path() -> str:
    from assistant.settings import Settings

    return Settings().embedding_model


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory, model_path) -> Path:
    cache = tmp_path_factory.mktemp("models")
    export_onnx(model_path, cache)
    return cache


@pytest.fixture(scope="session")
def onnx_embedder(model_path, model_cache):
    return load_embedder(model_path, backend="onnx", cache_dir=model_cache)


@pytest.fixture(scope="session")
def int8_embedder(model_path, model_cache):
    return load_embedder(model_path, backend="onnx-int8", cache_dir=model_cache)


@pytest.fixture(scope="session")
def texts() -> list[str]:
    items, _ = load_gold(REPO / "evals" / "gold" / "gold.jsonl")
    questions = [c.question for c in expand_cases(items)]
    # and one longer than the model's 512 tokens, so truncation is compared too
    return questions + [(REPO / "corpus" / "documents" / "sx-rst-2022-19.txt").read_text(encoding="utf-8")[:3000]]


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1)


class TestOnnxEncoder:
    def test_onnx_gives_the_torch_vectors(self, embedder, onnx_embedder, texts):
        torch_vecs = np.stack([embedder.encode_one(t) for t in texts])
        one = np.stack([onnx_embedder.encode_one(t) for t in texts])
        batched = onnx_embedder.encode(texts, batch_size=32)
        assert one.shape == torch_vecs.shape and one.dtype == np.float32
        assert np.allclose(np.linalg.norm(one, axis=1), 1.0, atol=1e-5)
        assert _cosines(torch_vecs, one).min() > 0.99999
        assert _cosines(torch_vecs, batched).min() > 0.99999
        assert onnx_embedder.name == embedder.name == "m3e-small"  # one index serves both

    def test_onnx_gives_the_torch_index_vectors_of_every_chunk(self, built_index, onnx_embedder):
        # the index of `make test` (and of any `index build` before this backend) is torch-built; onnx
        # questions are ranked against it under the same fingerprint, so every stored vector must match
        vdir = built_index / "versions" / active_version(built_index)
        stored = np.load(vdir / "vectors.npy")
        texts = [Chunk.model_validate_json(line).indexed_text
                 for line in (vdir / "chunks.jsonl").read_text(encoding="utf-8").splitlines()]
        assert len(texts) == len(stored) > 100
        assert _cosines(stored, onnx_embedder.encode(texts, batch_size=32)).min() > 0.99999

    def test_int8_stays_close_but_has_its_own_fingerprint(self, embedder, int8_embedder, texts):
        torch_vecs = np.stack([embedder.encode_one(t) for t in texts[:-1]])
        int8 = np.stack([int8_embedder.encode_one(t) for t in texts[:-1]])
        cos = _cosines(torch_vecs, int8)
        assert cos.mean() > 0.99 and cos.min() > 0.98
        assert cos.mean() < 0.99999  # the weights' rounding shows: not the same vectors
        assert int8_embedder.name == "m3e-small+int8" != embedder.name
        assert embedding_fingerprint("/x/m3e-small", "onnx-int8") == int8_embedder.name

    def test_export_is_written_once_and_reused(self, model_path, model_cache, onnx_embedder):
        folders = [p for p in model_cache.iterdir() if p.is_dir()]
        assert len(folders) == 1 and {"model.onnx", "model_int8.onnx", "encoder.json"} <= {
            p.name for p in folders[0].iterdir()}
        stamp = (folders[0] / "model.onnx").stat().st_mtime_ns
        again = load_embedder(model_path, backend="onnx", cache_dir=model_cache)
        assert (folders[0] / "model.onnx").stat().st_mtime_ns == stamp
        assert [p for p in model_cache.iterdir() if p.is_dir()] == folders
        assert np.allclose(again.encode_one("补贴标准"), onnx_embedder.encode_one("补贴标准"))

    def test_export_key_follows_the_source_weights(self, model_path, tmp_path):
        copy = tmp_path / "m3e-small"
        copy.mkdir()
        for p in Path(model_path).iterdir():
            (copy / p.name).symlink_to(p)
        before = _source_key(copy)
        (copy / "config.json").unlink()
        shutil.copy(Path(model_path) / "config.json", copy / "config.json")
        (copy / "config.json").write_text((copy / "config.json").read_text() + "\n", encoding="utf-8")
        assert _source_key(copy) != before

    def test_an_unwritable_cache_is_a_named_error(self, model_path, tmp_path):
        blocker = tmp_path / "not-a-dir"
        blocker.write_text("x")
        with pytest.raises(PolicyQAError) as exc:
            export_onnx(model_path, blocker / "models")
        assert exc.value.code == "embedding_export_failed"

    def test_a_failed_export_falls_back_to_torch_with_one_warning(self, model_path, tmp_path, embedder, caplog):
        blocker = tmp_path / "not-a-dir"
        blocker.write_text("x")
        with caplog.at_level(logging.WARNING, logger="index.embed"):
            fallback = load_embedder(model_path, backend="onnx", cache_dir=blocker / "models")
        assert fallback.backend == "torch" and fallback.name == embedder.name
        warnings = [r for r in caplog.records if r.levelno >= logging.WARNING and r.name == "index.embed"]
        assert len(warnings) == 1 and "using torch instead" in warnings[0].getMessage()
        assert np.allclose(fallback.encode_one("补贴标准"), embedder.encode_one("补贴标准"), atol=1e-6)

    def test_an_int8_fallback_carries_the_torch_fingerprint(self, model_path):
        # no cache folder given: the ONNX route cannot run, and the name must say what produced the vectors
        fallback = load_embedder(model_path, backend="onnx-int8", cache_dir=None)
        assert fallback.backend == "torch" and fallback.name == embedding_fingerprint(model_path, "torch")

    def test_unknown_backend_is_refused(self, model_path):
        with pytest.raises(PolicyQAError) as exc:
            load_embedder(model_path, backend="tensorrt")
        assert exc.value.code == "embedding_backend_unknown"
        from pydantic import ValidationError

        from assistant.settings import Settings

        with pytest.raises(ValidationError):
            Settings(embedding_backend="tensorrt")


class TestBackendSetting:
    def test_the_setting_chooses_the_assistants_encoder_and_answers_stay(self, settings, model_cache, assistant):
        from assistant.pipeline import Assistant

        onnx = Assistant.open(settings.model_copy(update={"embedding_backend": "onnx", "model_cache_dir": model_cache}))
        try:
            assert onnx.embedder.backend == "onnx"
            for q in ["一次性扩岗补助每人多少钱", "小微企业吸纳高校毕业生有什么补贴", "失业保险金每个月能领多少"]:
                assert onnx.ask(q).retrieved == assistant.ask(q).retrieved
        finally:
            onnx.close()

    def test_an_int8_build_rebuilds_a_torch_index_under_its_own_name(self, tmp_path, embedder, int8_embedder):
        corpus = tmp_path / "corpus"
        shutil.copytree(REPO / "corpus", corpus, ignore=lambda d, names: [
            n for n in names if d.endswith("documents") and not n.startswith("sx-rst")])
        index_dir = tmp_path / "index"
        first, _ = build_index(corpus, index_dir, embedder)
        second, built = build_index(corpus, index_dir, int8_embedder)
        assert built and second.model == "m3e-small+int8" and second.reused == 0
        assert index_status(index_dir, corpus, int8_embedder.name)["fresh"] is True
        assert index_status(index_dir, corpus, embedder.name)["fresh"] is False
        assert first.model == "m3e-small"
