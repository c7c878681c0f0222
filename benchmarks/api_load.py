"""Load on POST /api/chat over loopback, beside the bare embedding throughput of the same model.

The script builds the real corpus into a temporary index (unless --index-dir names one), measures
how many single questions per second the embedding model encodes in this process (the ceiling: every
chat request embeds its question once), then starts `policy-qa serve` on 127.0.0.1 in a subprocess
and runs N concurrent clients against /api/chat for a fixed time per N. Each client asks one question
at a time, picked in turn from the gold set, each as a new conversation. Printed per N: requests,
requests/s, latency p50/p95/p99 and errors (non-200 answers or failed connections, by kind).

The server runs with the rate limit off and room for every client (the guards are not what is
measured here); the answers are pinned to one as-of date.

    .venv/bin/python benchmarks/api_load.py [--clients 1,4,16] [--seconds 15] [--index-dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
from rebuild_under_load import stop_process  # a sibling: benchmarks/ is on sys.path

REPO = Path(__file__).resolve().parent.parent
GOLD = REPO / "evals" / "gold" / "gold.jsonl"
AS_OF = "2026-11-26"
EMBED_SECONDS = 5.0
READY_TIMEOUT_S = 180.0
CLIENT_TIMEOUT_S = 60.0


def questions() -> list[str]:
    items = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [i["question"] for i in items if isinstance(i.get("question"), str) and i["question"].strip()]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def embedding_ceiling(embedder, qs: list[str]) -> tuple[float, float]:
    """Questions per second encoded one at a time (as requests do), and in batches of 32."""
    embedder.encode_one(qs[0])  # warm-up
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < EMBED_SECONDS:
        embedder.encode_one(qs[n % len(qs)])
        n += 1
    single = n / (time.perf_counter() - t0)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < EMBED_SECONDS:
        batch = [qs[(n + i) % len(qs)] for i in range(32)]
        embedder.encode(batch)
        n += len(batch)
    batched = n / (time.perf_counter() - t0)
    return single, batched


def start_server(index_dir: Path, data_dir: Path, port: int, clients: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "POLICY_QA_INDEX_DIR": str(index_dir),
        "POLICY_QA_DB_PATH": str(data_dir / "policy_qa.sqlite3"),
        "POLICY_QA_AS_OF": AS_OF,
        "POLICY_QA_RATE_LIMIT_PER_MINUTE": str(10**9),
        "POLICY_QA_RATE_LIMIT_BURST": str(10**9),
        "POLICY_QA_MAX_CONCURRENT_REQUESTS": str(clients + 8),
        "POLICY_QA_MAX_CLIENT_SHARE": "1",  # all simulated clients share the loopback address
    }
    cmd = [str(Path(sys.executable).with_name("policy-qa")), "serve", "--host", "127.0.0.1", "--port", str(port),
           "--log-level", "warning"]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=open(data_dir / "server.log", "wb"))


def wait_ready(base: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise SystemExit("server did not become ready")


async def run_load(base: str, clients: int, seconds: float, qs: list[str]) -> dict:
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async with httpx.AsyncClient(base_url=base, timeout=CLIENT_TIMEOUT_S, limits=limits) as client:

        async def one_client(k: int) -> None:
            i = k
            while time.perf_counter() < stop:
                q = qs[i % len(qs)]
                i += clients
                t0 = time.perf_counter()
                try:
                    r = await client.post("/api/chat", json={"question": q})
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] += 1
                    continue
                dt = time.perf_counter() - t0
                if r.status_code == 200:
                    latencies.append(dt)
                    statuses[r.json()["status"]] += 1
                else:
                    errors[f"HTTP {r.status_code}"] += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(one_client(k) for k in range(clients)))
        elapsed = time.perf_counter() - t0
    return {"latencies": latencies, "errors": errors, "statuses": statuses, "elapsed": elapsed}


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,4,16", help="comma-separated numbers of concurrent clients")
    parser.add_argument("--seconds", type=float, default=15.0, help="load time per client count")
    parser.add_argument("--index-dir", type=Path, default=None, help="an index built by `policy-qa index build`")
    args = parser.parse_args()
    counts = [int(c) for c in args.clients.split(",") if c.strip()]

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from assistant.settings import Settings
    from index.embed import load_embedder
    from index.store import build_index

    qs = questions()
    with tempfile.TemporaryDirectory(prefix="policy-qa-load-") as tmp:
        tmp_dir = Path(tmp)
        embedder = load_embedder(Settings().embedding_model)
        # measured before the index build: the embedded Chroma store keeps worker threads busy for a while after
        single, batched = embedding_ceiling(embedder, qs)
        index_dir = args.index_dir
        if index_dir is None:
            index_dir = tmp_dir / "index"
            t0 = time.perf_counter()
            build_index(REPO / "corpus", index_dir, embedder)
            print(f"index built in {time.perf_counter() - t0:.1f} s")
        del embedder

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc = start_server(index_dir, tmp_dir, port, max(counts))
        try:
            t0 = time.perf_counter()
            wait_ready(base, proc)
            print(f"server ready in {time.perf_counter() - t0:.1f} s ({len(qs)} distinct questions from the gold set)")
            print()
            print(f"embedding ceiling (this process, before the server started): {single:.1f} questions/s one at a "
                  f"time, {batched:.1f}/s in batches of 32")
            print(f"load average of the machine (shared): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            print()
            print(f"{'clients':>7} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6}  statuses")
            asyncio.run(run_load(base, 1, 3.0, qs))  # warm-up: first-touch costs out of the figures
            for n in counts:
                res = asyncio.run(run_load(base, n, args.seconds, qs))
                lat = [x * 1000 for x in res["latencies"]]
                errors = sum(res["errors"].values())
                rps = len(lat) / res["elapsed"]
                detail = ", ".join(f"{k} {v}" for k, v in sorted(res["statuses"].items()))
                if errors:
                    detail += " | errors: " + ", ".join(f"{k} {v}" for k, v in res["errors"].items())
                print(f"{n:>7} {len(lat):>8} {rps:>7.1f} {pct(lat, 50):>8.1f} {pct(lat, 95):>8.1f} {pct(lat, 99):>8.1f} "
                      f"{errors:>6}  {detail}")
        finally:
            stop_process(proc)


if __name__ == "__main__":
    main()
