"""The conversation store under faults: concurrent threads, and a writer process killed with SIGKILL.

1. Concurrency: 8 writer threads × 500 `add_turn` calls on one `SqliteStore`, while 2 reader
   threads call `recent_turns` / `get_session` in a loop. Figures: writes, errors ("database is locked"
   and any other), rows missing afterwards, integrity.
2. Crash: a separate Python process opens the store and writes turns in a loop, printing each answer id
   after `add_turn` returned (i.e. after COMMIT). It is killed with SIGKILL after a random short delay,
   5–10 times; on every other round this process writes to the same file at the same time, so the
   child's crash also happens while another process holds or waits for the write lock. After each kill
   the file is opened fresh and checked: `PRAGMA integrity_check` must say "ok" and every id the child
   reported must be there.

This simulates a process crash (OOM killer, `kill -9`, a container stop), not a power cut:
with `synchronous=NORMAL` the kernel still holds committed WAL pages after the process dies.

    .venv/bin/python benchmarks/storage_faults.py
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from api.storage import SqliteStore

REPO_ROOT = Path(__file__).resolve().parent.parent
TTL = 24 * 3600
ANSWER = {"status": "answered", "answer": "稳岗返还比例为90%[1]", "citations": [{"n": 1, "clause_id": "sx-rst-2022-19#2.1"}]}

# The child prints an id only after add_turn returned, i.e. after COMMIT: a printed id is a promise.
CHILD_WRITER = """
import sys
sys.path.insert(0, sys.argv[2])
from pathlib import Path
from api.storage import SqliteStore

store = SqliteStore(Path(sys.argv[1]), ttl_seconds=86400)
sid = store.create_session()
print("ready", flush=True)
i = 0
while True:
    aid = store.add_turn(sid, f"第{i}个问题，手机13812345678", {"answer": "x" * (i % 500)}, "answered", "fact", "v1")
    if i % 7 == 0:
        store.add_feedback(aid, True, "有用")
    if i % 13 == 0:
        store.update_slots(sid, {"i": i})
    print(aid, flush=True)
    i += 1
"""


def _is_lock_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


@dataclass
class ConcurrencyResult:
    writes_attempted: int
    writes_ok: int
    reads: int
    lock_errors: int
    other_errors: list[str]
    missing_rows: int
    integrity: str
    seconds: float
    written_ids: set[str] = field(repr=False)


def run_concurrent_writes(path: Path, threads: int = 8, writes_per_thread: int = 500, readers: int = 2) -> ConcurrencyResult:
    """`threads` writers × `writes_per_thread` turns on one store while `readers` threads keep reading."""
    store = SqliteStore(path, TTL)
    sessions = [store.create_session() for _ in range(threads)]
    written: list[list[str]] = [[] for _ in range(threads)]
    errors: list[BaseException] = []
    reads = [0] * readers
    errors_lock = threading.Lock()
    writers_done = threading.Event()
    start = threading.Barrier(threads + readers)

    def write(n: int) -> None:
        start.wait()
        for i in range(writes_per_thread):
            try:
                written[n].append(store.add_turn(sessions[n], f"线程{n}问题{i}", ANSWER, "answered", "amount", "v1"))
            except Exception as exc:  # counted, not raised: the figure is how many fail
                with errors_lock:
                    errors.append(exc)

    def read(n: int) -> None:
        rng = random.Random(n)
        start.wait()
        while not writers_done.is_set():
            try:
                sid = rng.choice(sessions)
                store.recent_turns(sid, 6)
                store.get_session(sid)
                reads[n] += 1
            except Exception as exc:
                with errors_lock:
                    errors.append(exc)

    t0 = time.perf_counter()
    workers = [threading.Thread(target=write, args=(n,)) for n in range(threads)]
    readers_ = [threading.Thread(target=read, args=(n,)) for n in range(readers)]
    for t in workers + readers_:
        t.start()
    for t in workers:
        t.join()
    writers_done.set()
    for t in readers_:
        t.join()
    seconds = time.perf_counter() - t0
    store.close()

    ids = {aid for chunk in written for aid in chunk}
    conn = sqlite3.connect(path)
    present = {row[0] for row in conn.execute("SELECT id FROM turns")}
    integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    conn.close()
    return ConcurrencyResult(
        writes_attempted=threads * writes_per_thread,
        writes_ok=len(ids),
        reads=sum(reads),
        lock_errors=sum(_is_lock_error(e) for e in errors),
        other_errors=[repr(e) for e in errors if not _is_lock_error(e)],
        missing_rows=len(ids - present),
        integrity=integrity,
        seconds=seconds,
        written_ids=ids,
    )


@dataclass
class KillRound:
    delay_s: float
    parent_writing: bool
    reported: int
    lost: int
    integrity: str
    parent_writes: int
    parent_errors: list[str]
    child_error: str | None  # set when the child died of something other than our SIGKILL


@dataclass
class KillResult:
    rounds: list[KillRound]
    reported_ids: set[str] = field(repr=False)
    parent_ids: set[str] = field(repr=False)

    @property
    def kills(self) -> int:
        return len(self.rounds)

    @property
    def lost(self) -> int:
        return sum(r.lost for r in self.rounds)

    @property
    def integrity(self) -> str:
        bad = [r.integrity for r in self.rounds if r.integrity != "ok"]
        return bad[0] if bad else "ok"


def _kill_round(path: Path, rng: random.Random, parent_writing: bool) -> tuple[KillRound, set[str], set[str]]:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD_WRITER, str(path), str(REPO_ROOT)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO_ROOT,
    )
    lines: list[bytes] = []
    ready = threading.Event()

    def drain() -> None:  # keep the pipe empty so the child never blocks on print
        assert child.stdout is not None
        for line in child.stdout:
            if line == b"ready\n":
                ready.set()
            else:
                lines.append(line)
        ready.set()

    reader = threading.Thread(target=drain)
    reader.start()
    parent_ids: set[str] = set()
    parent_errors: list[str] = []
    stop = threading.Event()

    def parent_write() -> None:
        try:
            store = SqliteStore(path, TTL)
            sid = store.create_session()
        except Exception as exc:  # opening under contention is part of what is measured
            parent_errors.append(repr(exc))
            return
        while not stop.is_set():
            try:
                parent_ids.add(store.add_turn(sid, "父进程的问题", ANSWER, "answered", "fact", "v1"))
            except Exception as exc:
                parent_errors.append(repr(exc))
        store.close()

    if not ready.wait(timeout=60):
        child.kill()
        raise RuntimeError("child writer did not start")
    if child.poll() is not None:
        reader.join()
        raise RuntimeError(f"child writer exited early: {child.stderr.read().decode(errors='replace')}")
    writer = threading.Thread(target=parent_write) if parent_writing else None
    if writer:
        writer.start()
    delay = rng.uniform(0.05, 0.5)
    time.sleep(delay)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    reader.join()
    assert child.stderr is not None
    stderr = child.stderr.read().decode(errors="replace")
    child.stderr.close()
    child_error = None if child.returncode == -signal.SIGKILL else (stderr.strip().splitlines() or ["?"])[-1]
    if writer:
        stop.set()
        writer.join()

    # Only whole lines are promises; a line cut by the kill may be an id whose print was interrupted.
    reported = {line.decode().strip() for line in lines if line.endswith(b"\n")}
    conn = sqlite3.connect(path)  # a fresh connection: recovers from the WAL the dead process left
    integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    present = {row[0] for row in conn.execute("SELECT id FROM turns")}
    conn.close()
    return (
        KillRound(
            delay_s=delay,
            parent_writing=parent_writing,
            reported=len(reported),
            lost=len((reported | parent_ids) - present),
            integrity=integrity,
            parent_writes=len(parent_ids),
            parent_errors=parent_errors,
            child_error=child_error,
        ),
        reported,
        parent_ids,
    )


def run_kill_loop(path: Path, kills: int = 8, seed: int = 9) -> KillResult:
    """SIGKILL a writer process `kills` times; after each, check integrity and that no committed row is lost."""
    if not 1 <= kills <= 50:
        raise ValueError("kills must be between 1 and 50")
    rng = random.Random(seed)
    rounds: list[KillRound] = []
    reported: set[str] = set()
    parent: set[str] = set()
    for n in range(kills):
        r, ids, pids = _kill_round(path, rng, parent_writing=n % 2 == 1)
        rounds.append(r)
        reported |= ids
        parent |= pids
    return KillResult(rounds=rounds, reported_ids=reported, parent_ids=parent)


def storage_figures(workdir: Path | None = None, kills: int = 8) -> dict:
    """Run both fault scenarios in a temporary directory and return their figures."""
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        c = run_concurrent_writes(Path(tmp) / "concurrent.sqlite3")
        k = run_kill_loop(Path(tmp) / "killed.sqlite3", kills=kills)
    return {
        "concurrent": {
            "threads": 8,
            "writes": c.writes_attempted,
            "writes_ok": c.writes_ok,
            "reads": c.reads,
            "lock_errors": c.lock_errors,
            "other_errors": len(c.other_errors),
            "missing_rows": c.missing_rows,
            "integrity": c.integrity,
            "seconds": round(c.seconds, 2),
        },
        "sigkill": {
            "kills": k.kills,
            "committed_reported": len(k.reported_ids),
            "parent_writes": len(k.parent_ids),
            "parent_errors": sum(len(r.parent_errors) for r in k.rounds),
            "child_errors": sum(r.child_error is not None for r in k.rounds),
            "lost_committed_rows": k.lost,
            "integrity": k.integrity,
        },
    }


def main() -> int:
    f = storage_figures()
    c, k = f["concurrent"], f["sigkill"]
    print("Conversation store under faults")
    print(f"{'scenario':<44}{'figure':>12}")
    print(f"{'concurrent: writes (8 threads x 500)':<44}{c['writes']:>12,}")
    print(f"{'concurrent: writes committed':<44}{c['writes_ok']:>12,}")
    print(f"{'concurrent: reader calls meanwhile':<44}{c['reads']:>12,}")
    print(f"{'concurrent: database is locked errors':<44}{c['lock_errors']:>12}")
    print(f"{'concurrent: other errors':<44}{c['other_errors']:>12}")
    print(f"{'concurrent: rows missing':<44}{c['missing_rows']:>12}")
    print(f"{'concurrent: integrity_check':<44}{c['integrity']:>12}")
    print(f"{'concurrent: seconds':<44}{c['seconds']:>12}")
    print(f"{'sigkill: writer processes killed':<44}{k['kills']:>12}")
    print(f"{'sigkill: rows the child reported committed':<44}{k['committed_reported']:>12,}")
    print(f"{'sigkill: rows written meanwhile by parent':<44}{k['parent_writes']:>12,}")
    print(f"{'sigkill: parent errors':<44}{k['parent_errors']:>12}")
    print(f"{'sigkill: child died before the kill':<44}{k['child_errors']:>12}")
    print(f"{'sigkill: committed rows lost':<44}{k['lost_committed_rows']:>12}")
    print(f"{'sigkill: integrity_check':<44}{k['integrity']:>12}")
    ok = (
        c["lock_errors"] == c["other_errors"] == c["missing_rows"] == 0
        and c["integrity"] == "ok"
        and k["lost_committed_rows"] == k["parent_errors"] == k["child_errors"] == 0
        and k["integrity"] == "ok"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
