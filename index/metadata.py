"""A document's metadata read from its own text: title, 文号, issuer, dates, kind, region.

The parser has already sorted the header and closing lines into `MetaLine`s (title, doc_number,
history, issuer, date …); this module reads values out of them and out of the articles that state
when the text takes effect. The kinds of document and the places are data (`corpus/doc_kinds.yaml`,
`corpus/places.yaml`); a `.meta.yaml` beside a document overrides any inferred field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import cn2an
import yaml

from index.errors import CorpusError
from index.grammar import DOC_YEAR
from index.types import ParsedDocument

__all__ = ["DocumentGrammar", "Place", "infer_metadata", "load_grammar"]

_DATE = r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"
_DATE_RE = re.compile(_DATE)
_DOCNUM_RE = re.compile(r"[\u4e00-\u9fff]{1,12}" + DOC_YEAR + r"\s*\d+\s*号")
_ORDER_RE = re.compile(r"(\S*?令第\s*\d+\s*号)")
_EFFECTIVE_RE = re.compile(r"自" + _DATE + r"起(?:施行|实施|执行)")
_EFFECTIVE_ON_ISSUE_RE = re.compile(r"(?:自)?(?:发布|公布|印发)之日(?:起)?(?:施行|实施|执行)")
_YEAR_IN_BRACKETS = re.compile(r"[\[［](\d{4})[\]］]")
_REPLACES_RE = re.compile(r"《([^》]+)》(?:[（(]([^（）()]*" + DOC_YEAR + r"[^（）()]*号)[)）])?\s*(?:同时)?(?:废止|停止执行)")


@dataclass(frozen=True)
class Place:
    full: str  # 山东省
    names: tuple[str, ...]  # 山东, 鲁 …
    places: tuple[str, ...]  # 济南, 青岛 …


@dataclass
class DocumentGrammar:
    """The data that metadata inference reads: kinds of document, the forms titles end with, places."""

    kinds: list[dict] = field(default_factory=list)
    forms: list[str] = field(default_factory=list)
    validity: dict[str, str] = field(default_factory=dict)
    # forms of rule texts (规定, 办法 …): in force from the effective date they state, whatever their kind
    validity_when_effective: dict[str, str] = field(default_factory=dict)
    hotline: str = ""
    elsewhere: list[str] = field(default_factory=list)
    provinces: list[Place] = field(default_factory=list)

    def kind_of(self, title: str, issuer: str, number: str) -> str:
        for rule in self.kinds:
            checks = [
                not rule.get("issuer_has") or any(w in issuer for w in rule["issuer_has"]),
                not rule.get("issuer_is") or issuer in rule["issuer_is"],
                not rule.get("title_ends") or title.rstrip("》").endswith(tuple(rule["title_ends"])),
                not rule.get("number_has") or any(w in number for w in rule["number_has"]),
            ]
            if all(checks):
                return str(rule["kind"])
        return ""

    def form_of(self, title: str) -> str:
        title = title.rstrip("》）)")
        return next((f for f in sorted(self.forms, key=len, reverse=True) if title.endswith(f)), "")

    def place_names(self) -> list[str]:
        """Every name of every place (two characters or more), longest first."""
        names = {n for p in self.provinces for n in (p.full, *p.names, *p.places) if len(n) >= 2}
        return sorted(names | set(self.elsewhere), key=len, reverse=True)

    def place_of(self, text: str) -> tuple[str, str]:
        """(province, city) the longest place name at the start of `text` belongs to:
        "河南省人民代表大会…" → (河南省, ""), "吉林市人民政府…" → (吉林省, 吉林市)."""
        best: tuple[int, str, str] = (0, "", "")
        for p in self.provinces:
            for name in (p.full, *(n for n in p.names if len(n) >= 2)):
                if text.startswith(name) and len(name) > best[0]:
                    best = (len(name), p.full, "")
            for city in p.places:
                if len(city) >= 2 and text.startswith(city) and len(city) > best[0]:
                    best = (len(city), p.full, city)
        return best[1], best[2]


def load_grammar(corpus_dir: Path) -> DocumentGrammar:
    """Read corpus/doc_kinds.yaml and corpus/places.yaml (either may be missing: nothing is inferred)."""
    grammar = DocumentGrammar()
    kinds_path = Path(corpus_dir) / "doc_kinds.yaml"
    places_path = Path(corpus_dir) / "places.yaml"
    try:
        if kinds_path.exists():
            data = yaml.safe_load(kinds_path.read_text(encoding="utf-8")) or {}
            grammar.kinds = list(data.get("kinds") or [])
            grammar.forms = [str(f) for f in data.get("forms") or []]
            grammar.validity = {str(k): str(v) for k, v in (data.get("validity") or {}).items()}
            grammar.validity_when_effective = {
                str(k): str(v) for k, v in (data.get("validity_when_effective") or {}).items()}
            grammar.hotline = str(data.get("default_hotline") or "")
        if places_path.exists():
            data = yaml.safe_load(places_path.read_text(encoding="utf-8")) or {}
            grammar.elsewhere = [str(w) for w in data.get("elsewhere") or []]
            grammar.provinces = [
                Place(str(p["full"]), tuple(str(n) for n in p.get("short") or []),
                      tuple(str(n) for n in p.get("places") or []))
                for p in data.get("provinces") or []
            ]
    except (yaml.YAMLError, KeyError, TypeError) as exc:
        raise CorpusError(f"文档语法数据（doc_kinds.yaml / places.yaml）格式错误：{exc}", code="corpus_bad_meta") from exc
    return grammar


_CN_DATE_RE = re.compile(r"[〇○零一二三四五六七八九]{4}\s*年\s*[一二三四五六七八九十]{1,3}\s*月\s*[一二三四五六七八九十]{1,3}\s*日")


def digit_dates(text: str) -> str:
    """Dates written in 汉字 ("一九九五年一月一日", "二○一二年…") as digits, the rest unchanged (cn2an)."""
    if not _CN_DATE_RE.search(text):
        return text
    return _CN_DATE_RE.sub(lambda m: cn2an.transform(re.sub(r"[○零]", "〇", re.sub(r"\s+", "", m.group(0))), "cn2an"),
                           text)


def _date(text: str) -> date | None:
    m = _DATE_RE.search(digit_dates(text))
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _issuer_of_history(text: str) -> str:
    """"2010年10月28日 第十一届全国人民代表大会常务委员会第十七次会议通过" → 全国人民代表大会常务委员会."""
    body = re.sub(r"第[^届\s]{1,6}届", "", _DATE_RE.sub("", text, count=1).strip())
    if m := re.search(r"^(\S+?)(?:第\s*[\d一二三四五六七八九十百零]+\s*次)?(?:常务|全体)?会议", body):
        return m.group(1).strip()
    if m := _ORDER_RE.search(body):
        return m.group(1).split("令")[0]
    return ""


def infer_metadata(doc: ParsedDocument, grammar: DocumentGrammar) -> dict:
    """Metadata fields this document's text states (only those it states)."""
    lines = {m.field: [] for m in doc.meta_lines}
    for m in doc.meta_lines:
        lines[m.field].append(m.text)
    out: dict = {}
    if lines.get("title"):
        out["title"] = re.sub(r"\s+", "", lines["title"][-1]) if len(lines["title"]) > 1 else lines["title"][0]
        out["title"] = re.sub(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])", "", out["title"])
    history = lines.get("history", [])
    numbers = [m.group(0) for t in lines.get("doc_number", []) if (m := _DOCNUM_RE.search(t))]
    numbers += [m.group(1) for t in lines.get("doc_number", []) + history if (m := _ORDER_RE.search(t))]
    if numbers:
        # as GB/T 9704 writes it (〔2008〕): a copy's [2008] would read as a footnote marker in an answer
        out["doc_number"] = _YEAR_IN_BRACKETS.sub(r"〔\1〕", re.sub(r"\s+", "", numbers[0]))

    issuer = next(iter(lines.get("issuer", [])), "")
    if not issuer and history:
        # the organ that promulgates (…令第N号公布) issues the text; else the body that adopted it (…会议通过)
        issuer = next((m.group(1).split("令")[0] for t in history if (m := _ORDER_RE.search(t))), "") or next(
            (i for t in history if "通过" in t and (i := _issuer_of_history(t))), "")
    title = out.get("title", doc.meta.title)
    if not issuer and "关于" in title[1:]:
        issuer = title.split("关于")[0]
    if issuer:
        out["issuer"] = re.sub(r"\s+", "", issuer)

    dates = [d for t in lines.get("date", []) if (d := _date(t))]
    history_dates = [(d, t) for t in history if (d := _date(t))]
    if dates:
        out["issue_date"] = dates[0]
    elif history_dates:
        out["issue_date"] = max(d for d, _ in history_dates)
    revisions = [{"date": d.isoformat(), "text": t} for d, t in history_dates if re.search(r"修订|修正", t)]
    if revisions:
        out["revisions"] = revisions
    published = next((d for d, t in history_dates if re.search(r"公布|发布", t)), None)

    effective: date | None = None
    on_issue = bool(lines.get("effective"))
    for clause in doc.clauses.values():
        if m := _EFFECTIVE_RE.search(digit_dates(clause.text)):
            effective = _date(m.group(0))
        elif _EFFECTIVE_ON_ISSUE_RE.search(clause.text) and clause.kind in ("article", "closing", "paragraph"):
            on_issue = True
        for m in _REPLACES_RE.finditer(clause.text):
            out.setdefault("replaces", []).append(m.group(2) or m.group(1))
    if effective is None and on_issue:
        effective = published or out.get("issue_date")
    if effective:
        out["effective_date"] = effective

    if lines.get("disclosure"):
        out["disclosure"] = lines["disclosure"][0].strip("（）()")
    number = out.get("doc_number", "")
    out_issuer = out.get("issuer", "")
    kind = grammar.kind_of(title, out_issuer, number)
    if kind:
        out["kind"] = kind
        if kind in grammar.validity:
            out["validity_rule"] = grammar.validity[kind]
    if grammar.hotline:
        out["hotline"] = grammar.hotline
    form = grammar.form_of(title)
    if form:
        out["form"] = form
        if effective and form in grammar.validity_when_effective:
            # "本规定自一九九五年一月一日起执行": a rule text, not a plan whose measures run for stated periods
            out["validity_rule"] = grammar.validity_when_effective[form]
    province, city = grammar.place_of(out_issuer) if out_issuer else ("", "")
    if not province:
        province, city = grammar.place_of(title)
    if province:
        out["region"] = province
        if city:
            out["city"] = city
    return out
