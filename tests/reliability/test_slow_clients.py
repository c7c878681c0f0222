"""Slow and lying clients against a real `policy-qa serve` process (hardening issue 16, item 1).

benchmarks/slow_clients.py holds the scenario, so the figures `make reliability` prints and these
assertions come from the same code: 24 connections drip their bodies and 4 promise more bytes than
they send, while one client chats at four questions a second and another polls /healthz; then one
address fires bursts of 16 simultaneous chats. The server runs with its default slots (16), request
timeout (20 s) and body deadline.
"""

from __future__ import annotations

import pytest
from benchmark_module import load

from api.guards import client_share

harness = load("rebuild_under_load")
scenario = load("slow_clients")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory, embedder, built_index):
    from assistant.settings import Settings

    ws = harness.Workspace.create(tmp_path_factory.mktemp("slow") / "ws", embedder, seed_index=built_index)
    env = harness.server_env(ws, **scenario.SERVER_ENV)
    # server_env lifts the slot limit for its own load test; this scenario is about the default one
    env.pop("POLICY_QA_MAX_CONCURRENT_REQUESTS")
    env.pop("POLICY_QA_MAX_CLIENT_SHARE")
    with harness.run_server(env, ws.root / "server.stderr", ws.log_path) as srv:
        yield srv, Settings(corpus_dir=ws.corpus)
        errors = srv.error_lines()
    assert errors == [], "the server logged errors:\n" + "\n".join(errors)


@pytest.fixture(scope="module")
def result(server):
    srv, _ = server
    return scenario.run_slow_clients(srv.url)


def test_the_chatting_client_is_answered_as_usual_while_slow_clients_drip(result):
    base, attack = result.baseline.figures(), result.attack.figures()
    assert base["failed"] == 0 and base["requests"] >= 10, base
    assert attack["failed"] == 0, f"chat under {result.n_slow} slow clients: {attack['statuses']}"
    assert attack["requests"] >= 20, attack
    # "its normal latency": the p95 under attack within twice the baseline's, plus scheduling noise
    assert attack["p95_ms"] <= 2 * base["p95_ms"] + 150, (base, attack)


def test_slow_bodies_are_cut_off_at_the_body_deadline_with_408(result, server):
    _, settings = server
    deadline = settings.body_timeout_s
    assert sum(result.slow_answers.values()) >= result.n_slow, result.slow_answers
    assert set(result.slow_answers) == {408}, result.slow_answers
    assert max(result.slow_answer_s) <= deadline + 1.5


def test_a_lying_content_length_is_answered_with_a_4xx_quickly(result, server):
    _, settings = server
    assert dict(result.liar_answers) == {408: result.n_liars}, result.liar_answers
    assert max(result.liar_answer_s) <= settings.body_timeout_s + 1.5


def test_health_checks_stay_answered_throughout(result):
    assert set(result.health) == {200}, result.health
    assert sum(result.health.values()) >= 30
    assert result.health_max_ms < 1000


def test_one_client_cannot_take_more_than_its_share_of_the_slots(result, server):
    _, settings = server
    share = client_share(settings.max_concurrent_requests, settings.max_client_share)
    assert share < settings.max_concurrent_requests
    refused = result.hog.get("429 too_many_concurrent", 0)
    assert refused > 0, result.hog
    # every other client keeps getting answers while one address fires bursts as wide as all slots
    assert result.hogged.figures()["failed"] == 0, result.hogged.statuses
    assert result.hog.get(200, 0) > 0
