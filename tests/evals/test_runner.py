"""The runner: sessions for conversations, as-of dates, errors per case, and the HTTP adapter."""

from __future__ import annotations

import json
import time
from datetime import date

import httpx

from assistant.contract import Answer, Citation
from evals.gold_format import parse_gold_lines
from evals.runner import HttpAnswerer, InProcessAnswerer, evaluate, run_gold

DOC = "sx-rst-2022-19"
QUOTE = "均按照每名参保职工 500 元的标准发放一次性留工培训补助"


def gold(*objs: dict):
    items, problems = parse_gold_lines([json.dumps(o, ensure_ascii=False) for o in objs])
    assert problems == []
    return items


SINGLE = {"id": "s1", "category": "amount", "question": "留工补助每人多少", "expected_clauses": [f"{DOC}#2.2"],
          "must_contain": [["500元"]], "as_of": "2022-10-01"}
CONV = {"id": "c1", "category": "amount",
        "turns": [{"question": "我开饭店"}, {"question": "每人多少？", "expected_clauses": [f"{DOC}#2.2"], "must_contain": [["500元"]]}]}
OUT = {"id": "o1", "category": "out_of_scope", "question": "北京的稳岗返还比例", "expect_refusal": True}


def canned(question: str, session_id: str | None = None) -> Answer:
    if "北京" in question:
        return Answer(question=question, status="no_answer", intent="out_of_scope", answer="无此规定", session_id=session_id)
    cite = Citation(n=1, doc_id=DOC, clause_id=f"{DOC}#2.2", label="第2条第(2)项", title="", quote=QUOTE, start=0, end=1)
    return Answer(question=question, status="answered", intent="amount", answer="每名参保职工 500 元[1]",
                  citations=[cite], retrieved=[f"{DOC}#2.2"], session_id=session_id)


class RecordingAnswerer:
    """A stand-in for the assistant (an input of the runner), recording what the runner asked."""

    name = "pipeline"

    def __init__(self, fail_on: str | None = None) -> None:
        self.calls: list[tuple[str, str | None, date | None]] = []
        self.sessions = 0
        self.fail_on = fail_on

    def new_session(self) -> str:
        self.sessions += 1
        return f"sess-{self.sessions}"

    def answer(self, question: str, session_id: str | None, *, as_of: date | None = None) -> Answer:
        self.calls.append((question, session_id, as_of))
        if self.fail_on and self.fail_on in question:
            raise RuntimeError("index exploded")
        return canned(question, session_id)


class TestRunGold:
    def test_conversation_turns_share_one_session_and_only_scored_turns_are_results(self):
        fake = RecordingAnswerer()
        results = run_gold(gold(SINGLE, CONV), fake.answer, fake.new_session)
        assert [r.case_id for r in results] == ["s1", "c1#t2"]
        assert fake.calls[0][1] is None  # a single question asks without a session
        assert fake.calls[1][1] == fake.calls[2][1] == "sess-1"
        assert all(r.scores.correct for r in results)

    def test_item_as_of_wins_over_the_run_default(self):
        fake = RecordingAnswerer()
        run_gold(gold(SINGLE, OUT), fake.answer, fake.new_session, as_of=date(2026, 1, 1))
        assert fake.calls[0][2] == date(2022, 10, 1)
        assert fake.calls[1][2] == date(2026, 1, 1)

    def test_a_failing_case_is_recorded_and_the_run_goes_on(self):
        fake = RecordingAnswerer(fail_on="留工")
        results = run_gold(gold(SINGLE, OUT), fake.answer, fake.new_session)
        assert results[0].error == "RuntimeError: index exploded"
        assert not results[0].scores.correct
        assert results[1].scores.correct

    def test_progress_is_called_per_case(self):
        seen = []
        fake = RecordingAnswerer()
        run_gold(gold(SINGLE, CONV, OUT), fake.answer, fake.new_session, progress=lambda r: seen.append(r.case_id))
        assert seen == ["s1", "c1#t2", "o1"]


class TestEvaluate:
    def test_systems_side_by_side_and_robustness_rows(self):
        items = gold(SINGLE, OUT)
        run = evaluate(items, [(RecordingAnswerer(), "pipeline", "fake")], perturbations=["traditional", "hanzi_numbers"])
        assert [s.name for s in run.systems] == ["pipeline"]
        assert run.systems[0].summary.accuracy == 1.0
        rows = {r.perturbation: r for r in run.robustness}
        assert rows["traditional"].changed == 2
        # "北京" in traditional script is still 北京, so the fake keeps refusing; the amount question changes
        assert rows["hanzi_numbers"].changed == 0 and rows["hanzi_numbers"].accuracy_delta == 0.0


class FakeAssistant:
    """Shaped like assistant.pipeline.Assistant: ask(question, *, session, as_of) and new_session()."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, object, date | None]] = []

    def new_session(self) -> dict:
        return {"turns": 0}

    def ask(self, question: str, *, session=None, as_of=None) -> Answer:
        if session is not None:
            session["turns"] += 1
        self.seen.append((question, session, as_of))
        return canned(question)


def test_in_process_answerer_maps_session_ids_to_conversation_states():
    assistant = FakeAssistant()
    answerer = InProcessAnswerer(assistant)
    run_gold(gold(SINGLE, CONV), answerer.answer, answerer.new_session)
    assert assistant.seen[0][1] is None
    assert assistant.seen[1][1] is assistant.seen[2][1]
    assert assistant.seen[2][1] == {"turns": 2}


class TestHttpAnswerer:
    def make(self, handler, sleep=None) -> HttpAnswerer:
        client = httpx.Client(transport=httpx.MockTransport(handler))
        return HttpAnswerer("http://127.0.0.1:9/", client=client, sleep=sleep or (lambda s: None))

    def test_posts_question_and_carries_the_server_session(self):
        bodies = []

        def handler(request: httpx.Request) -> httpx.Response:
            assert request.url.path == "/api/chat"
            body = json.loads(request.content)
            bodies.append(body)
            data = canned(body["question"], body["session_id"] or "srv-1").model_dump(mode="json")
            return httpx.Response(200, json={**data, "answer_id": "a1"})

        answerer = self.make(handler)
        results = run_gold(gold(SINGLE, CONV), answerer.answer, answerer.new_session)
        assert bodies[0] == {"question": "留工补助每人多少", "session_id": None, "as_of": "2022-10-01"}
        assert bodies[1]["session_id"] is None  # first turn: the server opens the session …
        assert bodies[2]["session_id"] == "srv-1"  # … and the next turn continues it
        assert all(r.scores.correct for r in results)

    def test_http_error_becomes_a_case_error_with_the_servers_message(self):
        def handler(request: httpx.Request) -> httpx.Response:
            return httpx.Response(400, json={"error": {"code": "question_too_long", "message": "问题太长"}})

        answerer = self.make(handler)
        results = run_gold(gold(SINGLE), answerer.answer, answerer.new_session)
        assert results[0].error.endswith("HTTP 400 question_too_long: 问题太长")

    def test_rate_limit_is_waited_out_and_not_counted_as_latency(self):
        replies = iter([httpx.Response(429, headers={"Retry-After": "0.3"}, json={"error": {"code": "rate_limited", "message": "慢点"}})])
        slept = []

        def sleep(seconds: float) -> None:
            slept.append(seconds)
            time.sleep(seconds)

        def handler(request: httpx.Request) -> httpx.Response:
            return next(replies, None) or httpx.Response(200, json=canned(json.loads(request.content)["question"]).model_dump(mode="json"))

        answerer = self.make(handler, sleep=sleep)
        results = run_gold(gold(SINGLE), answerer.answer, answerer.new_session)
        assert slept == [0.3]
        assert results[0].error is None and results[0].scores.correct
        assert results[0].latency_ms < 200  # the 300 ms wait is not latency

    def test_a_server_that_keeps_refusing_is_an_error_in_the_end(self):
        answerer = self.make(lambda request: httpx.Response(429, json={"error": {"code": "rate_limited", "message": "慢点"}}))
        results = run_gold(gold(SINGLE), answerer.answer, answerer.new_session)
        assert "HTTP 429" in results[0].error

    def test_a_reply_that_is_not_an_answer_is_a_case_error(self):
        answerer = self.make(lambda request: httpx.Response(200, json={"hello": "world"}))
        results = run_gold(gold(SINGLE), answerer.answer, answerer.new_session)
        assert "not an Answer" in results[0].error
