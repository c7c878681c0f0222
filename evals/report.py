"""Reports of an evaluation run: table rows, Markdown, a self-contained HTML page, JSON, and run comparison.

`EvalRun` is the machine-readable record (what `--report DIR` writes as report.json and what
`--compare OLD.json` reads back). Table contents are computed once (`*_rows` return headers and
string cells) and rendered as Markdown, HTML, or — by the CLI — a terminal table. Charts are SVG
written by hand so the HTML page needs nothing from the network.
"""

from __future__ import annotations

import html
import json
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from evals.gold_format import CATEGORIES
from evals.scorers import (
    ANSWER_FIRST_KINDS,
    METRICS,
    NO_DOCUMENT,
    CaseResult,
    Rate,
    Summary,
    answer_first_by_intent,
    summarize,
    summarize_by_category,
    summarize_by_document,
)

__all__ = [
    "REPORT_FORMAT_VERSION",
    "SystemRun",
    "RobustnessRow",
    "EvalRun",
    "CaseChange",
    "MetricDelta",
    "Comparison",
    "Table",
    "build_system_run",
    "retrieval_rows",
    "answer_rows",
    "latency_rows",
    "failure_rows",
    "category_rows",
    "category_accuracy_rows",
    "document_rows",
    "answer_first_rows",
    "robustness_rows",
    "comparison_rows",
    "render_markdown",
    "render_html",
    "render_comparison_markdown",
    "category_chart_svg",
    "latency_histogram_svg",
    "write_report",
    "load_run",
    "compare",
]

REPORT_FORMAT_VERSION = "1"
RETRIEVAL_METRICS = ["hit_at_1", "hit_at_3", "hit_at_5", "mrr", "ndcg_at_5", "recall_at_5"]
ANSWER_METRICS = [
    "accuracy",
    "citation_precision",
    "citation_recall",
    "refusal_precision",
    "refusal_recall",
    "numeric_faithfulness",
    "validity_accuracy",
    "answer_first",
    "wrong_document_rate",
    "must_not_contain_violations",
]
LATENCY_METRICS = ["latency_p50_ms", "latency_p95_ms"]
DOCUMENT_METRICS = ["hit_at_1", "mrr", "citation_precision", "citation_recall", "accuracy", "refusal_precision",
                    "refusal_recall", "answer_first"]
CATEGORY_METRICS = ["hit_at_5", "mrr", "accuracy", "citation_recall", "refusal_recall", "numeric_faithfulness", "validity_accuracy"]
# colour per series, pipeline first; chosen to stay distinguishable in greyscale print
PALETTE = ["#1f6feb", "#d97706", "#6b7280", "#059669", "#a21caf", "#dc2626"]

Table = tuple[list[str], list[list[str]]]


class SystemRun(BaseModel):
    name: str
    kind: Literal["pipeline", "baseline"]
    description: str = ""
    summary: Summary
    by_category: dict[str, Summary]
    # by the document the expected clauses belong to; NO_DOCUMENT for cases that expect none
    by_document: dict[str, Summary] = Field(default_factory=dict)
    answer_first_by_intent: dict[str, Rate] = Field(default_factory=dict)
    cases: list[CaseResult]


class RobustnessRow(BaseModel):
    perturbation: str
    changed: int  # questions the rewrite actually changed
    total: int
    accuracy: float | None
    accuracy_delta: float | None  # perturbed minus clean; negative = what the rewrite costs
    hit_at_5: float | None
    hit_at_5_delta: float | None
    examples: list[tuple[str, str]] = Field(default_factory=list)  # (clean, rewritten)


class EvalRun(BaseModel):
    format_version: str = REPORT_FORMAT_VERSION
    created_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    gold_path: str = ""
    target: str = "in-process"
    as_of: date | None = None
    index_version: str = ""
    n_items: int = 0
    problems: list[tuple[int, str]] = Field(default_factory=list)  # gold lines skipped
    warnings: list[str] = Field(default_factory=list)
    systems: list[SystemRun] = Field(default_factory=list)
    robustness: list[RobustnessRow] = Field(default_factory=list)

    def system(self, name: str) -> SystemRun | None:
        return next((s for s in self.systems if s.name == name), None)


def build_system_run(name: str, kind: Literal["pipeline", "baseline"], results: list[CaseResult], description: str = "") -> SystemRun:
    return SystemRun(
        name=name,
        kind=kind,
        description=description,
        summary=summarize(results),
        by_category=summarize_by_category(results),
        by_document=summarize_by_document(results),
        answer_first_by_intent=answer_first_by_intent(results),
        cases=results,
    )


# --- table rows ----------------------------------------------------------------------------------


def fmt(metric: str, value: float | int | None) -> str:
    if value is None:
        return "—"
    kind = METRICS[metric].kind if metric in METRICS else "ratio"
    if kind == "count":
        return str(int(value))
    if kind == "ms":
        return f"{value:.0f}" if value >= 100 else f"{value:.1f}"
    return f"{value:.3f}"


def _label(metric: str) -> str:
    return METRICS[metric].label


def retrieval_rows(run: EvalRun) -> Table:
    """Systems side by side on retrieval; the best value per column is marked with *."""
    headers = ["system", "n", *(_label(m) for m in RETRIEVAL_METRICS)]
    best = {m: max((s.summary.metric(m) for s in run.systems if s.summary.metric(m) is not None), default=None) for m in RETRIEVAL_METRICS}
    rows = []
    for s in run.systems:
        cells = []
        for m in RETRIEVAL_METRICS:
            v = s.summary.metric(m)
            cells.append(fmt(m, v) + ("*" if v is not None and v == best[m] and len(run.systems) > 1 else ""))
        rows.append([s.name, str(s.summary.n_retrieval), *cells])
    return headers, rows


def answer_rows(run: EvalRun) -> Table:
    headers = ["system", "n", *(_label(m) for m in ANSWER_METRICS)]
    return headers, [[s.name, str(s.summary.n_cases), *(fmt(m, s.summary.metric(m)) for m in ANSWER_METRICS)] for s in run.systems]


def latency_rows(run: EvalRun) -> Table:
    headers = ["system", "errors", *(_label(m) for m in LATENCY_METRICS)]
    return headers, [[s.name, str(s.summary.n_errors), *(fmt(m, s.summary.metric(m)) for m in LATENCY_METRICS)] for s in run.systems]


def _categories(run: EvalRun) -> list[str]:
    present = {c for s in run.systems for c in s.by_category}
    return [c for c in CATEGORIES if c in present] + sorted(present - set(CATEGORIES))


def category_rows(system: SystemRun) -> Table:
    """One system's metrics per category, with the overall row last."""
    headers = ["category", "n", *(_label(m) for m in CATEGORY_METRICS)]
    rows = []
    for cat, summ in [*system.by_category.items(), ("all", system.summary)]:
        rows.append([cat, str(summ.n_cases), *(fmt(m, summ.metric(m)) for m in CATEGORY_METRICS)])
    return headers, rows


def category_accuracy_rows(run: EvalRun, metric: str = "accuracy") -> Table:
    """One metric per category, systems side by side."""
    headers = ["category", "n", *(s.name for s in run.systems)]
    rows = []
    for cat in _categories(run):
        n = next((s.by_category[cat].n_cases for s in run.systems if cat in s.by_category), 0)
        rows.append([cat, str(n), *(fmt(metric, s.by_category[cat].metric(metric) if cat in s.by_category else None) for s in run.systems)])
    return headers, rows


def _share(rate: float | None, n: int) -> str:
    """"0.125 (2/16)": a rate with the count behind it, so a small base is visible."""
    if rate is None or not n:
        return "—"
    return f"{rate:.3f} ({round(rate * n)}/{n})"


def document_rows(system: SystemRun) -> Table:
    """One system's metrics per document of the expected clauses, the overall row last. "wrong doc" is the
    share of answered cases whose first citation comes from a document none of the expected clauses is in."""
    headers = ["document", "n", *(_label(m) for m in DOCUMENT_METRICS), "wrong doc"]
    rows = []
    for doc, summ in [*system.by_document.items(), ("all", system.summary)]:
        rows.append([doc, str(summ.n_cases), *(fmt(m, summ.metric(m)) for m in DOCUMENT_METRICS),
                     _share(summ.wrong_document_rate, summ.n_cited)])
    return headers, rows


def answer_first_rows(system: SystemRun) -> Table:
    """Answer-first per kind of question judged, and overall."""
    headers = ["intent", "judged", "first sentence holds it", "answer-first"]
    rows = []
    for kind in [*ANSWER_FIRST_KINDS, "all"]:
        r = system.answer_first_by_intent.get(kind, Rate())
        rows.append([kind, str(r.n), str(r.passed), fmt("answer_first", r.rate)])
    return headers, rows


DOCUMENT_NOTE = (
    f"A case counts for every document its expected clauses belong to; `{NO_DOCUMENT}` holds the cases that expect "
    "no clause (refusals, questions about a document's own 文号 or dates). “wrong doc”: of the answered (or "
    "clarifying) cases with a citation, the share whose first citation [1] is from a document none of the expected "
    "clauses is in (count in brackets)."
)
ANSWER_FIRST_NOTE = (
    "Answer-first: the first sentence of the answer states its conclusion. amount — the item's expected figure; "
    "eligibility — one of the composer's verdict openings (可以。/不能。/能否享受…还要看/…的适用对象：…); deadline — a date "
    "or a time limit, and 已过期 when the item expects the measure lapsed; refusal — that the documents do not answer. "
    "Judged where the status is the expected one (an answer for amount/eligibility/deadline items, a refusal for items "
    "that expect one)."
)


def _signed(value: float | None) -> str:
    return "—" if value is None else f"{value:+.3f}"


def robustness_rows(run: EvalRun) -> Table:
    headers = ["perturbation", "changed", "accuracy", "Δ accuracy", "hit@5", "Δ hit@5"]
    rows = []
    for r in run.robustness:
        rows.append([
            r.perturbation, f"{r.changed}/{r.total}", fmt("accuracy", r.accuracy), _signed(r.accuracy_delta),
            fmt("hit_at_5", r.hit_at_5), _signed(r.hit_at_5_delta),
        ])
    return headers, rows


def _robustness_examples(run: EvalRun) -> list[str]:
    return [f"- {r.perturbation}: {clean} → {rewritten}" for r in run.robustness for clean, rewritten in r.examples[:1]]


def failure_rows(system: SystemRun, limit: int | None = None) -> Table:
    headers = ["id", "category", "question", "status", "what failed"]
    rows = []
    for c in system.cases:
        if c.passed:
            continue
        status = c.answer.status if c.answer else "error"
        rows.append([c.case_id, c.category, c.question, status, "; ".join(c.scores.failures) or "wrong answer"])
    return headers, rows[:limit] if limit else rows


# --- Markdown ------------------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(table: Table) -> str:
    headers, rows = table
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def render_markdown(run: EvalRun, *, chart_file: str | None = "chart_categories.svg", failures_limit: int = 40) -> str:
    """The report as Markdown; `chart_file` is embedded as an image when given."""
    out = [
        "# policy-qa evaluation report",
        "",
        f"- gold set: `{run.gold_path}` — {run.n_items} items, {run.systems[0].summary.n_cases if run.systems else 0} scored cases"
        + (f", {len(run.problems)} bad lines skipped" if run.problems else ""),
        f"- target: {run.target}" + (f", index {run.index_version}" if run.index_version else ""),
        f"- as of: {run.as_of or 'per item / run date'}; run at {run.created_at:%Y-%m-%d %H:%M} UTC",
        "",
        "## Retrieval (pipeline and baselines on the same questions)",
        "",
        _md_table(retrieval_rows(run)),
        "",
        "`*` best in column. A retrieved clause counts when it equals an expected clause or is its ancestor/descendant.",
        "",
        "## Answers",
        "",
        _md_table(answer_rows(run)),
        "",
        "Baselines answer with their top chunk (never refusing, never flagging validity).",
        "",
        "## Latency",
        "",
        _md_table(latency_rows(run)),
        "",
        "## Accuracy per category",
        "",
    ]
    if chart_file:
        out += [f"![answer accuracy per category, pipeline and baselines]({chart_file})", ""]
    out += [_md_table(category_accuracy_rows(run)), ""]
    pipeline = next((s for s in run.systems if s.kind == "pipeline"), run.systems[0] if run.systems else None)
    if pipeline:
        out += [f"## {pipeline.name} per category", "", _md_table(category_rows(pipeline)), ""]
        out += [f"## {pipeline.name} per document", "", _md_table(document_rows(pipeline)), "", DOCUMENT_NOTE, ""]
        out += [f"## {pipeline.name} answer-first", "", _md_table(answer_first_rows(pipeline)), "", ANSWER_FIRST_NOTE, ""]
    if run.robustness:
        out += ["## Robustness (pipeline, questions rewritten mechanically)", "", _md_table(robustness_rows(run)), "",
                "Δ is perturbed minus clean on the same items; negative is what the rewrite costs. Examples:", "",
                *_robustness_examples(run), ""]
    if pipeline:
        headers, rows = failure_rows(pipeline)
        out += [f"## Failures of {pipeline.name} ({len(rows)} of {pipeline.summary.n_cases})", ""]
        if rows:
            out += [_md_table((headers, rows[:failures_limit])), ""]
            if len(rows) > failures_limit:
                out += [f"… {len(rows) - failures_limit} more in report.html / report.json.", ""]
    if run.problems:
        out += ["## Gold lines skipped", ""] + [f"- line {n}: {msg}" for n, msg in run.problems] + [""]
    if run.warnings:
        out += ["## Warnings", ""] + [f"- {w}" for w in run.warnings] + [""]
    return "\n".join(out)


# --- SVG charts ----------------------------------------------------------------------------------


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _grouped_bars(title: str, groups: list[str], series: dict[str, list[float | None]], *, width: int = 760, height: int = 300) -> str:
    """Grouped vertical bars of values in 0..1, one colour per series, with a legend."""
    left, right, top, bottom = 44, 12, 34, 64
    plot_w, plot_h = width - left - right, height - top - bottom
    n_series = max(1, len(series))
    group_w = plot_w / max(1, len(groups))
    bar_w = min(22.0, group_w * 0.8 / n_series)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="11" role="img" aria-label="{_esc(title)}">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{left}" y="18" font-size="13" font-weight="bold">{_esc(title)}</text>',
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        y = top + plot_h * (1 - tick)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#374151">{tick:.2f}</text>')
    for gi, group in enumerate(groups):
        x0 = left + gi * group_w + (group_w - bar_w * n_series) / 2
        for si, (name, values) in enumerate(series.items()):
            value = values[gi]
            x = x0 + si * bar_w
            if value is None:
                continue
            # a zero still gets a sliver, so "scored 0" is not mistaken for "not applicable"
            h = max(1.5, plot_h * max(0.0, min(1.0, value)))
            parts.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 1:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[si % len(PALETTE)]}"><title>{_esc(name)} · {_esc(group)}: {value:.3f}</title></rect>'
            )
        parts.append(f'<text x="{left + gi * group_w + group_w / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle">{_esc(group)}</text>')
        if all(values[gi] is None for values in series.values()):
            parts.append(f'<text x="{left + gi * group_w + group_w / 2:.1f}" y="{top + plot_h - 6}" text-anchor="middle" fill="#9ca3af">n/a</text>')
    lx = left
    for si, name in enumerate(series):
        parts.append(f'<rect x="{lx}" y="{height - 22}" width="10" height="10" fill="{PALETTE[si % len(PALETTE)]}"/>')
        parts.append(f'<text x="{lx + 14}" y="{height - 13}">{_esc(name)}</text>')
        lx += 24 + 7 * len(name)
    parts.append("</svg>")
    return "\n".join(parts)


def category_chart_svg(run: EvalRun, metric: str = "accuracy") -> str:
    """Per-category bars of one metric, a bar per system."""
    cats = _categories(run)
    series = {
        s.name: [s.by_category[c].metric(metric) if c in s.by_category else None for c in cats] for s in run.systems
    }
    return _grouped_bars(f"{METRICS[metric].label} per category", cats, series)


def latency_histogram_svg(latencies_ms: list[float], *, title: str = "latency", bins: int = 20, width: int = 760, height: int = 260) -> str:
    """Histogram of latencies with p50 and p95 marked."""
    from evals.scorers import percentile

    left, right, top, bottom = 44, 12, 34, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="11" role="img" aria-label="{_esc(title)}">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{left}" y="18" font-size="13" font-weight="bold">{_esc(title)}</text>',
    ]
    if not latencies_ms:
        parts += [f'<text x="{left}" y="{top + 20}">no latencies</text>', "</svg>"]
        return "\n".join(parts)
    hi = max(latencies_ms) or 1.0
    step = hi / bins
    counts = [0] * bins
    for v in latencies_ms:
        counts[min(bins - 1, int(v / step))] += 1
    peak = max(counts)
    bar_w = plot_w / bins
    for i, n in enumerate(counts):
        h = plot_h * n / peak
        parts.append(
            f'<rect x="{left + i * bar_w:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 1:.1f}" height="{h:.1f}" fill="{PALETTE[0]}">'
            f"<title>{i * step:.0f}–{(i + 1) * step:.0f} ms: {n}</title></rect>"
        )
    for i in range(0, bins + 1, max(1, bins // 5)):
        parts.append(f'<text x="{left + i * bar_w:.1f}" y="{top + plot_h + 16}" text-anchor="middle">{i * step:.0f}</text>')
    parts.append(f'<text x="{width - right}" y="{top + plot_h + 32}" text-anchor="end">ms</text>')
    parts.append(f'<text x="{left - 6}" y="{top + 8}" text-anchor="end">{peak}</text>')
    for label, q, colour in (("p50", 50, "#059669"), ("p95", 95, "#dc2626")):
        v = percentile(latencies_ms, q) or 0.0
        x = left + plot_w * v / hi
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}" stroke="{colour}" stroke-dasharray="4 3"/>')
        parts.append(f'<text x="{x + 3:.1f}" y="{top + 10}" fill="{colour}">{label} {v:.0f} ms</text>')
    parts.append("</svg>")
    return "\n".join(parts)


# --- HTML ----------------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;margin:24px;color:#111827;max-width:1200px}
table{border-collapse:collapse;margin:8px 0 20px;font-size:13px}th,td{border:1px solid #d1d5db;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f4f6}td.num{text-align:right;font-variant-numeric:tabular-nums}tr.fail td:first-child{border-left:4px solid #dc2626}
tr.pass td:first-child{border-left:4px solid #059669}.answer{max-width:420px;max-height:14em;overflow:auto;white-space:pre-wrap}.small{color:#6b7280;font-size:12px}
.failures{color:#b91c1c}details summary{cursor:pointer}.controls{margin:8px 0;display:flex;gap:16px;align-items:center}
"""

_JS = """
function applyFilters(){
  var only=document.getElementById('only-failures').checked;
  var sys=document.getElementById('system-select').value;
  document.querySelectorAll('table.cases').forEach(function(t){t.style.display=(t.dataset.system===sys)?'':'none';});
  document.querySelectorAll('table.cases tbody tr').forEach(function(r){r.style.display=(only&&r.dataset.passed==='1')?'none':'';});
}
document.getElementById('only-failures').addEventListener('change',applyFilters);
document.getElementById('system-select').addEventListener('change',applyFilters);
applyFilters();
"""


def _html_table(table: Table, *, numeric_from: int = 1) -> str:
    headers, rows = table
    head = "".join(f"<th>{_esc(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="{"num" if i >= numeric_from else ""}">{_esc(c)}</td>' for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _case_rows(system: SystemRun) -> str:
    rows = []
    for c in system.cases:
        a = c.answer
        cites = "<br>".join(f"[{x.n}] {_esc(x.label)} <span class=small>{_esc(x.clause_id)}</span>" for x in a.citations) if a else ""
        retrieved = ", ".join(r.partition("#")[2] for r in a.retrieved[:5]) if a else ""
        answer = _esc(a.answer) if a else f"<span class=failures>{_esc(c.error)}</span>"
        fails = "<br>".join(_esc(f) for f in c.scores.failures) or ("" if c.scores.correct else "wrong answer")
        if c.scores.notes:
            fails += "".join(f"<br><span class=small>{_esc(n)}</span>" for n in c.scores.notes)
        rows.append(
            f'<tr class="{"pass" if c.passed else "fail"}" data-passed="{int(c.passed)}">'
            f"<td>{_esc(c.case_id)}</td><td>{_esc(c.category)}</td><td>{_esc(c.question)}</td>"
            f"<td>{_esc(a.status if a else 'error')}</td><td><div class=answer>{answer}</div></td><td>{cites}</td>"
            f"<td class=small>{_esc(retrieved)}</td><td class=failures>{fails}</td>"
            f'<td class="num">{c.latency_ms:.0f}</td></tr>'
        )
    return "".join(rows)


def render_html(run: EvalRun) -> str:
    """One self-contained page: tables, inline SVG charts, and a per-question table filterable to failures."""
    pipeline = next((s for s in run.systems if s.kind == "pipeline"), run.systems[0] if run.systems else None)
    options = "".join(f'<option value="{_esc(s.name)}">{_esc(s.name)}</option>' for s in run.systems)
    case_tables = "".join(
        f'<table class="cases" data-system="{_esc(s.name)}"><thead><tr><th>id</th><th>类别</th><th>问题</th><th>状态</th>'
        f"<th>回答</th><th>引用</th><th>检索前5</th><th>未通过项</th><th>ms</th></tr></thead><tbody>{_case_rows(s)}</tbody></table>"
        for s in run.systems
    )
    latencies = [c.latency_ms for c in pipeline.cases if c.error is None] if pipeline else []
    sections = [
        "<h1>policy-qa 评测报告</h1>",
        f'<p class="small">gold set {_esc(run.gold_path)} · {run.n_items} items · target {_esc(run.target)} · '
        f"run at {run.created_at:%Y-%m-%d %H:%M} UTC · as of {_esc(run.as_of or 'per item / run date')}</p>",
        "<h2>检索（流水线与基线，同一批问题）</h2>",
        _html_table(retrieval_rows(run)),
        "<h2>回答</h2>",
        _html_table(answer_rows(run)),
        _html_table(latency_rows(run)),
        "<h2>分类别</h2>",
        category_chart_svg(run, "accuracy"),
        category_chart_svg(run, "hit_at_5"),
        _html_table(category_accuracy_rows(run)),
    ]
    if pipeline:
        sections += [f"<h3>{_esc(pipeline.name)}</h3>", _html_table(category_rows(pipeline))]
        sections += [f"<h2>分文件（{_esc(pipeline.name)}）</h2>", _html_table(document_rows(pipeline)),
                     f'<p class="small">{_esc(DOCUMENT_NOTE)}</p>']
        sections += [f"<h2>结论先行 answer-first（{_esc(pipeline.name)}）</h2>", _html_table(answer_first_rows(pipeline)),
                     f'<p class="small">{_esc(ANSWER_FIRST_NOTE)}</p>']
        sections += ["<h2>延迟</h2>", latency_histogram_svg(latencies, title=f"{pipeline.name} latency (ms)")]
    if run.robustness:
        sections += ["<h2>鲁棒性</h2>", _html_table(robustness_rows(run)),
                     "<ul>" + "".join(f"<li>{_esc(e[2:])}</li>" for e in _robustness_examples(run)) + "</ul>"]
    if run.problems:
        sections += ["<h2>跳过的金标行</h2><ul>" + "".join(f"<li>line {n}: {_esc(m)}</li>" for n, m in run.problems) + "</ul>"]
    sections += [
        "<h2>逐题结果</h2>",
        '<div class="controls"><label><input type="checkbox" id="only-failures"> 只看失败</label>'
        f'<label>系统 <select id="system-select">{options}</select></label></div>',
        case_tables,
    ]
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>policy-qa evaluation</title><style>{_CSS}</style></head><body>"
        + "\n".join(sections)
        + f"<script>{_JS}</script></body></html>"
    )


# --- files ---------------------------------------------------------------------------------------


def write_report(run: EvalRun, directory: Path) -> dict[str, Path]:
    """Write report.md, report.html, report.json and chart_categories.svg into `directory`."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {
        "markdown": directory / "report.md",
        "html": directory / "report.html",
        "json": directory / "report.json",
        "chart": directory / "chart_categories.svg",
    }
    paths["chart"].write_text(category_chart_svg(run) + "\n", encoding="utf-8")
    paths["markdown"].write_text(render_markdown(run, chart_file=paths["chart"].name), encoding="utf-8")
    paths["html"].write_text(render_html(run), encoding="utf-8")
    paths["json"].write_text(run.model_dump_json(indent=1), encoding="utf-8")
    return paths


def load_run(path: Path) -> EvalRun:
    """Read a report.json written by `write_report` (or `policy-qa eval --json`)."""
    return EvalRun.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))


# --- comparison ----------------------------------------------------------------------------------


class MetricDelta(BaseModel):
    system: str
    metric: str
    old: float | None
    new: float | None

    @property
    def delta(self) -> float | None:
        return None if self.old is None or self.new is None else self.new - self.old

    @property
    def improved(self) -> bool | None:
        d = self.delta
        if d is None or abs(d) < 1e-9:
            return None
        return (d > 0) == METRICS[self.metric].higher_is_better


class CaseChange(BaseModel):
    system: str
    case_id: str
    question: str
    old_failures: list[str]
    new_failures: list[str]


class Comparison(BaseModel):
    metrics: list[MetricDelta]
    better: list[CaseChange]  # failed before, passes now
    worse: list[CaseChange]  # passed before, fails now
    only_old: list[str] = Field(default_factory=list)  # case ids no longer in the run
    only_new: list[str] = Field(default_factory=list)


def compare(old: EvalRun, new: EvalRun) -> Comparison:
    """Metric deltas and the questions that flipped between two runs, for every system in both."""
    metrics, better, worse, only_old, only_new = [], [], [], [], []
    for new_sys in new.systems:
        old_sys = old.system(new_sys.name)
        if old_sys is None:
            continue
        for m in METRICS:
            metrics.append(MetricDelta(system=new_sys.name, metric=m, old=old_sys.summary.metric(m), new=new_sys.summary.metric(m)))
        old_cases = {c.case_id: c for c in old_sys.cases}
        new_cases = {c.case_id: c for c in new_sys.cases}
        for cid, nc in new_cases.items():
            oc = old_cases.get(cid)
            if oc is None:
                if new_sys.kind == "pipeline":
                    only_new.append(cid)
                continue
            if oc.passed != nc.passed:
                change = CaseChange(system=new_sys.name, case_id=cid, question=nc.question,
                                    old_failures=oc.scores.failures, new_failures=nc.scores.failures)
                (better if nc.passed else worse).append(change)
        if new_sys.kind == "pipeline":
            only_old += [cid for cid in old_cases if cid not in new_cases]
    return Comparison(metrics=metrics, better=better, worse=worse, only_old=only_old, only_new=only_new)


def comparison_rows(cmp: Comparison) -> Table:
    """Metrics that moved, with old → new and whether that is better."""
    headers = ["system", "metric", "old", "new", "Δ", ""]
    rows = []
    for d in cmp.metrics:
        if d.improved is None and d.old == d.new:
            continue
        verdict = {True: "better", False: "worse", None: ""}[d.improved]
        delta = d.delta
        rows.append([d.system, METRICS[d.metric].label, fmt(d.metric, d.old), fmt(d.metric, d.new),
                     "—" if delta is None else f"{delta:+.3f}" if METRICS[d.metric].kind == "ratio" else f"{delta:+.1f}", verdict])
    return headers, rows


def render_comparison_markdown(cmp: Comparison) -> str:
    out = ["# Comparison with the previous run", "", _md_table(comparison_rows(cmp)), ""]
    for title, changes in (("Better (failed before, pass now)", cmp.better), ("Worse (passed before, fail now)", cmp.worse)):
        out += [f"## {title}: {len(changes)}", ""]
        out += [f"- `{c.system}` {c.case_id} {c.question} — " + ("; ".join(c.new_failures or c.old_failures) or "") for c in changes]
        out.append("")
    if cmp.only_old or cmp.only_new:
        out += [f"Cases only in the old run: {', '.join(cmp.only_old) or '—'}; only in the new run: {', '.join(cmp.only_new) or '—'}", ""]
    return "\n".join(out)
