"""Warm in-process `ask` latency over the gold set for each encoder backend, beside the floor the
aim is set against: one bare query embedding by the torch backend.

Per backend: the bare query embedding and the whole `ask`, one question at a time, with
micro-batching off (a lone question has nobody to share a batch with) and, for the first backend,
on as well (what a lone question pays for the window). Each backend answers from the index built
for its fingerprint: torch and onnx share one, onnx-int8 is skipped unless --int8-index names one
built with `POLICY_QA_EMBEDDING_BACKEND=onnx-int8 policy-qa index build`.

Usage: .venv/bin/python benchmarks/ask_latency.py [GOLD.jsonl] [--backends torch,onnx,onnx-int8]
       [--int8-index DIR]   (needs `policy-qa index build` first)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from assistant.pipeline import Assistant  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from evals.gold_format import expand_cases, load_gold  # noqa: E402


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def measure(settings: Settings, questions: list[str]) -> tuple[list[float], list[float]]:
    """(bare query embedding ms, ask ms) per question, after a warm-up."""
    assistant = Assistant.open(settings)
    try:
        for q in questions[:10]:  # warm up: caches, first-call allocations
            assistant.ask(q)
        embed, ask = [], []
        for q in questions:
            t = time.perf_counter()
            assistant.embedder.encode_one(q)
            embed.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            assistant.ask(q)
            ask.append((time.perf_counter() - t) * 1000)
        return embed, ask
    finally:
        assistant.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gold", nargs="?", type=Path, default=REPO / "evals/gold/gold.jsonl")
    parser.add_argument("--backends", default="torch,onnx,onnx-int8")
    parser.add_argument("--int8-index", type=Path, default=None, help="an index built with the onnx-int8 backend")
    args = parser.parse_args()
    items, _ = load_gold(args.gold)
    questions = [c.question for c in expand_cases(items)]
    base = Settings()
    # as the server sets it: how soon the batcher's thread and a caller hand the interpreter lock over
    sys.setswitchinterval(base.switch_interval_s)
    rows: list[tuple[str, list[float]]] = []
    floor = None
    for i, backend in enumerate(b.strip() for b in args.backends.split(",") if b.strip()):
        index_dir = base.index_dir
        if backend == "onnx-int8":
            if args.int8_index is None:
                print("onnx-int8: skipped (no --int8-index)")
                continue
            index_dir = args.int8_index
        runs = [False, True] if i == 0 else [False]
        for batching in runs:
            settings = base.model_copy(update={"embedding_backend": backend, "index_dir": index_dir,
                                               "embed_batching": batching})
            embed, ask = measure(settings, questions)
            if backend == "torch" and not batching:
                floor = statistics.median(embed)
            if not batching:
                rows.append((f"{backend}: bare query embedding", embed))
            window = f", window {base.embed_batch_window_ms:g} ms" if batching else ""
            rows.append((f"{backend}: ask (batching {'on' if batching else 'off'}{window})", ask))
    print(f"questions: {len(questions)} from {args.gold.name}")
    print(f"{'':<44}{'p50 ms':>9}{'p95 ms':>9}{'mean ms':>9}{'p50 / torch embedding':>23}")
    for name, values in rows:
        ratio = f"{statistics.median(values) / floor:.2f}x" if floor else "—"
        print(f"{name:<44}{statistics.median(values):>9.2f}{pct(values, 95):>9.2f}{statistics.mean(values):>9.2f}"
              f"{ratio:>23}")
    print("aim: ask p50 within 1x the bare torch query embedding")


if __name__ == "__main__":
    main()
