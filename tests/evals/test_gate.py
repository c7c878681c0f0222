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


GATES = sorted(p.name for p in (REPO / "evals/gates").glob("*.json"))


@pytest.mark.parametrize("gate_file", GATES)
def test_gold_sets_meet_their_gate_thresholds(assistant, gate_file):
    gate = json.loads((REPO / "evals/gates" / gate_file).read_text(encoding="utf-8"))
    items, problems = load_gold(REPO / gate["gold"])
    assert not problems
    answerer = InProcessAnswerer(assistant)
    # a set written for another province's hotline is asked where it would be served
    served = assistant.home_region
    assistant.home_region = gate.get("home_region", served)
    try:
        results = run_gold(items, answerer.answer, answerer.new_session, as_of=assistant.settings.today())
    finally:
        assistant.home_region = served
    failures = check_gate(summarize(results), gate)
    assert not failures, "\n".join(str(f) for f in failures)
