"""The conversation store under faults: many threads at once, and a writer process killed with SIGKILL.

The scenarios live in benchmarks/storage_faults.py so the printed figures and these assertions come
from the same code; each test re-checks the file itself with a plain sqlite3 connection rather than
trusting the harness's own counts.
"""

from __future__ import annotations

import importlib.util
import sqlite3
import sys
from pathlib import Path

import pytest

_HARNESS = Path(__file__).resolve().parents[2] / "benchmarks" / "storage_faults.py"
_spec = importlib.util.spec_from_file_location("storage_faults", _HARNESS)
assert _spec and _spec.loader
storage_faults = importlib.util.module_from_spec(_spec)
sys.modules["storage_faults"] = storage_faults  # dataclasses resolve their module by name
_spec.loader.exec_module(storage_faults)

pytestmark = pytest.mark.slow


def _check_file(path: Path) -> tuple[str, set[str]]:
    conn = sqlite3.connect(path)
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        ids = {row[0] for row in conn.execute("SELECT id FROM turns")}
        orphans = conn.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        conn.close()
    assert orphans == []
    return integrity, ids


def test_eight_threads_writing_with_readers_lose_nothing_and_never_hit_locked(tmp_path: Path) -> None:
    path = tmp_path / "concurrent.sqlite3"
    result = storage_faults.run_concurrent_writes(path, threads=8, writes_per_thread=500, readers=2)

    assert result.lock_errors == 0
    assert result.other_errors == []
    assert result.writes_ok == 8 * 500
    assert result.reads > 0  # readers really ran alongside the writers
    integrity, ids = _check_file(path)
    assert integrity == "ok"
    assert result.written_ids <= ids
    assert len(ids) == 8 * 500


def test_sigkilled_writer_never_corrupts_the_file_or_loses_a_committed_row(tmp_path: Path) -> None:
    path = tmp_path / "killed.sqlite3"
    result = storage_faults.run_kill_loop(path, kills=8, seed=20220614)

    assert result.kills == 8
    for n, r in enumerate(result.rounds):
        assert r.child_error is None, f"round {n}: child died on its own: {r.child_error}"
        assert r.reported > 0, f"round {n}: the child committed nothing before the kill"
        assert r.integrity == "ok", f"round {n}: {r.integrity}"
        assert r.parent_errors == [], f"round {n}: {r.parent_errors[:3]}"
        if r.parent_writing:
            assert r.parent_writes > 0, f"round {n}: the parent never wrote while the child ran"
        assert r.lost == 0, f"round {n}: {r.lost} committed rows missing"

    integrity, ids = _check_file(path)
    assert integrity == "ok"
    assert result.reported_ids <= ids
    assert result.parent_ids <= ids
