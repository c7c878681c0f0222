"""`policy-qa eval`: run a gold set through the pipeline (in process or over HTTP) and the baselines, score it, report.

A thin layer over `evals`: loading, running and scoring live there; this module opens the heavy
things once, prints rich tables, writes report files and turns a failed gate into exit code 1.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from assistant.settings import REPO_ROOT

__all__ = ["eval_command", "DEFAULT_GOLD"]

DEFAULT_GOLD = REPO_ROOT / "evals" / "gold" / "gold.jsonl"
#: exit code when the gate fails (click uses 2 for usage errors, the CLI group 2 for library errors)
GATE_FAILED_EXIT = 1


def _rich_table(title: str, table: tuple[list[str], list[list[str]]]) -> Table:
    headers, rows = table
    out = Table(title=title, title_justify="left", header_style="bold")
    for i, h in enumerate(headers):
        # the name column never wraps; figures give way instead (headers wrap at spaces)
        out.add_column(h, justify="left" if i == 0 else "right", no_wrap=i == 0)
    for row in rows:
        out.add_row(*row)
    return out


def _transposed(table: tuple[list[str], list[list[str]]]) -> tuple[list[str], list[list[str]]]:
    """Metrics down, systems across: four systems side by side fit an 80-column terminal, ten metrics do not."""
    headers, rows = table
    return ["metric", *(r[0] for r in rows)], [[h, *(r[i] for r in rows)] for i, h in enumerate(headers) if i > 0]


def _columns(table: tuple[list[str], list[list[str]]], picked: list[int]) -> tuple[list[str], list[list[str]]]:
    """The table with only the columns `picked`, in that order."""
    headers, rows = table
    return [headers[i] for i in picked], [[row[i] for i in picked] for row in rows]


def _print_run(console: Console, run) -> None:
    from evals import report

    console.print(_rich_table("检索 retrieval", _transposed(report.retrieval_rows(run))))
    console.print(_rich_table("回答 answers", _transposed(report.answer_rows(run))))
    console.print(_rich_table("延迟 latency", _transposed(report.latency_rows(run))))
    console.print(_rich_table("分类别准确率 accuracy per category", report.category_accuracy_rows(run)))
    pipeline = next((s for s in run.systems if s.kind == "pipeline"), None)
    if pipeline:
        console.print(_rich_table(f"{pipeline.name} per category", report.category_rows(pipeline)))
        # twelve columns do not fit 80: the retrieval and accuracy half, then the refusal and document half
        per_doc = report.document_rows(pipeline)
        half = len(per_doc[0]) - 4  # the last four: refuse P, refuse R, answer-first, wrong doc
        console.print(_rich_table(f"分文件 {pipeline.name} per document", _columns(per_doc, list(range(half)))))
        console.print(_rich_table(f"分文件 {pipeline.name} per document (cont.)",
                                  _columns(per_doc, [0, *range(half, len(per_doc[0]))])))
        console.print(_rich_table(f"结论先行 {pipeline.name} answer-first", report.answer_first_rows(pipeline)))
    if run.robustness:
        console.print(_rich_table("鲁棒性 robustness (pipeline)", report.robustness_rows(run)))


def _print_comparison(console: Console, cmp) -> None:
    from evals import report

    console.print(_rich_table("与上次比较 compared with the old run", report.comparison_rows(cmp)))
    for title, changes, style in (("better", cmp.better, "green"), ("worse", cmp.worse, "red")):
        console.print(f"[{style}]{title}: {len(changes)}[/{style}]")
        for c in changes:
            detail = "; ".join(c.new_failures) if title == "worse" else "; ".join(c.old_failures)
            console.print(f"  {c.system} {c.case_id} {c.question} — {detail}", markup=False, highlight=False)


def _open_pipeline(against: str | None, settings):
    """(answerer, embedder or None, description): a server's /api/chat, or the assistant in this process."""
    from evals.runner import HttpAnswerer, InProcessAnswerer

    if against:
        return HttpAnswerer(against), None, f"server {against}"
    from assistant.pipeline import Assistant

    assistant = Assistant.open(settings)
    return InProcessAnswerer(assistant), assistant.embedder, "in-process assistant"


@click.command("eval")
@click.argument("gold", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--against", metavar="URL", help="评测运行中的服务（POST URL/api/chat），默认在本进程内调用")
@click.option("--report", "report_dir", type=click.Path(file_okay=False, path_type=Path), help="写出 Markdown/HTML/JSON 报告的目录")
@click.option("--compare", "compare_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="与旧的 report.json 比较")
@click.option("--baselines/--no-baselines", default=True, show_default=True, help="同一批问题上跑三个基线")
@click.option("--robustness", is_flag=True, help="再跑五种机械改写的问题集，报告各自的准确率损失")
@click.option("--gate", "gate_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="阈值文件；未达标时退出码 1")
@click.option("--limit", type=click.IntRange(min=1), help="只跑前 N 条")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), help="未指定 as_of 的题目按此日期作答")
@click.option("--seed", type=int, default=0, show_default=True, help="鲁棒性改写的随机种子")
@click.option("--json", "as_json", is_flag=True, help="把完整结果以 JSON 输出到标准输出")
def eval_command(
    gold: Path | None,
    against: str | None,
    report_dir: Path | None,
    compare_path: Path | None,
    baselines: bool,
    robustness: bool,
    gate_path: Path | None,
    limit: int | None,
    as_of: datetime | None,
    seed: int,
    as_json: bool,
) -> None:
    """评测：用金标问题集给问答流水线（及基线）打分。GOLD 默认 evals/gold/gold.jsonl。"""
    from api.cli import _settings
    from evals.baselines import build_baselines
    from evals.gold_format import check_clause_ids, load_gold
    from evals.perturb import PERTURBATIONS, load_perturbation_table
    from evals.report import compare, load_run, render_comparison_markdown, write_report
    from evals.runner import evaluate
    from evals.scorers import check_gate
    from index.parse import load_corpus

    console = Console(stderr=as_json)
    err = Console(stderr=True)
    gold = gold or DEFAULT_GOLD
    gate = None
    if gate_path:
        try:
            gate = json.loads(gate_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise click.ClickException(f"阈值文件 {gate_path} 无法读取：{exc}") from exc

    items, problems = load_gold(gold)
    for line_no, message in problems:
        # plain "file:line: message" lines, unwrapped, so editors and grep can jump to them
        click.echo(f"{gold}:{line_no}: {message}", err=True)
    if not items:
        raise click.ClickException(f"金标文件 {gold} 中没有可用的题目")
    if limit:
        items = items[:limit]

    settings = _settings()
    docs = load_corpus(settings.corpus_dir)
    warnings = check_clause_ids(items, {cid for d in docs.values() for cid in d.clauses})
    for w in warnings:
        click.echo(f"warning: {w}", err=True)

    answerer, embedder, target = _open_pipeline(against, settings)
    systems = [(answerer, "pipeline", target)]
    if baselines:
        if embedder is None:
            from index.embed import load_embedder

            embedder = load_embedder(settings.embedding_model, settings.embedding_threads)
        systems += [(b, "baseline", b.description) for b in build_baselines(docs, embedder)]

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True, disable=not err.is_terminal) as bar:
        tasks: dict[str, int] = {}

        def progress(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=total)
            bar.update(tasks[name], completed=done)

        try:
            run = evaluate(
                items,
                systems,
                as_of=as_of.date() if as_of else None,
                perturbations=list(PERTURBATIONS) if robustness else None,
                perturbation_table=load_perturbation_table(settings.corpus_dir) if robustness else None,
                seed=seed,
                progress=progress,
            )
        finally:
            if hasattr(answerer, "close"):
                answerer.close()
    run.gold_path = str(gold)
    run.target = target
    run.problems = [(p.line_no, p.message) for p in problems]
    run.warnings = warnings
    pipeline_cases = run.systems[0].cases
    run.index_version = next((c.answer.index_version for c in pipeline_cases if c.answer), "")

    if as_json:
        click.echo(run.model_dump_json(indent=1))
    else:
        _print_run(console, run)

    cmp = None
    if compare_path:
        cmp = compare(load_run(compare_path), run)
        _print_comparison(console, cmp)
    if report_dir:
        paths = write_report(run, report_dir)
        if cmp is not None:
            paths["comparison"] = report_dir / "comparison.md"
            paths["comparison"].write_text(render_comparison_markdown(cmp), encoding="utf-8")
        click.echo("报告已写出：" + "，".join(str(p) for p in paths.values()), err=True)

    if gate is not None:
        try:
            failures = check_gate(run.systems[0].summary, gate)
        except ValueError as exc:
            raise click.ClickException(f"阈值文件 {gate_path}：{exc}") from exc
        gated = [k for d in ("min", "max") for k, v in (gate.get(d) or {}).items() if v is not None]
        if not gated:
            click.echo(f"阈值文件 {gate_path} 尚未设定任何阈值（全部为 null），不做拦截", err=True)
        for f in failures:
            click.echo(f"未达标 gate failed: {f.describe()}", err=True)
        if failures:
            sys.exit(GATE_FAILED_EXIT)
        if gated:
            click.echo(f"达标 gate passed ({len(gated)} thresholds)", err=True)
