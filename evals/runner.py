"""Run a gold set through something that answers, and score every case.

The runner speaks only the `Answer` contract: an `Answerer` is either the in-process assistant
(`InProcessAnswerer`), a running server's `/api/chat` (`HttpAnswerer`), or a baseline
(`evals.baselines`). Conversations run their turns in order in one session; single questions run
without a session, as a first-time asker would.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import date
from typing import Any, Callable, Literal, Protocol

import httpx

from assistant.contract import Answer
from evals.gold_format import GoldItem, expand_cases
from evals.perturb import PerturbationTable, load_perturbation_table, perturb_items
from evals.report import EvalRun, RobustnessRow, build_system_run
from evals.scorers import CaseResult, summarize

__all__ = [
    "AnswerFn",
    "NewSessionFn",
    "Answerer",
    "InProcessAnswerer",
    "HttpAnswerer",
    "EvalRunError",
    "run_gold",
    "evaluate",
    "DEFAULT_HTTP_TIMEOUT_S",
]

log = logging.getLogger(__name__)

#: a server under evaluation may be cold; one slow answer should fail that case, not hang the run
DEFAULT_HTTP_TIMEOUT_S = 60.0
#: a server's rate limit (60/min by default) is waited out, not scored as errors
RATE_LIMIT_RETRIES = 8
MAX_RETRY_WAIT_S = 60.0


class AnswerFn(Protocol):
    def __call__(self, question: str, session_id: str | None, *, as_of: date | None = None) -> Answer: ...


NewSessionFn = Callable[[], str]


class Answerer(Protocol):
    """What the runner drives: answer a question (optionally inside a session) and open sessions."""

    name: str

    def answer(self, question: str, session_id: str | None, *, as_of: date | None = None) -> Answer: ...

    def new_session(self) -> str: ...


class EvalRunError(Exception):
    """An answer could not be obtained (HTTP error, bad JSON); the case is scored as an error."""


class InProcessAnswerer:
    """Drives `assistant.pipeline.Assistant` directly; evaluation session ids map to its ConversationState."""

    name = "pipeline"

    def __init__(self, assistant: Any) -> None:
        self._assistant = assistant
        self._sessions: dict[str, Any] = {}

    def new_session(self) -> str:
        sid = uuid.uuid4().hex
        self._sessions[sid] = self._assistant.new_session()
        return sid

    def answer(self, question: str, session_id: str | None, *, as_of: date | None = None) -> Answer:
        session = self._sessions[session_id] if session_id else None
        return self._assistant.ask(question, session=session, as_of=as_of)


class HttpAnswerer:
    """Posts to a running server's `/api/chat`; the server's session id is learned from its first reply."""

    name = "pipeline"

    def __init__(self, base_url: str, *, client: httpx.Client | None = None, timeout: float = DEFAULT_HTTP_TIMEOUT_S,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = client or httpx.Client(timeout=timeout)
        self._sessions: dict[str, str | None] = {}
        self._sleep = sleep
        #: time the last call spent waiting out 429/503; the runner does not count it as latency
        self.last_wait_ms = 0.0

    def _post(self, body: dict) -> httpx.Response:
        self.last_wait_ms = 0.0
        for attempt in range(RATE_LIMIT_RETRIES + 1):
            resp = self._client.post(f"{self.base_url}/api/chat", json=body)
            if resp.status_code not in (429, 503) or attempt == RATE_LIMIT_RETRIES:
                return resp
            try:
                wait = float(resp.headers.get("Retry-After", ""))
            except ValueError:
                wait = 2.0**attempt
            wait = min(max(wait, 0.1), MAX_RETRY_WAIT_S)
            log.info("server answered %s; retrying in %.1f s", resp.status_code, wait)
            self._sleep(wait)
            self.last_wait_ms += wait * 1000
        return resp

    def new_session(self) -> str:
        sid = uuid.uuid4().hex
        self._sessions[sid] = None
        return sid

    def answer(self, question: str, session_id: str | None, *, as_of: date | None = None) -> Answer:
        body = {
            "question": question,
            "session_id": self._sessions.get(session_id) if session_id else None,
            "as_of": as_of.isoformat() if as_of else None,
        }
        try:
            resp = self._post(body)
        except httpx.HTTPError as exc:
            raise EvalRunError(f"{type(exc).__name__}: {exc}") from exc
        if resp.status_code >= 400:
            try:
                err = resp.json().get("error", {})
                detail = f"{err.get('code', '')}: {err.get('message', '')}"
            except ValueError:
                detail = resp.text[:200]
            raise EvalRunError(f"HTTP {resp.status_code} {detail}")
        try:
            answer = Answer.model_validate(resp.json())
        except ValueError as exc:
            raise EvalRunError(f"response is not an Answer: {exc}") from exc
        if session_id:
            self._sessions[session_id] = answer.session_id
        return answer

    def close(self) -> None:
        self._client.close()


def _timed(answer_fn: AnswerFn, question: str, session_id: str | None, as_of: date | None) -> tuple[Answer | None, float, str | None]:
    t0 = time.perf_counter()
    try:
        answer = answer_fn(question, session_id, as_of=as_of)
        error = None
    except Exception as exc:  # one failing case must not end the run; it is scored as an error
        log.warning("case failed: %s", exc, exc_info=not isinstance(exc, EvalRunError))
        answer, error = None, f"{type(exc).__name__}: {exc}"
    # an answerer may report time spent waiting out a rate limit; that is the harness's pace, not latency
    waited = getattr(getattr(answer_fn, "__self__", None), "last_wait_ms", 0.0)
    return answer, max(0.0, (time.perf_counter() - t0) * 1000 - waited), error


def run_gold(
    items: list[GoldItem],
    answer_fn: AnswerFn,
    new_session_fn: NewSessionFn,
    *,
    as_of: date | None = None,
    progress: Callable[[CaseResult], None] | None = None,
) -> list[CaseResult]:
    """Ask every question of the gold set (turns in order, one session per conversation) and score it.

    `answer_fn(question, session_id, as_of=...)` returns an `Answer` (an `Answerer`'s bound `answer`);
    `new_session_fn()` opens a session for a conversation. `as_of` is the default date for items
    that name none.
    """
    cases = {c.case_id: c for c in expand_cases(items)}
    results: list[CaseResult] = []

    def record(case_id: str, answer: Answer | None, ms: float, error: str | None) -> None:
        result = CaseResult.build(cases[case_id], answer, ms, error)
        results.append(result)
        if progress:
            progress(result)

    for item in items:
        if not item.turns:
            answer, ms, error = _timed(answer_fn, item.question or "", None, item.as_of or as_of)
            record(item.id, answer, ms, error)
            continue
        try:
            session = new_session_fn()
        except Exception as exc:
            for k, turn in enumerate(item.turns, 1):
                if f"{item.id}#t{k}" in cases:
                    record(f"{item.id}#t{k}", None, 0.0, f"could not open a session: {exc}")
            continue
        for k, turn in enumerate(item.turns, 1):
            answer, ms, error = _timed(answer_fn, turn.question, session, turn.as_of or item.as_of or as_of)
            if f"{item.id}#t{k}" in cases:
                record(f"{item.id}#t{k}", answer, ms, error)
    return results


def evaluate(
    items: list[GoldItem],
    systems: list[tuple[Answerer, Literal["pipeline", "baseline"], str]],
    *,
    as_of: date | None = None,
    perturbations: list[str] | None = None,
    perturbation_table: PerturbationTable | None = None,
    seed: int = 0,
    progress: Callable[[str, int, int], None] | None = None,
) -> EvalRun:
    """Run every system on the same gold items; with `perturbations`, rerun the first (the pipeline) on
    each rewritten set and record what each rewrite costs. Metadata fields are left for the caller."""
    n_cases = len(expand_cases(items))
    run = EvalRun(n_items=len(items), as_of=as_of)

    def ticker(name: str) -> Callable[[CaseResult], None]:
        done = [0]

        def tick(_: CaseResult) -> None:
            done[0] += 1
            if progress:
                progress(name, done[0], n_cases)

        return tick

    for answerer, kind, description in systems:
        results = run_gold(items, answerer.answer, answerer.new_session, as_of=as_of, progress=ticker(answerer.name))
        run.systems.append(build_system_run(answerer.name, kind, results, description))
    if perturbations and systems:
        answerer = systems[0][0]
        clean = run.systems[0].summary
        clean_questions = {c.case_id: c.question for c in expand_cases(items)}
        table = perturbation_table or load_perturbation_table(None)
        for kind_name in perturbations:
            rewritten = perturb_items(items, kind_name, table, seed=seed)
            questions = {c.case_id: c.question for c in expand_cases(rewritten)}
            changed = [cid for cid, q in questions.items() if q != clean_questions[cid]]
            results = run_gold(rewritten, answerer.answer, answerer.new_session, as_of=as_of,
                               progress=ticker(f"{answerer.name}/{kind_name}"))
            summ = summarize(results)
            run.robustness.append(
                RobustnessRow(
                    perturbation=kind_name,
                    changed=len(changed),
                    total=len(questions),
                    accuracy=summ.accuracy,
                    accuracy_delta=_delta(summ.accuracy, clean.accuracy),
                    hit_at_5=summ.hit_at_5,
                    hit_at_5_delta=_delta(summ.hit_at_5, clean.hit_at_5),
                    examples=[(clean_questions[cid], questions[cid]) for cid in changed[:3]],
                )
            )
    return run


def _delta(new: float | None, old: float | None) -> float | None:
    return None if new is None or old is None else new - old
