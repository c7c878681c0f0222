"""Property-based tests of every operation in the live server's /openapi.json (schemathesis 4).

Checks, named here so nothing is left out silently:
- not_a_server_error: no 5xx for any generated request, valid or not;
- status_code_conformance: every status returned is documented for the operation;
- content_type_conformance: the response media type is the documented one;
- response_schema_conformance: the JSON body validates against the documented schema;
- response_headers_conformance: documented headers are present and well-formed.
`positive_data_acceptance` is not run: a schema-valid request can rightly be refused (a random
session id is 404, a random rule id 422, a question over the configured length 422), which the schema
cannot express. Both positive (schema-valid) and negative (schema-violating) cases are generated for
every operation that has inputs.

schemathesis' own pytest plugin (`from_fixture(...).parametrize()`) fails on pytest 9 (it sets
`node._nodeid`), so each operation is a parametrized test driving the operation's hypothesis strategy.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.slow

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
EXAMPLES = {GenerationMode.POSITIVE: 40, GenerationMode.NEGATIVE: 25}


def _operations() -> list[tuple[str, str, bool]]:
    """(method, path, has_inputs) of the app's schema, read at collection time without a server."""
    from api.app import create_app
    from assistant.settings import Settings

    spec = create_app(Settings()).openapi()
    return [
        (method.upper(), path, bool(op.get("parameters") or op.get("requestBody")))
        for path, item in spec["paths"].items()
        for method, op in item.items()
    ]


OPERATIONS = _operations()


@pytest.fixture(scope="module")
def live_schema(live_server):
    return schemathesis.openapi.from_url(f"{live_server.url}/openapi.json")


def test_schema_lists_every_api_route(live_server):
    """Every /api, /v1 and ops route is in the schema (pages are left out on purpose: they are files)."""
    from fastapi.routing import APIRoute

    from api.routes import ROUTERS

    documented = set(live_server.app.openapi()["paths"])
    routes = {r.path for router in ROUTERS for r in router.routes if isinstance(r, APIRoute)}
    pages = {"/", "/console", "/widget.js", "/console.js", "/console.css"}
    assert routes - pages == documented
    assert {p for _, p, _ in OPERATIONS} == documented


@pytest.mark.parametrize(("method", "path", "has_inputs"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_operation_conforms_to_its_schema(live_schema, live_server, method, path, has_inputs):
    operation = live_schema[path][method]
    seen: dict[str, set[int]] = {}
    calls: list[int] = []
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE] if has_inputs else [GenerationMode.POSITIVE]
    for mode in modes:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES[mode], deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def run(case):
            response = case.call_and_validate(base_url=live_server.url, checks=CHECKS, timeout=30)
            seen.setdefault(mode.value, set()).add(response.status_code)
            calls.append(response.status_code)

        run()
    # the documented examples too: they are the requests that should succeed
    for strategy in live_schema.get_strategies_from_examples(operation):

        @given(case=strategy)
        @settings(max_examples=EXAMPLES[GenerationMode.POSITIVE], deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def run_example(case):
            response = case.call_and_validate(base_url=live_server.url, checks=CHECKS, timeout=30)
            seen.setdefault("examples", set()).add(response.status_code)
            calls.append(response.status_code)

        run_example()
    assert seen.get("positive"), "no positive case was generated"
    print(f"{method} {path}: {len(calls)} cases, statuses {seen}")
