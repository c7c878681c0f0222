"""The per-document table: hand-made results over two documents, its figures, and where it is shown."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import api.cli_eval as cli_eval
from api.cli_eval import eval_command
from assistant.contract import Answer, Citation
from evals.gold_format import parse_gold_lines
from evals.report import build_system_run, document_rows, load_run, render_html, render_markdown, write_report
from evals.runner import evaluate
from evals.scorers import NO_DOCUMENT, summarize_by_document

PLAN = "sx-rst-2022-19"
LAW = "cn-gsbx-tiaoli-2010"
NO_ANSWER = "抱歉，现有文件中没有找到与这个问题相关的规定，我不能凭空回答。"

ITEMS = [
    {"id": "p1", "category": "amount", "question": "留工补助每人多少", "expected_clauses": [f"{PLAN}#2.2"], "must_contain": [["500元"]]},
    {"id": "p2", "category": "amount", "question": "扩岗补助每人多少", "expected_clauses": [f"{PLAN}#2.3"], "must_contain": [["1500元"]]},
    {"id": "l1", "category": "eligibility", "question": "上下班路上被撞算工伤吗", "expected_clauses": [f"{LAW}#a14"], "must_contain": [["工伤"]]},
    {"id": "l2", "category": "deadline", "question": "工伤认定申请时限", "expected_clauses": [f"{LAW}#a17"], "must_contain": [["30日"]]},
    {"id": "x1", "category": "fact", "question": "培训补贴和工伤待遇", "expected_clauses": [f"{PLAN}#2.2", f"{LAW}#a30"]},
    {"id": "o1", "category": "out_of_scope", "question": "北京的公积金", "expect_refusal": True},
    {"id": "o2", "category": "out_of_scope", "question": "上海的稳岗返还", "expect_refusal": True},
]


def cite(clause_id: str, n: int) -> Citation:
    return Citation(n=n, doc_id=clause_id.partition("#")[0], clause_id=clause_id, label="", title="", quote="每人 500 元", start=0, end=1)


# what the answerer returns per question: (status, text, cited clause ids, retrieved clause ids)
SCRIPT = {
    "留工补助每人多少": ("answered", "每人 500 元[1]。", [f"{PLAN}#2.2"], [f"{PLAN}#2.2"]),
    # right figure and clause, but led by the law's clause: the wrong-document case
    "扩岗补助每人多少": ("answered", "依据[1]。每人 1500 元[2]。", [f"{LAW}#a30", f"{PLAN}#2.3"], [f"{LAW}#a30", f"{PLAN}#2.3"]),
    "上下班路上被撞算工伤吗": ("no_answer", NO_ANSWER, [], [f"{LAW}#a14"]),  # a wrongful refusal
    "工伤认定申请时限": ("answered", "申请时限是30日内[1]。", [f"{LAW}#a17"], [f"{LAW}#a16", f"{LAW}#a17"]),
    "培训补贴和工伤待遇": ("answered", "两项都有[1][2]。", [f"{LAW}#a30", f"{PLAN}#2.2"], [f"{LAW}#a30", f"{PLAN}#2.2"]),
    "北京的公积金": ("no_answer", NO_ANSWER, [], []),
    "上海的稳岗返还": ("answered", "90%[1]", [f"{PLAN}#2.1"], [f"{PLAN}#2.1"]),  # should have refused
}


class Scripted:
    """Stands in for the assistant (an input of the runner and the CLI): answers as SCRIPT says."""

    name = "pipeline"

    def new_session(self) -> str:
        return "s"

    def answer(self, question: str, session_id=None, *, as_of=None) -> Answer:
        status, text, cited, retrieved = SCRIPT[question]
        return Answer(question=question, status=status, intent="fact", answer=text,
                      citations=[cite(c, i) for i, c in enumerate(cited, 1)], retrieved=retrieved)


@pytest.fixture()
def items():
    parsed, problems = parse_gold_lines([json.dumps(i, ensure_ascii=False) for i in ITEMS])
    assert problems == []
    return parsed


@pytest.fixture()
def run(items):
    run = evaluate(items, [(Scripted(), "pipeline", "scripted")])
    run.gold_path = "test.jsonl"
    return run


def test_rows_are_the_documents_of_the_expected_clauses_then_no_document(run):
    by_doc = summarize_by_document(run.systems[0].cases)
    assert list(by_doc) == [LAW, PLAN, NO_DOCUMENT]
    # x1 names a clause of each document and counts in both rows
    assert [by_doc[d].n_cases for d in (LAW, PLAN, NO_DOCUMENT)] == [3, 3, 2]
    assert run.systems[0].summary.n_cases == 7


def test_figures_of_the_plan_row(run):
    plan = run.systems[0].by_document[PLAN]
    assert plan.hit_at_1 == pytest.approx(2 / 3)  # p1 and x1 first; p2 second
    assert plan.mrr == pytest.approx((1 + 0.5 + 1) / 3)
    assert plan.citation_precision == pytest.approx((1 + 0.5 + 1) / 3)
    assert plan.citation_recall == 1.0
    assert plan.accuracy == 1.0
    assert plan.refusal_precision is None and plan.refusal_recall is None
    # p2 leads with the law; x1 leads with the law too, but the law is one of its documents
    assert (plan.wrong_document_rate, plan.n_cited) == (pytest.approx(1 / 3), 3)
    assert (plan.answer_first, plan.n_answer_first) == (0.5, 2)  # p1 states 500元 first, p2 does not


def test_figures_of_the_law_row_with_a_wrongful_refusal(run):
    law = run.systems[0].by_document[LAW]
    assert law.hit_at_1 == pytest.approx(2 / 3)  # l1 and x1 first; l2 second
    assert law.citation_precision == 1.0  # l1 cites nothing: no precision to count
    assert law.citation_recall == pytest.approx(2 / 3)
    assert law.accuracy == pytest.approx(2 / 3)
    assert law.refusal_precision == 0.0 and law.refusal_recall is None
    assert (law.wrong_document_rate, law.n_cited) == (0.0, 2)  # the refusal has no first citation


def test_figures_of_the_no_document_row(run):
    none = run.systems[0].by_document[NO_DOCUMENT]
    assert none.hit_at_1 is None and none.citation_recall is None
    assert (none.refusal_precision, none.refusal_recall) == (1.0, 0.5)
    assert none.accuracy == 0.5
    assert none.wrong_document_rate is None and none.n_cited == 0


def test_table_cells(run):
    headers, rows = document_rows(run.systems[0])
    assert headers == ["document", "n", "hit@1", "MRR", "cite P", "cite R", "accuracy", "refuse P", "refuse R",
                       "answer-first", "wrong doc"]
    cells = {r[0]: r for r in rows}
    assert cells[PLAN] == [PLAN, "3", "0.667", "0.833", "0.833", "1.000", "1.000", "—", "—", "0.500", "0.333 (1/3)"]
    assert cells[LAW][7:9] == ["0.000", "—"] and cells[LAW][-1] == "0.000 (0/2)"
    assert cells[NO_DOCUMENT][-1] == "—"
    assert rows[-1][0] == "all" and rows[-1][1] == "7" and rows[-1][-1] == "0.250 (1/4)"  # o2 expects no clause


def test_markdown_html_and_json_carry_the_table(run, tmp_path):
    md = render_markdown(run, chart_file=None)
    section = md.split("## pipeline per document")[1]
    assert f"| {PLAN} | 3 | 0.667 | 0.833 |" in section and "0.333 (1/3)" in section
    assert f"| {NO_DOCUMENT} | 2 |" in section
    assert "## pipeline answer-first" in md
    page = render_html(run)
    assert "分文件" in page and "<td class=\"num\">0.333 (1/3)</td>" in page
    back = load_run(write_report(run, tmp_path)["json"])
    assert back.systems[0].by_document[PLAN].wrong_document_rate == pytest.approx(1 / 3)
    assert back.systems[0].answer_first_by_intent["amount"].n == 2
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert data["systems"][0]["answer_first_by_intent"]["all"]["rate"] == pytest.approx(3 / 4)


def test_old_reports_without_the_table_still_load(run, tmp_path):
    data = json.loads(run.model_dump_json())
    for system in data["systems"]:
        del system["by_document"], system["answer_first_by_intent"]
        for case in system["cases"]:
            del case["expected_clauses"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert load_run(path).systems[0].by_document == {}


def test_console_prints_the_table_in_two_halves_that_fit_80_columns(tmp_path, monkeypatch):
    monkeypatch.setattr(cli_eval, "_open_pipeline", lambda against, settings: (Scripted(), None, "scripted"))
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join(json.dumps(i, ensure_ascii=False) for i in ITEMS) + "\n", encoding="utf-8")
    result = CliRunner().invoke(eval_command, [str(gold), "--no-baselines"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "per document" in result.output and "answer-first" in result.output
    plan_lines = [line for line in lines if PLAN in line]
    assert len(plan_lines) == 2  # one row in each half
    assert "0.667" in plan_lines[0] and "0.833" in plan_lines[0] and "1.000" in plan_lines[0]
    assert "0.333 (1/3)" in plan_lines[1]
    assert all(len(line) <= 80 for line in lines if PLAN in line or NO_DOCUMENT in line)
    refusal = next(line for line in lines if "refusal" in line and "│" in line)
    assert "1.000" in refusal  # o1's refusal says the documents lack the answer


def test_build_system_run_fills_the_table_for_every_system(run):
    again = build_system_run("bm25", "baseline", run.systems[0].cases)
    assert again.by_document.keys() == run.systems[0].by_document.keys()
