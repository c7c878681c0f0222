"""Text of a policy document → clause tree, with offsets into the document's text.

One grammar for Chinese official documents (`index.grammar`), no per-document code:

* legal texts: 第X编 › 第X章 › 第X节 › 第X条 (articles, the unit of retrieval and citation); the
  paragraphs (款) and items （一） (项) of an article are its `parts`, labelled as the law cites them;
* GB/T 9704 documents: 一、 › （一） › 1. › （1） › ① (a level's numbers must run in sequence, either per
  parent or straight through the document), each level a clause;
* responsibility: 责任领导 / 牵头处室 / 责任单位 / 配合单位 lines attach to the node they follow, and a
  trailing "（…负责）" names the clause's units (the first leads);
* a 印发 notice before the plan it issues, the letterhead, 文号, signature, date, 抄送 and 印发 lines
  become metadata; unnumbered paragraphs after the last item are the closing;
* a line that does not end a sentence and is not followed by a marker is joined to the next (page breaks);
* 附件 N blocks become attachments: a roster (role, name, title) or a ledger (header row 序号…).

A document without numbering falls back to one clause per paragraph. `coverage` checks that every
character of a body is in a clause or a metadata line.
"""

from __future__ import annotations

import hashlib
import re
from array import array
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml

from index.errors import CorpusError
from index.formats import SUPPORTED_SUFFIXES, read_text
from index.metadata import DocumentGrammar, infer_metadata, load_grammar
from index.grammar import (
    DOC_YEAR,
    LEGAL_HEADINGS,
    MARKERS,
    RESP_LINE_RE,
    UNIT_SPLIT_RE,
    match_marker,
    responsibility_tail,
    to_cn,
    to_int,
)
from index.periods import find_periods
from index.types import Clause, ClausePart, DocumentMeta, MetaLine, ParsedDocument, Period

__all__ = ["parse_document", "parse_text", "read_document", "repair_span", "split_sentences", "locate_quote",
           "load_corpus", "coverage", "describe_document"]

ATTACH_LIST_RE = re.compile(r"^附件\s*[：:]")
# a part number alone on its line, its 顿号 lost ("三" after 一、 and 二、)
_BARE_PART_RE = re.compile(r"^([一二三四五六七八九十]{1,3})[\s\u3000]*$")
ATTACH_HEAD_RE = re.compile(r"^附件\s*(\d+)\s*$")
CC_RE = re.compile(r"^抄送\s*[：:]")
PRINTED_RE = re.compile(r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*印发$")
DOCNUM_RE = re.compile(DOC_YEAR + r"\s*\d+\s*号")
ORDER_NO_RE = re.compile(r"令\s*第\s*\d+\s*号")  # 中华人民共和国国务院令第258号
# a date line in digits or in 汉字 as documents sign them ("一九九四年十二月六日", "二〇一二年十月二十五日")
DATE_RE = re.compile(r"^(?:\d{4}|[〇○零一二三四五六七八九]{4})\s*年\s*(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*月"
                     r"\s*(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*日$")
# "2010年10月28日 第十一届全国人民代表大会常务委员会第十七次会议通过": a dated line of the text's history
HISTORY_RE = re.compile(r"^\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日[\s\u3000]*\S.*(?:通过|公布|发布|修订|修正|施行|批准)$")
EFFECTIVE_LINE_RE = re.compile(r"^(?:自)?(?:发布|公布|印发)之日(?:起)?施行$")
DISCLOSURE_RE = re.compile(r"^[（(][^（）()]*公开[^（）()]*[)）]$")
SIGNER_RE = re.compile(r"^签发人\s*[：:]")
SENTENCE_END = "。；！？;!?"
# a line ending in one of these closes a paragraph; anything else may be a page break
PARA_END = SENTENCE_END + "：:"


@dataclass
class Line:
    text: str  # stripped content
    start: int  # raw offset of text[0]
    end: int
    raw: str  # the whole line without its newline (tabs kept)
    raw_start: int


@dataclass
class Para:
    """Text made of one or more lines joined across page breaks; offs[i] is the raw offset of text[i]."""

    text: str = ""
    offs: list[int] = field(default_factory=list)

    @property
    def start(self) -> int:
        return self.offs[0]

    @property
    def end(self) -> int:
        return self.offs[-1] + 1

    def add(self, line: Line) -> None:
        self.text += line.text
        self.offs.extend(range(line.start, line.end))

    def sub(self, i: int, j: int | None = None) -> Para:
        j = len(self.text) if j is None else j
        return Para(self.text[i:j], self.offs[i:j])


#: a line break a page break inserted inside a sentence, with the padding around it
PAGE_BREAK_RE = re.compile(r"[ \t\u3000]*\n\s*")


def repair_span(raw: str, start: int, end: int) -> str:
    """Source text of [start, end) with page-break line breaks (and their padding) removed."""
    return PAGE_BREAK_RE.sub("", raw[start:end])


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of `text`, each ending at 。；！？ (or the end of text); never empty."""
    spans: list[tuple[int, int]] = []
    s = 0
    for i, ch in enumerate(text):
        if ch in SENTENCE_END:
            # keep a closing quote or bracket with its sentence
            e = i + 1
            while e < len(text) and text[e] in "”’」）)":
                e += 1
            if text[s:e].strip():
                spans.append((s, e))
            s = e
    if text[s:].strip():
        spans.append((s, len(text)))
    return spans


def _lines(raw: str) -> list[Line]:
    out: list[Line] = []
    pos = 0
    for rawline in raw.split("\n"):
        stripped = rawline.strip()
        if stripped:
            lead = len(rawline) - len(rawline.lstrip())
            out.append(Line(stripped, pos + lead, pos + lead + len(stripped), rawline.rstrip("\r"), pos))
        pos += len(rawline) + 1
    return out


def _is_marker(text: str) -> bool:
    return bool(
        match_marker(text)
        or RESP_LINE_RE.match(text)
        or ATTACH_LIST_RE.match(text)
        or ATTACH_HEAD_RE.match(text)
        or CC_RE.match(text)
    )


def _join_paragraphs(lines: list[Line]) -> list[Para]:
    """Join lines broken by page ends: an unfinished line followed by a non-marker line."""
    paras: list[Para] = []
    for line in lines:
        if (
            paras
            and paras[-1].text[-1] not in PARA_END
            and not _is_marker(line.text)
            and not _BARE_PART_RE.match(line.text)  # a part number alone on its line ("三") stands apart
            and not RESP_LINE_RE.match(paras[-1].text)  # a 责任单位 line ends at its line end
            and _continues(paras[-1].text)
        ):
            paras[-1].add(line)
        else:
            p = Para()
            p.add(line)
            paras.append(p)
    return paras


def _continues(text: str) -> bool:
    """An unfinished line is a page-broken sentence only if it reads like prose, not a heading."""
    hit = match_marker(text)
    if (hit and (hit[0].heading_only or hit[0].name == "cn1")) or _BARE_PART_RE.match(text):
        return False
    body = hit[2] if hit else text
    # headings are short and carry no clause punctuation; a broken sentence has some
    return any(ch in body for ch in "，、（“") or len(body) > 30


def _units(text: str) -> list[str]:
    return [u for u in UNIT_SPLIT_RE.split(text.strip("。")) if u]


def _first_sentence_title(text: str, limit: int = 40) -> str:
    spans = split_sentences(text)
    first = text[spans[0][0] : spans[0][1]] if spans else text
    first = first.rstrip("。；;")
    if len(first) <= limit:
        return first
    head = re.split(r"[，,：:]", first)[0]
    return head if len(head) <= limit else head[: limit - 1] + "…"


class _TreeBuilder:
    def __init__(self, doc_id: str, raw: str, year: int) -> None:
        self.doc_id = doc_id
        self.raw = raw
        self.year = year
        self.clauses: dict[str, Clause] = {}
        self.covered: list[tuple[int, int]] = []  # spans that are structure (markers, headings), not text

    def add(self, path: str, kind: str, label: str, para: Para, *, parent: Clause | None, **kw) -> Clause:
        clause = Clause(
            doc_id=self.doc_id,
            clause_id=f"{self.doc_id}#{path}",
            path=path,
            kind=kind,  # type: ignore[arg-type]
            label=label,
            text=para.text,
            start=para.start,
            end=para.end,
            parent_id=parent.clause_id if parent else None,
            sentences=[(para.offs[s], para.offs[e - 1] + 1) for s, e in split_sentences(para.text)],
            periods=self._periods(para),
            **kw,
        )
        self.clauses[clause.clause_id] = clause
        if parent:
            parent.children.append(clause.clause_id)
        return clause

    def extend(self, clause: Clause, para: Para) -> None:
        """A further paragraph of the same clause."""
        clause.text += "\n" + para.text
        clause.end = para.end
        clause.sentences += [(para.offs[s], para.offs[e - 1] + 1) for s, e in split_sentences(para.text)]
        clause.periods += self._periods(para)

    def _periods(self, para: Para) -> list[Period]:
        out = []
        for s, e, period in find_periods(para.text, self.year):
            period.start, period.end = para.offs[s], para.offs[e - 1] + 1
            out.append(period)
        return out


def _is_signature(lines: list[Line], i: int) -> bool:
    """A short unpunctuated line directly above a date line: the issuer's signature."""
    t = lines[i].text
    return (
        i + 1 < len(lines)
        and bool(DATE_RE.match(lines[i + 1].text))
        and len(t) <= 40
        and not any(ch in t for ch in "。，；：:,;")
    )


def _classify_front(lines: list[Line], meta: DocumentMeta) -> tuple[list[MetaLine], list[tuple[str, Para]]]:
    """Split the lines before the first numbered part into metadata and body paragraphs."""
    metas: list[MetaLine] = []
    body: list[tuple[str, Para]] = []
    has_title = False
    for i, line in enumerate(lines):
        t = line.text
        p = Para()
        p.add(line)
        if HISTORY_RE.match(t):
            f = "history"  # "2010年12月20日 《国务院关于修改〈工伤保险条例〉的决定》修订"
        elif EFFECTIVE_LINE_RE.match(t):
            f = "effective"
        elif (DOCNUM_RE.search(t) or ORDER_NO_RE.search(t)) and len(t) < 40:
            f = "doc_number"
        elif SIGNER_RE.match(t):
            f = "signer"
        elif DATE_RE.match(t):
            f = "date"
        elif DISCLOSURE_RE.match(t):
            f = "disclosure"
        elif i == 0 and t.endswith("文件"):
            f = "letterhead"
        elif t.endswith(("：", ":")) and len(t) < 80:
            f = "addressee"
        elif "印发" in t and t.endswith("。"):
            body.append(("notice", p))
            continue
        elif t[-1] in PARA_END and len(t) > 40:
            body.append(("preamble", p))
            continue
        elif _is_signature(lines, i) or (meta.issuer and t.replace(" ", "") == meta.issuer):
            f = "issuer"
        elif re.search(r"(?:印发|转发)\S*《", t) and t[-1] not in PARA_END:
            f = "notice_title"
        elif t[-1] not in PARA_END and len(t) <= 120:
            f = "title" if not has_title or t.startswith("关于") else "other"
            has_title = True
        else:
            body.append(("preamble", p))
            continue
        metas.append(MetaLine(field=f, text=t, start=line.start, end=line.end))
    return metas, body


def _parse_attachment(tb: _TreeBuilder, no: str, head: Line, lines: list[Line]) -> None:
    title_line = lines[0] if lines else head
    att_para = Para()
    att_para.add(title_line)
    att = tb.add(f"att{no}", "attachment", f"附件{no}", att_para, parent=None, title=title_line.text)
    rows = lines[1:]
    if rows and rows[0].text.startswith("序号"):
        _parse_ledger(tb, att, no, rows)
    elif any("\t" in r.raw for r in rows):
        _parse_roster(tb, att, no, rows)
    else:
        for k, row in enumerate(rows, 1):
            p = Para()
            p.add(row)
            tb.add(f"att{no}.{k}", "paragraph", f"附件{no}第{k}段", p, parent=att, section_title=att.title)
    tb.covered.append((head.start, head.end))


def _fields(line: Line) -> list[tuple[str, int]]:
    """Tab-separated cells of a line with the raw offset of each cell's first character."""
    cells, pos = [], line.raw_start
    for cell in line.raw.split("\t"):
        lead = len(cell) - len(cell.lstrip())
        cells.append((cell.strip(), pos + lead))
        pos += len(cell) + 1
    return cells


def _parse_roster(tb: _TreeBuilder, att: Clause, no: str, rows: list[Line]) -> None:
    role = ""
    k = 0
    for row in rows:
        cells = _fields(row)
        first = cells[0][0]
        if first.endswith(("：", ":")):
            role = re.sub(r"\s+", "", first.rstrip("：:"))
            cells = cells[1:]
        elif first == "":
            cells = cells[1:]
        cells = [c for c in cells if c[0]]
        if not cells:
            tb.covered.append((row.start, row.end))
            continue
        name = re.sub(r"[\s\u3000]+", "", cells[0][0])
        title = cells[1][0] if len(cells) > 1 else ""
        k += 1
        p = Para()
        p.add(row)
        tb.add(
            f"att{no}.{k}",
            "roster_entry",
            f"附件{no}第{k}人（{role}）",
            p,
            parent=att,
            title=f"{role} {name}",
            section_title=att.title,
            extra={"role": role, "name": name, "position": title},
        )


def _parse_ledger(tb: _TreeBuilder, att: Clause, no: str, rows: list[Line]) -> None:
    header = [c for c, _ in _fields(rows[0])]
    tb.covered.append((rows[0].start, rows[0].end))  # the header row names the columns of every row
    unit_col = len(header) - 1
    prev: Clause | None = None
    for row in rows[1:]:
        cells = [c for c, _ in _fields(row)]
        if len(cells) < len(header):
            # a cell left out of a short row is the progress column before the last (unit) column
            cells = cells[:-1] + [""] * (len(header) - len(cells)) + cells[-1:]
        values = dict(zip(header, cells))
        seq = values.get(header[0], "")
        content = [v for k, v in values.items() if k != header[0] and v]
        if not content:
            tb.covered.append((row.start, row.end))  # an empty numbered row: nothing to cite
            continue
        units = _units(cells[unit_col])
        tasks = [v for k, v in values.items() if k not in (header[0], header[unit_col]) and v]
        if not tasks and prev is not None:
            # a row with only a unit continues the merged cells of the row above
            prev.lead_units += units
        p = Para()
        p.add(row)
        prev_row = tb.add(
            f"att{no}.{seq or len(att.children) + 1}",
            "ledger_row",
            f"附件{no}第{seq}行",
            p,
            parent=att,
            title=values.get(header[1], "") or (prev.title if prev and not tasks else ""),
            section_title=att.title,
            lead_units=units,
            extra={k: v for k, v in values.items()},
        )
        if tasks:
            prev = prev_row


def _first_struct(lines: list[Line]) -> tuple[str, int] | None:
    """The document's family and the index of its first numbered line (None: no numbering at all).

    An article numbered 第一条 makes a legal text; otherwise a part 一、 or an item 1. makes a GB/T one.
    """
    for i, ln in enumerate(lines):
        hit = match_marker(ln.text)
        if hit and hit[0].name == "tiao" and hit[1] == 1:
            first = next(j for j in range(i + 1) if (h := match_marker(lines[j].text)) and
                         (h[0].name in LEGAL_HEADINGS or h[0].name == "tiao"))
            return "legal", first
    for i, ln in enumerate(lines):
        hit = match_marker(ln.text)
        if hit and hit[0].name in ("cn1", "cn2", "ar1") and hit[1] == 1:
            return "gbt", i
    return None


def parse_text(raw: str, meta: DocumentMeta) -> ParsedDocument:
    """Parse a document's text into its clause tree (structured, or paragraphs as a fallback)."""
    year = meta.issue_date.year if meta.issue_date else date.today().year
    tb = _TreeBuilder(meta.doc_id, raw, year)
    lines = _lines(raw)
    found = _first_struct(lines)
    if found is None:
        return _parse_paragraphs(tb, lines, meta)
    family, first_struct = found

    metas, front_body = _classify_front(lines[:first_struct], meta)
    for kind, para in front_body:
        label = {"notice": "印发通知", "preamble": "前言"}[kind]
        path = kind if f"{meta.doc_id}#{kind}" not in tb.clauses else f"{kind}{len(tb.clauses) + 1}"
        if path != kind:  # a second preamble paragraph belongs to the first
            tb.extend(tb.clauses[f"{meta.doc_id}#{kind}"], para)
            continue
        tb.add(path, kind, label, para, parent=None, title=label)

    # split the rest into body, attachment blocks and back matter
    rest = lines[first_struct:]
    back_from = len(rest)
    while back_from > 0 and (
        DATE_RE.match(rest[back_from - 1].text)
        or DISCLOSURE_RE.match(rest[back_from - 1].text)
        or _is_signature(rest, back_from - 1)
    ):
        back_from -= 1  # signature, date and （此件公开发布） closing the document
    body_lines: list[Line] = []
    attachments: list[tuple[str, Line, list[Line]]] = []
    zone = "body"
    for idx, line in enumerate(rest):
        t = line.text
        if idx >= back_from and zone in ("body", "back"):
            f = "date" if DATE_RE.match(t) else ("disclosure" if DISCLOSURE_RE.match(t) else "issuer")
            metas.append(MetaLine(field=f, text=t, start=line.start, end=line.end))
        elif CC_RE.match(t) or PRINTED_RE.search(t) or (zone == "back"):
            zone = "back"
            f = "cc" if CC_RE.match(t) else ("date" if PRINTED_RE.search(t) else "office")
            metas.append(MetaLine(field=f, text=t, start=line.start, end=line.end))
        elif m := ATTACH_HEAD_RE.match(t):
            zone = "attachment"
            attachments.append((m.group(1), line, []))
        elif zone == "attachment":
            attachments[-1][2].append(line)
        elif ATTACH_LIST_RE.match(t) or zone == "attachments_list":
            zone = "attachments_list"
            metas.append(MetaLine(field="attachments_list", text=t, start=line.start, end=line.end))
        else:
            body_lines.append(line)

    body = _join_paragraphs(body_lines)
    if family == "legal":
        _parse_legal(tb, body, metas)
    else:
        _parse_gbt(tb, body)
    for no, head, att_lines in attachments:
        _parse_attachment(tb, no, head, att_lines)
    metas.sort(key=lambda m: m.start)
    return ParsedDocument(meta=meta, raw=raw, clauses=tb.clauses, meta_lines=metas, structured=True,
                          family=family, covered=tb.covered)


# ---------------------------------------------------------------- GB/T 9704 documents


def _straight_through(paras: list[Para], name: str) -> str:
    """How a level is numbered: "straight" when its numbers run on across a part of a higher level (1.…32.
    through 一、…七、), "restart" when they start again at 1 there, "unknown" when no higher marker falls
    between two of its numbers."""
    rank = next(m.rank for m in MARKERS if m.name == name)
    seen = crossed = False
    for p in paras:
        hit = match_marker(p.text)
        if not hit or hit[0].name not in _GBT_PREFIX:
            continue
        if hit[0].name == name:
            if seen and crossed:
                return "restart" if hit[1] == 1 else "straight"
            seen, crossed = True, False
        elif hit[0].rank < rank and seen:
            crossed = True
    return "unknown"


_GBT_PREFIX = {"cn1": "s", "cn2": "i", "ar1": "", "ar2": "", "circ": ""}


def _is_heading_only(rest: str) -> bool:
    """"（二）基本原则。": a run-in title with no body of its own; the paragraphs after it are its body."""
    return len(rest) <= 20 and len(split_sentences(rest)) <= 1


def _parse_gbt(tb: _TreeBuilder, paras: list[Para]) -> None:
    """一、 › （一） › 1. › （1） › ①, each level a clause; responsibility lines and tails attach to theirs."""
    straight = {name: _straight_through(paras, name) for name in _GBT_PREFIX}
    stack: list[tuple[int, Clause]] = []  # (rank, clause) of the open nodes, outermost first
    last: dict[tuple[str, str | None], int] = {}
    last_global: dict[str, int] = {}
    closed: set[str] = set()  # leaves ended by a responsibility tail: later text is not theirs
    heading_only: set[str] = set()
    resp: dict[str, list[tuple[Clause, str, list[str], int, int]]] = {}  # group clause id → blocks
    last_marker = max((i for i, p in enumerate(paras) if match_marker(p.text)), default=-1)
    closings = 0

    def parent_for(rank: int) -> Clause | None:
        for r, c in reversed(stack):
            if r < rank:
                return c
        return None

    def close(down_to_rank: int) -> None:
        while stack and stack[-1][0] >= down_to_rank:
            _r, node = stack.pop()
            _assign_responsibility(tb, node, resp.pop(node.clause_id, []))

    skip: set[int] = set()
    for i, para in enumerate(paras):
        if i in skip:
            continue
        t = para.text
        # a part number alone on its line, its 顿号 lost ("三" after 一、 and 二、): the next paragraph is its
        # body, taken only when the number continues the parts' sequence
        if (bare := _BARE_PART_RE.match(t)) and i + 1 < len(paras) and stack and \
                (n := to_int(bare.group(1), "cn")) == last_global.get("cn1", 0) + 1 and not match_marker(paras[i + 1].text):
            rank = next(m.rank for m in MARKERS if m.name == "cn1")
            close(rank)
            last[("cn1", None)] = last_global["cn1"] = n
            node = _add_gbt_node(tb, "cn1", n, "cn", paras[i + 1], None, straight["cn1"])
            stack.append((rank, node))
            tb.covered.append((para.start, para.end))
            _take_tail(tb, node, paras[i + 1], closed)
            skip.add(i + 1)
            continue
        hit = match_marker(t)
        if hit and hit[0].name in _GBT_PREFIX:
            marker, n, rest, off = hit
            parent = parent_for(marker.rank)
            key = (marker.name, parent.clause_id if parent else None)
            expected = {last.get(key, 0) + 1, last_global.get(marker.name, 0) + 1} \
                if straight[marker.name] == "straight" else {last.get(key, 0) + 1}
            if n in expected:
                close(marker.rank)
                last[key] = n
                last_global[marker.name] = n
                node = _add_gbt_node(tb, marker.name, n, hit[0].numeral, para.sub(off), parent,
                                     straight[marker.name])
                stack.append((marker.rank, node))
                tb.covered.append((para.start, para.offs[off] if off < len(para.offs) else para.end))
                if _is_heading_only(rest):
                    heading_only.add(node.clause_id)
                _take_tail(tb, node, para.sub(off), closed)
                continue
        if (m := RESP_LINE_RE.match(t)) and stack:
            owner = stack[-1][1]
            parent = tb.clauses.get(owner.parent_id or "")
            # a block after a sub-item is decided with its siblings' blocks when their item closes
            group = parent if parent is not None and parent.kind in ("item", "subitem") else owner
            fld = "leaders" if m.group(1) == "责任领导" else _RESP_FIELD[m.group(1)[:2]]
            resp.setdefault(group.clause_id, []).append((owner, fld, _units(m.group(2)), para.start, para.end))
            closed.add(owner.clause_id)  # the responsibility block ends its item
            continue
        top = stack[-1][1] if stack else None
        at_end = i > last_marker and top is not None and top.clause_id not in heading_only and top.is_leaf
        if top is None or top.clause_id in closed or at_end:
            close(0)
            closings += 1
            node = tb.add(f"closing{closings}", "closing", f"结尾第{closings}段", para, parent=None,
                          title=_first_sentence_title(t))
            continue
        tb.extend(top, para)
        _take_tail(tb, top, para, closed)
    close(0)
    for clause in tb.clauses.values():
        if clause.kind == "section" and not clause.children:  # a flat list 一、…三十、: items, not parts
            clause.label = f"{_gbt_number(clause)}"
            clause.title = _first_sentence_title(clause.text)


def _add_gbt_node(tb: _TreeBuilder, name: str, n: int, numeral: str, body: Para, parent: Clause | None,
                  numbering: str) -> Clause:
    straight = numbering == "straight"
    cn = to_cn(n)
    if name == "cn1":
        path, kind, label = f"s{n}", "section", f"第{cn}部分"
    elif name == "cn2":
        path = f"i{n}" if straight or parent is None else f"{parent.path}.{n}"
        kind = "item"
        label = f"{_gbt_number(parent)}（{cn}）" if parent is not None and parent.kind == "section" else f"（{cn}）"
        if parent is not None and parent.kind != "section":
            kind, label = "subitem", f"{parent.label}（{cn}）"
    elif name == "ar1" and (straight or parent is None or parent.kind == "section"):
        # 1. items of a plan's parts are its articles (第2条), addressed by their own number unless it restarts
        bare = straight or parent is None or numbering == "unknown"
        path, kind, label = (str(n) if bare else f"{parent.path}.{n}"), "item", f"第{n}条"
        if not bare:
            label = f"{_gbt_number(parent)}{n}."
    else:
        assert parent is not None or name in ("ar1", "ar2", "circ")
        base = parent.path if parent is not None else ""
        path = f"{base}.{n}" if base else f"{name}{n}"
        kind = "subitem"
        mark = {"ar1": f"{n}.", "ar2": f"第({n})项", "circ": f"第{'①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳'[n - 1]}目"}[name]
        label = f"{parent.label if parent is not None else ''}{mark}"
    if f"{tb.doc_id}#{path}" in tb.clauses:  # a numbering that repeats itself: keep both, apart
        path = f"{path}_{sum(1 for c in tb.clauses if c.startswith(f'{tb.doc_id}#{path}'))}"
    title = body.text if kind == "section" else _first_sentence_title(body.text)
    section = parent
    while section is not None and section.kind != "section":
        section = tb.clauses.get(section.parent_id or "")
    node = tb.add(path, kind, label, body, parent=parent, title=title,
                  section_title=section.title if section is not None else "",
                  item_title=parent.title if parent is not None and parent.kind in ("item", "subitem") else "")
    if kind == "item":
        node.item_title = node.title
    return node


def _gbt_number(section: Clause | None) -> str:
    """"三、" for the third part: how the document writes the part a label starts from."""
    if section is None:
        return ""
    n = int(re.sub(r"\D", "", section.path) or 0)
    return f"{to_cn(n)}、"


_RESP_FIELD = {"责任": "lead_units", "牵头": "lead_units", "配合": "coop_units", "参与": "coop_units"}


def _take_tail(tb: _TreeBuilder, node: Clause, para: Para, closed: set[str]) -> None:
    """"…（人力资源社会保障部、财政部负责）" at a paragraph's end names the clause's units and ends it."""
    tail = responsibility_tail(para.text)
    if tail is None:
        return
    lead, coop, at = tail
    node.lead_units += [u for u in lead if u not in node.lead_units]
    node.coop_units += [u for u in coop if u not in node.coop_units and u not in node.lead_units]
    node.resp_start, node.resp_end = para.offs[at], para.end
    closed.add(node.clause_id)


def _assign_responsibility(tb: _TreeBuilder, item: Clause,
                           blocks: list[tuple[Clause, str, list[str], int, int]]) -> None:
    """Responsibility lines after an item go to the item, or to each sub-item when several have their own."""
    if not blocks:
        return
    subs = {id(owner) for owner, *_ in blocks if owner is not item}
    per_sub = len(subs) > 1 or (len(item.children) == 1 and bool(subs))
    for owner, fld, names, start, end in blocks:
        target = owner if per_sub and owner is not item else item
        getattr(target, fld).extend(n for n in names if n not in getattr(target, fld))
        target.resp_start = min(target.resp_start or start, start)
        target.resp_end = max(target.resp_end, end)
    for cid in item.children:  # sub-items without their own block inherit the item's
        child = tb.clauses[cid]
        for fld in ("leaders", "lead_units", "coop_units"):
            if not getattr(child, fld):
                setattr(child, fld, list(getattr(item, fld)))
        if not child.resp_end:
            child.resp_start, child.resp_end = item.resp_start, item.resp_end


# ---------------------------------------------------------------- legal texts


def _parse_legal(tb: _TreeBuilder, paras: list[Para], metas: list[MetaLine]) -> None:
    """第X编 › 第X章 › 第X节 › 第X条; an article's paragraphs (款) and items (项) are its parts."""
    heads: list[tuple[int, Clause]] = []
    article: Clause | None = None
    last_article = 0
    parts: list[dict] = []
    seen_heading: set[tuple[str, int]] = set()

    def finish() -> None:
        if article is not None:
            article.parts = _label_parts(article, parts)
        parts.clear()

    for para in paras:
        hit = match_marker(para.text)
        name = hit[0].name if hit else ""
        if hit and name in LEGAL_HEADINGS:
            marker, n, rest, off = hit
            if (name, n) in seen_heading and article is None:  # a table of contents before the body
                metas.append(MetaLine(field="toc", text=para.text, start=para.start, end=para.end))
                continue
            seen_heading.add((name, n))
            finish()
            article = None
            while heads and heads[-1][0] >= marker.rank:
                heads.pop()
            parent = heads[-1][1] if heads else None
            kind, prefix, unit = {"bian": ("book", "b", "编"), "zhang": ("chapter", "c", "章"),
                                  "jie": ("division", "j", "节")}[name]
            path = f"{parent.path}.{prefix}{n}" if parent is not None and name == "jie" else f"{prefix}{n}"
            body = para.sub(off) if off < len(para.text) else para
            node = tb.add(path, kind, f"第{hit[0].pattern.match(para.text).group(1)}{unit}", body, parent=parent,
                          title=rest.strip())
            tb.covered.append((para.start, para.end))
            heads.append((marker.rank, node))
            continue
        if hit and name == "tiao" and hit[1] == last_article + 1:
            marker, n, rest, off = hit
            finish()
            last_article = n
            parent = heads[-1][1] if heads else None
            chapter = next((c for _r, c in reversed(heads) if c.kind == "chapter"), None)
            numeral = marker.pattern.match(para.text).group(1)
            article = tb.add(f"a{n}", "article", f"第{numeral}条", para.sub(off), parent=parent,
                             title=_first_sentence_title(rest), section_title=chapter.title if chapter else "")
            article.item_title = article.title
            tb.covered.append((para.start, para.start + off))
            parts.append({"kind": "paragraph", "start": para.start + off, "end": para.end})
            continue
        if article is None:
            k = len(tb.clauses) + 1
            tb.add(f"p{k}", "paragraph", f"第{k}段", para, parent=heads[-1][1] if heads else None)
            continue
        tb.extend(article, para)
        if hit and name in ("cn2", "ar1", "ar2", "circ"):
            parts.append({"kind": name, "n": hit[1], "start": para.start, "end": para.end})
        else:
            parts.append({"kind": "paragraph", "start": para.start, "end": para.end})
    finish()


def _label_parts(article: Clause, parts: list[dict]) -> list[ClausePart]:
    """款 and 项 of an article, labelled as the law cites them: 第十条第二款, 第十四条第（三）项."""
    paragraphs = [p for p in parts if p["kind"] == "paragraph"]
    many = len(paragraphs) > 1
    out: list[ClausePart] = []
    k = 0
    seen: set[str] = set()
    item: ClausePart | None = None
    for p in parts:
        if p["kind"] == "paragraph":
            k += 1
            item = None
            out.append(ClausePart(path=f"{article.path}.k{k}", kind="paragraph",
                                  label=f"{article.label}第{to_cn(k)}款", start=p["start"], end=p["end"]))
            continue
        n = p["n"]
        where = f"第{to_cn(k)}款" if many else ""
        if p["kind"] == "cn2":
            path = f"{article.path}.{n}" if f"{article.path}.{n}" not in seen else f"{article.path}.k{k}.{n}"
            item = ClausePart(path=path, kind="item", label=f"{article.label}{where}第（{to_cn(n)}）项",
                              start=p["start"], end=p["end"])
            out.append(item)
        else:
            base = item.path if item is not None else f"{article.path}.k{k}"
            mark = f"第{n}目" if p["kind"] != "circ" else f"第{'①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳'[n - 1]}目"
            out.append(ClausePart(path=f"{base}.{n}", kind="subitem",
                                  label=f"{item.label if item is not None else article.label + where}{mark}",
                                  start=p["start"], end=p["end"]))
        seen.add(out[-1].path)
    return out if (many or len(out) > 1) else []


def _parse_paragraphs(tb: _TreeBuilder, lines: list[Line], meta: DocumentMeta) -> ParsedDocument:
    """Generic fallback: one clause per paragraph, metadata lines recognised by their shape."""
    metas: list[MetaLine] = []
    paras = _join_paragraphs(lines)
    k = 0
    for i, para in enumerate(paras):
        t = para.text
        if (DOCNUM_RE.search(t) and len(t) < 40) or DATE_RE.match(t) or CC_RE.match(t) or PRINTED_RE.search(t):
            metas.append(MetaLine(field="other", text=t, start=para.start, end=para.end))
            continue
        if i == 0 and t[-1] not in SENTENCE_END and len(t) <= 60:
            metas.append(MetaLine(field="title", text=t, start=para.start, end=para.end))
            continue
        k += 1
        tb.add(f"p{k}", "paragraph", f"第{k}段", para, parent=None, title=_first_sentence_title(t))
    return ParsedDocument(meta=meta, raw=tb.raw, clauses=tb.clauses, meta_lines=metas, structured=False,
                          family="paragraphs", covered=tb.covered)


def coverage(doc: ParsedDocument) -> tuple[float, list[tuple[int, int]]]:
    """Share of the text's non-space characters that lie in a clause, a responsibility line, a numbering
    marker or a metadata line, and the spans (runs of uncovered characters) that lie in none."""
    raw = doc.raw
    mark = bytearray(len(raw))
    spans = [(c.start, c.end) for c in doc.clauses.values()]
    spans += [(c.resp_start, c.resp_end) for c in doc.clauses.values() if c.resp_end]
    spans += [(m.start, m.end) for m in doc.meta_lines] + [tuple(s) for s in doc.covered]
    for s, e in spans:
        mark[s:e] = b"\x01" * (e - s)
    total = missed_n = 0
    missed: list[tuple[int, int]] = []
    run: int | None = None
    for i, ch in enumerate(raw):
        if ch.isspace():
            continue
        total += 1
        if mark[i]:
            if run is not None:
                missed.append((run, i))
                run = None
            continue
        missed_n += 1
        if run is None:
            run = i
    if run is not None:
        missed.append((run, len(raw)))
    return (1.0 if not total else (total - missed_n) / total), [(s, e) for s, e in missed]


_FAMILY_NAMES = {"legal": "法条体（章/条/款/项）", "gbt": "公文体（一、/（一）/1./（1））", "paragraphs": "段落（未识别编号）"}
_COUNTED = (("book", "编"), ("chapter", "章"), ("division", "节"), ("article", "条"), ("section", "部分"),
            ("item", "项"), ("subitem", "子项"), ("attachment", "附件"), ("closing", "结尾段"))


def describe_document(doc: ParsedDocument) -> dict:
    """What a build reports per document: its structure, clause counts, coverage and what was missed."""
    counts: dict[str, int] = {}
    for c in doc.clauses.values():
        counts[c.kind] = counts.get(c.kind, 0) + 1
    parts = sum(1 for c in doc.clauses.values() for p in c.parts if p.kind == "item")
    share, missed = coverage(doc)
    shown = [f"{n}{unit}" for kind, unit in _COUNTED if (n := counts.get(kind))]
    if parts:
        shown.append(f"{parts}项（条内）")
    warnings = []
    if doc.family == "paragraphs":
        warnings.append("未识别出编号结构，按段落切分")
    if missed:
        warnings.append("以下文字不在任何条款或元数据中：" + "；".join(
            f"第{s}–{e}字“{doc.raw[s:e][:30]}”" for s, e in missed[:5]))
    return {
        "doc_id": doc.meta.doc_id,
        "file": doc.meta.path,
        "title": doc.meta.title,
        "doc_number": doc.meta.doc_number,
        "kind": doc.meta.kind,
        "structure": _FAMILY_NAMES[doc.family],
        "family": doc.family,
        "counts": shown,
        "clauses": len(doc.clauses),
        "leaves": len(doc.leaves()),
        "coverage": round(share, 4),
        "missed": [(s, e) for s, e in missed],
        "warnings": warnings,
    }


def read_document(path: Path) -> tuple[str, DocumentMeta]:
    """Read a corpus document (.txt .md .docx .pdf .html) and its `.meta.yaml`; CorpusError names the file."""
    raw = read_text(path)  # every format → one normalised text; offsets point into it
    data = path.read_bytes()
    meta_path = path.with_suffix(".meta.yaml")
    fields: dict = {}
    if meta_path.exists():
        try:
            fields = yaml.safe_load(meta_path.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise CorpusError(f"元数据文件 {meta_path.name} 格式错误：{exc}", code="corpus_bad_meta") from exc
        if not isinstance(fields, dict):
            raise CorpusError(f"元数据文件 {meta_path.name} 应为键值映射", code="corpus_bad_meta")
    first_line = next((ln.strip() for ln in raw.splitlines() if ln.strip()), path.stem)
    fields["declared"] = sorted(k for k in fields if k not in ("doc_id", "declared"))
    fields.setdefault("doc_id", path.stem)
    fields.setdefault("title", first_line[:80])
    fields["path"] = path.name
    fields["sha256"] = hashlib.sha256(data).hexdigest()
    try:
        meta = DocumentMeta(**fields)
    except Exception as exc:  # pydantic.ValidationError: report it as a corpus problem with the file name
        raise CorpusError(f"元数据文件 {meta_path.name} 字段有误：{exc}", code="corpus_bad_meta") from exc
    return raw, meta


def parse_document(path: Path, grammar: DocumentGrammar | None = None) -> ParsedDocument:
    """Read and parse one document; metadata its text states fills what its `.meta.yaml` leaves out."""
    raw, meta = read_document(path)
    doc = parse_text(raw, meta)
    if grammar is None:
        return doc
    inferred = {k: v for k, v in infer_metadata(doc, grammar).items() if k not in meta.declared}
    if not inferred:
        return doc
    new_meta = meta.model_copy(update=inferred)
    if new_meta.issue_date != meta.issue_date:  # relative dates ("7月底前") resolve to the issue year
        return parse_text(raw, new_meta)
    doc.meta = new_meta
    return doc


def locate_quote(doc: ParsedDocument, quote: str, *, within: tuple[int, int] | None = None) -> tuple[int, int] | None:
    """Raw offsets of `quote` in the document, matching across page-break line breaks.

    Spaces inside the quote must match the source exactly (the source writes "500 元"); only the
    newline runs the source's page breaks inserted are skipped.
    """
    lo, hi = within or (0, len(doc.raw))
    if quote and not any(ch.isspace() for ch in quote):
        # a quote without spaces matches exactly where it occurs in the text with those breaks taken out:
        # one find in a text squeezed once per document instead of a pattern compiled per quote
        text, where = _squeezed(doc.raw)
        first = bisect_left(where, lo)
        at = text.find(quote, first)
        if at == -1 or where[at + len(quote) - 1] >= hi:
            return None
        return where[at], where[at + len(quote) - 1] + 1
    pattern = _PAGE_BREAK_GAP.join(re.escape(ch) for ch in quote)
    m = re.compile(pattern).search(doc.raw, lo, hi)
    return (m.start(), m.end()) if m else None


_PAGE_BREAK_GAP = f"(?:{PAGE_BREAK_RE.pattern})?"


@lru_cache(maxsize=16)  # rules are resolved document by document; 4 bytes per character each
def _squeezed(raw: str) -> tuple[str, array]:
    """The text without the newline runs a page break inserts, and each kept character's raw offset."""
    keep: list[str] = []
    where = array("i")
    pos = 0
    for m in PAGE_BREAK_RE.finditer(raw):
        keep.append(raw[pos:m.start()])
        where.extend(range(pos, m.start()))
        pos = m.end()
    keep.append(raw[pos:])
    where.extend(range(pos, len(raw)))
    return "".join(keep), where


def load_corpus(corpus_dir: Path) -> dict[str, ParsedDocument]:
    """Parse every `*.txt` under corpus_dir/documents, keyed by doc id, in file-name order."""
    docs_dir = Path(corpus_dir) / "documents"
    if not docs_dir.is_dir():
        raise CorpusError(f"语料目录 {docs_dir} 不存在", code="corpus_missing")
    docs: dict[str, ParsedDocument] = {}
    grammar = load_grammar(Path(corpus_dir))
    paths = sorted(p for p in docs_dir.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
                   and not p.name.startswith("."))
    for path in paths:
        doc = parse_document(path, grammar)
        if doc.meta.doc_id in docs:
            raise CorpusError(f"文件 {path.name} 的 doc_id {doc.meta.doc_id} 与另一文件重复", code="corpus_duplicate_id")
        docs[doc.meta.doc_id] = doc
    if not docs:
        raise CorpusError(f"语料目录 {docs_dir} 中没有可读的文档（支持 {'、'.join(SUPPORTED_SUFFIXES)}）", code="corpus_missing")
    return docs
