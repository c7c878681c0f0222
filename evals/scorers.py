"""Scorers: pure functions of (gold expectations, `Answer`) and their aggregation per category.

Nothing here runs the assistant. `score_case` turns one answer into `CaseScores`; `summarize`
folds scored cases into a `Summary` (overall, or per category with `summarize_by_category`);
`check_gate` compares a summary with a gate file's thresholds.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any, Iterable, NamedTuple

from pydantic import BaseModel, Field

from assistant.contract import Answer
from evals.gold_format import Case, Expectations
from evals.normalize import contains_fact, extract_numbers, format_decimal, strip_citation_markers

__all__ = [
    "REFUSAL_STATUSES",
    "RETRIEVAL_DEPTH",
    "MetricInfo",
    "METRICS",
    "clause_matches",
    "retrieval_scores",
    "citation_scores",
    "untraced_numbers",
    "number_sources",
    "claimed_text",
    "RetrievalScores",
    "CaseScores",
    "CaseResult",
    "Summary",
    "score_case",
    "summarize",
    "summarize_by_category",
    "percentile",
    "GateFailure",
    "check_gate",
]

#: the status that counts as a refusal; "clarify" asks back and is not one
REFUSAL_STATUSES = frozenset({"no_answer"})
#: deepest rank any retrieval metric looks at (hit@5, nDCG@5)
RETRIEVAL_DEPTH = 5


class MetricInfo(NamedTuple):
    label: str
    higher_is_better: bool
    kind: str  # "ratio" (0..1), "ms" or "count"


METRICS: dict[str, MetricInfo] = {
    "hit_at_1": MetricInfo("hit@1", True, "ratio"),
    "hit_at_3": MetricInfo("hit@3", True, "ratio"),
    "hit_at_5": MetricInfo("hit@5", True, "ratio"),
    "mrr": MetricInfo("MRR", True, "ratio"),
    "ndcg_at_5": MetricInfo("nDCG@5", True, "ratio"),
    "recall_at_5": MetricInfo("recall@5", True, "ratio"),
    "citation_precision": MetricInfo("cite P", True, "ratio"),
    "citation_recall": MetricInfo("cite R", True, "ratio"),
    "accuracy": MetricInfo("accuracy", True, "ratio"),
    "must_not_contain_violations": MetricInfo("must-not hits", False, "count"),
    "refusal_precision": MetricInfo("refuse P", True, "ratio"),
    "refusal_recall": MetricInfo("refuse R", True, "ratio"),
    "numeric_faithfulness": MetricInfo("nums traced", True, "ratio"),
    "validity_accuracy": MetricInfo("validity", True, "ratio"),
    "latency_p50_ms": MetricInfo("p50 ms", False, "ms"),
    "latency_p95_ms": MetricInfo("p95 ms", False, "ms"),
}


# --- retrieval -----------------------------------------------------------------------------------


def clause_matches(a: str, b: str) -> bool:
    """Same clause, or one is an ancestor of the other by path (`doc#12` and `doc#12.3`)."""
    doc_a, _, path_a = a.partition("#")
    doc_b, _, path_b = b.partition("#")
    if doc_a != doc_b or not path_a or not path_b:
        return False
    return path_a == path_b or path_a.startswith(path_b + ".") or path_b.startswith(path_a + ".")


def _gains(ranked: list[str], expected: list[str]) -> list[int]:
    """Binary gain per rank; each expected clause is credited once, so duplicates and siblings add nothing."""
    unclaimed = list(dict.fromkeys(expected))
    gains = []
    for cid in ranked:
        hit = next((e for e in unclaimed if clause_matches(cid, e)), None)
        if hit is not None:
            unclaimed.remove(hit)
        gains.append(1 if hit is not None else 0)
    return gains


class RetrievalScores(BaseModel):
    hit_at_1: float
    hit_at_3: float
    hit_at_5: float
    mrr: float
    ndcg_at_5: float
    recall_at_5: float
    first_rank: int | None = None  # 1-based rank of the first relevant clause


def retrieval_scores(ranked: list[str], expected: list[str]) -> RetrievalScores | None:
    """hit@1/3/5, MRR, nDCG@5 and recall@5 of a ranked clause list; None when nothing is expected."""
    if not expected:
        return None
    gains = _gains(ranked, expected)
    first = next((i + 1 for i, g in enumerate(gains) if g), None)
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains[:RETRIEVAL_DEPTH]))
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(set(expected)), RETRIEVAL_DEPTH)))
    return RetrievalScores(
        hit_at_1=float(first is not None and first <= 1),
        hit_at_3=float(first is not None and first <= 3),
        hit_at_5=float(first is not None and first <= 5),
        mrr=1 / first if first else 0.0,
        ndcg_at_5=dcg / ideal,
        recall_at_5=sum(gains[:RETRIEVAL_DEPTH]) / len(set(expected)),
        first_rank=first,
    )


def citation_scores(cited: list[str], expected: list[str]) -> tuple[float | None, float | None]:
    """(precision, recall) of cited clause ids; precision is None with no citations, both None with nothing expected."""
    if not expected:
        return None, None
    cited = list(dict.fromkeys(cited))
    precision = sum(any(clause_matches(c, e) for e in expected) for c in cited) / len(cited) if cited else None
    recall = sum(any(clause_matches(c, e) for c in cited) for e in set(expected)) / len(set(expected))
    return precision, recall


# --- numbers -------------------------------------------------------------------------------------

# References, not claims (the lead's list in notes/API.md): list enumerations at a line start, clause labels,
# and the public service number. The answer's own as-of date is removed separately.
_REFERENCE_RES = [
    re.compile(r"^\s*(?:\d{1,2}[.、．]|[（(]\d{1,2}[)）])", re.MULTILINE),
    re.compile(r"第\s*\d+\s*条"),
    re.compile(r"第\s*[（(]\s*\d+\s*[)）]\s*项"),
    re.compile(r"第\s*\d+\s*(?:项|行|人)"),
    re.compile(r"附件\s*\d+"),
    re.compile(r"(?<!\d)12333(?!\d)"),
    # circled and parenthesised enumerators (①, ⑵, ❶) would read as digits after NFKC
    re.compile(r"[\u2460-\u24ff\u2776-\u2793\u3251-\u325f\u32b1-\u32bf]"),
    # a lone 一 before a counter is an article ("其中一项", "一名"), not a figure
    re.compile(r"(?<![零〇一二两三四五六七八九十百千万亿点])一(?=[个人名位项条次家种])"),
]


def _flatten(value: Any) -> Iterable[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _flatten(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _flatten(v)
    elif value is not None:
        yield str(value)


def number_sources(answer: Answer) -> list[str]:
    """Texts a number in the answer may come from: citation quotes, the calculation (formula, inputs,
    amount) and the validity period as the document states it."""
    texts = [c.quote for c in answer.citations]
    if answer.calculation:
        calc = answer.calculation
        texts += [calc.formula, *_flatten(calc.inputs)]
        if calc.amount is not None:
            texts.append(format_decimal(Decimal(calc.amount)))
    if answer.validity and answer.validity.period:
        texts.append(answer.validity.period)
    return texts


def claimed_text(answer: Answer) -> str:
    """The answer text without what only refers: markers, clause labels, its own as-of date, 12333."""
    text = strip_citation_markers(answer.answer)
    if answer.validity:
        d = answer.validity.as_of
        for form in (f"{d.year}年{d.month}月{d.day}日", f"{d.year}年{d.month:02d}月{d.day:02d}日", d.isoformat()):
            text = re.sub(r"\s*".join(re.escape(ch) for ch in form), " ", text)
    for pattern in _REFERENCE_RES:
        text = pattern.sub(" ", text)
    # a document named as it is cited (晋人社党组字〔2022〕19号) refers, like a clause label
    for doc in sorted({c.document for c in answer.citations if c.document}, key=len, reverse=True):
        text = text.replace(doc, " ")
    return text


def untraced_numbers(answer: Answer) -> tuple[int, list[str]]:
    """(how many numbers the answer claims, those found in no source)."""
    numbers = extract_numbers(claimed_text(answer))
    known: set[Decimal] = set()
    for source in number_sources(answer):
        known.update(extract_numbers(source))
    missing = [format_decimal(n) for n in numbers if n not in known]
    return len(numbers), list(dict.fromkeys(missing))


# --- one case ------------------------------------------------------------------------------------


class CaseScores(BaseModel):
    retrieval: RetrievalScores | None = None
    citation_precision: float | None = None
    citation_recall: float | None = None
    correct: bool = False
    missing_facts: list[str] = Field(default_factory=list)
    violations: list[str] = Field(default_factory=list)
    refused: bool = False
    expect_refusal: bool = False
    numbers_total: int = 0
    numbers_untraced: list[str] = Field(default_factory=list)
    numerically_faithful: bool | None = None  # None for refusals and errors
    validity_correct: bool | None = None  # None when the gold item states no expectation
    failures: list[str] = Field(default_factory=list)  # what makes the case fail
    notes: list[str] = Field(default_factory=list)  # shortfalls that lower a metric without failing the case

    @property
    def wrongful_refusal(self) -> bool:
        return self.refused and not self.expect_refusal


def score_case(exp: Expectations, answer: Answer | None, error: str | None = None) -> CaseScores:
    """Every metric of one answer against its expectations; an error scores as a wrong, unretrieved answer."""
    failures: list[str] = []
    if answer is None:
        ret = retrieval_scores([], exp.expected_clauses)
        _, recall = citation_scores([], exp.expected_clauses)
        return CaseScores(
            retrieval=ret,
            citation_recall=recall,
            expect_refusal=exp.expect_refusal,
            validity_correct=False if exp.expect_lapsed is not None else None,
            failures=[f"error: {error or 'no answer returned'}"],
        )

    ret = retrieval_scores(answer.retrieved, exp.expected_clauses)
    if ret is not None and ret.first_rank is None:
        failures.append(f"no expected clause retrieved ({', '.join(_short(c) for c in exp.expected_clauses)})")
    elif ret is not None and ret.first_rank > RETRIEVAL_DEPTH:
        failures.append(f"first expected clause only at rank {ret.first_rank}")

    cited = [c.clause_id for c in answer.citations]
    precision, recall = citation_scores(cited, exp.expected_clauses)
    refused = answer.status in REFUSAL_STATUSES

    notes: list[str] = []
    if recall is not None and not refused:
        uncited = [_short(e) for e in exp.expected_clauses if not any(clause_matches(c, e) for c in cited)]
        if not cited:
            failures.append("no citation")
        elif recall == 0:
            failures.append("cites none of the expected clauses (" + ", ".join(uncited) + ")")
        elif recall < 1:
            notes.append("citations miss " + ", ".join(uncited))
        if precision is not None and precision < 1:
            # an extra clause cited for context lowers precision; it does not make the answer wrong
            notes.append(
                "cites unexpected " + ", ".join(_short(c) for c in cited if not any(clause_matches(c, e) for e in exp.expected_clauses))
            )

    missing = [alts[0] for alts in exp.must_contain if not any(contains_fact(answer.answer, a) for a in alts)]
    violations = [s for s in exp.must_not_contain if contains_fact(answer.answer, s)]
    if exp.expect_refusal:
        correct = refused and not violations and not missing
        if not refused:
            failures.append(f"should have refused (status {answer.status})")
    else:
        correct = not refused and not missing and not violations
        if refused:
            failures.append("wrongful refusal")
    failures += [f"missing fact: {m}" for m in missing] if not refused or exp.expect_refusal else []
    failures += [f"says forbidden: {v}" for v in violations]

    total, untraced, faithful = 0, [], None
    if not refused:
        total, untraced = untraced_numbers(answer)
        faithful = not untraced
        if untraced:
            failures.append("numbers not traced to a citation or calculation: " + ", ".join(untraced))

    validity_correct = None
    if exp.expect_lapsed is not None:
        got = answer.validity.lapsed if answer.validity else None
        # "not lapsed" is met by "in force" and by "the document states no period" alike
        validity_correct = got is True if exp.expect_lapsed else got is not True
        if not validity_correct:
            failures.append(f"lapsed should be {exp.expect_lapsed}, got {got}")

    return CaseScores(
        retrieval=ret,
        citation_precision=precision,
        citation_recall=recall,
        correct=correct,
        missing_facts=missing,
        violations=violations,
        refused=refused,
        expect_refusal=exp.expect_refusal,
        numbers_total=total,
        numbers_untraced=untraced,
        numerically_faithful=faithful,
        validity_correct=validity_correct,
        failures=failures,
        notes=notes,
    )


def _short(clause_id: str) -> str:
    return "#" + clause_id.partition("#")[2]


class CaseResult(BaseModel):
    """One scored case as the runner produced it: what was asked, what came back, how it scored."""

    case_id: str
    item_id: str
    category: str
    question: str
    turn: int | None = None
    answer: Answer | None = None
    error: str | None = None
    latency_ms: float = 0.0
    scores: CaseScores

    @classmethod
    def build(cls, case: Case, answer: Answer | None, latency_ms: float, error: str | None = None) -> CaseResult:
        return cls(
            case_id=case.case_id,
            item_id=case.item_id,
            category=case.category,
            question=case.question,
            turn=case.turn,
            answer=answer,
            error=error,
            latency_ms=latency_ms,
            scores=score_case(case.expectations, answer, error),
        )

    @property
    def passed(self) -> bool:
        """Correct, and nothing else flagged (citations, numbers, validity, retrieval)."""
        return self.scores.correct and not self.scores.failures


# --- aggregation ---------------------------------------------------------------------------------


class Summary(BaseModel):
    n_cases: int = 0
    n_errors: int = 0
    n_retrieval: int = 0  # cases with expected clauses
    hit_at_1: float | None = None
    hit_at_3: float | None = None
    hit_at_5: float | None = None
    mrr: float | None = None
    ndcg_at_5: float | None = None
    recall_at_5: float | None = None
    citation_precision: float | None = None
    citation_recall: float | None = None
    accuracy: float | None = None
    must_not_contain_violations: int = 0
    refusal_precision: float | None = None
    refusal_recall: float | None = None
    numeric_faithfulness: float | None = None
    n_numeric: int = 0  # answers checked for numbers (not refusals, not errors)
    validity_accuracy: float | None = None
    n_validity: int = 0
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None

    def metric(self, name: str) -> float | None:
        value = getattr(self, name)
        return None if value is None else float(value)


def _mean(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100), as numpy's default computes it."""
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def summarize(results: list[CaseResult]) -> Summary:
    """Aggregate scored cases: means over cases where a metric applies, refusal P/R over all."""
    if not results:
        return Summary()
    scores = [r.scores for r in results]
    rets = [s.retrieval for s in scores if s.retrieval is not None]
    tp = sum(s.refused and s.expect_refusal for s in scores)
    predicted = sum(s.refused for s in scores)
    actual = sum(s.expect_refusal for s in scores)
    numeric = [s.numerically_faithful for s in scores if s.numerically_faithful is not None]
    validity = [s.validity_correct for s in scores if s.validity_correct is not None]
    latencies = [r.latency_ms for r in results if r.error is None]
    return Summary(
        n_cases=len(results),
        n_errors=sum(r.error is not None for r in results),
        n_retrieval=len(rets),
        hit_at_1=_mean(r.hit_at_1 for r in rets),
        hit_at_3=_mean(r.hit_at_3 for r in rets),
        hit_at_5=_mean(r.hit_at_5 for r in rets),
        mrr=_mean(r.mrr for r in rets),
        ndcg_at_5=_mean(r.ndcg_at_5 for r in rets),
        recall_at_5=_mean(r.recall_at_5 for r in rets),
        citation_precision=_mean(s.citation_precision for s in scores),
        citation_recall=_mean(s.citation_recall for s in scores),
        accuracy=_mean(float(s.correct) for s in scores),
        must_not_contain_violations=sum(bool(s.violations) for s in scores),
        refusal_precision=tp / predicted if predicted else None,
        refusal_recall=tp / actual if actual else None,
        numeric_faithfulness=_mean(float(v) for v in numeric),
        n_numeric=len(numeric),
        validity_accuracy=_mean(float(v) for v in validity),
        n_validity=len(validity),
        latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
    )


def summarize_by_category(results: list[CaseResult]) -> dict[str, Summary]:
    """One summary per category present, in first-seen order."""
    groups: dict[str, list[CaseResult]] = {}
    for r in results:
        groups.setdefault(r.category, []).append(r)
    return {cat: summarize(rs) for cat, rs in groups.items()}


# --- gate ----------------------------------------------------------------------------------------


class GateFailure(NamedTuple):
    metric: str
    value: float | None
    threshold: float
    direction: str  # "min" or "max"

    def describe(self) -> str:
        shown = "n/a" if self.value is None else f"{self.value:.3f}"
        word = "below minimum" if self.direction == "min" else "above maximum"
        return f"{self.metric} = {shown} {word} {self.threshold}"


def check_gate(summary: Summary, gate: dict[str, Any]) -> list[GateFailure]:
    """Thresholds not met. Gate shape: {"min": {metric: value|null}, "max": {metric: value|null}};
    null means "not gated yet"; a gated metric with no value (n/a) fails."""
    failures = []
    for direction in ("min", "max"):
        for name, threshold in (gate.get(direction) or {}).items():
            if threshold is None:
                continue
            if name not in METRICS:
                raise ValueError(f"gate names unknown metric {name!r}")
            value = summary.metric(name)
            bad = value is None or (value < threshold if direction == "min" else value > threshold)
            if bad:
                failures.append(GateFailure(name, value, float(threshold), direction))
    return failures
