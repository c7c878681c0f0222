"""Every gold set in one run, in-process: the studied sets with their figures, the held-out sets as totals only.

    .venv/bin/python -m evals.sets                 studied sets (evals/gold/*.jsonl but holdout*, evals/gold/docs/)
    .venv/bin/python -m evals.sets --holdout       held-out sets (evals/gold/holdout*.jsonl): totals, nothing else
    .venv/bin/python -m evals.sets --fails F.jsonl studied failures (question, expected clauses, answer) to F

A held-out set is never printed item by item: a change is judged on its totals, never tuned on its questions.
Each set is asked as the hotline its gate names (`home_region`), as tests/evals/test_gate.py does.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from evals.gold_format import load_gold
from evals.runner import InProcessAnswerer, run_gold
from evals.scorers import summarize

REPO = Path(__file__).resolve().parents[1]
GOLD = REPO / "evals/gold"
COLUMNS = ("accuracy", "hit_at_1", "refusal_precision", "refusal_recall", "wrong_document_rate", "answer_first")


def _gates() -> dict[str, dict]:
    out = {}
    for p in sorted((REPO / "evals/gates").glob("*.json")):
        gate = json.loads(p.read_text(encoding="utf-8"))
        out[Path(gate["gold"]).name] = gate
    return out


def _sets(holdout: bool, pending: bool) -> list[Path]:
    if holdout:
        found = sorted(GOLD.glob("holdout*.jsonl"))
        return found + (sorted((GOLD / "pending").glob("holdout*.jsonl")) if pending else [])
    found = [p for p in sorted(GOLD.glob("*.jsonl")) if not p.name.startswith("holdout")]
    found += sorted((GOLD / "docs").glob("*.jsonl"))
    return found + (sorted((GOLD / "pending/docs").glob("*.jsonl")) if pending else [])


def _region(path: Path, gates: dict[str, dict]) -> str | None:
    gate = gates.get(path.name) or gates.get(f"holdout-{path.name}")
    return gate.get("home_region") if gate else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--holdout", action="store_true", help="the held-out sets, totals only")
    ap.add_argument("--pending", action="store_true", help="also the sets of evals/gold/pending")
    ap.add_argument("--as-of", default="2026-12-01", help="the date questions are answered as of")
    ap.add_argument("--fails", type=Path, help="write the studied sets' failed cases, and those not answer-first, here (JSON lines)")
    ap.add_argument("--only", nargs="*", default=[], help="only sets whose file name contains one of these")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)
    if args.holdout and args.fails:
        ap.error("held-out failures are never written out")

    from assistant.pipeline import Assistant
    from assistant.settings import Settings

    settings = Settings()
    assistant = Assistant.open(settings)
    gates = _gates()
    as_of = date.fromisoformat(args.as_of)
    figures: dict[str, dict] = {}
    fails = args.fails.open("w", encoding="utf-8") if args.fails else None
    served = assistant.home_region
    for path in _sets(args.holdout, args.pending):
        if args.only and not any(o in path.name for o in args.only):
            continue
        items, problems = load_gold(path)
        if problems:
            print(f"{path}: {problems[:3]}", file=sys.stderr)
            return 2
        assistant.home_region = _region(path, gates) or served
        answerer = InProcessAnswerer(assistant)
        try:
            results = run_gold(items, answerer.answer, answerer.new_session, as_of=as_of)
        finally:
            assistant.home_region = served
        summ = summarize(results)
        name = str(path.relative_to(GOLD))
        figures[name] = {c: summ.metric(c) for c in COLUMNS} | {"n": summ.n_cases}
        row = "  ".join(f"{c[:8]} {'-' if v is None else f'{v:.3f}'}" for c, v in figures[name].items() if c != "n")
        print(f"{name:42s} n={summ.n_cases:3d}  {row}", flush=True)
        if fails:
            for r in results:
                # failed cases, and passed ones whose conclusion is not in the first sentence
                if not r.passed or r.scores.answer_first is False:
                    fails.write(json.dumps({
                        "set": name, "id": r.case_id, "category": r.category, "question": r.question,
                        "expected": r.expected_clauses,
                        "cited": [c.clause_id for c in (r.answer.citations if r.answer else [])],
                        "failures": [str(f) for f in r.scores.failures], "correct": r.scores.correct,
                        "notes": list(r.scores.notes),
                        "answer": (r.answer.answer if r.answer else r.error or "")[:400],
                    }, ensure_ascii=False) + "\n")
    if fails:
        fails.close()
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
