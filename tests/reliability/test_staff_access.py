"""Staff endpoints closed by default and redirects that ignore the Host header, seen from a real
non-loopback address (hardening issue 16, item 3).

benchmarks/staff_access.py starts `policy-qa serve --host 0.0.0.0` inside a network namespace it makes
with `unshare -rn` (a veth pair 10.231.0.1 / 10.231.0.2; the host's network is untouched), or, where
that is refused, on the host reached through its own non-loopback address.
"""

from __future__ import annotations

import pytest
from benchmark_module import load

harness = load("rebuild_under_load")
staff = load("staff_access")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def env(tmp_path_factory, embedder, built_index):
    ws = harness.Workspace.create(tmp_path_factory.mktemp("staff") / "ws", embedder, seed_index=built_index)
    return harness.server_env(ws)


@pytest.fixture(scope="module")
def without_key(env):
    result = staff.probe(env)
    if result.get("mode") == "none":
        pytest.skip(result["error"])
    assert "error" not in result, result.get("error")
    return result


@pytest.fixture(scope="module")
def with_key(env):
    result = staff.probe(env, staff.STAFF_KEY)
    if result.get("mode") == "none":
        pytest.skip(result["error"])
    assert "error" not in result, result.get("error")
    return result


def test_the_probe_really_comes_from_a_non_loopback_address(without_key):
    seen = without_key["peer address seen"]
    assert seen is not None and not seen.startswith("127."), without_key


def test_without_a_key_staff_endpoints_refuse_other_machines(without_key):
    r = without_key
    assert [r["rules from far"], r["search from far"], r["documents from far"], r["calc from far"]] == [403] * 4, r
    # a reverse proxy on this machine forwards other machines' requests: not local either
    assert r["rules from loopback via proxy"] == 403, r
    assert r["rules from loopback"] == 200, r


def test_citizen_endpoints_and_health_stay_open_to_everyone(without_key, with_key):
    for r in (without_key, with_key):
        assert r["chat from far"] == 200 and r["healthz from far"] == 200, r


def test_with_a_key_every_client_needs_it(with_key):
    r = with_key
    assert [r["rules from far"], r["search from far"], r["rules from loopback"]] == [401, 401, 401], r
    assert r["rules from far with key"] == 200 and r["search from far with key"] == 200, r


def test_one_start_up_line_says_how_staff_endpoints_are_protected(without_key, with_key):
    assert without_key["start-up line"] and "loopback" in without_key["start-up line"], without_key
    assert with_key["start-up line"] and "X-API-Key" in with_key["start-up line"], with_key


def test_a_redirect_never_names_a_host_the_allow_list_lacks(without_key):
    forged = without_key["redirect with forged Host"]
    assert forged["status"] in (307, 308) and forged["location"], forged
    assert "evil.example" not in forged["location"] and forged["location"].startswith("/"), forged
    allowed = without_key["redirect with allowed Host"]
    assert allowed["location"] == f"http://{staff.ALLOWED_HOST}/api/suggestions", allowed
