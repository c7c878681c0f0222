"""`policy-qa eval` end to end with a scripted pipeline: bad gold lines, reports, JSON, compare and the gate."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import api.cli_eval as cli_eval
from api.cli_eval import eval_command
from assistant.contract import Answer, Citation

DOC = "sx-rst-2022-19"
QUOTE = "均按照每名参保职工 500 元的标准发放一次性留工培训补助"
GOOD = [
    {"id": "a1", "category": "amount", "question": "留工补助每人多少", "expected_clauses": [f"{DOC}#2.2"], "must_contain": [["500元"]]},
    {"id": "a2", "category": "amount", "question": "扩岗补助每人多少", "expected_clauses": [f"{DOC}#2.3"], "must_contain": [["1500元"]]},
]


class Scripted:
    """Stands in for the assistant (the CLI's input): right about 留工补助, wrong about everything else."""

    name = "pipeline"

    def new_session(self) -> str:
        return "s"

    def answer(self, question: str, session_id=None, *, as_of=None) -> Answer:
        cite = Citation(n=1, doc_id=DOC, clause_id=f"{DOC}#2.2", label="第2条第(2)项", title="", quote=QUOTE, start=0, end=1)
        return Answer(question=question, status="answered", intent="amount", answer="每名参保职工 500 元[1]",
                      citations=[cite], retrieved=[f"{DOC}#2.2"], index_version="v-test")


@pytest.fixture()
def scripted(monkeypatch):
    monkeypatch.setattr(cli_eval, "_open_pipeline", lambda against, settings: (Scripted(), None, "scripted"))


def gold_file(tmp_path, lines):
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def good_lines():
    return [json.dumps(g, ensure_ascii=False) for g in GOOD]


def test_bad_lines_are_reported_by_line_number_and_good_ones_still_run(tmp_path, scripted):
    gold = gold_file(tmp_path, [good_lines()[0], "{not json", json.dumps({"id": "x", "category": "amount"}), good_lines()[1]])
    result = CliRunner().invoke(eval_command, [str(gold), "--no-baselines"])
    assert result.exit_code == 0, result.output
    assert f"{gold}:2: invalid JSON" in result.output
    assert f"{gold}:3: missing question" in result.output
    assert "hit@1" in result.output and "accuracy" in result.output


def test_a_gold_file_with_no_usable_line_is_an_error(tmp_path, scripted):
    gold = gold_file(tmp_path, ["{not json", "[]"])
    result = CliRunner().invoke(eval_command, [str(gold), "--no-baselines"])
    assert result.exit_code == 1
    assert ":1: invalid JSON" in result.output and "没有可用的题目" in result.output


def test_report_json_and_compare(tmp_path, scripted):
    gold = gold_file(tmp_path, good_lines())
    runner = CliRunner()
    first = runner.invoke(eval_command, [str(gold), "--no-baselines", "--report", str(tmp_path / "r1")])
    assert first.exit_code == 0, first.output
    assert (tmp_path / "r1" / "report.html").exists() and (tmp_path / "r1" / "chart_categories.svg").exists()
    second = runner.invoke(eval_command, [str(gold), "--no-baselines", "--json", "--compare", str(tmp_path / "r1" / "report.json")])
    assert second.exit_code == 0, second.output
    data = json.loads(second.stdout)
    assert data["index_version"] == "v-test"
    assert data["systems"][0]["summary"]["accuracy"] == 0.5
    assert "better: 0" in second.output and "worse: 0" in second.output


def test_gate_fails_with_exit_code_one_and_names_the_metric(tmp_path, scripted):
    gold = gold_file(tmp_path, good_lines())
    gate = tmp_path / "gate.json"
    gate.write_text(json.dumps({"min": {"accuracy": 0.9, "hit_at_5": 0.5, "mrr": None}}), encoding="utf-8")
    result = CliRunner().invoke(eval_command, [str(gold), "--no-baselines", "--gate", str(gate)])
    assert result.exit_code == 1
    assert "accuracy = 0.500 below minimum 0.9" in result.output
    assert "hit_at_5" not in result.output.split("gate failed")[-1]


def test_gate_met_passes(tmp_path, scripted):
    gold = gold_file(tmp_path, good_lines()[:1])
    gate = tmp_path / "gate.json"
    gate.write_text(json.dumps({"min": {"accuracy": 1.0}, "max": {"must_not_contain_violations": 0}}), encoding="utf-8")
    result = CliRunner().invoke(eval_command, [str(gold), "--no-baselines", "--gate", str(gate)])
    assert result.exit_code == 0, result.output
    assert "gate passed" in result.output


def test_limit_runs_the_first_items_only(tmp_path, scripted):
    gold = gold_file(tmp_path, good_lines())
    result = CliRunner().invoke(eval_command, [str(gold), "--no-baselines", "--json", "--limit", "1"])
    assert json.loads(result.stdout)["n_items"] == 1
