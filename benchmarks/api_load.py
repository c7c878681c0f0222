"""Load on POST /api/chat over loopback, beside the bare embedding throughput of the same model.

The script builds the real corpus into a temporary index (unless --index-dir names one), measures
how many questions per second the embedding model encodes in this process one at a time and in
batches of 32 (the two ceilings: one per encoder backend asked for), then, for each configuration
(encoder backend × server processes × micro-batching on/off × answer threads), starts
`policy-qa serve` on 127.0.0.1 in subprocesses and runs N concurrent clients against /api/chat for
a fixed time per N. Each client asks one question at a time, picked in turn from the gold set, each
as a new conversation; with several processes, client k talks to process k mod P (as a balancer in
front of them would). Printed per configuration and N: requests, requests/s and its share of the
batched ceiling (its own backend's, and torch's: the figure the aim was set against), latency p50/p95/p99 and errors (non-200 answers or failed connections, by kind);
per configuration the servers' resident memory; at the end, how many questions got other clauses
retrieved than under the first configuration (micro-batching must not change answers).

The server runs with the rate limit off and room for every client (the guards are not what is
measured here); the answers are pinned to one as-of date. Several processes share the machine's
cores: each gets cores/P embedding threads.

    .venv/bin/python benchmarks/api_load.py [--clients 1,8,16] [--seconds 15] [--batching on,off]
        [--backends torch,onnx] [--processes 1] [--answer-workers 0] [--index-dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Config:
    backend: str
    processes: int
    batching: bool
    answer_workers: int  # 0 = the setting's automatic value

    def label(self) -> str:
        workers = f"{self.answer_workers} thr" if self.answer_workers else "auto thr"
        return f"{self.backend} {self.processes}p {'batch' if self.batching else 'single'} {workers}"


def start_server(index_dir: Path, data_dir: Path, port: int, clients: int, config: Config,
                 extra_env: dict[str, str]) -> subprocess.Popen:
    cores = os.cpu_count() or 1
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
        "POLICY_QA_EMBEDDING_BACKEND": config.backend,
        "POLICY_QA_EMBED_BATCHING": "true" if config.batching else "false",
        "POLICY_QA_ANSWER_WORKERS": str(config.answer_workers),
        # processes share the cores: more embedding threads than that only oversubscribe them
        "POLICY_QA_EMBEDDING_THREADS": str(max(1, cores // config.processes)) if config.processes > 1 else "0",
        **extra_env,
    }
    cmd = [str(Path(sys.executable).with_name("policy-qa")), "serve", "--host", "127.0.0.1", "--port", str(port),
           "--log-level", "warning"]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=open(data_dir / f"server-{port}.log", "wb"))


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


async def run_load(bases: list[str], clients: int, seconds: float, qs: list[str]) -> dict:
    latencies: list[float] = []
    retrieved: dict[str, tuple[str, ...]] = {}
    errors: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT_S, limits=limits) as client:

        async def one_client(k: int) -> None:
            url = bases[k % len(bases)] + "/api/chat"
            i = k
            while time.perf_counter() < stop:
                q = qs[i % len(qs)]
                i += clients
                t0 = time.perf_counter()
                try:
                    r = await client.post(url, json={"question": q})
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] += 1
                    continue
                dt = time.perf_counter() - t0
                if r.status_code == 200:
                    latencies.append(dt)
                    body = r.json()
                    statuses[body["status"]] += 1
                    retrieved.setdefault(q, tuple(body.get("retrieved") or ()))
                else:
                    errors[f"HTTP {r.status_code}"] += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(one_client(k) for k in range(clients)))
        elapsed = time.perf_counter() - t0
    return {"latencies": latencies, "errors": errors, "statuses": statuses, "elapsed": elapsed,
            "retrieved": retrieved}


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1] if len(values) > 1 else values[0]


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,8,16", help="comma-separated numbers of concurrent clients")
    parser.add_argument("--seconds", type=float, default=15.0, help="load time per client count")
    parser.add_argument("--batching", default="on,off", help="micro-batching of query embeddings: on, off or both")
    parser.add_argument("--backends", default="torch,onnx", help="encoder backends: torch, onnx (comma-separated)")
    parser.add_argument("--processes", default="1", help="server processes behind one set of clients, e.g. 1,2")
    parser.add_argument("--answer-workers", default="0", help="answer threads per process (0 = the automatic value)")
    parser.add_argument("--window-ms", type=float, default=None, help="embed_batch_window_ms (default: the setting's)")
    parser.add_argument("--index-dir", type=Path, default=None, help="an index built by `policy-qa index build`")
    args = parser.parse_args()
    counts = [int(c) for c in args.clients.split(",") if c.strip()]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    configs = [Config(b, int(p), flag == "on", int(w)) for b, p, flag, w in itertools.product(
        backends, args.processes.split(","), args.batching.split(","), args.answer_workers.split(","))]
    extra_env = {} if args.window_ms is None else {"POLICY_QA_EMBED_BATCH_WINDOW_MS": str(args.window_ms)}

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from assistant.settings import Settings
    from index.embed import load_embedder
    from index.store import build_index

    qs = questions()
    settings = Settings()
    with tempfile.TemporaryDirectory(prefix="policy-qa-load-") as tmp:
        tmp_dir = Path(tmp)
        ceilings: dict[str, tuple[float, float]] = {}
        index_dir = args.index_dir
        for backend in backends:
            embedder = load_embedder(settings.embedding_model, backend=backend, cache_dir=settings.model_cache_dir)
            # measured before the index build: the embedded Chroma store keeps worker threads busy for a while after
            ceilings[backend] = embedding_ceiling(embedder, qs)
            if index_dir is None and backend == "torch":
                index_dir = tmp_dir / "index"
                t0 = time.perf_counter()
                build_index(REPO / "corpus", index_dir, embedder)
                print(f"index built in {time.perf_counter() - t0:.1f} s")
            del embedder
        if index_dir is None:  # torch and onnx share one index (same fingerprint): build it with torch
            index_dir = tmp_dir / "index"
            build_index(REPO / "corpus", index_dir, load_embedder(settings.embedding_model))

        print(f"{len(qs)} distinct questions from the gold set; {args.seconds:.0f} s per point; "
              f"embed_batch_window_ms {args.window_ms if args.window_ms is not None else settings.embed_batch_window_ms},"
              f" embed_batch_size {settings.embed_batch_size}; {os.cpu_count()} cores")
        for backend, (single, batched) in ceilings.items():
            print(f"embedding ceiling, {backend} (this process, {settings.embedding_threads or 'auto'} threads): "
                  f"{single:.1f} questions/s one at a time, {batched:.1f}/s in batches of 32")
        print(f"load average of the machine (shared): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print()
        header = (f"{'configuration':<26} {'clients':>7} {'requests':>8} {'req/s':>7} {'% b32':>6} {'% t32':>6} {'p50 ms':>8} "
                  f"{'p95 ms':>8} {'p99 ms':>8} {'errors':>6}  statuses")
        print(header)
        answers: dict[Config, dict[str, tuple[str, ...]]] = {}
        for config in configs:
            ports = [free_port() for _ in range(config.processes)]
            bases = [f"http://127.0.0.1:{port}" for port in ports]
            procs = [start_server(index_dir, tmp_dir, port, max(counts), config, extra_env) for port in ports]
            try:
                for base, proc in zip(bases, procs):
                    wait_ready(base, proc)
                asyncio.run(run_load(bases, max(counts), 3.0, qs))  # warm-up: first-touch costs out of the figures
                seen: dict[str, tuple[str, ...]] = {}
                for n in counts:
                    res = asyncio.run(run_load(bases, n, args.seconds, qs))
                    for q, r in res["retrieved"].items():
                        seen.setdefault(q, r)
                    lat = [x * 1000 for x in res["latencies"]]
                    errors = sum(res["errors"].values())
                    rps = len(lat) / res["elapsed"]
                    share = 100 * rps / ceilings[config.backend][1]
                    torch_share = f"{100 * rps / ceilings['torch'][1]:>5.0f}%" if "torch" in ceilings else f"{'—':>6}"
                    detail = ", ".join(f"{k} {v}" for k, v in sorted(res["statuses"].items()))
                    if errors:
                        detail += " | errors: " + ", ".join(f"{k} {v}" for k, v in res["errors"].items())
                    print(f"{config.label():<26} {n:>7} {len(lat):>8} {rps:>7.1f} {share:>5.0f}% {torch_share} {pct(lat, 50):>8.1f} "
                          f"{pct(lat, 95):>8.1f} {pct(lat, 99):>8.1f} {errors:>6}  {detail}", flush=True)
                answers[config] = seen
                memory = " + ".join(f"{rss_mb(p.pid):.0f}" for p in procs)
                print(f"{'':<26} resident memory of the server process(es): {memory} MB")
            finally:
                for proc in procs:
                    stop_process(proc)
        first, reference = configs[0], answers[configs[0]]
        for config in configs[1:]:
            common = [q for q in answers[config] if q in reference]
            differ = [q for q in common if answers[config][q] != reference[q]]
            print(f"retrieved clauses, {config.label()} vs {first.label()}: {len(differ)} of {len(common)} questions differ")


if __name__ == "__main__":
    main()
