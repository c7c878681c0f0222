"""The persistent index: build, freshness, incremental re-embedding, atomic switch, bad files, Chroma server."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.errors import CorpusError
from index.store import active_version, build_index, index_status, open_index

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture
def corpus(tmp_path) -> Path:
    """A private copy of the corpus with the seed document alone (the counts below are the seed's)."""
    dest = tmp_path / "corpus"
    shutil.copytree(REPO / "corpus", dest,
                    ignore=lambda d, names: [n for n in names if d.endswith("documents") and not n.startswith("sx-rst")])
    return dest


def _seed(corpus: Path) -> Path:
    return corpus / "documents" / "sx-rst-2022-19.txt"


def test_build_then_status_is_fresh_and_rebuild_is_a_no_op(corpus, tmp_path, embedder):
    index_dir = tmp_path / "index"
    manifest, built = build_index(corpus, index_dir, embedder)
    assert built and manifest.chunk_count == 82 and manifest.embedded == 82
    assert manifest.dimension == 512 and manifest.model == "m3e-small"
    status = index_status(index_dir, corpus, "m3e-small")
    assert status["fresh"] is True and status["chunk_count"] == 82
    again, built_again = build_index(corpus, index_dir, embedder)
    assert built_again is False and again.version == manifest.version


def test_editing_one_clause_re_embeds_only_that_chunk(corpus, tmp_path, embedder):
    index_dir = tmp_path / "index"
    build_index(corpus, index_dir, embedder)
    seed = _seed(corpus)
    seed.write_text(seed.read_text(encoding="utf-8").replace("按每人 300 元的标准", "按每人 350 元的标准"), encoding="utf-8")
    assert index_status(index_dir, corpus, "m3e-small")["fresh"] is False
    manifest, built = build_index(corpus, index_dir, embedder)
    assert built and manifest.embedded == 1 and manifest.reused == 81
    version = open_index(index_dir)
    assert "350 元" in version.clause("sx-rst-2022-19#3").text


@pytest.mark.parametrize(
    "name,content,message",
    [("empty.txt", b"", "empty.txt"), ("gbk.txt", "关于印发工作方案的通知。".encode("gbk"), "gbk.txt"), ("pic.txt", b"\x00\x01PNG" * 50, "pic.txt")],
)
def test_a_bad_file_names_itself_and_leaves_the_index_untouched(corpus, tmp_path, embedder, name, content, message):
    index_dir = tmp_path / "index"
    manifest, _ = build_index(corpus, index_dir, embedder)
    (corpus / "documents" / name).write_bytes(content)
    with pytest.raises(CorpusError, match=message):
        build_index(corpus, index_dir, embedder, force=True)
    assert active_version(index_dir) == manifest.version
    assert open_index(index_dir).clause("sx-rst-2022-19#2.2") is not None


def test_a_second_document_is_ingested_without_code_changes(corpus, tmp_path, embedder):
    (corpus / "documents" / "heating-2023.txt").write_text(
        "关于做好冬季供暖保障的通知\n\n为保障居民冬季取暖，供暖期自11月1日起至次年3月31日止。\n\n各供热单位要加强设备巡检。\n",
        encoding="utf-8",
    )
    manifest, _ = build_index(corpus, tmp_path / "index", embedder)
    assert manifest.documents == ["heating-2023", "sx-rst-2022-19"]
    version = open_index(tmp_path / "index")
    assert version.clause("heating-2023#p1").text.startswith("为保障居民冬季取暖")


def test_a_build_killed_midway_leaves_the_old_index_serving(corpus, tmp_path, embedder):
    index_dir = tmp_path / "index"
    manifest, _ = build_index(corpus, index_dir, embedder)
    env = {**os.environ, "POLICY_QA_CORPUS_DIR": str(corpus), "POLICY_QA_INDEX_DIR": str(index_dir)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "index", "build", "--force"],
        env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    # wait until the new build has started writing its version folder, then kill it without warning
    deadline = time.time() + 60
    versions = index_dir / "versions"
    while time.time() < deadline and len(list(versions.iterdir())) < 2 and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert active_version(index_dir) == manifest.version
    version = open_index(index_dir)
    assert version.version == manifest.version and version.collection.count() == 82
    # the next build cleans up the interrupted one and succeeds
    fresh, built = build_index(corpus, index_dir, embedder, force=True)
    assert built and fresh.reused == 82
    assert len(list(versions.iterdir())) <= 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_build_into_and_query_a_chroma_server(corpus, tmp_path, embedder):
    chroma = Path(sys.executable).parent / "chroma"
    port = _free_port()
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(tmp_path / "chroma-server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        url = f"http://127.0.0.1:{port}"
        manifest, built = build_index(corpus, tmp_path / "index", embedder, chroma_url=url)
        assert built and manifest.chroma == url
        assert not (tmp_path / "index" / "versions" / manifest.version / "chroma").exists()
        version = open_index(tmp_path / "index", chroma_url=url)
        vec = embedder.encode_one("一次性留工培训补助每名参保职工多少钱")
        res = version.collection.query(query_embeddings=[vec.tolist()], n_results=3)
        assert "sx-rst-2022-19#2.2" in res["ids"][0]
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_a_second_build_while_one_runs_is_refused(corpus, tmp_path, embedder):
    from index.errors import IndexBuildError
    from index.store import _build_lock

    index_dir = tmp_path / "index"
    manifest, _ = build_index(corpus, index_dir, embedder)
    with _build_lock(index_dir):  # as if another process were building now
        with pytest.raises(IndexBuildError, match="另一个索引构建正在进行"):
            build_index(corpus, index_dir, embedder, force=True)
    assert active_version(index_dir) == manifest.version
    _, built = build_index(corpus, index_dir, embedder, force=True)  # the lock is free again
    assert built


@pytest.mark.parametrize("name,content", [("scan.pdf", b"%PDF-1.4\n%broken"), ("notice.docx", b"not a zip"),
                                          ("page.html", b"")])
def test_an_unreadable_new_document_fails_the_build_by_name_and_the_old_index_keeps_serving(
        corpus, tmp_path, embedder, name, content):
    index_dir = tmp_path / "index"
    manifest, _ = build_index(corpus, index_dir, embedder)
    (corpus / "documents" / name).write_bytes(content)
    with pytest.raises(CorpusError, match=name.replace(".", r"\.")):
        build_index(corpus, index_dir, embedder)
    assert active_version(index_dir) == manifest.version
    assert open_index(index_dir).manifest.chunk_count == 82


def test_what_the_parser_made_of_a_document_is_part_of_the_corpus_fingerprint():
    """Same files, a different parse (a grammar or metadata rule changed): the index is not "up to date"."""
    from index.parse import load_corpus
    from index.store import _corpus_hash

    corpus = Path(__file__).resolve().parents[2] / "corpus"
    docs = load_corpus(corpus)
    before = _corpus_hash(docs, "m", 500, corpus)
    assert _corpus_hash(load_corpus(corpus), "m", 500, corpus) == before  # deterministic
    doc = next(iter(docs.values()))
    clause = next(iter(doc.clauses.values()))
    clause.label += "（另解析）"
    assert _corpus_hash(docs, "m", 500, corpus) != before
