"""Questions about a document itself — its 文号, issuer, dates, revisions, structure, attachments —
answered from its metadata and clause tree, each fact quoting the line of the text that states it.

What people say for each field is data (`corpus/document_questions.yaml`); which document is meant
comes from `assistant.documents` (named, or the conversation's, or the only one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from assistant.contract import Citation, Validity
from assistant.documents import document_name
from assistant.validity import document_validity, format_date, hotline_of
from assistant.understand import cn_numerals_to_digits
from index.grammar import match_marker
from index.metadata import DocumentGrammar
from index.tokenize import occurrences
from index.types import Clause, DocumentMeta, MetaLine, ParsedDocument

__all__ = ["DocumentQuestions", "compose_document", "effective_sentence", "cite_meta_line", "date_line_beside",
           "in_force_sentence"]

_EFFECTIVE_RE = re.compile(r"(?:自|从)[^。；]{0,20}?(?:起|之日起)?(?:施行|实施|执行)")


@dataclass
class DocumentQuestions:
    """Which field of a document a question asks for (data: corpus/document_questions.yaml)."""

    fields: dict[str, dict] = field(default_factory=dict)
    pointer_re: re.Pattern[str] | None = None
    # what the document calls itself (指导意见, 条例 …): "…指导意见是哪天发的" asks about a document
    form_re: re.Pattern[str] | None = None

    @classmethod
    def load(cls, corpus_dir: Path, grammar: DocumentGrammar) -> DocumentQuestions:
        path = Path(corpus_dir) / "document_questions.yaml"
        if not path.exists():
            return cls()
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        nouns = [*grammar.forms, *(data.get("document_nouns") or [])]
        pointers = data.get("pointers") or []
        pointer_re = None
        if nouns and pointers:
            pointer_re = re.compile(
                "(?:" + "|".join(map(re.escape, pointers)) + ")(?:" +
                "|".join(map(re.escape, sorted(nouns, key=len, reverse=True))) + ")")
        # a one-character form (法, 函) is too common a character to name a document by itself
        forms = sorted((f for f in grammar.forms if len(f) >= 2), key=len, reverse=True)
        form_re = re.compile("|".join(map(re.escape, forms))) if forms else None
        # the question is read with its numerals as digits (哪一天 → 哪1天): so are the words it is matched with
        def as_read(spec: dict) -> dict:
            spec = dict(spec)
            spec["asks"] = [cn_numerals_to_digits(w) for w in spec.get("asks") or []]
            if pair := spec.get("when_and_act"):
                spec["when_and_act"] = {k: [cn_numerals_to_digits(w) for w in v] if isinstance(v, list) else v
                                        for k, v in pair.items()}
            return spec

        fields = {name: as_read(spec or {}) for name, spec in (data.get("fields") or {}).items()}
        return cls(fields=fields, pointer_re=pointer_re, form_re=form_re)

    def points_at_document(self, text: str) -> bool:
        return bool(self.pointer_re and self.pointer_re.search(text))

    def asked_fields(self, text: str, *, names_document: bool) -> list[str]:
        """Every field asked for, in the order the question asks them ("谁发的 啥时候发的": issuer, then
        issue_date); fields whose words fit measures too count only when the document is named, pointed at, or
        called by its form before the words ("…指导意见是哪天发的"). An ask inside a longer ask of another field
        (发布 inside 谁发布) is that field's. Validity answers alone: its answer states the effective date."""
        pointed = names_document or self.points_at_document(text)
        spans: list[tuple[int, int, str]] = []
        for name, spec in self.fields.items():
            spans += [(a, b, name) for w in spec.get("asks") or [] for a, b in occurrences(w, text)]
            # a when-word and an act-word close together, in either order: 哪一天发的, 发布的时间
            pair = spec.get("when_and_act") or {}
            whens = [span for w in pair.get("when") or [] for span in occurrences(w, text)]
            acts = [span for w in pair.get("act") or [] for span in occurrences(w, text)]
            gap = int(pair.get("within", 3))
            spans += [(min(w0, a0), max(w1, a1), name) for w0, w1 in whens for a0, a1 in acts
                      if 0 <= a0 - w1 <= gap or 0 <= w0 - a1 <= gap]
        kept = [s for s in spans
                if not any(o[2] != s[2] and o[0] <= s[0] and s[1] <= o[1] and o[1] - o[0] > s[1] - s[0] for o in spans)]
        first: dict[str, int] = {}
        for start, _, name in sorted(kept):
            if name in first:
                continue
            if self.fields[name].get("needs_document") and not pointed and not self._form_before(text, start):
                continue
            first[name] = start
        found = sorted(first, key=first.get)
        return ["validity"] if "validity" in found else found

    def _form_before(self, text: str, at: int) -> bool:
        """The document's form comes shortly before the ask with nothing between that starts another phrase
        (…指导意见哪天发的, …指导意见 共分几个部分, …条例2016年修正): the ask is of the document. After 里/中/的
        or a punctuation mark the words belong to something in it (方案里的补贴审核通过时间)."""
        if self.form_re is None:
            return False
        return any(0 <= at - m.end() <= _FORM_GAP and not _FORM_BREAK.search(text, m.end(), at)
                   for m in self.form_re.finditer(text, 0, at))


_FORM_GAP = 6  # characters between the form and the ask: 是, 共分, 2016年
_FORM_BREAK = re.compile(r"[里中的，。,；;？?！!、]")


def cite_meta_line(doc: ParsedDocument, line: MetaLine, n: int) -> Citation:
    """Citation `n` of one line of a document's header or footer (its 题注, 落款 …)."""
    return _cite(doc, line, n, _LABELS.get(line.field, "文件头"))


def _cite(doc: ParsedDocument, line: MetaLine, n: int, label: str) -> Citation:
    return Citation(n=n, doc_id=doc.meta.doc_id, document=document_name(doc.meta), clause_id=f"{doc.meta.doc_id}#meta",
                    label=label, title=doc.meta.title, quote=line.text, start=line.start, end=line.end)


_LABELS = {"title": "标题", "doc_number": "文号", "history": "题注", "issuer": "落款", "date": "落款日期",
           "effective": "题注", "attachments_list": "附件说明", "disclosure": "落款"}


@dataclass
class DocumentAnswer:
    text: str
    citations: list[Citation]
    validity: Validity | None
    clause_ids: list[str]


def compose_document(doc: ParsedDocument, fields: str | list[str], as_of: date) -> DocumentAnswer:
    """The answer to a question about `doc` itself: each fact asked for first, then the line that states it."""
    fields = [fields] if isinstance(fields, str) else list(fields)
    if fields[:1] == ["validity"]:
        return _document_in_force(doc, _full_name(doc.meta), as_of)
    cites: list[Citation] = []
    clause_ids: list[str] = []
    texts = []
    for n, field_name in enumerate(fields):
        text = _compose_field(doc, field_name, cites, clause_ids, full_name=n == 0)
        if text not in texts:
            texts.append(text)
    return DocumentAnswer(text="".join(texts), citations=cites, validity=document_validity(doc.meta, as_of),
                          clause_ids=clause_ids)


def _full_name(meta: DocumentMeta) -> str:
    """《title》（文号）, as an answer first names the document."""
    return f"《{meta.title}》" + (f"（{meta.doc_number}）" if meta.doc_number else "")


def _compose_field(doc: ParsedDocument, field_name: str, cites: list[Citation], clause_ids: list[str], *,
                   full_name: bool) -> str:
    """One field's sentence; its citations join `cites` (a line cited already keeps its number)."""
    meta = doc.meta
    name = _full_name(meta) if full_name else f"《{meta.title}》"

    def add(citation: Citation) -> str:
        for c in cites:
            if (c.clause_id, c.start, c.end) == (citation.clause_id, citation.start, citation.end):
                return f"[{c.n}]"
        cites.append(citation.model_copy(update={"n": len(cites) + 1}))
        return f"[{len(cites)}]"

    def cite(fields: tuple[str, ...], pred=lambda t: True) -> str:
        marks = ""
        for line in doc.meta_lines:
            if line.field in fields and pred(line.text):
                marks += add(_cite(doc, line, 0, _LABELS.get(line.field, "文件头")))
        return marks

    history = [m for m in doc.meta_lines if m.field == "history"]
    if field_name == "doc_number":
        if meta.doc_number:
            text = f"{name}的文号是{meta.doc_number}" + cite(("doc_number", "history"), lambda t: meta.doc_number in t.replace(" ", "")) + "。"
        else:
            text = f"《{meta.title}》的文本没有写文号。" + (
                "它的来历是：" + "；".join(h.text for h in history) + cite(("history",)) + "。" if history else "")
    elif field_name == "issuer":
        lines = ("issuer", "history") if not history else ("history",)
        text = (f"{name}由{meta.issuer}" + ("发布" if history else "印发") + cite(lines) + "。") if meta.issuer else \
            f"{name}的文本没有写明发文机关。"
    elif field_name in ("issue_date", "revisions", "effective_date"):
        parts = []
        if field_name == "effective_date" and meta.effective_date:
            parts.append(f"{name}自{format_date(meta.effective_date)}起施行")
            if (found := effective_sentence(doc)) is not None:
                stating, sent = found
                parts[-1] += add(Citation(n=0, doc_id=meta.doc_id, document=document_name(meta),
                                          clause_id=stating.clause_id, label=stating.label, title=stating.title,
                                          quote=doc.quote(*sent), start=sent[0], end=sent[1]))
                clause_ids.append(stating.clause_id)
                if str(meta.effective_date.year) not in doc.quote(*sent):  # "自发布之日起施行": the date is the header's
                    parts[-1] += cite(("effective", "history"), lambda t: str(meta.effective_date.year) in t)
            if found is None:
                parts[-1] += cite(("effective", "history"), lambda t: "施行" in t or "发布" in t)
        elif field_name == "revisions":
            revs = [h for h in history if re.search(r"修订|修正", h.text)]
            parts.append(f"{name}" + ("经过修订/修正：" + "；".join(h.text for h in revs) + cite(("history",), lambda t: bool(re.search(r"修订|修正", t)))
                                      if revs else "的文本没有写明修订或修正"))
        if not parts or field_name == "issue_date":
            if history:
                parts.append(f"{name}：" + "；".join(h.text for h in history) + cite(("history",)))
            elif meta.issue_date:
                parts.append(f"{name}于{format_date(meta.issue_date)}印发" + cite(("date",)))
            else:
                parts.append(f"{name}的文本没有写明印发日期")
        text = "。".join(parts) + "。"
    elif field_name == "structure":
        # each count is cited where the document shows it: the last chapter's heading, the last article's
        # opening ("第六十七条 本条例自…起施行"); the name is cited by the line that states its 文号
        def cite_heading(clause: Clause) -> str:
            span = _heading_span(doc, clause)
            if span is None:
                return ""
            return add(Citation(n=0, doc_id=meta.doc_id, document=document_name(meta),
                                clause_id=clause.clause_id, label=clause.label, title=clause.title,
                                quote=doc.quote(*span), start=span[0], end=span[1]))

        named = cite(("doc_number", "history"), lambda t: bool(meta.doc_number) and meta.doc_number in t.replace(" ", ""))
        if not named:
            named = cite(("title",))
        text = f"{name}{named}{_structure(doc, cite_heading, lambda: cite(('attachments_list',)))}。"
    else:  # attachments
        atts = [m.text for m in doc.meta_lines if m.field == "attachments_list"]
        # "有几个附件": the count first, from the attachments the parse found (附件1, 附件2 …)
        parts_found = [c for c in doc.clauses.values() if c.kind == "attachment"]
        clause_ids += [c.clause_id for c in parts_found]
        count = f"{len(parts_found)}个" if parts_found else ""
        if atts:
            text = f"{name}有{count}附件：" + "；".join(atts) + cite(("attachments_list",)) + "。"
        elif parts_found:
            text = f"{name}有{count}附件：" + "；".join(f"{c.label} {c.title}".strip() for c in parts_found) + "。"
        else:
            text = f"{name}没有附件。"
    return text


_MEASURE_KINDS = {"item", "subitem", "paragraph", "article", "section"}


def _document_in_force(doc: ParsedDocument, name: str, as_of: date) -> DocumentAnswer:
    """"这个条例还有效吗" / "19号文失效了没有": a rule of law is in force from its effective date (the
    sentence that says so quoted); a plan states no period of its own, so what its measures' stated periods
    say is the answer — whether all have ended, the last one cited in the document's words."""
    meta = doc.meta
    validity = document_validity(meta, as_of)
    cites: list[Citation] = []
    clause_ids: list[str] = []

    def cite_span(clause: Clause, s0: int, e0: int) -> str:
        a, b = next(((a, b) for a, b in clause.sentences if a <= s0 and e0 <= b), (clause.start, clause.end))
        cites.append(Citation(n=len(cites) + 1, doc_id=meta.doc_id, document=document_name(meta), clause_id=clause.clause_id,
                              label=clause.label, title=clause.title, quote=doc.quote(a, b), start=a, end=b))
        clause_ids.append(clause.clause_id)
        return f"[{len(cites)}]"

    if meta.validity_rule == "in_force":
        name = document_name(meta)  # the title alone: a 令号 would be a figure no quote states
        since = meta.effective_date or meta.issue_date
        found = effective_sentence(doc)
        mark = cite_span(found[0], *found[1]) if found is not None else ""
        if since and (line := date_line_beside(doc, since, cites[-1].quote if mark else "")) is not None:
            cites.append(cite_meta_line(doc, line, len(cites) + 1))
            mark += f"[{len(cites)}]"
        if since and since > as_of:
            text = f"{name}尚未施行：自{format_date(since)}起施行{mark}。"
        elif since:
            text = in_force_sentence(name, since, mark, as_of)
        else:
            text = f"{name}现行有效（现有文件中未见其废止或被取代）{mark}，文本没有写明施行日期。"
        text += f"\n如需确认最新修订，请拨打{hotline_of(meta)}咨询。"
        return DocumentAnswer(text=text, citations=cites, validity=validity, clause_ids=clause_ids)
    # the measures: body clauses, not the preamble, the notice wrapping the plan, rosters or task ledgers
    measures = [c for c in doc.leaves() if c.kind in _MEASURE_KINDS]
    dated = [(c, p) for c in measures for p in c.periods if p.end_date and p.kind != "recurring"]
    undated = sum(1 for c in measures if not any(p.end_date and p.kind != "recurring" for p in c.periods))
    last_clause, last = max(dated, key=lambda cp: cp[1].end_date) if dated else (None, None)
    mark = cite_span(last_clause, last.start, last.end) if dated else ""  # the measure's date, cited first
    issued = ""
    number_line = next((m for m in doc.meta_lines if meta.doc_number and m.field == "doc_number"), None)
    if number_line is not None:
        cites.append(_cite(doc, number_line, len(cites) + 1, _LABELS["doc_number"]))
        name += f"[{len(cites)}]"
    if meta.issue_date:
        date_line = next((m for m in doc.meta_lines if m.field == "date"), None)
        if date_line is not None:
            cites.append(_cite(doc, date_line, len(cites) + 1, _LABELS["date"]))
        issued = f"于{format_date(meta.issue_date)}印发" + (f"[{len(cites)}]" if date_line is not None else "") + "，"
    if not dated:
        text = (f"文件没有写明有效期：{name}{issued}本身没有写明整体有效期，其中的措施也都没有写明期限，无法据此判断是否仍在执行。"
                f"\n现行规定请拨打{hotline_of(meta)}咨询。")
        return DocumentAnswer(text=text, citations=cites, validity=validity, clause_ids=clause_ids)
    ended = {c.clause_id for c, p in dated if p.end_date < as_of} - {c.clause_id for c, p in dated if p.end_date >= as_of}
    # no counts of clauses: a figure the answer states must be one a quote or a calculation holds
    rest = "其余条款没有写明期限。" if undated else ""
    if last.end_date < as_of:
        # the period in the document's own words ("2023年3月底前"): a resolved day it does not spell (31日)
        # would be a figure no quote states
        text = (f"按文件写明的期限，其中的措施都已到期（最晚的期限是“{''.join(last.text.split())}”{mark}），截至"
                f"{format_date(as_of)}已过期。{name}{issued}本身没有写明整体有效期。{rest}")
        validity = Validity(period=last.text, as_of=as_of, lapsed=True, ends=last.end_date, note="")
    else:
        text = (f"部分措施仍在期限内：最晚的期限是“{''.join(last.text.split())}”{mark}。{name}{issued}本身没有写明整体有效期；"
                f"写明期限的措施中{'有的已到期' if ended else '尚无到期的'}。{rest}")
        validity = Validity(period=last.text, as_of=as_of, lapsed=False, ends=last.end_date, note="")
    text += f"\n现行政策请拨打{hotline_of(meta)}咨询。"
    return DocumentAnswer(text=text, citations=cites, validity=validity, clause_ids=clause_ids)


def in_force_sentence(name: str, since: date, marks: str, as_of: date) -> str:
    """The one wording of "a rule of law in force": the verdict, the date it applies from (with its
    citation marks), and that no later text replaces it."""
    return (f"{name}现行有效：自{format_date(since)}起施行{marks}，截至{format_date(as_of)}现有文件中未见其废止或"
            "被取代，没有规定终止日期。")


def date_line_beside(doc: ParsedDocument, since: date, quote: str) -> MetaLine | None:
    """The header line that holds the day `since` when the quoted 施行 sentence does not ("本条例自发布
    之日起施行": the day is the header's "1999年1月22日…发布"); None when the quote holds it or no line does."""
    if str(since.year) in quote:
        return None
    return next((m for m in doc.meta_lines if all(str(v) in m.text for v in (since.year, since.month, since.day))), None)


def effective_sentence(doc: ParsedDocument) -> tuple[Clause, tuple[int, int]] | None:
    """The clause and sentence span that say from when the document applies ("本条例自…起施行"), if any."""
    stating = next((c for c in doc.clauses.values() if c.is_leaf and _EFFECTIVE_RE.search(c.text)), None)
    if stating is None:
        return None
    m = _EFFECTIVE_RE.search(stating.text)
    s0, e0 = stating.start + m.start(), stating.start + m.end()
    return stating, next(((a, b) for a, b in stating.sentences if a <= s0 and e0 <= b), (stating.start, stating.end))


def _heading_span(doc: ParsedDocument, clause: Clause) -> tuple[int, int] | None:
    """The raw span of a clause's own marker and first sentence, as the document prints it ("第八章　附则",
    "第六十七条 本条例自…施行。", "（二十七）完善绩效评价体系"): from the start of its line."""
    line_start = doc.raw.rfind("\n", 0, clause.start) + 1
    marker = doc.raw[line_start : clause.start]
    if not marker.strip() or len(marker.strip()) > 12:
        return None
    start = line_start + len(marker) - len(marker.lstrip())
    end = clause.sentences[0][1] if clause.sentences else clause.end
    return start, max(end, clause.start)


def _ordinal(doc: ParsedDocument, clause: Clause) -> int | None:
    """The number a clause's marker shows (八、 → 8, （二十七） → 27, 32、 → 32), as the parser's grammar reads it."""
    span = _heading_span(doc, clause)
    hit = match_marker(doc.quote(*span)) if span else None
    return hit[1] if hit else None


def _structure(doc: ParsedDocument, cite_heading, cite_attachments) -> str:
    """The counts of the document's structure, each followed by `cite_heading(last clause counted)`."""
    kinds: dict[str, int] = {}
    for c in doc.clauses.values():
        kinds[c.kind] = kinds.get(c.kind, 0) + 1
    if doc.family == "legal":
        chapters = [c for c in doc.clauses.values() if c.kind == "chapter"]
        articles = [c for c in doc.clauses.values() if c.kind == "article"]
        head = f"共{len(chapters)}章{cite_heading(chapters[-1])}、" if chapters else "共"
        head += f"{len(articles)}条" + (cite_heading(articles[-1]) if articles else "")
        names = "、".join(f"{c.label}{c.title}" for c in chapters)
        return head + (f"：{names}" if names else "")
    sections = [c for c in doc.clauses.values() if c.kind == "section"]
    items = [c for c in doc.clauses.values() if c.kind == "item"]
    head = f"正文分{len(sections)}个部分" + (cite_heading(sections[-1]) if sections else "")
    # the items' count only where their numbering runs through the document, so the last one shows it
    if items and _ordinal(doc, items[-1]) == len(items):
        head += f"、共{len(items)}项" + cite_heading(items[-1])
    if sections and any(s.children for s in sections):
        head += "：" + "、".join(f"{s.label}{s.title}" for s in sections)
    atts = kinds.get("attachment", 0)
    return head + (f"，另有{atts}个附件{cite_attachments()}" if atts else "")
