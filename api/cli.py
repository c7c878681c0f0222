"""`policy-qa` command line: a thin layer over the Python API (index, assistant, evals).

Library code raises PolicyQAError; only this module turns it into one Chinese line on stderr and a
non-zero exit. Heavy things (model, index) are opened once per command.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from datetime import date
from pathlib import Path

import click

from index.errors import PolicyQAError

__all__ = ["cli", "main"]


class _CliGroup(click.Group):
    """Turns library errors into one line and exit code 2, never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except PolicyQAError as exc:
            click.echo(f"错误：{exc.message}", err=True)
            ctx.exit(2)
        except KeyboardInterrupt:
            click.echo("已中断", err=True)
            ctx.exit(130)


def _settings(**overrides):
    from assistant.settings import Settings

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except Exception as exc:  # pydantic ValidationError: a bad env var or option
        raise PolicyQAError(f"配置无效：{exc}", code="bad_settings") from exc


def _configure_logging(verbose: bool) -> None:
    from api.logs import configure_logging

    configure_logging(logging.INFO if verbose else logging.WARNING)


@click.group(cls=_CliGroup)
@click.option("-v", "--verbose", is_flag=True, help="输出运行日志")
def cli(verbose: bool) -> None:
    """policy-qa：政策文件问答（引用原文、计算金额、标注时效）。"""
    _configure_logging(verbose)


# ---------------------------------------------------------------- index
@cli.group("index")
def index_group() -> None:
    """建立或查看检索索引。"""


@index_group.command("build")
@click.option("--force", is_flag=True, help="语料未变也重建")
@click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path), default=None)
@click.option("--index-dir", type=click.Path(path_type=Path), default=None)
@click.option("--chroma-url", default=None, help="Chroma 服务地址（默认使用内嵌存储）")
def index_build(force: bool, corpus_dir: Path | None, index_dir: Path | None, chroma_url: str | None) -> None:
    """解析 corpus/documents，分块、向量化，写入新版本并切换。"""
    from index.embed import load_embedder
    from index.store import build_index

    s = _settings(corpus_dir=corpus_dir, index_dir=index_dir, chroma_url=chroma_url)
    if s.build_nice:
        os.nice(s.build_nice)  # answers first when the build shares the serving machine's cores
    t0 = time.perf_counter()
    embedder = load_embedder(s.embedding_model, s.embedding_threads, backend=s.embedding_backend,
                             cache_dir=s.model_cache_dir)
    from assistant.rules import load_rules

    manifest, built = build_index(
        s.corpus_dir,
        s.index_dir,
        embedder,
        chroma_url=s.chroma_url,
        force=force,
        progress=sys.stderr.isatty(),
        # the rules must still quote the documents being indexed, or the new version is not switched to
        validate=lambda docs: load_rules(s.corpus_dir, docs),
    )
    if not built:
        click.echo(f"索引已是最新：版本 {manifest.version}，{manifest.chunk_count} 个分块（未重建）")
        return
    click.echo(
        f"索引已建立：版本 {manifest.version}，{manifest.chunk_count} 个分块，"
        f"新向量化 {manifest.embedded} 个，复用 {manifest.reused} 个，"
        f"模型 {manifest.model}（{manifest.dimension} 维），用时 {time.perf_counter() - t0:.1f} 秒"
    )
    from index.parse import describe_document, load_corpus

    _echo_document_reports([describe_document(d) for d in load_corpus(s.corpus_dir).values()])


def _echo_document_reports(reports: list[dict]) -> None:
    """One line per document: its structure, counts and coverage; a warning line for anything missed."""
    for r in reports:
        click.echo(f"  {r['file']}：{r['structure']}，{'、'.join(r['counts']) or '无条款'}，"
                   f"覆盖 {r['coverage']:.1%}")
        for w in r["warnings"]:
            click.echo(f"    ⚠ {w}", err=True)


@index_group.command("status")
@click.option("--json", "as_json", is_flag=True)
def index_status_cmd(as_json: bool) -> None:
    """当前索引版本，以及它与语料是否一致。"""
    from index.embed import embedding_fingerprint
    from index.store import index_status

    s = _settings()
    status = index_status(s.index_dir, s.corpus_dir, embedding_fingerprint(s.embedding_model, s.embedding_backend))
    if as_json:
        click.echo(json.dumps(status, ensure_ascii=False, default=str))
        return
    if not status["built"]:
        click.echo("索引尚未建立：请运行 policy-qa index build")
        sys.exit(1)
    state = "最新（与语料一致）" if status["fresh"] else "过期（语料或模型已变，请重建）"
    click.echo(
        f"版本 {status['version']}：{state}\n"
        f"  文档 {', '.join(status['documents'])}；分块 {status['chunk_count']}；模型 {status['model']}"
        f"（{status['dimension']} 维）\n  建于 {status['built_at']}，用时 {status['build_seconds']} 秒；存储 {status['chroma']}"
    )
    _echo_document_reports(status.get("document_reports", []))
    if not status["fresh"]:
        sys.exit(1)


def _register_optional() -> None:
    """Commands living in their own modules (calculator, evals, server) are added when present."""
    import importlib

    for module, names in (
        ("api.cli_ask", ("ask_command", "search_command")),
        ("api.cli_calc", ("calc_command", "match_command")),
        ("api.cli_eval", ("eval_command",)),
        ("api.cli_serve", ("serve_command",)),
        ("api.cli_rules", ("rules_group",)),
    ):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        for name in names:
            cmd = getattr(mod, name, None)
            if cmd is not None:
                cli.add_command(cmd)


_register_optional()


def main() -> None:
    cli(prog_name="policy-qa")


def parse_as_of(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise PolicyQAError(f"日期格式应为 YYYY-MM-DD：{value}", code="bad_date") from exc


if __name__ == "__main__":
    main()
