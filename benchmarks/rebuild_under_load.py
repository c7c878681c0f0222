"""An index rebuild while a real server answers a steady loopback load, and a build killed midway.

The scenario (hardening issue, item 4):

1. A private copy of the corpus and of a built index; `policy-qa serve` on 127.0.0.1 over them, with
   the index polled every 0.2 s and rate limits out of the way.
2. Swap: one clause of the private corpus is edited (the preamble gains two characters, so every
   later character offset moves by two), and `policy-qa index build --force` runs in a second
   process while POST /api/chat requests arrive at 20 per second.
3. Kill: under the same load another build starts and is killed with SIGKILL as soon as its version
   folder appears, i.e. before its manifest is written and before ACTIVE could switch.

Every answer is compared with the answer a clean `Assistant` opened on the version the answer names
gives to the same question (in this process, same settings): an answer that differs mixes versions
(say, text of the new version cut at offsets of the old one). Figures: requests, failed requests
(non-200, transport errors, client timeouts), versions seen, mixed answers, old-version answers
after the switch had become visible, and whether the old version kept serving after the kill.

    .venv/bin/python benchmarks/rebuild_under_load.py

The pieces (`Workspace`, `run_server`, `run_swap`, `run_kill`, `ReferenceAnswers`) are what
tests/reliability/test_rebuild_under_load.py drives; `rebuild_figures()` runs both scenarios.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from index.store import active_version, build_index

__all__ = [
    "AS_OF", "EDIT", "QUESTIONS", "Outcome", "Workspace", "Server", "ReferenceAnswers", "SwapResult", "KillResult",
    "run_server", "stop_process", "run_swap", "run_kill", "rebuild_figures", "server_env",
]

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
DOC_FILE = Path("documents") / "sx-rst-2022-19.txt"
#: pinned so the server and the reference assistant judge validity on the same day
AS_OF = date(2026, 11, 26)
#: the edited clause: the preamble, ahead of every other clause, so the edit shifts all later offsets
EDIT = ("全力推进稳就业工作", "全力推进全省稳就业工作")
EDIT_MARKER = "全力推进全省稳就业工作"
PREAMBLE = "sx-rst-2022-19#preamble"
#: one question per kind of answer: rule amounts, clarify, department, deadline, fact (the edited
#: preamble), eligibility, refusals
QUESTIONS = (
    "我饭店25个参保员工，留工培训补助能拿多少",
    "稳岗返还能返多少钱？",
    "稳岗返还政策归哪个处室负责？",
    "企业缓缴社会保险费的政策到什么时候？",
    "这个工作方案是为了落实什么精神？",
    "我开饭店，有什么补贴？",
    "招用应届高校毕业生，企业能领多少扩岗补助？",
    "灵活就业人员参保还有户籍限制吗？",
    "医保住院报销比例是多少？",
    "2024年稳岗返还比例是多少？",
)
#: 15/s: a swap under load, not a throughput test — one process answers about 25–30/s here with both cores, and
#: at 20/s beside a build on the other core it ran at capacity (2026-12-03: one fresh clone in three timed out)
RATE_PER_S = 15.0
REQUEST_TIMEOUT_S = 10.0
POLL_SECONDS = 0.2
#: the load's hard cap, whatever happens to the build: 80 s at 15 requests per second
MAX_REQUESTS = 1200
#: after ACTIVE changes: poll interval (2 s) + opening the new version, with room for a busy machine.
#: A new version opens in a background thread: ~0.6 s for the eight-document corpus on an idle 2-core machine
#: (jieba's dictionary and the runs' pinyin are kept from the first open), 1.3-1.8 s under this load.
SWITCH_GRACE_S = 5.0
SERVER_READY_TIMEOUT_S = 180.0
BUILD_TIMEOUT_S = 240.0
#: answer fields that legitimately differ between two askings of one question
VOLATILE = ("timing_ms", "session_id", "answer_id")


# ---------------------------------------------------------------- workspace and server
@dataclass
class Workspace:
    """A private corpus, index, database and log under `root`, safe to edit and rebuild."""

    root: Path

    @property
    def corpus(self) -> Path:
        return self.root / "corpus"

    @property
    def index_dir(self) -> Path:
        return self.root / "index"

    @property
    def db_path(self) -> Path:
        return self.root / "policy_qa.sqlite3"

    @property
    def log_path(self) -> Path:
        return self.root / "server.log"

    @classmethod
    def create(cls, root: Path, embedder, seed_index: Path | None = None) -> Workspace:
        """Copy the corpus; copy the active version of `seed_index` (built from the same corpus) or build one."""
        ws = cls(root)
        shutil.copytree(REPO_ROOT / "corpus", ws.corpus)
        seed = active_version(seed_index) if seed_index else None
        if seed_index and seed:
            # only the active version: a copy of a long-lived data/index would otherwise carry its history
            shutil.copytree(seed_index / "versions" / seed, ws.index_dir / "versions" / seed)
            (ws.index_dir / "ACTIVE").write_text(seed, encoding="utf-8")
        # a no-op when the copied version matches the corpus, a full build otherwise
        build_index(ws.corpus, ws.index_dir, embedder)
        return ws

    def edit(self, old: str, new: str) -> None:
        path = self.corpus / DOC_FILE
        text = path.read_text(encoding="utf-8")
        if text.count(old) != 1:
            raise ValueError(f"{old!r} occurs {text.count(old)} times in {path}")
        path.write_text(text.replace(old, new), encoding="utf-8")

    def versions(self) -> set[str]:
        d = self.index_dir / "versions"
        return {p.name for p in d.iterdir()} if d.is_dir() else set()


def server_env(ws: Workspace, **extra: str) -> dict[str, str]:
    """Environment of the server and build processes: everything points into the workspace."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICY_QA_")}
    env.update({
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "POLICY_QA_CORPUS_DIR": str(ws.corpus),
        "POLICY_QA_INDEX_DIR": str(ws.index_dir),
        "POLICY_QA_DB_PATH": str(ws.db_path),
        "POLICY_QA_LOG_PATH": str(ws.log_path),
        "POLICY_QA_AS_OF": AS_OF.isoformat(),
        "POLICY_QA_INDEX_POLL_SECONDS": str(POLL_SECONDS),
        "POLICY_QA_HOST": "127.0.0.1",
        # the load is the point here, not the guards
        "POLICY_QA_RATE_LIMIT_PER_MINUTE": "1000000",
        "POLICY_QA_RATE_LIMIT_BURST": "1000000",
        "POLICY_QA_MAX_CONCURRENT_REQUESTS": "64",
        "POLICY_QA_MAX_CLIENT_SHARE": "1",  # every request comes from 127.0.0.1
        **extra,
    })
    return env


@dataclass
class Server:
    url: str
    proc: subprocess.Popen
    stderr_path: Path
    log_path: Path
    started_s: float

    def ready_version(self) -> str | None:
        try:
            r = httpx.get(self.url + "/readyz", timeout=5)
        except httpx.HTTPError:
            return None
        return r.json().get("index_version") if r.status_code == 200 else None

    def error_lines(self) -> list[str]:
        """Log lines at level error or above, and any Python traceback on stderr."""
        bad: list[str] = []
        if self.log_path.exists():
            for line in self.log_path.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    if json.loads(line).get("level") in ("error", "critical"):
                        bad.append(line[:500])
                except ValueError:
                    continue
        if self.stderr_path.exists():
            text = self.stderr_path.read_text(encoding="utf-8", errors="replace")
            bad += [line for line in text.splitlines() if line.startswith("Traceback")]
        return bad


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def run_server(env: dict[str, str], stderr_path: Path, log_path: Path, *, log_level: str = "info") -> Iterator[Server]:
    """`policy-qa serve` on a free loopback port until the block ends; waits for /readyz."""
    port = free_port()
    t0 = time.monotonic()
    with open(stderr_path, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", log_level],
            env=env, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=err,
        )
    server = Server(f"http://127.0.0.1:{port}", proc, stderr_path, log_path, 0.0)
    try:
        while server.ready_version() is None:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}: {stderr_path.read_text(errors='replace')[-2000:]}")
            if time.monotonic() - t0 > SERVER_READY_TIMEOUT_S:
                raise RuntimeError("server not ready in time")
            time.sleep(0.2)
        server.started_s = time.monotonic() - t0
        yield server
    finally:
        stop_process(proc)


def stop_process(proc: subprocess.Popen, grace_s: float = 15) -> None:
    """SIGTERM, then SIGKILL if the process has not exited within `grace_s`."""
    proc.terminate()
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def start_build(env: dict[str, str], output: Path) -> subprocess.Popen:
    """`policy-qa index build --force` in its own process, its output in a file (a pipe could fill up)."""
    with open(output, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "api.cli", "index", "build", "--force"],
            env=env, cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT,
        )


# ---------------------------------------------------------------- reference answers
def comparable(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k not in VOLATILE}


class ReferenceAnswers:
    """What a clean assistant opened on one version answers to each question (computed once per version)."""

    def __init__(self, ws: Workspace, embedder, questions: tuple[str, ...] = QUESTIONS) -> None:
        self.ws = ws
        self.embedder = embedder
        self.questions = questions
        self.by_version: dict[str, dict[str, dict[str, Any]]] = {}

    def add_active(self) -> str:
        """Answer every question with an assistant on the version ACTIVE names now (and the corpus as it is now)."""
        from assistant.pipeline import Assistant
        from assistant.settings import Settings

        settings = Settings(corpus_dir=self.ws.corpus, index_dir=self.ws.index_dir, db_path=self.ws.db_path,
                            as_of=AS_OF, index_poll_seconds=0)
        assistant = Assistant.open(settings, self.embedder)
        version = assistant.handle.current()[0].version
        if version not in self.by_version:
            self.by_version[version] = {q: comparable(assistant.ask(q).model_dump(mode="json")) for q in self.questions}
        return version

    def verdict(self, question: str, answer: dict[str, Any]) -> str | None:
        """None when `answer` is what its own version answers; otherwise what differs."""
        version = answer.get("index_version")
        ref = self.by_version.get(version, {}).get(question)
        if ref is None:
            return f"no reference for version {version}"
        got = comparable(answer)
        if got == ref:
            return None
        fields = [k for k in sorted(set(got) | set(ref)) if got.get(k) != ref.get(k)]
        detail = ""
        if "citations" in fields:
            for a, b in zip(got.get("citations") or [], ref.get("citations") or []):
                if a != b:
                    detail = (f" first differing citation {a.get('clause_id')} [{a.get('start')},{a.get('end')}) "
                              f"quote {a.get('quote', '')[:40]!r}, expected [{b.get('start')},{b.get('end')}) "
                              f"{b.get('quote', '')[:40]!r}")
                    break
        return f"{version}: fields {fields} differ from a clean assistant on that version;{detail}"


def preamble_consistent(answer: dict[str, Any], new_version: str) -> bool:
    """The edited clause, where cited, reads as the version the answer names says it should."""
    for c in answer.get("citations") or []:
        if c.get("clause_id") == PREAMBLE and (EDIT_MARKER in c.get("quote", "")) != (answer.get("index_version") == new_version):
            return False
    return True


# ---------------------------------------------------------------- the load
@dataclass
class Outcome:
    i: int
    question: str
    sent_s: float  # since the load started
    latency_s: float
    status: int | None
    error: str | None
    answer: dict[str, Any] | None

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.error is None and self.answer is not None


class Load:
    """POST /api/chat at a fixed rate (open loop: a slow answer does not delay the next request)."""

    def __init__(self, url: str, questions: tuple[str, ...] = QUESTIONS, rate: float = RATE_PER_S,
                 max_requests: int = MAX_REQUESTS, timeout_s: float = REQUEST_TIMEOUT_S) -> None:
        self.url = url
        self.questions = questions
        self.rate = rate
        self.max_requests = max_requests
        self.timeout_s = timeout_s
        self.stop = threading.Event()
        self.t0 = 0.0
        self.outcomes: list[Outcome] = []
        self._thread = threading.Thread(target=self._run, name="load", daemon=True)

    def start(self) -> Load:
        self.t0 = time.monotonic()
        self._thread.start()
        return self

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def finish(self) -> list[Outcome]:
        self.stop.set()
        self._thread.join()
        return self.outcomes

    def _one(self, client: httpx.Client, i: int) -> Outcome:
        q = self.questions[i % len(self.questions)]
        sent = self.elapsed()
        try:
            r = client.post("/api/chat", json={"question": q})
        except httpx.HTTPError as exc:
            return Outcome(i, q, sent, self.elapsed() - sent, None, f"{type(exc).__name__}: {exc}", None)
        latency = self.elapsed() - sent
        if r.status_code != 200:
            return Outcome(i, q, sent, latency, r.status_code, r.text[:300], None)
        try:
            return Outcome(i, q, sent, latency, 200, None, r.json())
        except ValueError:
            return Outcome(i, q, sent, latency, 200, f"not JSON: {r.text[:200]}", None)

    def _run(self) -> None:
        # enough workers that the requests per second keep their schedule even when answers take seconds
        with httpx.Client(base_url=self.url, timeout=self.timeout_s,
                          limits=httpx.Limits(max_connections=64, max_keepalive_connections=64)) as client, \
                ThreadPoolExecutor(64) as pool:
            futures: list[Future] = []
            for i in range(self.max_requests):
                delay = self.t0 + i / self.rate - time.monotonic()
                if self.stop.wait(max(delay, 0)):
                    break
                futures.append(pool.submit(self._one, client, i))
            self.outcomes = [f.result() for f in futures]


def _latency_ms(outcomes: list[Outcome]) -> dict[str, float]:
    lat = sorted(o.latency_s * 1000 for o in outcomes)
    if not lat:
        return {"p50_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
    pick = lambda p: round(lat[min(len(lat) - 1, int(p * (len(lat) - 1)))], 1)  # noqa: E731
    return {"p50_ms": pick(0.5), "p99_ms": pick(0.99), "max_ms": round(lat[-1], 1)}


# ---------------------------------------------------------------- scenarios
class _UnderLoad:
    """What both scenarios report about the requests sent while the index changed."""

    outcomes: list[Outcome]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def answers(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.ok]

    @property
    def versions_seen(self) -> list[str]:
        return sorted({o.answer["index_version"] for o in self.answers})


@dataclass
class SwapResult(_UnderLoad):
    old_version: str
    new_version: str | None
    build_rc: int | None
    build_stderr: str
    build_started_s: float
    build_ended_s: float
    switched_s: float | None  # when ACTIVE changed, since the load started
    outcomes: list[Outcome]
    mixed: list[str]
    served_at_end: str | None

    @property
    def old_after_switch(self) -> list[Outcome]:
        """Old-version answers to requests sent when the new version had long been active."""
        if self.switched_s is None:
            return []
        cutoff = self.switched_s + SWITCH_GRACE_S
        return [o for o in self.answers if o.sent_s > cutoff and o.answer["index_version"] == self.old_version]

    @property
    def switch_lag_s(self) -> float | None:
        """From ACTIVE changing to the first request answered from the new version."""
        firsts = [o.sent_s for o in self.answers if o.answer["index_version"] == self.new_version]
        return round(min(firsts) - self.switched_s, 2) if firsts and self.switched_s is not None else None

    def figures(self) -> dict[str, Any]:
        return {
            "requests": len(self.outcomes),
            "failed": len(self.failed),
            "failures": [f"#{o.i} {o.status} {o.error}" for o in self.failed[:5]],
            "old_version": self.old_version,
            "new_version": self.new_version,
            "versions_seen": self.versions_seen,
            "versions_besides_old_and_new": sorted(set(self.versions_seen) - {self.old_version, self.new_version}),
            "mixed_answers": len(self.mixed),
            "mixed_examples": self.mixed[:3],
            "old_after_switch": len(self.old_after_switch),
            "switch_lag_s": self.switch_lag_s,
            "served_at_end": self.served_at_end,
            "build_rc": self.build_rc,
            "build_seconds": round(self.build_ended_s - self.build_started_s, 1),
            "load_seconds": round(max((o.sent_s for o in self.outcomes), default=0), 1),
            **_latency_ms(self.outcomes),
        }


def _judge(outcomes: list[Outcome], refs: ReferenceAnswers, new_version: str | None) -> list[str]:
    mixed = []
    for o in outcomes:
        if not o.ok:
            continue
        problem = refs.verdict(o.question, o.answer)
        if problem is None and new_version and not preamble_consistent(o.answer, new_version):
            problem = f"{o.answer['index_version']}: preamble quote does not read as that version"
        if problem:
            mixed.append(f"#{o.i} {o.question}: {problem}")
    return mixed


def run_swap(ws: Workspace, server: Server, refs: ReferenceAnswers, env: dict[str, str], *,
             lead_in_s: float = 2.0, tail_s: float = 4.0, min_load_s: float = 15.0) -> SwapResult:
    """Edit the preamble and rebuild in a second process while the load runs; judge every answer."""
    old = refs.add_active()
    served = server.ready_version()
    if served != old:
        raise RuntimeError(f"server serves {served}, ACTIVE is {old}")
    ws.edit(*EDIT)
    load = Load(server.url).start()
    time.sleep(lead_in_s)
    build_started = load.elapsed()
    output = ws.root / "build-swap.out"
    build = start_build(env, output)
    switched: float | None = None
    deadline = time.monotonic() + BUILD_TIMEOUT_S
    # watch ACTIVE while the build runs: the switch is the os.replace, not the end of the process
    while build.poll() is None and time.monotonic() < deadline:
        if switched is None and active_version(ws.index_dir) != old:
            switched = load.elapsed()
        time.sleep(0.01)
    if build.poll() is None:
        build.kill()
    build.wait()
    build_ended = load.elapsed()
    new = active_version(ws.index_dir)
    new = new if new != old else None
    if new and switched is None:
        switched = build_ended
    time.sleep(max(tail_s, min_load_s - load.elapsed(), (switched or 0) + SWITCH_GRACE_S + 1 - load.elapsed(), 0))
    outcomes = load.finish()
    served_at_end = server.ready_version()
    if new:
        refs.add_active()
    mixed = _judge(outcomes, refs, new)
    return SwapResult(old, new, build.returncode, output.read_text(encoding="utf-8", errors="replace")[-1000:],
                      build_started, build_ended, switched, outcomes, mixed, served_at_end)


@dataclass
class KillResult(_UnderLoad):
    active_before: str
    active_after: str | None
    killed_version: str | None
    killed_complete: bool  # the folder had its manifest: the kill came too late to prove anything
    build_exit: int | None
    killed_at_s: float
    outcomes: list[Outcome]
    mixed: list[str]
    served_at_end: str | None

    @property
    def old_serving(self) -> bool:
        return (
            self.killed_version is not None
            and not self.killed_complete
            and self.build_exit == -signal.SIGKILL
            and self.active_after == self.active_before
            and self.versions_seen == [self.active_before]
            and self.served_at_end == self.active_before
        )

    def figures(self) -> dict[str, Any]:
        return {
            "requests": len(self.outcomes),
            "failed": len(self.failed),
            "failures": [f"#{o.i} {o.status} {o.error}" for o in self.failed[:5]],
            "active_before": self.active_before,
            "active_after": self.active_after,
            "killed_version": self.killed_version,
            "killed_version_complete": self.killed_complete,
            "build_exit": self.build_exit,
            "killed_at_s": round(self.killed_at_s, 2),
            "versions_seen": self.versions_seen,
            "mixed_answers": len(self.mixed),
            "mixed_examples": self.mixed[:3],
            "served_at_end": self.served_at_end,
            "old_serving": self.old_serving,
            **_latency_ms(self.outcomes),
        }


def run_kill(ws: Workspace, server: Server, refs: ReferenceAnswers, env: dict[str, str], *,
             lead_in_s: float = 1.0, tail_s: float = 4.0) -> KillResult:
    """Start a build under load and SIGKILL it as soon as its version folder appears."""
    before = refs.add_active()
    existing = ws.versions()
    load = Load(server.url).start()
    time.sleep(lead_in_s)
    build = start_build(env, ws.root / "build-kill.out")
    killed: str | None = None
    deadline = time.monotonic() + BUILD_TIMEOUT_S
    # poll fast: the folder exists for about half a second before the manifest is written
    while build.poll() is None and time.monotonic() < deadline:
        new = ws.versions() - existing
        if new:
            killed = sorted(new)[-1]
            break
        time.sleep(0.005)
    build.send_signal(signal.SIGKILL)
    killed_at = load.elapsed()
    build.wait()
    complete = bool(killed) and (ws.index_dir / "versions" / str(killed) / "manifest.json").exists()
    time.sleep(tail_s)
    outcomes = load.finish()
    mixed = _judge(outcomes, refs, None)
    return KillResult(before, active_version(ws.index_dir), killed, complete, build.returncode, killed_at,
                      outcomes, mixed, server.ready_version())


# ---------------------------------------------------------------- both, as figures
def rebuild_figures(workdir: Path | None = None, *, embedder=None, seed_index: Path | None = None) -> dict[str, Any]:
    """Run the swap and the kill scenario against one server; return their figures."""
    from assistant.settings import Settings
    from index.embed import load_embedder

    t0 = time.monotonic()
    settings = Settings()
    embedder = embedder or load_embedder(settings.embedding_model, settings.embedding_threads)
    if seed_index is None and active_version(settings.index_dir):
        seed_index = settings.index_dir
    with tempfile.TemporaryDirectory(prefix="pqa-rebuild-", dir=workdir) as tmp:
        ws = Workspace.create(Path(tmp), embedder, seed_index)
        env = server_env(ws)
        refs = ReferenceAnswers(ws, embedder)
        with run_server(env, ws.root / "server.stderr", ws.log_path) as server:
            swap = run_swap(ws, server, refs, env)
            kill = run_kill(ws, server, refs, env)
            errors = server.error_lines()
    return {
        "swap": swap.figures(),
        "kill": kill.figures(),
        "server_start_s": round(server.started_s, 1),
        "server_errors": len(errors),
        "server_error_examples": errors[:3],
        "seconds": round(time.monotonic() - t0, 1),
    }


def passed(f: dict[str, Any]) -> bool:
    """The goals: no failed request, no mixed answer, the new version served, the old one kept after a kill."""
    s, k = f["swap"], f["kill"]
    return (
        s["failed"] == 0 and s["mixed_answers"] == 0 and s["build_rc"] == 0 and s["new_version"] is not None
        and s["served_at_end"] == s["new_version"] and not s["versions_besides_old_and_new"]
        and s["old_after_switch"] == 0
        and k["failed"] == 0 and k["mixed_answers"] == 0 and k["old_serving"]
        and f["server_errors"] == 0
    )


def main() -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    f = rebuild_figures()
    s, k = f["swap"], f["kill"]
    rows = [
        ("swap: requests sent (15/s)", s["requests"]),
        ("swap: failed requests", s["failed"]),
        ("swap: versions seen", len(s["versions_seen"])),
        ("swap: answers mixing versions", s["mixed_answers"]),
        ("swap: old answers after the switch", s["old_after_switch"]),
        ("swap: new version served at the end", "yes" if s["served_at_end"] == s["new_version"] else "no"),
        ("swap: build seconds / switch lag s", f"{s['build_seconds']} / {s['switch_lag_s']}"),
        ("swap: latency p50 / p99 / max ms", f"{s['p50_ms']} / {s['p99_ms']} / {s['max_ms']}"),
        ("kill: requests sent (15/s)", k["requests"]),
        ("kill: failed requests", k["failed"]),
        ("kill: versions seen", len(k["versions_seen"])),
        ("kill: answers mixing versions", k["mixed_answers"]),
        ("kill: build killed before its manifest", "yes" if not k["killed_version_complete"] else "no"),
        ("kill: old version serving after SIGKILL", "yes" if k["old_serving"] else "no"),
        ("server error lines in the log", f["server_errors"]),
    ]
    print("Index rebuild under load (goal: 0 failed, 0 mixed, new version served, old kept after a kill)")
    for name, value in rows:
        print(f"{name:<44}{value!s:>22}")
    for line in s["failures"] + s["mixed_examples"] + k["failures"] + k["mixed_examples"] + f["server_error_examples"]:
        print("  " + line)
    print(f"{'seconds':<44}{f['seconds']:>22}")
    return 0 if passed(f) else 1


if __name__ == "__main__":
    sys.exit(main())
