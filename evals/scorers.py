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

from pydantic import BaseModel, Field, computed_field

from assistant.contract import Answer, conclusion_of
from evals.gold_format import Case, Expectations
from evals.normalize import contains_fact, extract_numbers, format_decimal, normalize, parse_chinese_number, strip_citation_markers

__all__ = [
    "REFUSAL_STATUSES",
    "RETRIEVAL_DEPTH",
    "ANSWERED_STATUSES",
    "NO_DOCUMENT",
    "ANSWER_FIRST_KINDS",
    "VERDICT_OPENINGS",
    "LAPSE_WORDS",
    "REFUSAL_PHRASES",
    "MetricInfo",
    "METRICS",
    "clause_matches",
    "retrieval_scores",
    "citation_scores",
    "untraced_numbers",
    "number_sources",
    "claimed_text",
    "first_sentence",
    "answer_first",
    "documents_of",
    "first_citation_wrong_document",
    "Rate",
    "RetrievalScores",
    "CaseScores",
    "CaseResult",
    "Summary",
    "score_case",
    "summarize",
    "summarize_by_category",
    "summarize_by_document",
    "answer_first_by_intent",
    "percentile",
    "GateFailure",
    "check_gate",
]

#: the status that counts as a refusal; "clarify" asks back and is not one
REFUSAL_STATUSES = frozenset({"no_answer"})
#: deepest rank any retrieval metric looks at (hit@5, nDCG@5)
RETRIEVAL_DEPTH = 5
#: statuses whose text gives the asker something (an answer, or the facts and a question back), not a refusal
ANSWERED_STATUSES = frozenset({"answered", "clarify"})
#: the per-document row of items that name no clause (refusals, questions about a document's own 文号 or dates)
NO_DOCUMENT = "no document"


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
    "answer_first": MetricInfo("answer-first", True, "ratio"),
    "wrong_document_rate": MetricInfo("wrong doc", False, "ratio"),
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
    # a label in the document's own numerals (第八章, 第六十七条) refers as 第67条 does
    re.compile(r"第\s*[零〇一二两三四五六七八九十百千]+\s*[编章节条款项]"),
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


_LEADING_ENUMERATOR_RE = re.compile(r"\s*[（(]?([零〇一二两三四五六七八九十百]+)[)）、]")


def number_sources(answer: Answer) -> list[str]:
    """Texts a number in the answer may come from: citation quotes, the calculation (formula, inputs,
    amount) and the validity period as the document states it."""
    texts = [c.quote for c in answer.citations]
    # a quote that opens with its own enumerator (八、…, （二十七）…) shows that number as the document prints it
    for c in answer.citations:
        if m := _LEADING_ENUMERATOR_RE.match(c.quote):
            try:
                texts.append(format_decimal(parse_chinese_number(m.group(1))))
            except (ValueError, KeyError, IndexError):
                pass
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


# --- answer first --------------------------------------------------------------------------------

# The conclusion openings the composer writes, in one place. Where each comes from:
#   assistant/compose_rules.py `_exclusion_answer` ("不能同时享受。"), `_eligibility_of` ("可以。按您说的情况…",
#   "不能。按您说的情况…", "不能享受“X”。按您提供的数字…", "能否享受“X”，还要看以下条件：", "“X”的适用对象：…"),
#   `compose_amount` ("不能领取“X”："), `_compose_profile_list` ("按您提供的情况，文件中可能适用的措施有：",
#   "按您目前提供的情况，我没有找到明确适用的措施。"). Matched at the start of the first sentence: the same
#   words inside a quote ("对符合条件的…") are the document's, not a verdict. When the composer gains an
#   opening, add it here.
VERDICT_OPENINGS: dict[str, str] = {
    r"可以[。，,]": "yes",
    r"不能[。，,]": "no",
    r"不能同时享受": "no",
    r"不能享受“": "no",
    r"不能领取“": "no",
    # whether one must (compose.clause_verdict's duty readings)
    r"需要[。，,]": "yes",
    r"不需要[。，,]": "no",
    r"一般需要，但有例外": "conditional",
    # whether a case counts as something (compose.clause_verdict)
    r"算[。，,]": "yes",
    r"不算[。，,]": "no",
    r"能否享受“[^”]*”，还要看": "conditional",
    # whom a measure is for, when the asker said nothing about themselves: the conditions are the verdict
    r"“[^”]*”的适用对象[：:]": "conditional",
    r"按您(?:目前)?提供的情况，文件中可能适用的措施有": "conditional",
    r"按您(?:目前)?提供的情况，我没有找到明确适用的措施": "no",
}
_VERDICT_RE = re.compile("|".join(f"(?:{p})" for p in VERDICT_OPENINGS))

# How the composer says a period is over: assistant/compose.py `deadline_conclusion` ("已过期：…已届满"),
# `validity_sentence` ("已过期失效", "已于…到期") and compose_rules.py's list lines ("（已过期：…）").
LAPSE_WORDS = ("已过期", "已届满", "已到期", "过期失效", "已失效", "已经过期", "已截止", "停止执行", "不再执行")

# A date or a length of time, on normalised text (numerals before 年/月/日/个/天 are digits by then).
_DATE_OR_DURATION_RE = re.compile(
    r"\d{4}年|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}月(?:\d{1,2}[日号])?(?:底|末|初|前|以前|之前)?|\d{1,2}[日号](?:前|之前|以前)"
    r"|(?:年|月)(?:底|末|初)|\d+(?:个)?(?:工作日|日|天|周|月|年)(?:内|以内|之内|以上)?|半年|次月|次年|当月|当年|全年|每年|每月"
)
# compose.py `compose_deadline` for a measure without an end: "文件未写明该项措施的截止期限。" is the conclusion
_NO_PERIOD_RE = re.compile(r"未写明[^。]{0,12}期限|没有(?:规定|写明)[^。]{0,12}(?:期限|时间)")

# How a refusal says the documents do not answer: assistant/compose.py (NO_ANSWER_TEXT, `compose_unlisted`,
# `compose_amount_unstated`), compose_rules.py `compose_amount` ("文件没有规定“X”的具体金额"),
# assistant/pipeline.py `_refusal_reason` and friends ("现有文件中没有关于…", "现有文件中没有北京的规定",
# "现有文件没有写明这件事怎么…"), and the reasons of corpus/scope.yaml `unserved_requests` ("只能依据已公开的
# 文件作答", "这里只依据文件原文回答问题"). A question not in Chinese is declined for its language before any
# document is read ("目前只支持中文提问"); that refusal says why, and claiming the documents lack the answer
# would be unfounded, so it counts too.
REFUSAL_PHRASES = (
    r"文件(?:中|里)?(?:并|都|均)?(?:没有|未(?:写明|规定|列出|提到|涉及|收录)|不(?:包含|涉及))",
    r"文件只写了.*没有列出",
    r"只(?:能)?(?:依据|解答|根据)[^。]{0,10}文件",
    r"只支持中文提问",
)
_REFUSAL_RE = re.compile("|".join(f"(?:{p})" for p in REFUSAL_PHRASES))

#: what `answer_first` judges, by the gold item's category; refusals are the items that expect one
ANSWER_FIRST_KINDS = ("amount", "eligibility", "deadline", "refusal")

_SENTENCE_END = re.compile(r"[。！？!?](?![”’）)」』])|\n")


def first_sentence(answer: Answer) -> str:
    """The answer's first sentence, without [n] markers: of `summary` (its conclusion line), else of the text.
    A full stop inside a quote that closes right after it ("…发放。”") does not end the sentence."""
    line = strip_citation_markers(answer.summary or conclusion_of(answer.answer)).strip()
    end = _SENTENCE_END.search(line)
    return line[: end.end()].strip() if end else line


def _numeric_facts(exp: Expectations) -> list[list[str]]:
    return [alts for alts in exp.must_contain if any(extract_numbers(a) for a in alts)]


def answer_first(category: str, exp: Expectations, answer: Answer | None) -> tuple[bool | None, str]:
    """Does the first sentence state the conclusion? (verdict, reason); verdict None when not judged.

    Judged only where the answer's status is the expected one — an answered (or clarifying) amount,
    eligibility or deadline question, or a refusal where one is expected; a wrong status is accuracy's
    business. amount: the first sentence holds the item's expected figure (its first must_contain fact
    with a number, compared as `contains_fact` compares it); eligibility: it opens with one of the
    composer's verdicts; deadline: it holds a date or a length of time (or the item's first fact, or
    says that no period is stated), and says the lapse when the item expects one; refusal: it says the
    documents do not answer.
    """
    if answer is None:
        return None, ""
    first = first_sentence(answer)
    if exp.expect_refusal:
        if answer.status not in REFUSAL_STATUSES:
            return None, ""
        return (True, "") if _REFUSAL_RE.search(first) else (False, "refusal's first sentence does not say the documents lack the answer")
    if answer.status not in ANSWERED_STATUSES or category not in ANSWER_FIRST_KINDS:
        return None, ""
    if category == "amount":
        facts = _numeric_facts(exp)
        if not facts:
            return None, ""
        expected = facts[0]
        if any(contains_fact(first, alt) for alt in expected):
            return True, ""
        later = any(contains_fact(answer.answer, alt) for alt in expected)
        return False, f"first sentence lacks {expected[0]}" + (" (stated later)" if later else " (not stated)")
    if category == "eligibility":
        return (True, "") if _VERDICT_RE.match(first) else (False, "first sentence holds no verdict")
    # deadline
    norm = normalize(first)
    timed = bool(_DATE_OR_DURATION_RE.search(norm) or _NO_PERIOD_RE.search(first)) or any(
        contains_fact(first, alt) for alt in (exp.must_contain[0] if exp.must_contain else [])
    )
    if not timed:
        return False, "first sentence holds no date or time limit"
    if exp.expect_lapsed and not any(w in first for w in LAPSE_WORDS):
        return False, "first sentence does not say the measure has lapsed"
    return True, ""


# --- documents -----------------------------------------------------------------------------------


def documents_of(clause_ids: Iterable[str]) -> list[str]:
    """The documents clause ids belong to, in first-seen order."""
    return list(dict.fromkeys(c.partition("#")[0] for c in clause_ids if "#" in c))


def first_citation_wrong_document(exp: Expectations, answer: Answer | None) -> tuple[bool | None, str]:
    """(whether an answer's first citation [1] is from a document no expected clause belongs to, that
    document); None when not judged: no expected clause, a refusal or an error, or no citation."""
    gold = documents_of(exp.expected_clauses)
    if not gold or answer is None or answer.status not in ANSWERED_STATUSES or not answer.citations:
        return None, ""
    first = min(answer.citations, key=lambda c: c.n)
    doc = first.doc_id or first.clause_id.partition("#")[0]
    return doc not in gold, doc


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
    answer_first: bool | None = None  # None when not judged (see `answer_first`)
    wrong_document: bool | None = None  # first citation from a document of no expected clause; None: not judged
    first_cited_document: str = ""
    failures: list[str] = Field(default_factory=list)  # what makes the case fail
    notes: list[str] = Field(default_factory=list)  # shortfalls that lower a metric without failing the case

    @property
    def wrongful_refusal(self) -> bool:
        return self.refused and not self.expect_refusal


def score_case(exp: Expectations, answer: Answer | None, error: str | None = None, *, category: str = "") -> CaseScores:
    """Every metric of one answer against its expectations; an error scores as a wrong, unretrieved answer.
    `category` (the gold item's) decides what `answer_first` looks for; without it only refusals are judged."""
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

    # a conclusion stated late, or the answer led by another document's clause, lowers a metric; the
    # answer itself may still be right, so these are notes, not failures
    first_ok, first_why = answer_first(category, exp, answer)
    if first_ok is False:
        notes.append("answer-first: " + first_why)
    wrong_doc, cited_doc = first_citation_wrong_document(exp, answer)
    if wrong_doc:
        notes.append(f"first citation from {cited_doc}, expected {', '.join(documents_of(exp.expected_clauses))}")

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
        answer_first=first_ok,
        wrong_document=wrong_doc,
        first_cited_document=cited_doc,
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
    # what the case expected to be cited, kept so a report can group cases by document
    expected_clauses: list[str] = Field(default_factory=list)
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
            expected_clauses=case.expectations.expected_clauses,
            answer=answer,
            error=error,
            latency_ms=latency_ms,
            scores=score_case(case.expectations, answer, error, category=case.category),
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
    answer_first: float | None = None
    n_answer_first: int = 0  # cases judged for answer-first
    wrong_document_rate: float | None = None
    n_cited: int = 0  # answered cases with an expected clause and a citation: the wrong-document base
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
    first = [s.answer_first for s in scores if s.answer_first is not None]
    wrong_doc = [s.wrong_document for s in scores if s.wrong_document is not None]
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
        answer_first=_mean(float(v) for v in first),
        n_answer_first=len(first),
        wrong_document_rate=_mean(float(v) for v in wrong_doc),
        n_cited=len(wrong_doc),
        latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
    )


def summarize_by_category(results: list[CaseResult]) -> dict[str, Summary]:
    """One summary per category present, in first-seen order."""
    groups: dict[str, list[CaseResult]] = {}
    for r in results:
        groups.setdefault(r.category, []).append(r)
    return {cat: summarize(rs) for cat, rs in groups.items()}


def summarize_by_document(results: list[CaseResult]) -> dict[str, Summary]:
    """One summary per document the expected clauses belong to, in doc-id order, then `NO_DOCUMENT` for
    cases that expect no clause. A case whose clauses span two documents counts in both rows."""
    groups: dict[str, list[CaseResult]] = {}
    for r in results:
        for doc in documents_of(r.expected_clauses) or [NO_DOCUMENT]:
            groups.setdefault(doc, []).append(r)
    order = sorted(d for d in groups if d != NO_DOCUMENT) + ([NO_DOCUMENT] if NO_DOCUMENT in groups else [])
    return {doc: summarize(groups[doc]) for doc in order}


class Rate(BaseModel):
    """A share with its base: `passed` of `n` judged cases."""

    n: int = 0
    passed: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def rate(self) -> float | None:
        return self.passed / self.n if self.n else None


def _answer_first_kind(result: CaseResult) -> str | None:
    if result.scores.answer_first is None:
        return None
    return "refusal" if result.scores.expect_refusal else result.category


def answer_first_by_intent(results: list[CaseResult]) -> dict[str, Rate]:
    """Answer-first per kind judged (amount, eligibility, deadline, refusal, in that order) and "all"."""
    out = {kind: Rate() for kind in ANSWER_FIRST_KINDS}
    for r in results:
        kind = _answer_first_kind(r)
        if kind is not None:
            out[kind].n += 1
            out[kind].passed += int(bool(r.scores.answer_first))
    out["all"] = Rate(n=sum(v.n for v in out.values()), passed=sum(v.passed for v in out.values()))
    return out


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
