"""`policy-qa rules draft` and `policy-qa rules check`: propose a rules file from a document, check the rule book.

A thin layer over `assistant.draft` and `assistant.rules`: the draft is printed (or written with --out) and
then loaded with the real loader against the real parsed document; what the loader refuses is left out
and listed with its reason. Library errors reach `api.cli`'s group, which prints one line and exits 2.
"""

from __future__ import annotations

from pathlib import Path

import click
import yaml

from index.errors import PolicyQAError

__all__ = ["rules_group"]


def _corpus_dir() -> Path:
    from assistant.settings import Settings

    try:
        return Settings().corpus_dir
    except Exception as exc:  # pydantic ValidationError from a bad POLICY_QA_* variable
        raise PolicyQAError(f"配置无效：{exc}", code="bad_settings") from exc


def _document(target: str, corpus_dir: Path):
    """The parsed document a DOC argument names: a doc id of the corpus, or a path to a document file."""
    from index.metadata import load_grammar
    from index.parse import load_corpus, parse_document

    path = Path(target)
    if path.is_file():
        return parse_document(path, load_grammar(corpus_dir))
    docs = load_corpus(corpus_dir)
    if target not in docs:
        raise PolicyQAError(f"语料中没有文档 {target}（可用：{'、'.join(docs)}），也不是文件路径", code="unknown_document")
    return docs[target]


@click.group("rules")
def rules_group() -> None:
    """规则文件：从文档起草（rules draft），检查规则库（rules check）。"""


@rules_group.command("draft")
@click.argument("doc")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="写入此文件（默认打印到标准输出）")
def draft_command(doc: str, out: Path | None) -> None:
    """按文档句式起草规则文件（全部 reviewed: false），并用规则加载器校验。DOC 为文档编号或文件路径。"""
    from assistant.draft import check_draft, draft_rules, render_draft
    from assistant.rules import build_rulebook

    parsed = _document(doc, _corpus_dir())
    data = draft_rules(parsed)
    checked = check_draft(data, parsed)
    text = render_draft(checked.data, parsed, refused=checked.refused)
    # the text itself is what a reviewer starts from: load it back, not only the dict it came from
    loaded = 0
    if checked.data["rules"]:
        loaded = len(build_rulebook([(out.name if out else "draft.yaml", yaml.safe_load(text))],
                                    {parsed.meta.doc_id: parsed}))
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
    report = click.echo if out else (lambda line: click.echo(line, err=True))
    where = f"，已写入 {out}" if out else ""
    report(f"{parsed.meta.doc_id}：起草 {len(data['rules'])} 条规则，规则加载器加载 {loaded} 条{where}")
    for r in checked.refused:
        report(f"  未通过加载器、已从草稿中去掉：{r.rule_id} — {r.reason}")
    if not data["rules"]:
        report("  本文档中没有找到金额、比例、档次、期限或“按规定给予”的句子")


@rules_group.command("check")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def check_command(file: Path | None) -> None:
    """加载规则库（或单个规则文件）并逐文件列出规则数及已审核/未审核数。"""
    from assistant.rules import RuleDataError, build_rulebook, load_rules
    from index.parse import load_corpus

    corpus_dir = _corpus_dir()
    docs = load_corpus(corpus_dir)
    if file is None:
        files = sorted((corpus_dir / "rules").glob("*.yaml"))
        book = load_rules(corpus_dir, docs)
    else:
        files = [file]
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise RuleDataError(f"规则文件 {file.name} 无法读取或不是有效的 YAML：{exc}") from exc
        book = build_rulebook([(file.name, data)], docs)
    total = reviewed = 0
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        ids = [r.get("id") for r in data.get("rules", []) if isinstance(r, dict)]
        done = sum(1 for i in ids if i in book and book.rules[i].reviewed)
        total += len(ids)
        reviewed += done
        click.echo(f"{path.name}（{data.get('doc_id', '?')}）：{len(ids)} 条规则，已审核 {done}，未审核 {len(ids) - done}")
    click.echo(f"共 {total} 条规则已加载，已审核 {reviewed}，未审核 {total - reviewed}")
