"""`policy-qa calc` and `policy-qa match`: the calculator and the matcher on the command line.

A thin layer over `assistant.calculate` and `assistant.match`: rich text for people, `--json` for
scripts (the same models the HTTP face returns). Any error is one Chinese line on stderr and a
non-zero exit (2: the input is wrong; 1: the corpus or rules cannot be loaded), never a traceback.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.markup import escape

from assistant.calculate import CalcOutcome, calculate, describe_amount, describe_params, rule_citations, rule_validity
from assistant.match import MatchResult, ProfileError, match_profile, parse_profile
from assistant.rules import RuleBook, UnknownRuleError, load_rules
from index.errors import PolicyQAError

__all__ = ["calc_command", "match_command"]

EXIT_BAD_INPUT = 2
EXIT_DATA = 1


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    click.echo(f"错误：{message}", err=True)
    sys.exit(code)


_LOADED: dict[str, tuple[RuleBook, date]] = {}


def _load() -> tuple[RuleBook, date]:
    """Settings, corpus and rules, once per process and corpus; the rules book and today's as-of date."""
    from assistant.settings import Settings

    try:
        key = str(Settings().corpus_dir)
    except Exception:
        key = ""
    if key not in _LOADED:
        _LOADED[key] = _load_once()
    return _LOADED[key]


def _load_once() -> tuple[RuleBook, date]:
    from assistant.settings import Settings
    from index.parse import load_corpus

    try:
        settings = Settings()
    except Exception as exc:  # pydantic ValidationError from a bad POLICY_QA_* variable
        _fail(f"配置无效：{exc}", EXIT_DATA)
    try:
        docs = load_corpus(settings.corpus_dir)
        return load_rules(settings.corpus_dir, docs), settings.today()
    except PolicyQAError as exc:
        _fail(exc.message, EXIT_DATA)


def _as_of(value: str | None, default: date) -> date:
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"日期（--as-of）格式应为 YYYY-MM-DD，收到“{value}”")


def _console() -> Console:
    # soft_wrap: long Chinese lines are left to the terminal instead of being cut at 80 columns
    return Console(highlight=False, soft_wrap=True)


def _dump(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


# ---------------------------------------------------------------- calc
def _parse_assignments(items: tuple[str, ...]) -> dict[str, str]:
    params: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            _fail(f"参数应写成 名称=数值（如 参保职工人数=25），收到“{item}”")
        params[key.strip()] = value.strip()
    return params


def _status(lapsed: bool | None) -> str:
    return {True: "[red]已过期[/red]", False: "[green]在执行期内[/green]", None: "[yellow]文件未写期限[/yellow]"}[lapsed]


def _print_list(book: RuleBook) -> None:
    out = _console()
    out.print(f"[bold]规则（共 {len(book)} 项）[/bold]")
    for rule in book:
        clause = book.doc(rule.doc_id).clauses[rule.clause_id]
        out.print(f"[bold]{rule.id}[/bold]  {escape(rule.title)}  {clause.label}")
        out.print(f"    {escape(describe_amount(book, rule))}")


def _period_line(period: str | None, lapsed: bool | None, note: str = "") -> str:
    head = f"{escape(period)}  {_status(lapsed)}" if period else _status(lapsed)
    return f"时效：{head}" + (f"  {escape(note)}" if note else "")


def _print_show(book: RuleBook, rule_id: str, as_of: date) -> None:
    rule = book.resolve(rule_id)
    out = _console()
    clause = book.doc(rule.doc_id).clauses[rule.clause_id]
    out.print(f"[bold]{escape(rule.title)}[/bold]（{rule.id}）  {clause.label}")
    if rule.aliases:
        out.print(f"别名：{'、'.join(rule.aliases)}")
    out.print(f"标准：{escape(describe_amount(book, rule))}")
    params = describe_params(book, rule.id)
    if params:
        out.print("参数：")
        for p in params:
            need = "必填" if p.required else "可选"
            limits = ""
            if p.choices:
                limits = "，可选 " + "、".join(f"{k}={v}" for k, v in p.choices.items())
            elif p.min is not None or p.max is not None:
                limits = f"，范围 {p.min if p.min is not None else ''}～{p.max if p.max is not None else ''}{p.unit}"
            out.print(f"  {p.name}  {p.label}（{need}{limits}）")
    else:
        out.print("参数：无")
    validity = rule_validity(book, rule, as_of)
    out.print(_period_line(validity.period, validity.lapsed))
    out.print("原文：")
    for c in rule_citations(book, rule):
        out.print(f"  [{c.n}] {c.label}：“{escape(c.quote)}”")


def _print_outcome(o: CalcOutcome) -> None:
    out = _console()
    calc = o.calculation
    assert calc is not None
    out.print(f"[bold]{escape(o.title)}[/bold]（{o.rule_id}）")
    out.print(f"计算：[bold]{escape(calc.formula)}[/bold]")
    if calc.amount is not None:
        cap = "（最高）" if calc.is_cap else ""
        upper = f"至{calc.amount_max:,}{calc.unit}" if calc.amount_max is not None else ""
        out.print(f"金额：{calc.amount:,}{calc.unit}{upper}{cap}")
    elif o.amount_stated is False:
        out.print("金额：本文件未规定具体金额")
    for f in o.facts:
        out.print(f"  {escape(f.label)}：{escape(f.value)}")
    if calc.conditions:
        out.print("条件：")
        for c in calc.conditions:
            out.print(f"  · {escape(c)}")
    if calc.exclusions:
        out.print("不能同时享受：")
        for x in calc.exclusions:
            out.print(f"  · {escape(x)}")
    if calc.note:
        out.print(f"说明：{escape(calc.note)}")
    if o.validity:
        out.print(_period_line(o.validity.period, o.validity.lapsed, o.validity.note))
    out.print("依据：")
    for c in o.citations:
        out.print(f"  [{c.n}] {c.label}：“{escape(c.quote)}”")


@click.command("calc")
@click.argument("rule_id", required=False)
@click.argument("assignments", nargs=-1)
@click.option("--list", "list_rules", is_flag=True, help="列出全部规则")
@click.option("--show", is_flag=True, help="显示一条规则的参数、标准和原文")
@click.option("-p", "--param", "params", multiple=True, metavar="名称=数值", help="参数，可重复；也可直接写在规则 id 后")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.option("--as-of", default=None, metavar="YYYY-MM-DD", help="按哪一天判断是否过期（默认今天）")
def calc_command(
    rule_id: str | None, assignments: tuple[str, ...], list_rules: bool, show: bool,
    params: tuple[str, ...], as_json: bool, as_of: str | None,
) -> None:
    """按文件规定精确计算一项补贴/奖励/返还：policy-qa calc 规则 名称=数值 …（规则与参数见 policy-qa calc --list）"""
    book, today = _load()
    day = _as_of(as_of, today)
    if list_rules:
        if as_json:
            _dump({"rules": [
                {"rule_id": r.id, "title": r.title, "clause_id": r.clause_id, "kind": r.kind,
                 "standard": describe_amount(book, r),
                 "parameters": [p.model_dump(mode="json") for p in describe_params(book, r.id)]}
                for r in book
            ]})
        else:
            _print_list(book)
        return
    if not rule_id:
        _fail("请给出规则 id（policy-qa calc --list 查看全部规则）")
    try:
        if show:
            rule = book.resolve(rule_id)
            if as_json:
                _dump({"rule_id": rule.id, "title": rule.title, "clause_id": rule.clause_id, "kind": rule.kind,
                       "standard": describe_amount(book, rule),
                       "parameters": [p.model_dump(mode="json") for p in describe_params(book, rule.id)],
                       "validity": rule_validity(book, rule, day).model_dump(mode="json"),
                       "citations": [c.model_dump(mode="json") for c in rule_citations(book, rule)]})
            else:
                _print_show(book, rule_id, day)
            return
    except UnknownRuleError as exc:
        _fail(exc.message)
    outcome = calculate(book, rule_id, _parse_assignments(assignments + params), as_of=day)
    if not outcome.ok:
        assert outcome.error is not None
        if as_json:
            _dump(outcome.model_dump(mode="json"))
        _fail(outcome.error.message)
    if as_json:
        _dump(outcome.model_dump(mode="json"))
    else:
        _print_outcome(outcome)


# ---------------------------------------------------------------- match
def _read_profile_json(source: str) -> dict[str, Any]:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        _fail(f"无法读取企业情况文件 {source}：{exc.strerror}")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        _fail(f"企业情况 JSON 格式错误（第 {exc.lineno} 行）：{exc.msg}")
    if not isinstance(data, dict):
        _fail("企业情况 JSON 应为对象（{\"industry\": \"餐饮\", …}）")
    return data


def _print_match(result: MatchResult, show_all: bool) -> None:
    out = _console()
    said = "，".join(f"{k}={v}" for k, v in result.profile.items())
    out.print(f"[bold]适用措施[/bold]（{escape(said)}；按 {result.as_of} 判断时效）")
    for i, m in enumerate(result.measures, 1):
        status = "[green]适用[/green]" if m.status == "applies" else "[yellow]需确认[/yellow]"
        out.print(f"\n{i}. [bold]{escape(m.title)}[/bold]（{m.rule_id}，{m.clause_label}）  {status}  {_status(m.lapsed)}")
        if m.amount is not None:
            out.print(f"   金额：[bold]{escape(m.formula)}[/bold]")
        elif m.amount_stated is False:
            out.print("   金额：本文件未规定具体金额")
        elif m.missing:
            out.print(f"   金额：{escape(m.formula)}")
        else:
            out.print(f"   内容：{escape(m.formula)}")
        for c in m.conditions:
            out.print(f"   · {escape(c)}")
        if m.note:
            out.print(f"   说明：{escape(m.note)}")
    if result.choice_details:
        out.print("\n[bold]二选一[/bold]（文件规定不能同时享受）：")
        for d in result.choice_details:
            out.print(f"   · {escape(' / '.join(d.titles))}：{escape(d.note)}")
    if result.not_applicable:
        if show_all:
            out.print("\n[bold]不适用[/bold]：")
            for n in result.not_applicable:
                out.print(f"   · {escape(n.title)}（{n.rule_id}）：{escape(n.reason)}")
        else:
            out.print(f"\n另有 {len(result.not_applicable)} 项措施不适用（--all 查看原因）。")
    for w in result.warnings:
        out.print(f"[yellow]提示：{escape(w)}[/yellow]")


class _ProfileCommand(click.Command):
    """`match` takes one option per field the rule book defines (its vocabulary fields, yes/no flags and
    parameters, named as in the rules files, plus their ASCII aliases): the options come from the data,
    so a new rules file adds its own with no code change. They are built when the command is parsed."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not any(getattr(p, "generated", False) for p in self.params):
            self.params[:0] = _profile_options(_load()[0])
        return super().parse_args(ctx, args)


def _profile_options(book: RuleBook) -> list[click.Option]:
    used: set[str] = {"--set", "--profile-json", "--json", "--all", "--as-of", "--help"}
    options = []
    for f in book.profile_fields():
        names = [n for n in (f.name, *f.aliases) if n.isascii() and n.replace("_", "").isalnum()]
        flags = [f"--{n.replace('_', '-')}" for n in dict.fromkeys(names)]
        flags = [x for x in flags if x not in used]
        if not flags:
            continue
        used.update(flags)
        what = f.label + (f"（{f.unit}）" if f.unit else "")
        if f.choices:
            what += "：" + "、".join(label for _, label in f.choices[:10])
        if f.type == "flag":
            decls = [f"{x}/--no-{x[2:]}" for x in flags]
            opt = click.Option([*decls, f.name], default=None, help=what)
        else:
            opt = click.Option([*flags, f.name], default=None, metavar="值", help=what)
        opt.generated = True  # type: ignore[attr-defined]
        options.append(opt)
    return options


@click.command("match", cls=_ProfileCommand)
@click.option("--set", "extra", multiple=True, metavar="名称=数值", help="任一规则参数或条件，名称可用中文，如 参保职工人数=10")
@click.option("--profile-json", default=None, metavar="FILE|-", help="从 JSON 文件（- 为标准输入）读入企业情况")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.option("--all", "show_all", is_flag=True, help="同时列出不适用的措施及原因")
@click.option("--as-of", default=None, metavar="YYYY-MM-DD", help="按哪一天判断是否过期（默认今天）")
def match_command(extra: tuple[str, ...], profile_json: str | None, as_json: bool, show_all: bool,
                  as_of: str | None, **fields: Any) -> None:
    """列出符合申请人情况的全部政策措施；可用的字段来自规则文件（policy-qa match --help 列出）。"""
    book, today = _load()
    day = _as_of(as_of, today)
    data: dict[str, Any] = _read_profile_json(profile_json) if profile_json else {}
    data.update({k: v for k, v in fields.items() if v is not None})
    if extra:
        data.update(_parse_assignments(extra))
    try:
        result = match_profile(book, parse_profile(book, data), as_of=day)
    except ProfileError as exc:
        if as_json:
            _dump({"ok": False, "error": {"code": exc.code, "message": exc.message, "param": exc.field}})
        _fail(exc.message)
    except PolicyQAError as exc:
        _fail(exc.message)
    if as_json:
        _dump(result.model_dump(mode="json"))
    else:
        _print_match(result, show_all)
