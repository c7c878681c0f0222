"""Scale-out: API replicas behind nginx, sharing one PostgreSQL, one Chroma server and one index folder.

The topology (deploy/docker-compose.yml describes the same one for containers), started here without
Docker by `running_topology()`:

    nginx 127.0.0.1:<port>  ──round robin──▶  policy-qa serve #0, #1 (127.0.0.1:<ports>)
                                                 │ database_url ─▶ PostgreSQL (sessions, turns, feedback,
                                                 │                 rate-limit buckets)
                                                 │ chroma_url   ─▶ chroma run (dense vectors)
                                                 └ index_dir    ─▶ one folder: versions/<v>/, ACTIVE

Scenarios (tests/reliability/test_topology.py asserts on the same functions):

- `converse_across`: one conversation whose turns go to replica 0, then replica 1, then through nginx;
  the second turn must be read in the light of the first (its slots) wherever it lands.
- `rate_limit_across`: one client's requests spread over both replicas and nginx are counted in one
  bucket: no more pass than the burst plus the refill, and every refusal is the usual 429.
- `index_switch`: `policy-qa index build --force` in a third process; every replica serves the new version.
- `failover`: a closed-loop chat load through nginx, replica 0 killed with SIGKILL midway; figures:
  requests sent, failed, and turns lost (answered with 200, yet missing from PostgreSQL).
- `throughput`: q/s and p50/p95 latency through nginx with one upstream, then two.

    .venv/bin/python benchmarks/scale_out.py [--seconds 20] [--clients 4]

On a 2-core machine two replicas cannot answer much faster than one: each answer is CPU-bound (query
embedding, BM25, composing), and both replicas share the same two cores. What a second replica buys
there is that losing one costs only the requests it had in flight.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from local_services import ChromaServer, Nginx, PostgresCluster, free_port, stop
from rebuild_under_load import QUESTIONS, REPO_ROOT, SERVER_READY_TIMEOUT_S, Server, Workspace, server_env, start_build

from index.store import active_version, build_index

__all__ = [
    "Topology", "running_topology", "nginx_config", "converse_across", "rate_limit_across", "start_index_build",
    "index_switch", "BuildRun",
    "failover", "throughput", "client_at", "FOLLOW_UP", "RateResult", "FailoverResult", "LoadResult",
]

log = logging.getLogger(__name__)

#: a first turn that sets the topic, and a follow-up that only makes sense after it
FOLLOW_UP = ("我开饭店，在低风险地区", "有25个员工，都参保了，留工补助多少？")
#: the limits the replicas run with in the topology test: one token a second, a burst of 30
TEST_LIMITS = {"POLICY_QA_RATE_LIMIT_PER_MINUTE": "60", "POLICY_QA_RATE_LIMIT_BURST": "30"}
#: the benchmark measures answering, not the guards
BENCH_LIMITS = {"POLICY_QA_RATE_LIMIT_PER_MINUTE": "1000000", "POLICY_QA_RATE_LIMIT_BURST": "1000000"}
CLIENT_TIMEOUT_S = 30.0
SWITCH_TIMEOUT_S = 120.0


# ---------------------------------------------------------------- the topology
def nginx_config(ports: list[int]) -> tuple[str, str]:
    """(upstream block, server locations) for replicas on 127.0.0.1:`ports` (deploy/nginx.conf's shape)."""
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in ports)
    upstream = f"""    upstream policy_qa {{
{servers}
        keepalive 16;
        keepalive_timeout 10s;
    }}
"""
    common = """            proxy_pass http://policy_qa;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            # a replica that refuses the connection (killed, restarting) is skipped; a POST already sent
            # to a replica that dies is not re-sent (it may have been answered and stored)
            proxy_next_upstream error timeout;
            proxy_connect_timeout 2s;
            proxy_read_timeout 60s;"""
    locations = f"""        error_page 502 504 = @unavailable;
        location @unavailable {{
            default_type application/json;
            add_header Retry-After 1 always;
            return 502 '{{"error":{{"code":"upstream_unavailable","message":"服务暂时不可用，请稍后重试。"}},"request_id":"$request_id"}}';
        }}
        location /api/chat/stream {{
{common}
            proxy_buffering off;
        }}
        location / {{
{common}
        }}
"""
    return upstream, locations


@dataclass
class Topology:
    root: Path
    ws: Workspace
    cluster: PostgresCluster
    database_url: str
    chroma_url: str
    replicas: list[Server]
    nginx: Nginx
    env: dict[str, str]
    timings: dict[str, float] = field(default_factory=dict)  # seconds each start-up step took
    _stack: contextlib.ExitStack = field(repr=False, default_factory=contextlib.ExitStack)

    def turn_ids(self, ids: list[str]) -> set[str]:
        """Which of these answer ids PostgreSQL holds (read with a connection of our own)."""
        import psycopg

        with psycopg.connect(self.database_url) as conn:
            return {r[0] for r in conn.execute("SELECT id FROM turns WHERE id = ANY(%s)", (ids,))}

    def session_turns(self, session_id: str) -> list[str]:
        import psycopg

        with psycopg.connect(self.database_url) as conn:
            return [r[0] for r in conn.execute(
                "SELECT id FROM turns WHERE session_id = %s ORDER BY created_at, seq", (session_id,))]

    def add_nginx(self, replicas: list[Server]) -> Nginx:
        """Another nginx in front of `replicas` (stopped with the topology)."""
        ports = [int(r.url.rsplit(":", 1)[1]) for r in replicas]
        prefix = self.root / f"nginx-{'-'.join(map(str, ports))}"
        return self._stack.enter_context(Nginx.running(*nginx_config(ports), prefix))

    def error_lines(self) -> list[str]:
        return [line for r in self.replicas for line in r.error_lines()]


def replica_env(ws: Workspace, n: int, database_url: str, chroma_url: str, limits: dict[str, str]) -> dict[str, str]:
    return server_env(ws, **{
        "POLICY_QA_DATABASE_URL": database_url,
        "POLICY_QA_CHROMA_URL": chroma_url,
        "POLICY_QA_LOG_PATH": str(ws.root / f"replica{n}.log"),
        "POLICY_QA_TRUSTED_PROXIES": '["127.0.0.1"]',  # nginx connects from here
        "POLICY_QA_MAX_CLIENT_SHARE": "0.25",  # the default: every citizen here has an address of their own
        **limits,
    })


def _start_replica(env: dict[str, str], n: int, root: Path) -> Server:
    port = free_port()
    stderr_path = root / f"replica{n}.stderr"
    with open(stderr_path, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=err,
        )
    return Server(f"http://127.0.0.1:{port}", proc, stderr_path, Path(env["POLICY_QA_LOG_PATH"]), time.monotonic())


def _wait_ready(servers: list[Server]) -> None:
    deadline = time.monotonic() + SERVER_READY_TIMEOUT_S
    pending = list(servers)
    while pending:
        for s in list(pending):
            if s.proc.poll() is not None:
                raise RuntimeError(f"replica exited with {s.proc.returncode}: "
                                   f"{s.stderr_path.read_text(errors='replace')[-2000:]}")
            if s.ready_version() is not None:
                s.started_s = time.monotonic() - s.started_s
                pending.remove(s)
        if time.monotonic() > deadline:
            raise RuntimeError("replicas not ready in time")
        time.sleep(0.3)


@contextlib.contextmanager
def running_topology(root: Path, embedder, seed_index: Path | None = None, replicas: int = 2,
                     limits: dict[str, str] | None = None) -> Iterator[Topology]:
    """PostgreSQL, Chroma, `replicas` API processes and nginx, all on 127.0.0.1; everything stopped after.

    Raises `local_services.ServiceUnavailable` when PostgreSQL, nginx or chroma cannot run here.
    """
    timings: dict[str, float] = {}
    t = time.monotonic()

    def lap(name: str) -> None:
        nonlocal t
        timings[name] = round(time.monotonic() - t, 1)
        t = time.monotonic()

    with contextlib.ExitStack() as stack:
        cluster = stack.enter_context(PostgresCluster.running())
        database_url = cluster.create_database("policy_qa")
        lap("postgres")
        chroma = stack.enter_context(ChromaServer.running(root / "chroma", root / "chroma.log"))
        lap("chroma")
        ws = Workspace.create(root / "ws", embedder, seed_index=seed_index)
        # the served version lives in the Chroma server (vectors reused from the seed: nothing re-embedded)
        build_index(ws.corpus, ws.index_dir, embedder, chroma_url=chroma.url)
        lap("index_into_chroma")
        envs = [replica_env(ws, n, database_url, chroma.url, limits or TEST_LIMITS) for n in range(replicas)]
        servers = [_start_replica(env, n, root) for n, env in enumerate(envs)]
        for s in servers:
            stack.callback(stop, s.proc)
        _wait_ready(servers)
        lap("replicas_ready")
        ports = [int(s.url.rsplit(":", 1)[1]) for s in servers]
        nginx = stack.enter_context(Nginx.running(*nginx_config(ports), root / "nginx"))
        lap("nginx")
        topo = Topology(root, ws, cluster, database_url, chroma.url, servers, nginx, envs[0], timings)
        log.info("topology up: %s", timings)
        stack.enter_context(topo._stack)
        yield topo


def client_at(url: str, source: str = "127.0.0.1", timeout: float = CLIENT_TIMEOUT_S) -> httpx.Client:
    """An HTTP client whose requests leave from `source` (any 127.0.0.0/8 address: one per citizen)."""
    return httpx.Client(base_url=url, timeout=timeout, transport=httpx.HTTPTransport(local_address=source))


# ---------------------------------------------------------------- scenarios
def converse_across(topo: Topology, source: str = "127.0.0.2") -> dict[str, Any]:
    """Turn 1 on replica 0, turn 2 on replica 1, turn 3 through nginx, one session; plus the follow-up alone."""
    r0, r1 = topo.replicas[0], topo.replicas[1]
    with client_at(r0.url, source) as c0, client_at(r1.url, source) as c1, client_at(topo.nginx.url, source) as cn:
        first = c0.post("/api/chat", json={"question": FOLLOW_UP[0]}).json()
        second = c1.post("/api/chat", json={"question": FOLLOW_UP[1], "session_id": first["session_id"]}).json()
        third = cn.post("/api/chat", json={"question": FOLLOW_UP[1], "session_id": first["session_id"]}).json()
        alone = cn.post("/api/chat", json={"question": FOLLOW_UP[1]}).json()
    return {"first": first, "second": second, "third": third, "alone": alone,
            "stored": topo.session_turns(first["session_id"])}


@dataclass
class RateResult:
    per_minute: int
    burst: int
    elapsed_s: float
    passed: dict[str, int]  # per target
    limited: dict[str, int]
    refusals: list[dict[str, Any]]  # status, Retry-After, error body of each 429
    other: list[str]

    @property
    def total_passed(self) -> int:
        return sum(self.passed.values())

    @property
    def allowed(self) -> float:
        """What one shared bucket lets through in the time the requests took."""
        return self.burst + self.per_minute / 60 * self.elapsed_s


def rate_limit_across(topo: Topology, n: int = 90, source: str = "127.0.0.3") -> RateResult:
    """`n` GET /api/suggestions from one client address, in turn to replica 0, replica 1 and nginx."""
    targets = {"replica0": topo.replicas[0].url, "replica1": topo.replicas[1].url, "nginx": topo.nginx.url}
    clients = {name: client_at(url, source) for name, url in targets.items()}
    passed = dict.fromkeys(targets, 0)
    limited = dict.fromkeys(targets, 0)
    refusals: list[dict[str, Any]] = []
    other: list[str] = []
    names = list(targets)
    t0 = time.monotonic()
    try:
        for i in range(n):
            name = names[i % len(names)]
            r = clients[name].get("/api/suggestions")
            if r.status_code == 200:
                passed[name] += 1
            elif r.status_code == 429:
                limited[name] += 1
                refusals.append({"status": 429, "retry_after": r.headers.get("retry-after"), "body": r.json()})
            else:
                other.append(f"{name}: HTTP {r.status_code} {r.text[:200]}")
    finally:
        for c in clients.values():
            c.close()
    elapsed = time.monotonic() - t0
    per_minute = int(topo.env["POLICY_QA_RATE_LIMIT_PER_MINUTE"])
    burst = int(topo.env["POLICY_QA_RATE_LIMIT_BURST"])
    return RateResult(per_minute, burst, elapsed, passed, limited, refusals, other)


@dataclass
class BuildRun:
    """`policy-qa index build --force` running in a third process, and what the replicas served before."""

    proc: subprocess.Popen
    output: Path
    before: list[str | None]
    t0: float


def start_index_build(topo: Topology) -> BuildRun:
    """Start the rebuild in its own process; the replicas keep answering meanwhile."""
    before = [r.ready_version() for r in topo.replicas]
    out = topo.root / "build.out"
    proc = start_build({**topo.env, "POLICY_QA_LOG_PATH": str(topo.root / "build.log")}, out)
    topo._stack.callback(stop, proc)
    return BuildRun(proc, out, before, time.monotonic())


def index_switch(topo: Topology, run: BuildRun | None = None) -> dict[str, Any]:
    """Wait for the rebuild (`run`, or one started now) and until every replica serves what ACTIVE names."""
    run = run or start_index_build(topo)
    try:
        rc = run.proc.wait(timeout=SWITCH_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        stop(run.proc, signal.SIGKILL)
        rc = None
    built_s = time.monotonic() - run.t0
    active = active_version(topo.ws.index_dir)
    seen = run.before
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        seen = [r.ready_version() for r in topo.replicas]
        if all(v == active for v in seen):
            break
        time.sleep(0.2)
    manifest = json.loads((topo.ws.index_dir / "versions" / active / "manifest.json").read_text(encoding="utf-8"))
    return {"before": run.before, "after": seen, "active": active, "build_rc": rc, "build_s": round(built_s, 1),
            "switched_s": round(time.monotonic() - run.t0, 1), "manifest_chroma": manifest["chroma"],
            "build_output": run.output.read_text(encoding="utf-8", errors="replace")[-2000:]}


@dataclass
class Request:
    worker: int
    sent_s: float
    latency_s: float
    status: int | None
    error: str | None
    answer_id: str | None
    session_id: str | None


@dataclass
class FailoverResult:
    requests: list[Request]
    killed_at_s: float | None
    lost: list[str]  # answered 200, not in the database
    stored_unanswered: int  # the client saw a failure, but the turn had been committed (killed mid-reply)
    after_kill_ok: int
    after_kill_failed: list[Request]

    @property
    def failed(self) -> list[Request]:
        return [r for r in self.requests if r.status != 200]

    def figures(self) -> dict[str, Any]:
        return {"sent": len(self.requests), "failed": len(self.failed), "turns_lost": len(self.lost),
                "answered_after_kill": self.after_kill_ok, "failed_after_kill_1s": len(self.after_kill_failed),
                "stored_but_unanswered": self.stored_unanswered}


def _chat_worker(url: str, worker: int, source: str, t0: float, stop_at: float, out: list[Request],
                 lock: threading.Lock, think_s: float) -> None:
    """One citizen: a conversation of questions, one at a time (`think_s` between them), until `stop_at`."""
    session: str | None = None
    i = worker
    with client_at(url, source) as client:
        while time.monotonic() < stop_at:
            q = QUESTIONS[i % len(QUESTIONS)]
            i += 1
            sent = time.monotonic()
            status = error = answer_id = None
            try:
                r = client.post("/api/chat", json={"question": q, "session_id": session})
                status = r.status_code
                if status == 200:
                    body = r.json()
                    answer_id, session = body["answer_id"], body["session_id"]
                else:
                    error = r.text[:200]
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            with lock:
                out.append(Request(worker, sent - t0, time.monotonic() - sent, status, error, answer_id, session))
            if think_s:
                time.sleep(think_s)


def _run_load(url: str, seconds: float, clients: int, during=None, think_s: float = 0.0
              ) -> tuple[list[Request], float, Any]:
    """`clients` closed-loop citizens (each from its own loopback address) for `seconds`; `during(t0)`
    runs in this thread meanwhile and its result is returned."""
    out: list[Request] = []
    lock = threading.Lock()
    t0 = time.monotonic()
    workers = [threading.Thread(target=_chat_worker, args=(url, n, f"127.0.1.{n + 1}", t0, t0 + seconds, out, lock, think_s),
                                daemon=True) for n in range(clients)]
    for w in workers:
        w.start()
    result = during(t0) if during else None
    for w in workers:
        w.join(CLIENT_TIMEOUT_S + seconds)
    return sorted(out, key=lambda r: r.sent_s), t0, result


def failover(topo: Topology, seconds: float = 12.0, kill_after_s: float = 4.0, clients: int = 6,
             think_s: float = 0.5) -> FailoverResult:
    """Chat load through nginx; replica 0 gets SIGKILL after `kill_after_s`.

    `think_s` between a citizen's questions keeps each citizen under the test topology's rate limit
    (one token a second after a burst of 30): the limit is not what this scenario is about.
    """
    victim = topo.replicas[0]

    def kill(t0: float) -> float:
        time.sleep(kill_after_s)
        victim.proc.send_signal(signal.SIGKILL)
        victim.proc.wait()
        return time.monotonic() - t0

    requests, _, killed_at = _run_load(topo.nginx.url, seconds, clients, kill, think_s)
    answered = [r.answer_id for r in requests if r.status == 200 and r.answer_id]
    stored = topo.turn_ids(answered)
    lost = [a for a in answered if a not in stored]
    # a request that failed may still have been committed by the dying replica before it could reply:
    # such turns are not lost (the citizen asks again), counted to show the window exists
    sessions = {r.session_id for r in requests if r.session_id}
    all_stored = set()
    for s in sessions:
        all_stored.update(topo.session_turns(s))
    stored_unanswered = len(all_stored - set(answered))
    after = [r for r in requests if killed_at is not None and r.sent_s > killed_at + 1.0]
    return FailoverResult(requests, killed_at, lost, stored_unanswered,
                          sum(1 for r in after if r.status == 200), [r for r in after if r.status != 200])


@dataclass
class LoadResult:
    upstreams: int
    clients: int
    seconds: float
    requests: int
    ok: int
    qps: float
    p50_ms: float
    p95_ms: float


def throughput(url: str, upstreams: int, seconds: float, clients: int) -> LoadResult:
    requests, t0, _ = _run_load(url, seconds, clients)
    ok = [r for r in requests if r.status == 200]
    lat = sorted(r.latency_s * 1000 for r in ok) or [0.0]
    pick = lambda p: round(lat[min(len(lat) - 1, int(p * (len(lat) - 1)))], 1)  # noqa: E731
    return LoadResult(upstreams, clients, seconds, len(requests), len(ok), round(len(ok) / seconds, 2),
                      pick(0.5), pick(0.95))


# ---------------------------------------------------------------- figures
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each throughput run")
    parser.add_argument("--clients", type=int, default=4, help="concurrent citizens (closed loop)")
    args = parser.parse_args()
    from index.embed import load_embedder
    from assistant.settings import Settings

    embedder = load_embedder(Settings().embedding_model)
    seed = REPO_ROOT / "data" / "index"
    with tempfile.TemporaryDirectory(prefix="pqa-scale-") as tmp, \
            running_topology(Path(tmp), embedder, seed_index=seed if active_version(seed) else None,
                             limits=BENCH_LIMITS) as topo:
        print(f"replicas ready in {', '.join(f'{r.started_s:.0f} s' for r in topo.replicas)} (started together)")
        one = topo.add_nginx(topo.replicas[:1])
        throughput(one.url, 1, 3, args.clients)  # warm-up: first answers load per-version tables
        rows = [throughput(one.url, 1, args.seconds, args.clients),
                throughput(topo.nginx.url, 2, args.seconds, args.clients)]
        print(f"\nthroughput through nginx, {args.clients} closed-loop clients, {args.seconds:.0f} s each, "
              f"POST /api/chat (mixed questions, one conversation per client)")
        print(f"{'upstreams':>9} {'requests':>9} {'ok':>6} {'q/s':>7} {'p50 ms':>8} {'p95 ms':>8}")
        for r in rows:
            print(f"{r.upstreams:>9} {r.requests:>9} {r.ok:>6} {r.qps:>7.2f} {r.p50_ms:>8.1f} {r.p95_ms:>8.1f}")
        gain = rows[1].qps / rows[0].qps if rows[0].qps else float("nan")
        print(f"2 replicas / 1 replica: {gain:.2f}x (both replicas share the machine's cores)")

        result = failover(topo, seconds=15.0, kill_after_s=5.0, clients=args.clients, think_s=0.0)
        f = result.figures()
        print(f"\nfailover: replica 0 killed with SIGKILL at {result.killed_at_s:.1f} s of a 15 s load through nginx")
        print(f"{'sent':>6} {'failed':>7} {'turns lost':>11} {'ok after kill':>14} {'failed >1 s after':>18} "
              f"{'stored, reply lost':>19}")
        print(f"{f['sent']:>6} {f['failed']:>7} {f['turns_lost']:>11} {f['answered_after_kill']:>14} "
              f"{f['failed_after_kill_1s']:>18} {f['stored_but_unanswered']:>19}")
        for r in result.failed[:10]:
            print(f"  failed at {r.sent_s:.2f} s: HTTP {r.status} {' '.join((r.error or '').split())[:120]}")


if __name__ == "__main__":
    main()
