"""How much of a hand-written rules file the drafter (`policy-qa rules draft`) recovers from the text alone.

The yardstick is corpus/rules/sx-rst-2022-19.yaml, written by hand for the seed document. A hand-written
rule is recovered when a drafted rule that the loader accepts rests on the same clause, has a kind of
the same family (per_head ~ cap_per_head, fixed ~ lump_cap), uses the same set of numbers (amounts,
rates, tier thresholds and amounts) and has a quote overlapping one of the hand-written rule's quotes.

    recall    = hand-written rules with money recovered / hand-written rules with money
    precision = drafted rules matching some hand-written rule / drafted rules (loaded)

Both are also printed over every rule (with not_stated and eligibility_only ones). Then, for each of the
corpus's documents, how many rules are drafted and how many the loader accepts (the rest are listed).

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/drafter_recall.py [--write DIR]

--write DIR also writes each document's draft to DIR/<doc_id>.yaml (e.g. /tmp/drafts).
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import yaml

from assistant.draft import check_draft, draft_rules, render_draft
from assistant.rules import Rule, build_rulebook
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


def main(argv: list[str]) -> None:
    out_dir = Path(argv[argv.index("--write") + 1]) if "--write" in argv else None
    docs = load_corpus(REPO / "corpus")
    seed = docs[SEED]
    hand_data = yaml.safe_load((REPO / "corpus" / "rules" / f"{SEED}.yaml").read_text(encoding="utf-8"))
    hand = list(build_rulebook([(f"{SEED}.yaml", hand_data)], docs))
    checked = check_draft(draft_rules(seed), seed)
    drafted = list(build_rulebook([("draft.yaml", checked.data)], {SEED: seed}))

    print(f"Seed {SEED}: {len(hand)} hand-written rules, {len(drafted)} drafted rules loaded, "
          f"{len(checked.refused)} refused by the loader\n")
    print(f"{'hand-written rule':48} {'clause':7} {'kind':16} {'recovered by / closest miss'}")
    pairs = assign(hand, drafted)
    recovered = {hid: d.id for hid, d in pairs.items()}
    for h in hand:
        hit = pairs.get(h.id)
        print(f"{h.id:48} {h.clause:7} {h.kind:16} {('✓ ' + hit.id) if hit else '✗ ' + why_not(h, drafted)}")
    matched = list(pairs.values())
    extra = [d for d in drafted if d not in matched]
    print("\nDrafted rules matching no hand-written rule:")
    for d in extra:
        print(f"  {d.id:48} {d.clause:7} {d.kind:16} {d.title}")

    money_hand = [h for h in hand if h.kind not in NO_MONEY]
    money_drafted = [d for d in drafted if d.kind not in NO_MONEY]
    money_recovered = [h for h in money_hand if h.id in recovered]
    money_matched = [d for d in money_drafted if d in matched]
    print(f"\nrecall (rules with money)    {len(money_recovered)}/{len(money_hand)} = {len(money_recovered) / len(money_hand):.0%}")
    print(f"precision (rules with money) {len(money_matched)}/{len(money_drafted)} = "
          f"{len(money_matched) / max(1, len(money_drafted)):.0%}")
    print(f"recall (all rules)           {len(recovered)}/{len(hand)} = {len(recovered) / len(hand):.0%}")
    print(f"precision (all rules)        {len(matched)}/{len(drafted)} = {len(matched) / max(1, len(drafted)):.0%}")

    print(f"\n{'document':24} {'drafted':>7} {'loaded':>7}  refused by the loader")
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
