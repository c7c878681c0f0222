"""The calculator and matcher as LangChain tools: real StructuredTools, JSON-able results, and bad
arguments returned as error results an agent can read, never raised."""

from __future__ import annotations

import json
import re
import sys
from datetime import date
from pathlib import Path

import pytest
from langchain_core.messages import ToolMessage
from langchain_core.tools import StructuredTool

from assistant.rules import RuleBook, load_rules
from assistant.tools import CalculatorArgs, calculator_tool, matcher_tool
from index.parse import load_corpus

REPO = Path(__file__).resolve().parents[2]
IN_FORCE = date(2022, 7, 1)
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def book() -> RuleBook:
    corpus = REPO / "corpus"
    return load_rules(corpus, load_corpus(corpus))


@pytest.fixture(scope="module")
def calc_tool(book: RuleBook) -> StructuredTool:
    return calculator_tool(book, lambda: IN_FORCE)


@pytest.fixture(scope="module")
def match_tool(book: RuleBook) -> StructuredTool:
    return matcher_tool(book, lambda: IN_FORCE)


def as_result(output) -> dict:
    """A tool's output as a dict: direct dicts, or the JSON string a validation handler returns."""
    if isinstance(output, ToolMessage):
        output = output.content
    return json.loads(output) if isinstance(output, str) else output


class TestCalculatorTool:
    def test_is_a_structured_tool_with_a_pydantic_schema(self, calc_tool: StructuredTool, book: RuleBook) -> None:
        assert isinstance(calc_tool, StructuredTool)
        assert calc_tool.name == "policy_calculator"
        assert calc_tool.args_schema is CalculatorArgs
        assert set(calc_tool.args) == {"rule_id", "params", "as_of"}
        for rule in book:  # the agent sees every rule id it may call
            assert rule.id in calc_tool.description

    def test_computes_and_returns_json(self, calc_tool: StructuredTool) -> None:
        out = calc_tool.invoke({"rule_id": "job_retention_training_subsidy", "params": {"insured_employees": 25}})
        assert isinstance(out, dict) and out["ok"] is True
        assert out["calculation"]["amount"] == 12500
        assert out["calculation"]["formula"] == "25人 × 500元/人 = 12,500元（1.25万元）"
        assert out["validity"]["lapsed"] is False and out["validity"]["as_of"] == "2022-07-01"
        assert out["citations"][0]["n"] == 1
        json.dumps(out, ensure_ascii=False)

    def test_as_of_argument_and_default(self, book: RuleBook) -> None:
        tool = calculator_tool(book, lambda: date(2026, 11, 26))
        out = tool.invoke({"rule_id": "留工补助", "params": {"参保职工人数": "3"}})
        assert out["validity"]["lapsed"] is True
        out = tool.invoke({"rule_id": "留工补助", "params": {"参保职工人数": "3"}, "as_of": "2022-12-31"})
        assert out["validity"]["lapsed"] is False

    @pytest.mark.parametrize(
        ("params", "code"),
        [
            ({"insured_employees": -1}, "negative"),
            ({"insured_employees": 0}, "zero"),
            ({"insured_employees": 2.5}, "fractional"),
            ({"insured_employees": "很多"}, "not_a_number"),
            ({"insured_employees": 10**12}, "too_large"),
            ({}, "missing_param"),
        ],
    )
    def test_bad_params_come_back_as_error_results(self, calc_tool: StructuredTool, params: dict, code: str) -> None:
        out = calc_tool.invoke({"rule_id": "job_retention_training_subsidy", "params": params})
        assert out["ok"] is False
        assert out["error"]["code"] == code and out["error"]["param"] == "insured_employees"
        assert "参保职工人数（insured_employees）" in out["error"]["message"]

    def test_unknown_rule_and_bad_date(self, calc_tool: StructuredTool) -> None:
        out = calc_tool.invoke({"rule_id": "free_money", "params": {}})
        assert out["ok"] is False and out["error"]["code"] == "unknown_rule" and "free_money" in out["error"]["message"]
        out = calc_tool.invoke({"rule_id": "留工补助", "params": {"employees": 3}, "as_of": "昨天"})
        assert out["ok"] is False and "as_of" in out["error"]["message"]

    @pytest.mark.parametrize(
        ("args", "param"),
        [({"params": {}}, "rule_id"), ({"rule_id": 5}, "rule_id"), ({"rule_id": "x", "params": "employees=3"}, "params"),
         ({"rule_id": ["留工补助"]}, "rule_id")],
    )
    def test_schema_violations_are_error_results_too(self, calc_tool: StructuredTool, args: dict, param: str) -> None:
        out = as_result(calc_tool.invoke(args))
        assert out["ok"] is False and out["error"]["param"] == param
        assert CHINESE.search(out["error"]["message"])

    def test_agent_tool_call_gets_a_tool_message(self, calc_tool: StructuredTool) -> None:
        call = {"type": "tool_call", "id": "call-1", "name": "policy_calculator",
                "args": {"rule_id": "job_expansion_subsidy", "params": {"graduates": 2}}}
        msg = calc_tool.invoke(call)
        assert isinstance(msg, ToolMessage) and msg.tool_call_id == "call-1"
        assert json.loads(msg.content)["calculation"]["amount"] == 3000
        bad = calc_tool.invoke({**call, "args": {"params": {}}})
        assert isinstance(bad, ToolMessage) and bad.status == "error"
        assert json.loads(bad.content)["ok"] is False

    def test_hostile_strings_never_raise(self, calc_tool: StructuredTool) -> None:
        sys.path.insert(0, str(REPO / "tests"))
        from badinput import load_bad_inputs

        for _, text in load_bad_inputs()[::3]:
            out = calc_tool.invoke({"rule_id": "job_retention_training_subsidy", "params": {"insured_employees": text}})
            assert isinstance(out, dict) and "ok" in out
            if not out["ok"]:
                assert CHINESE.search(out["error"]["message"])
            assert calc_tool.invoke({"rule_id": text, "params": {}})["ok"] is False


class TestMatcherTool:
    def test_is_a_structured_tool(self, match_tool: StructuredTool, book: RuleBook) -> None:
        assert match_tool.name == "policy_matcher"
        # the schema is the rule book's: every field a rules file defines, described by its own label
        schema = match_tool.args_schema.model_json_schema()["properties"]
        book_fields = {f.name: f.label for f in book.profile_fields()}
        assert set(book_fields) <= set(schema)
        assert all(book_fields[n] in schema[n]["description"] for n in book_fields)
        assert {"industry", "size", "insured_employees", "graduates_hired"} <= set(match_tool.args)

    def test_small_restaurant(self, match_tool: StructuredTool) -> None:
        out = match_tool.invoke({"industry": "饭店", "size": "小微", "insured_employees": 25, "graduates_hired": 1})
        assert out["ok"] is True
        stay = next(m for m in out["measures"] if m["rule_id"] == "job_retention_training_subsidy")
        assert stay["amount"] == 12500
        assert ["job_expansion_subsidy", "small_micro_hiring_award"] in out["choices"]
        json.dumps(out, ensure_ascii=False)

    @pytest.mark.parametrize(
        ("args", "param"),
        [({"size": "巨型"}, "size"), ({"insured_employees": -5}, "insured_employees"),
         ({"insured_employees": "二十"}, "insured_employees"), ({"is_helping_workshop": "也许"}, "is_helping_workshop"),
         ({"extra": {"wings": 2}}, "wings")],
    )
    def test_bad_profiles_come_back_as_error_results(self, match_tool: StructuredTool, args: dict, param: str) -> None:
        out = as_result(match_tool.invoke(args))
        assert out["ok"] is False and out["error"]["param"] == param
        assert CHINESE.search(out["error"]["message"])

    def test_schema_violation_is_an_error_result(self, match_tool: StructuredTool) -> None:
        out = as_result(match_tool.invoke({"insured_employees": [1, 2]}))
        assert out["ok"] is False and out["error"]["param"] == "insured_employees"
        assert "应为数字" in out["error"]["message"]
