"""The scaled-out topology on this machine, no Docker: PostgreSQL, a Chroma server, two `policy-qa serve`
replicas and nginx in front of them, all started here on 127.0.0.1 and stopped after
(benchmarks/scale_out.py holds the scenarios, so the printed figures and these assertions come from the
same code; what the database holds is read here with a connection of the test's own).

The tests run in file order on one topology: the rebuild starts with it, the last test kills a replica.
"""

from __future__ import annotations

import pytest
from benchmark_module import load

harness = load("scale_out")
services = load("local_services")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def topology(request, tmp_path_factory):
    missing = [what for what, found in (("PostgreSQL server (apt-get install postgresql)", services.postgres_bin_dir()),
                                        ("nginx (apt-get install nginx-light)", services.nginx_binary())) if not found]
    if missing:
        pytest.skip(f"topology needs {', '.join(missing)}; scripts/ensure-sysdeps.sh installs them")
    # only now the model and the index: a skip costs nothing
    embedder = request.getfixturevalue("embedder")
    built_index = request.getfixturevalue("built_index")
    try:
        with harness.running_topology(tmp_path_factory.mktemp("topology"), embedder, seed_index=built_index) as topo:
            # the rebuild in a third process starts now and runs while the first two tests talk to the
            # replicas (the model load is most of its time); the third test waits for it
            topo.build = harness.start_index_build(topo)
            yield topo
    except services.ServiceUnavailable as exc:
        pytest.skip(f"topology unavailable: {exc}")


def test_a_conversation_keeps_its_context_across_replicas(topology):
    r = harness.converse_across(topology)
    first, second, third, alone = r["first"], r["second"], r["third"], r["alone"]
    assert first["status"] in ("answered", "clarify")
    # turn 2 went to the other replica: it read turn 1's restaurant from the shared store
    assert second["session_id"] == first["session_id"]
    assert second["slots"].get("industry") == "餐饮"
    assert second["slots"].get("insured_employees") == 25
    # and through nginx, wherever it landed
    assert third["session_id"] == first["session_id"] and third["slots"].get("industry") == "餐饮"
    # the same follow-up without the first turn knows nothing about a restaurant
    assert alone["slots"].get("industry") != "餐饮"
    assert r["stored"] == [first["answer_id"], second["answer_id"], third["answer_id"]]


def test_one_clients_requests_over_both_replicas_share_one_rate_limit(topology):
    r = harness.rate_limit_across(topology)
    assert r.other == []
    # a bucket per replica would let 2 × burst through; the test can only tell the two apart if it was quick
    assert r.allowed < 2 * r.burst, f"too slow to tell shared from per-replica limits: {r.elapsed_s:.1f} s"
    assert r.burst <= r.total_passed <= r.allowed + 1, (r.passed, r.elapsed_s)
    # every way in saw refusals: each replica counted what the others had let through
    assert all(n > 0 for n in r.limited.values()), r.limited
    for refusal in r.refusals:
        assert refusal["body"]["error"]["code"] == "rate_limited"
        assert "请求过于频繁" in refusal["body"]["error"]["message"]
        assert int(refusal["retry_after"]) >= 1


def test_a_new_index_version_reaches_every_replica(topology):
    r = harness.index_switch(topology, topology.build)
    assert r["build_rc"] == 0, r["build_output"]
    old = r["before"][0]
    assert r["before"] == [old, old]
    assert r["active"] != old
    assert r["after"] == [r["active"], r["active"]], r
    assert r["manifest_chroma"] == topology.chroma_url  # the new vectors went to the shared Chroma server


def test_killing_a_replica_under_load_loses_no_committed_turn(topology):
    r = harness.failover(topology)
    figures = r.figures()
    assert r.killed_at_s is not None
    assert r.lost == [], f"{len(r.lost)} answered turns missing from PostgreSQL"
    # only what replica 0 had in flight at the kill may fail; from a second later nginx sends all to replica 1
    assert r.after_kill_failed == [], [f"{x.sent_s:.2f} s: {x.status} {x.error}" for x in r.after_kill_failed]
    assert r.after_kill_ok >= 5, figures
    assert all(x.sent_s <= r.killed_at_s + 1.0 for x in r.failed), figures
    assert len(r.failed) <= 6, figures  # at most one in flight per client
    # and those got nginx's 502 in the API's error shape, not an HTML page
    assert all(x.status is None or (x.status == 502 and "upstream_unavailable" in (x.error or "")) for x in r.failed)
    assert topology.replicas[1].ready_version() is not None
    assert topology.replicas[1].error_lines() == []
