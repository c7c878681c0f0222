"""How much of a hand-written rules file the drafter (`policy-qa rules draft`) recovers from the text alone.

The yardstick is corpus/rules/sx-rst-2022-19.yaml, written by hand for the seed document. A hand-written
rule is recovered when a drafted rule that the loader accepts rests on the same clause, has a kind of
the same family (per_head ~ cap_per_head, fixed ~ lump_cap), uses the same set of numbers (amounts,
rates, tier thresholds and amounts) and has a quote overlapping one of the hand-written rule's quotes.

    recall    = hand-written rules with money recovered / hand-written rules with money
    precision = drafted rules matching some hand-written rule / drafted rules (loaded)

Both are also printed over every rule (with not_stated and eligibility_only ones). The drafter was developed
against the seed, so its figures are training figures; every other hand-written file in corpus/rules (loaded
with the whole rule book, whose vocabulary they share) is compared the same way as a held-out check. Then,
for each of the corpus's documents, how many rules are drafted and how many the loader accepts.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/drafter_recall.py [--write DIR]

--write DIR also writes each document's draft to DIR/<doc_id>.yaml (e.g. /tmp/drafts).
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import yaml

from assistant.draft import check_draft, draft_rules, render_draft
from assistant.rules import Rule, RuleDataError, build_rulebook, load_rules
from index.parse import load_corpus

REPO = Path(__file__).resolve().parent.parent
SEED = "sx-rst-2022-19"
NO_MONEY = ("not_stated", "eligibility_only")
FAMILY = {"cap_per_head": "per_head", "lump_cap": "fixed"}


def family(kind: str) -> str:
    return FAMILY.get(kind, kind)


def numbers(rule: Rule) -> frozenset[Decimal]:
    """Every number a rule computes with, normalised (500 and 500.0 are one number)."""
    nums: list[Decimal] = [t.amount for t in rule.terms]
    nums += [x for x in (rule.amount, rule.rate, rule.minus_rate) if x is not None]
    for sel in (rule.amount_by, rule.rate_by):
        if sel:
            nums += list(sel.values.values())
    for t in rule.tiers:
        nums += [t.min, t.amount]
    return frozenset(n.normalize() for n in nums)


def overlaps(a: Rule, b: Rule) -> bool:
    return any(x.start < y.end and y.start < x.end for x in a.citations for y in b.citations)


def matches(hand: Rule, drafted: Rule) -> bool:
    return (
        hand.clause == drafted.clause
        and family(hand.kind) == family(drafted.kind)
        and numbers(hand) == numbers(drafted)
        and overlaps(hand, drafted)
    )


def assign(hand: list[Rule], drafted: list[Rule]) -> dict[str, Rule]:
    """One drafted rule per hand-written rule (a sentence naming two benefits must yield two rules): among
    the drafted rules that match, the one whose title shares most characters with the hand-written title."""
    pairs: dict[str, Rule] = {}  # hand-written rule id → drafted rule
    used: set[str] = set()
    for h in hand:
        fits = [d for d in drafted if d.id not in used and matches(h, d)]
        if fits:
            best = max(fits, key=lambda d: len(set(d.title) & set(h.title)))
            pairs[h.id] = best
            used.add(best.id)
    return pairs


def why_not(hand: Rule, drafted: list[Rule]) -> str:
    """The closest miss, for the table: what the best drafted rule of the same clause got wrong."""
    same = [d for d in drafted if d.clause == hand.clause]
    if not same:
        return "no drafted rule on this clause"
    for d in same:
        if family(d.kind) == family(hand.kind):
            if numbers(d) != numbers(hand):
                got = ", ".join(sorted(str(n) for n in numbers(d)))
                return f"{d.id}: numbers {{{got}}}"
            return f"{d.id}: quote does not overlap"
    return f"{same[0].id}: kind {same[0].kind}"


def compare(doc_id: str, docs: dict, *, table: bool) -> tuple[int, int, int, int, int, int]:
    """Print how the draft of `doc_id` compares with its hand-written rules file; the six counts
    (money recovered, money hand-written, money matched, money drafted, all recovered, all hand-written)."""
    doc = docs[doc_id]
    # a hand-written file may use vocabulary another file defines (org_type): load it with the whole book
    hand = [r for r in load_rules(REPO / "corpus", docs) if r.doc_id == doc_id]
    checked = check_draft(draft_rules(doc), doc)
    drafted = list(build_rulebook([("draft.yaml", checked.data)], {doc_id: doc})) if checked.data["rules"] else []
    pairs = assign(hand, drafted)
    matched = list(pairs.values())
    print(f"{doc_id}: {len(hand)} hand-written rules, {len(drafted)} drafted rules loaded, "
          f"{len(checked.refused)} refused by the loader")
    if table:
        print(f"\n{'hand-written rule':48} {'clause':7} {'kind':16} {'recovered by / closest miss'}")
    for h in hand:
        hit = pairs.get(h.id)
        if table or (not hit and h.kind not in NO_MONEY):
            mark = ("✓ " + hit.id) if hit else "✗ " + why_not(h, drafted)
            print(f"  {h.id:46} {h.clause:7} {h.kind:16} {mark}")
    extra = [d for d in drafted if d not in matched]
    print(f"  drafted rules matching no hand-written one: {len(extra)}")
    for d in extra:
        print(f"    {d.id:46} {d.clause:7} {d.kind:16} {d.title}")
    money_hand = [h for h in hand if h.kind not in NO_MONEY]
    money_drafted = [d for d in drafted if d.kind not in NO_MONEY]
    counts = (len([h for h in money_hand if h.id in pairs]), len(money_hand),
              len([d for d in money_drafted if d in matched]), len(money_drafted), len(pairs), len(hand))
    _figures(*counts, len(matched), len(drafted))
    return counts


def _figures(mrec: int, mhand: int, mmatch: int, mdraft: int, rec: int, nhand: int, match: int, ndraft: int) -> None:
    def pct(a: int, b: int) -> str:
        return f"{a}/{b} = {a / b:.0%}" if b else f"{a}/{b}"

    print(f"  recall (rules with money)    {pct(mrec, mhand)}")
    print(f"  precision (rules with money) {pct(mmatch, mdraft)}")
    print(f"  recall (all rules)           {pct(rec, nhand)}")
    print(f"  precision (all rules)        {pct(match, ndraft)}\n")


def main(argv: list[str]) -> None:
    out_dir = Path(argv[argv.index("--write") + 1]) if "--write" in argv else None
    docs = load_corpus(REPO / "corpus")
    print("== the yardstick the drafter was developed against\n")
    compare(SEED, docs, table=True)
    others = sorted(p.stem for p in (REPO / "corpus" / "rules").glob("*.yaml") if p.stem != SEED and p.stem in docs)
    if others:
        print("== hand-written rules files the drafter was not developed against (misses with money listed)\n")
    for doc_id in others:
        try:
            compare(doc_id, docs, table=False)
        except RuleDataError as exc:  # a file being written by someone else may not load yet
            print(f"{doc_id}: the hand-written rule book does not load ({exc.message}); skipped\n")

    print(f"{'document':24} {'drafted':>7} {'loaded':>7}  refused by the loader")
    for doc_id, doc in docs.items():
        data = draft_rules(doc)
        chk = check_draft(data, doc)
        reasons = "; ".join(f"{r.rule_id}: {r.reason.split('：', 1)[-1]}" for r in chk.refused)
        print(f"{doc_id:24} {len(data['rules']):7} {chk.loaded:7}  {reasons}")
        if out_dir:
            out_dir.mkdir(parents=True, exist_ok=True)
            (out_dir / f"{doc_id}.yaml").write_text(render_draft(chk.data, doc, refused=chk.refused), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
