"""`policy-qa ask` and `policy-qa search`: the answer contract on the command line.

`--json` prints exactly the `Answer` / `SearchResult` contract (one object per line with `--batch`);
without it a readable, coloured view. The model and index are opened once per command.
"""

from __future__ import annotations

import re

import json
import sys
from pathlib import Path

import click

from index.errors import PolicyQAError

__all__ = ["ask_command", "search_command"]


#: exit code of `search` when no clause matched (2 is taken by errors, see api.cli)
NO_RESULT_EXIT = 1


def _open(as_of: str | None):
    from api.cli import _settings, parse_as_of
    from assistant.pipeline import Assistant

    settings = _settings(as_of=parse_as_of(as_of))
    if not sys.stderr.isatty():  # piped or logged: no spinner frames in the captured stderr
        return Assistant.open(settings)
    from rich.console import Console

    with Console(stderr=True).status("正在加载模型和索引…", spinner="dots"):
        return Assistant.open(settings)


def _lines(batch: Path) -> list[str]:
    try:
        text = batch.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyQAError(f"无法读取问题文件 {batch}：{exc}", code="bad_batch_file") from exc
    return [line.strip() for line in text.splitlines() if line.strip()]


def _print_answer(answer) -> None:
    from rich.console import Console
    from rich.panel import Panel
    from rich.text import Text

    console = Console()
    colour = {"answered": "green", "clarify": "yellow", "no_answer": "red", "invalid": "red"}[answer.status]
    head = Text(f"[{answer.status} · {answer.intent}] ", style=f"bold {colour}")
    head.append(answer.question, style="bold")
    console.print(head)
    console.print(Panel(Text(answer.answer), border_style=colour))
    if answer.calculation:
        console.print(Text(f"计算：{answer.calculation.formula}", style="cyan"))
    # the time note once: the answer text already carries it when it says the measure lapsed
    if answer.validity and answer.validity.lapsed and not re.search(r"已过期|已失效|到期", answer.answer):
        console.print(Text(f"⚠ {answer.validity.note}", style="bold yellow"))
    for c in answer.citations:
        line = Text(f"[{c.n}] {c.document + ' ' if c.document else ''}{c.label} ", style="bold")
        line.append(f"(字符 {c.start}–{c.end})\n", style="dim")
        line.append(c.quote, style="italic")
        console.print(line)
    console.print(Text(f"{answer.timing_ms:.0f} ms · 索引 {answer.index_version}", style="dim"))


@click.command("ask")
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（回答契约）")
@click.option("--batch", type=click.Path(path_type=Path, exists=True, dir_okay=False), help="每行一个问题")
@click.option("--as-of", default=None, help="按此日期判断时效（YYYY-MM-DD），默认今天")
@click.option("--conversation", is_flag=True, help="批量问题视为同一会话的多轮对话")
def ask_command(question: str | None, as_json: bool, batch: Path | None, as_of: str | None, conversation: bool) -> None:
    """回答一个问题（带引用、计算和时效）。"""
    if not question and not batch:
        raise click.UsageError("请给出问题，或用 --batch 指定问题文件")
    questions = _lines(batch) if batch else [question or ""]
    assistant = _open(as_of)
    session = assistant.new_session() if conversation else None
    for q in questions:
        answer = assistant.ask(q, session=session)
        if as_json:
            click.echo(answer.model_dump_json())
        else:
            _print_answer(answer)
    sys.stdout.flush()


@click.command("search")
@click.argument("query", required=False)
@click.option("--json", "as_json", is_flag=True)
@click.option("-k", "k", default=5, show_default=True, type=click.IntRange(1, 50))
@click.option("--batch", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--unit", default=None, help="只看某处室（单位）负责的条款")
@click.option("--leader", default=None, help="只看某位责任领导的条款")
@click.option("--section", default=None, help="部分编号（s1…s7）或标题中的词")
@click.option("--doc", "doc_id", default=None)
def search_command(query, as_json, k, batch, unit, leader, section, doc_id) -> None:
    """检索条款（工作人员查询用），列出原文与得分。"""
    from assistant.retrieve import SearchFilters
    from assistant.understand import QuestionRejected

    if not query and not batch:
        raise click.UsageError("请给出检索词，或用 --batch 指定文件")
    queries = _lines(batch) if batch else [query or ""]
    assistant = _open(None)
    filters = SearchFilters(doc_id=doc_id, unit=unit, leader=leader, section=section)
    empty = 0
    for q in queries:
        try:
            result = assistant.search(q, k=k, filters=filters)
        except QuestionRejected as exc:
            empty += 1
            if as_json:
                click.echo(json.dumps({"query": q, "results": [], "error": exc.message}, ensure_ascii=False))
                continue
            raise
        if not result.results:
            empty += 1
            click.echo(f"没有找到与“{q}”匹配的条文。", err=True)
        if as_json:
            click.echo(result.model_dump_json())
            continue
        from rich.console import Console
        from rich.text import Text

        console = Console()
        console.print(Text(f"检索：{result.query}", style="bold"))
        for hit in result.results:
            line = Text(f"{hit.n}. {hit.label} ", style="bold green")
            line.append(f"{hit.score:.4f}  {hit.clause_id}\n", style="dim")
            pos = 0
            for s, e in hit.highlights:
                line.append(hit.quote[pos:s])
                line.append(hit.quote[s:e], style="bold yellow")
                pos = e
            line.append(hit.quote[pos:])
            if hit.units:
                line.append(f"\n  处室：{'、'.join(hit.units)}", style="cyan")
            if hit.leaders:
                line.append(f"  领导：{'、'.join(hit.leaders)}", style="cyan")
            console.print(line)
    # one query without a result exits 1; a batch reports each line and exits 1 only when none found anything
    if empty == len(queries):
        sys.exit(NO_RESULT_EXIT)
