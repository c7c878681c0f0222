"""`policy-qa serve --workers 2`: one port, two worker processes, each answering with its own model and
index and both reading and writing the one conversation store — so a conversation keeps its context
whichever worker takes each turn. Real processes on 127.0.0.1 (the rebuild harness's workspace and env)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from benchmark_module import load

harness = load("rebuild_under_load")

pytestmark = pytest.mark.slow


def _workers_of(pid: int) -> list[int]:
    """The supervisor's worker processes, from /proc (its children, not multiprocessing's resource tracker)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if int(fields[1]) == pid and "resource_tracker" not in cmdline:
                out.append(int(entry.name))
    return out


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


@pytest.fixture
def workers(tmp_path, embedder, built_index):
    ws = harness.Workspace.create(tmp_path / "ws", embedder, seed_index=built_index)
    env = harness.server_env(ws)
    port = harness.free_port()
    url = f"http://127.0.0.1:{port}"
    with open(ws.root / "server.stderr", "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
             "--log-level", "warning"],
            env=env, cwd=harness.REPO_ROOT, stdout=subprocess.DEVNULL, stderr=err,
        )
    try:
        deadline = time.monotonic() + harness.SERVER_READY_TIMEOUT_S
        ready = 0
        while ready < 8:  # several answers in a row: both workers have loaded (each answers /readyz itself)
            if proc.poll() is not None:
                raise RuntimeError((ws.root / "server.stderr").read_text(errors="replace")[-2000:])
            assert time.monotonic() < deadline, "workers not ready in time"
            try:
                ok = httpx.get(url + "/readyz", timeout=5).status_code == 200
            except httpx.HTTPError:
                ok = False
            ready = ready + 1 if ok else 0
            time.sleep(0.2)
        yield url, proc
    finally:
        harness.stop_process(proc)


def _conversation(url: str) -> tuple[dict, dict]:
    with httpx.Client(base_url=url, timeout=60) as client:
        first = client.post("/api/chat", json={"question": "我们家是开小饭馆的"}).json()
        second = client.post("/api/chat", json={"question": "18个员工都参保了，留工补助能拿多少",
                                                "session_id": first["session_id"]}).json()
    return first, second


def test_two_workers_share_one_port_and_one_conversation_store(workers):
    url, proc = workers
    pids = _workers_of(proc.pid)
    assert len(pids) == 2, f"expected two worker processes under the supervisor, found {pids}"
    before = {p: _cpu_seconds(p) for p in pids}

    with ThreadPoolExecutor(max_workers=8) as pool:
        turns = list(pool.map(lambda _: _conversation(url), range(24)))

    for first, second in turns:
        assert first["status"] in ("answered", "clarify")
        # turn 2 is read with turn 1's restaurant, from the shared store, whichever worker took either turn
        assert second["session_id"] == first["session_id"]
        assert second["slots"].get("industry") == "餐饮", second["slots"]
        assert "9,000元" in second["answer"], second["answer"][:200]
    # both workers answered: each spent CPU on the load (an idle worker only polls the index)
    gained = {p: _cpu_seconds(p) - before[p] for p in pids}
    assert all(g >= 0.05 for g in gained.values()), gained
