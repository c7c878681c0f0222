"""Index build speed: a full build and an incremental one (one clause edited), chunks per second.

Usage: .venv/bin/python benchmarks/index_build.py   (builds into a temp folder; the real index is untouched)
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from assistant.settings import Settings  # noqa: E402
from index.embed import load_embedder  # noqa: E402
from index.store import build_index  # noqa: E402


def main() -> None:
    t0 = time.perf_counter()
    embedder = load_embedder(Settings().embedding_model)
    load_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        shutil.copytree(REPO / "corpus", corpus)
        index_dir = Path(tmp) / "index"
        rows = []
        t = time.perf_counter()
        full, _ = build_index(corpus, index_dir, embedder)
        rows.append(("full build", time.perf_counter() - t, full.chunk_count, full.embedded))
        t = time.perf_counter()
        same, built = build_index(corpus, index_dir, embedder)
        rows.append(("unchanged (no-op)", time.perf_counter() - t, same.chunk_count, 0))
        seed = corpus / "documents" / "sx-rst-2022-19.txt"
        seed.write_text(seed.read_text(encoding="utf-8").replace("每人 300 元", "每人 350 元"), encoding="utf-8")
        t = time.perf_counter()
        inc, _ = build_index(corpus, index_dir, embedder)
        rows.append(("one clause edited", time.perf_counter() - t, inc.chunk_count, inc.embedded))
    print(f"model load: {load_s:.2f} s ({embedder.name}, {embedder.dim} dims)")
    print(f"{'build':<20}{'seconds':>10}{'chunks':>8}{'embedded':>10}{'chunks/s':>10}")
    for name, secs, chunks, embedded in rows:
        print(f"{name:<20}{secs:>10.2f}{chunks:>8}{embedded:>10}{chunks / secs:>10.1f}")


if __name__ == "__main__":
    main()
