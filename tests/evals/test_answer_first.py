"""Answer-first on the studied gold sets: the real pipeline states its conclusion in the first sentence at
least as often as measured (the main set and each document's set; the held-out sets are not run here)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from evals.gold_format import load_gold
from evals.runner import InProcessAnswerer, run_gold
from evals.scorers import CaseResult, answer_first_by_intent

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

# Measured 2026-12-02 (answers as of 2026-11-26, the tests' date): rate (first sentences that hold the
# conclusion / cases judged). Each floor is ~0.03 below; a lower rate means answers lost their conclusion
# line — the notes "answer-first: …" of `policy-qa eval --report DIR` say which.
# Raised 2026-12-03 after the answer-first composer (issue 14: a rule's standard before the question back,
# counts a rule computes, the asked figure's sentence first, a law's own dates for "still in force", a
# clause's own verdict for can/may questions, a point in time asked answered as a deadline), measured with
# the team tool later committed as evals/sets.py, as of 2026-11-26 (the same figures as of 2026-12-01); in brackets the figure
# before the change (same tool, as of 2026-12-01).
MIN_ANSWER_FIRST = {
    "gold.jsonl": 0.88,  # 0.916 (131/143) [0.790 (113/143)]
    "docs/cn-gbf-2018-117.jsonl": 0.72,  # 0.750 (12/16) [0.625 (10/16)]
    "docs/cn-gbf-2019-6.jsonl": 0.75,  # 0.786 (11/14) [0.786 (11/14)]
    "docs/cn-gsbx-tiaoli-2010.jsonl": 0.82,  # 0.850 (17/20) [0.650 (13/20)]
    # 0.647 (11/17) after rule selection kept to the question's documents and lead-in sentences kept their
    # numbered items (2026-12-03): accuracy 0.613 -> 0.645, the answers quote the list instead of a verdict
    "docs/cn-shbx-fa-2018.jsonl": 0.61,  # 0.706 (12/17) [0.588 (10/17)]
    # 0.684 (13/19) after the same two changes (accuracy 0.710 -> 0.742): a 山西 question about 失业保险金
    # no longer gets 河南's 80% rule as its first line, and the national article states no figure
    "docs/cn-sybx-tiaoli-1999.jsonl": 0.65,  # 0.842 (16/19) [0.737 (14/19)]
    "docs/ha-sybx-tiaoli-2001.jsonl": 0.77,  # 0.800 (16/20) [0.750 (15/20)]
    "docs/sd-jycj-tiaoli-2016.jsonl": 0.70,  # 0.733 (11/15) [0.533 (8/15)]
    # the two documents moved in from corpus/documents-pending/ (2026-12-03), floors at their first measure
    "docs/cn-lsbf-2008-3.jsonl": 0.40,  # 0.429 (3/7)
    "docs/cn-nxj-banfa-2008.jsonl": 0.38,  # 0.412 (7/17)
    # moved in 2026-12-04 (python -m evals.sets, as of 2026-12-01), its floor at the measure
    "docs/zz-ldyg-tiaoli-2012.jsonl": 0.43,  # 0.462 (6/13)
}
SETS = ["gold.jsonl", *sorted(f"docs/{p.name}" for p in (REPO / "evals/gold/docs").glob("*.jsonl"))]


def _home_region(assistant, gold_set: str) -> str:
    """A document's set is asked where that document is served: its own region, or the served one for a
    national text (FORMAT.md: a set written for another province's hotline is run with that home_region)."""
    if not gold_set.startswith("docs/"):
        return assistant.home_region
    doc = assistant.handle.snapshot().version.docs[Path(gold_set).stem]
    return doc.meta.region or assistant.home_region


@pytest.fixture(scope="module")
def results(assistant) -> dict[str, list[CaseResult]]:
    """Every set through the one assistant, once for the module."""
    answerer = InProcessAnswerer(assistant)
    served = assistant.home_region
    # One short query gains nothing from intra-op threads, and on the shared 2-core machine two torch threads
    # waiting on each other made each query embedding ~10x slower (2026-12-02: 550-640 ms with 2, 57-63 ms
    # with 1, under load; the same figures either way). One thread keeps this module under a minute.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    out = {}
    try:
        for gold_set in SETS:
            items, problems = load_gold(REPO / "evals/gold" / gold_set)
            assert not problems, problems
            assistant.home_region = _home_region(assistant, gold_set)
            out[gold_set] = run_gold(items, answerer.answer, answerer.new_session, as_of=assistant.settings.today())
    finally:
        assistant.home_region = served
        torch.set_num_threads(threads)
    return out


def test_every_studied_set_has_a_floor():
    assert sorted(MIN_ANSWER_FIRST) == sorted(SETS)


@pytest.mark.parametrize("gold_set", SETS)
def test_answer_first_rate_meets_its_floor(results, gold_set):
    by_intent = answer_first_by_intent(results[gold_set])
    rate = by_intent["all"].rate
    shown = ", ".join(f"{k} {v.passed}/{v.n}" for k, v in by_intent.items())
    late = [f"{r.case_id}: {r.answer.summary[:60]}" for r in results[gold_set] if r.scores.answer_first is False]
    assert rate is not None and rate >= MIN_ANSWER_FIRST[gold_set], f"{gold_set}: {shown}\n" + "\n".join(late)
