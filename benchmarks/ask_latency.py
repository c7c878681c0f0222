"""Warm in-process `ask` latency over the gold set, beside the floor: one bare query embedding.

Usage: .venv/bin/python benchmarks/ask_latency.py [GOLD.jsonl]   (needs `policy-qa index build` first)
"""

from __future__ import annotations

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


def main() -> None:
    gold = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "evals/gold/gold.jsonl"
    items, _ = load_gold(gold)
    questions = [c.question for c in expand_cases(items)]
    assistant = Assistant.open(Settings())
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
    p50_floor = statistics.median(embed)
    print(f"questions: {len(questions)} from {gold.name}")
    print(f"{'':<22}{'p50 ms':>10}{'p95 ms':>10}{'mean ms':>10}")
    print(f"{'bare query embedding':<22}{p50_floor:>10.2f}{pct(embed, 95):>10.2f}{statistics.mean(embed):>10.2f}")
    print(f"{'ask (whole pipeline)':<22}{statistics.median(ask):>10.2f}{pct(ask, 95):>10.2f}{statistics.mean(ask):>10.2f}")
    print(f"ask p50 / embedding p50 = {statistics.median(ask) / p50_floor:.2f}x (aim: within 2x)")


if __name__ == "__main__":
    main()
