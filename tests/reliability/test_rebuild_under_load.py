"""Index rebuilds under load (hardening issue, item 4), against a real `policy-qa serve` process.

Each test gets its own copy of the corpus and index and its own server (index polled every 0.2 s),
and sends POST /api/chat at 15 requests per second on 127.0.0.1 while a second process runs
`policy-qa index build --force`. Every answer is compared with what a clean assistant opened on the
version the answer names says to the same question (benchmarks/rebuild_under_load.py holds the
scenario, so the printed figures and these assertions come from the same code); the index folder
and the server's /readyz are checked here directly.
"""

from __future__ import annotations

import signal

import pytest
from benchmark_module import load

from index.store import active_version

harness = load("rebuild_under_load")

pytestmark = pytest.mark.slow


@pytest.fixture
def served(tmp_path, embedder, built_index):
    """(workspace, server, references, env): a private index the test may rebuild, served by its own process."""
    ws = harness.Workspace.create(tmp_path / "ws", embedder, seed_index=built_index)
    env = harness.server_env(ws)
    refs = harness.ReferenceAnswers(ws, embedder)
    with harness.run_server(env, ws.root / "server.stderr", ws.log_path) as server:
        yield ws, server, refs, env
        errors = server.error_lines()
    assert errors == [], "the server logged errors:\n" + "\n".join(errors)


def _problems(outcomes) -> str:
    return "\n".join(f"#{o.i} {o.question}: HTTP {o.status} {o.error}" for o in outcomes[:10])


def test_a_rebuild_under_load_fails_no_request_and_every_answer_is_one_version(served):
    ws, server, refs, env = served
    result = harness.run_swap(ws, server, refs, env)
    old, new = result.old_version, result.new_version

    assert result.build_rc == 0, result.build_stderr
    assert new is not None and new != old
    assert (ws.index_dir / "ACTIVE").read_text(encoding="utf-8").strip() == new
    assert len(result.outcomes) >= 15 * harness.RATE_PER_S
    assert result.failed == [], f"{len(result.failed)} failed requests:\n{_problems(result.failed)}"
    # the load began on the old version and ended on the new one, and nothing else was ever served
    assert set(result.versions_seen) == {old, new}
    assert result.answers[0].answer["index_version"] == old
    assert server.ready_version() == new
    assert result.old_after_switch == [], "old-version answers long after ACTIVE had changed"
    # the edited clause reads as the version each answer names (checked here, not by the harness)
    preamble = [o for o in result.answers if any(c["clause_id"] == harness.PREAMBLE for c in o.answer["citations"])]
    assert {o.answer["index_version"] for o in preamble} == {old, new}
    for o in preamble:
        quote = next(c["quote"] for c in o.answer["citations"] if c["clause_id"] == harness.PREAMBLE)
        assert (harness.EDIT_MARKER in quote) == (o.answer["index_version"] == new), f"#{o.i}: {quote[:60]}"
    assert result.mixed == [], f"{len(result.mixed)} of {len(result.answers)} answers mix versions:\n" + "\n".join(
        result.mixed[:10]
    )


def test_a_build_killed_midway_under_load_leaves_the_old_version_serving(served):
    ws, server, refs, env = served
    result = harness.run_kill(ws, server, refs, env)
    before = result.active_before

    assert result.killed_version is not None, "the build never created its version folder"
    assert result.build_exit == -signal.SIGKILL
    killed_dir = ws.index_dir / "versions" / result.killed_version
    assert killed_dir.is_dir() and not (killed_dir / "manifest.json").exists(), "the kill came after the build finished"
    assert active_version(ws.index_dir) == before
    assert (ws.index_dir / "ACTIVE").read_text(encoding="utf-8").strip() == before
    assert result.failed == [], f"{len(result.failed)} failed requests:\n{_problems(result.failed)}"
    assert result.versions_seen == [before]
    assert server.ready_version() == before
    assert result.mixed == [], "\n".join(result.mixed[:10])
    assert len(result.outcomes) >= 4 * harness.RATE_PER_S
