"""The regression gate: the smoke gold set through the real pipeline must meet measured thresholds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.gold_format import load_gold
from evals.runner import InProcessAnswerer, run_gold
from evals.scorers import check_gate, summarize

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def test_smoke_gold_set_meets_the_gate_thresholds(assistant):
    items, problems = load_gold(REPO / "evals/gold/smoke.jsonl")
    assert not problems
    answerer = InProcessAnswerer(assistant)
    results = run_gold(items, answerer.answer, answerer.new_session, as_of=assistant.settings.today())
    gate = json.loads((REPO / "evals/gates/smoke.json").read_text(encoding="utf-8"))
    failures = check_gate(summarize(results), gate)
    assert not failures, "\n".join(str(f) for f in failures)
