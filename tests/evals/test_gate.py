"""The regression gates: the smoke, scope and held-out gold sets through the real pipeline must meet measured thresholds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.gold_format import load_gold
from evals.runner import InProcessAnswerer, run_gold
from evals.scorers import check_gate, summarize

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("gate_file", ["smoke.json", "scope.json", "holdout.json", "holdout2.json", "holdout3.json", "holdout4.json"])
def test_gold_sets_meet_their_gate_thresholds(assistant, gate_file):
    gate = json.loads((REPO / "evals/gates" / gate_file).read_text(encoding="utf-8"))
    items, problems = load_gold(REPO / gate["gold"])
    assert not problems
    answerer = InProcessAnswerer(assistant)
    results = run_gold(items, answerer.answer, answerer.new_session, as_of=assistant.settings.today())
    failures = check_gate(summarize(results), gate)
    assert not failures, "\n".join(str(f) for f in failures)
