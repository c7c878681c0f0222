"""Report files: written, self-contained, readable back, and comparable between runs."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from assistant.contract import Answer, Citation
from evals.gold_format import parse_gold_lines
from evals.report import compare, load_run, render_comparison_markdown, render_markdown, retrieval_rows, write_report
from evals.runner import evaluate

DOC = "sx-rst-2022-19"
QUOTES = {"2.2": "均按照每名参保职工 500 元的标准发放一次性留工培训补助", "2.3": "按照每人 1500 元的标准发放一次性扩岗补助"}
ITEMS = [
    {"id": "a1", "category": "amount", "question": "留工补助每人多少", "expected_clauses": [f"{DOC}#2.2"], "must_contain": [["500元"]]},
    {"id": "a2", "category": "amount", "question": "扩岗补助每人多少", "expected_clauses": [f"{DOC}#2.3"], "must_contain": [["1500元"]]},
    {"id": "o1", "category": "out_of_scope", "question": "北京的稳岗返还比例 <script>alert(1)</script>", "expect_refusal": True},
]


class Scripted:
    """An answerer that returns the answer it is told to for each question (an input of the report)."""

    def __init__(self, name: str, right: set[str]) -> None:
        self.name = name
        self.right = right

    def new_session(self) -> str:
        return "s"

    def answer(self, question: str, session_id=None, *, as_of=None) -> Answer:
        if "北京" in question:
            status = "no_answer" if "o1" in self.right else "answered"
            return Answer(question=question, status=status, intent="out_of_scope", answer="无 <b>此</b> 规定")
        path = "2.2" if "留工" in question else "2.3"
        item = "a1" if path == "2.2" else "a2"
        figure = {"2.2": "500", "2.3": "1500"}[path] if item in self.right else "800"
        cite = Citation(n=1, doc_id=DOC, clause_id=f"{DOC}#{path}", label=f"第{path}项", title="", quote=QUOTES[path], start=0, end=1)
        return Answer(question=question, status="answered", intent="amount", answer=f"每人 {figure} 元[1]",
                      citations=[cite], retrieved=[f"{DOC}#{path}", f"{DOC}#3"])


@pytest.fixture()
def items():
    parsed, problems = parse_gold_lines([json.dumps(i, ensure_ascii=False) for i in ITEMS])
    assert problems == []
    return parsed


def make_run(items, right: set[str]):
    run = evaluate(items, [(Scripted("pipeline", right), "pipeline", "scripted"), (Scripted("bm25", {"a1"}), "baseline", "b")],
                   perturbations=["filler"])
    run.gold_path = "test.jsonl"
    run.problems = [(4, "invalid JSON")]
    return run


def test_report_files_are_written(tmp_path, items):
    paths = write_report(make_run(items, {"a1", "o1"}), tmp_path / "out")
    assert {p.name for p in paths.values()} == {"report.md", "report.html", "report.json", "chart_categories.svg"}
    assert all(p.stat().st_size > 0 for p in paths.values())
    md = paths["markdown"].read_text(encoding="utf-8")
    assert "![answer accuracy per category, pipeline and baselines](chart_categories.svg)" in md
    assert "| pipeline |" in md and "| bm25 |" in md
    assert "line 4: invalid JSON" in md
    assert "a2" in md.split("## Failures")[1]  # the failing question is listed …
    assert "| a1 |" not in md.split("## Failures")[1]  # … the passing one is not


def test_html_is_self_contained_and_escapes_content(tmp_path, items):
    html_text = write_report(make_run(items, {"a1"}), tmp_path)["html"].read_text(encoding="utf-8")
    assert not re.search(r"""\b(?:src|href)\s*=""", html_text, re.IGNORECASE)
    assert "<link" not in html_text and "@import" not in html_text and "url(" not in html_text
    assert "<script>alert(1)</script>" not in html_text  # the question is shown, escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_text
    assert "只看失败" in html_text and 'id="only-failures"' in html_text
    assert html_text.count("<svg") == 3  # two category charts and the latency histogram
    assert 'data-passed="0"' in html_text and 'data-passed="1"' in html_text


def test_chart_is_valid_svg_with_a_bar_per_system_and_category(tmp_path, items):
    path = write_report(make_run(items, {"a1", "o1"}), tmp_path)["chart"]
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert "pipeline · amount: 0.500" in titles
    assert "pipeline · out_of_scope: 1.000" in titles
    assert "bm25 · out_of_scope: 0.000" in titles


def test_json_reads_back(tmp_path, items):
    run = make_run(items, {"a1"})
    back = load_run(write_report(run, tmp_path)["json"])
    assert back.systems[1].name == "bm25"
    assert back.systems[0].summary == run.systems[0].summary
    assert back.systems[0].cases[1].scores.failures == run.systems[0].cases[1].scores.failures
    assert back.robustness[0].perturbation == "filler"


def test_best_value_per_retrieval_column_is_marked(items):
    headers, rows = retrieval_rows(make_run(items, {"a1"}))
    assert headers[:3] == ["system", "n", "hit@1"]
    assert rows[0][2].endswith("*") and rows[1][2].endswith("*")  # both retrieve the right clause first


def test_compare_lists_what_got_better_and_worse(items):
    old = make_run(items, {"a1"})
    new = make_run(items, {"a2", "o1"})
    cmp = compare(old, new)
    assert {(c.system, c.case_id) for c in cmp.better} == {("pipeline", "a2"), ("pipeline", "o1")}
    assert {(c.system, c.case_id) for c in cmp.worse} == {("pipeline", "a1")}
    acc = next(d for d in cmp.metrics if d.system == "pipeline" and d.metric == "accuracy")
    assert (acc.old, acc.new) == (pytest.approx(1 / 3), pytest.approx(2 / 3))
    assert acc.improved is True
    text = render_comparison_markdown(cmp)
    assert "Better (failed before, pass now): 2" in text and "Worse (passed before, fail now): 1" in text


def test_markdown_without_chart(items):
    assert "![" not in render_markdown(make_run(items, {"a1"}), chart_file=None)
