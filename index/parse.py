"""Text of a policy document → clause tree, with offsets into the original file.

The seed plan numbers its parts inconsistently ("1." and "3、", "(1)" and "（1）"), breaks lines at
page ends in mid-sentence ("生产经营\\n\\n出现暂时困难"), and ends with two attachments in tab-separated
form. This module reads that shape generally:

* sections  一、… → items 1./1、 (numbers must run in sequence) → sub-items (1)/（1）
* 责任领导 / 牵头处室 / 责任处室 / 配合处室 lines attach to the node they follow
* a line that does not end a sentence and is not followed by a structural marker is joined to the next
* 附件 N blocks become attachments: a roster (role, name, title) or a ledger (header row 序号…)
* letterhead, document number, signature, date and distribution lines become metadata, not clauses

A document without this numbering falls back to one clause per paragraph.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from index.errors import CorpusError
from index.periods import find_periods
from index.types import Clause, DocumentMeta, MetaLine, ParsedDocument, Period

__all__ = ["parse_document", "parse_text", "read_document", "repair_span", "split_sentences", "locate_quote", "load_corpus"]

SECTION_RE = re.compile(r"^([一二三四五六七八九十]+)、\s*(.+)$")
ITEM_RE = re.compile(r"^(\d{1,3})\s*[\.．、]\s*(.+)$")
SUB_RE = re.compile(r"^[（(]\s*(\d{1,2})\s*[)）]\s*(.+)$")
RESP_RE = re.compile(r"^(责任领导|牵头处室|责任处室|配合处室)(?:[（(]单位[)）])?\s*[：:]\s*(.+)$")
ATTACH_LIST_RE = re.compile(r"^附件\s*[：:]")
ATTACH_HEAD_RE = re.compile(r"^附件\s*(\d+)\s*$")
CC_RE = re.compile(r"^抄送\s*[：:]")
PRINTED_RE = re.compile(r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*印发$")
DOCNUM_RE = re.compile(r"〔\d{4}〕\s*\d+\s*号")
DATE_RE = re.compile(r"^\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日$")
DISCLOSURE_RE = re.compile(r"^[（(][^（）()]*公开[)）]$")
SIGNER_RE = re.compile(r"^签发人\s*[：:]")
SENTENCE_END = "。；！？;!?"
# a line ending in one of these closes a paragraph; anything else may be a page break
PARA_END = SENTENCE_END + "：:"
UNIT_SPLIT_RE = re.compile(r"[、，,\s]+")
CN_NUM = "零一二三四五六七八九十"


def _cn_to_int(s: str) -> int:
    if s == "十":
        return 10
    if s.startswith("十"):
        return 10 + CN_NUM.index(s[1])
    if len(s) == 2 and s.endswith("十"):
        return CN_NUM.index(s[0]) * 10
    if len(s) == 3:
        return CN_NUM.index(s[0]) * 10 + CN_NUM.index(s[2])
    return CN_NUM.index(s)


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


def repair_span(raw: str, start: int, end: int) -> str:
    """Source text of [start, end) with page-break line breaks (and their padding) removed."""
    return re.sub(r"[ \t\u3000]*\n\s*", "", raw[start:end])


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
        SECTION_RE.match(text)
        or ITEM_RE.match(text)
        or SUB_RE.match(text)
        or RESP_RE.match(text)
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
    if SECTION_RE.match(text):
        return False
    m = ITEM_RE.match(text) or SUB_RE.match(text)
    body = m.group(2) if m else text
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


def _classify_front(lines: list[Line], meta: DocumentMeta) -> tuple[list[MetaLine], list[tuple[str, Para]]]:
    """Split the lines before the first section/item into metadata and body paragraphs."""
    metas: list[MetaLine] = []
    body: list[tuple[str, Para]] = []
    for i, line in enumerate(lines):
        t = line.text
        p = Para()
        p.add(line)
        if DOCNUM_RE.search(t) and len(t) < 40:
            f = "doc_number"
        elif SIGNER_RE.match(t):
            f = "signer"
        elif DATE_RE.match(t):
            f = "date"
        elif DISCLOSURE_RE.match(t):
            f = "disclosure"
        elif i == 0 and t.endswith("文件"):
            f = "letterhead"
        elif t.endswith(("：", ":")) and len(t) < 40:
            f = "addressee"
        elif "印发" in t and t.endswith("。"):
            body.append(("notice", p))
            continue
        elif t[-1] in PARA_END and len(t) > 40:
            body.append(("preamble", p))
            continue
        elif "通知" in t and ("印发" in t or "关于" in t):
            f = "notice_title"
        elif meta.issuer and t.replace(" ", "") == meta.issuer:
            f = "issuer"
        elif t.startswith("关于"):
            f = "title"
        else:
            f = "other"
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


def parse_text(raw: str, meta: DocumentMeta) -> ParsedDocument:
    """Parse a document's text into its clause tree (structured, or paragraphs as a fallback)."""
    year = meta.issue_date.year if meta.issue_date else date.today().year
    tb = _TreeBuilder(meta.doc_id, raw, year)
    lines = _lines(raw)
    first_struct = next(
        (i for i, ln in enumerate(lines) if SECTION_RE.match(ln.text) or ITEM_RE.match(ln.text)), None
    )
    if first_struct is None:
        return _parse_paragraphs(tb, lines, meta)

    metas, front_body = _classify_front(lines[:first_struct], meta)
    for kind, para in front_body:
        label = {"notice": "印发通知", "preamble": "前言"}[kind]
        tb.add(kind, kind, label, para, parent=None, title=label)

    # split the rest into body, attachment blocks and back matter
    rest = lines[first_struct:]
    body_lines: list[Line] = []
    attachments: list[tuple[str, Line, list[Line]]] = []
    zone = "body"
    for line in rest:
        t = line.text
        if CC_RE.match(t) or PRINTED_RE.search(t) or (zone == "back"):
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

    _parse_body(tb, _join_paragraphs(body_lines))
    for no, head, att_lines in attachments:
        _parse_attachment(tb, no, head, att_lines)
    metas.sort(key=lambda m: m.start)
    return ParsedDocument(meta=meta, raw=raw, clauses=tb.clauses, meta_lines=metas, structured=True)


def _parse_body(tb: _TreeBuilder, paras: list[Para]) -> None:
    section: Clause | None = None
    item: Clause | None = None
    sub: Clause | None = None
    last_item = 0
    # responsibility blocks of the current item: (sub-item it follows or None, field, names)
    resp: list[tuple[Clause | None, str, list[str], int, int]] = []

    def close_item() -> None:
        if item is None:
            return
        subs_with_resp = {id(s) for s, *_ in resp if s is not None}
        per_sub = len(subs_with_resp) > 1 or (item.children and len(item.children) == 1 and subs_with_resp)
        for owner, fld, names, start, end in resp:
            target = owner if (per_sub and owner is not None) else item
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
        resp.clear()

    for para in paras:
        t = para.text
        if m := SECTION_RE.match(t):
            close_item()
            item = sub = None
            no = _cn_to_int(m.group(1))
            body = para.sub(m.start(2))
            section = tb.add(f"s{no}", "section", f"第{m.group(1)}部分", body, parent=None, title=body.text)
        elif (m := ITEM_RE.match(t)) and int(m.group(1)) == last_item + 1:
            close_item()
            sub = None
            last_item = int(m.group(1))
            body = para.sub(m.start(2))
            item = tb.add(
                str(last_item),
                "item",
                f"第{last_item}条",
                body,
                parent=section,
                title=_first_sentence_title(body.text),
                section_title=section.title if section else "",
            )
            item.item_title = item.title
        elif (m := SUB_RE.match(t)) and item is not None:
            body = para.sub(m.start(2))
            n = int(m.group(1))
            sub = tb.add(
                f"{item.path}.{n}",
                "subitem",
                f"{item.label}第({n})项",
                body,
                parent=item,
                title=_first_sentence_title(body.text),
                section_title=item.section_title,
                item_title=item.title,
            )
        elif (m := RESP_RE.match(t)) and item is not None:
            fld = {"责任领导": "leaders", "牵头处室": "lead_units", "责任处室": "lead_units", "配合处室": "coop_units"}[
                m.group(1)
            ]
            resp.append((sub, fld, _units(m.group(2)), para.start, para.end))
        elif sub is not None:
            tb.extend(sub, para)
        elif item is not None:
            tb.extend(item, para)
        else:
            tb.add(f"p{len(tb.clauses) + 1}", "paragraph", f"第{len(tb.clauses) + 1}段", para, parent=section)
    close_item()


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
    return ParsedDocument(meta=meta, raw=tb.raw, clauses=tb.clauses, meta_lines=metas, structured=False)


def read_document(path: Path) -> tuple[str, DocumentMeta]:
    """Read a corpus text file and its `.meta.yaml`; raise CorpusError naming the file if unusable."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"无法读取文件 {path.name}：{exc.strerror}") from exc
    if not data.strip():
        raise CorpusError(f"文件 {path.name} 是空的，无法入库", code="corpus_empty_file")
    if b"\x00" in data:
        raise CorpusError(f"文件 {path.name} 不是文本文件（含二进制内容），无法入库", code="corpus_not_text")
    try:
        raw = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(
            f"文件 {path.name} 不是 UTF-8 编码（第 {exc.start} 字节处无法解码），请转成 UTF-8 后再入库",
            code="corpus_not_utf8",
        ) from exc
    raw = raw.removeprefix("\ufeff")
    controls = sum(1 for ch in raw if ord(ch) < 32 and ch not in "\n\r\t")
    if controls > max(3, len(raw) // 100):
        raise CorpusError(f"文件 {path.name} 不是文本文件（控制字符过多），无法入库", code="corpus_not_text")
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
    fields.setdefault("doc_id", path.stem)
    fields.setdefault("title", first_line[:80])
    fields["path"] = path.name
    fields["sha256"] = hashlib.sha256(data).hexdigest()
    try:
        meta = DocumentMeta(**fields)
    except Exception as exc:  # pydantic.ValidationError: report it as a corpus problem with the file name
        raise CorpusError(f"元数据文件 {meta_path.name} 字段有误：{exc}", code="corpus_bad_meta") from exc
    return raw, meta


def parse_document(path: Path) -> ParsedDocument:
    raw, meta = read_document(path)
    return parse_text(raw, meta)


def locate_quote(doc: ParsedDocument, quote: str, *, within: tuple[int, int] | None = None) -> tuple[int, int] | None:
    """Raw offsets of `quote` in the document, matching across page-break line breaks.

    Spaces inside the quote must match the source exactly (the source writes "500 元"); only the
    newline runs the source's page breaks inserted are skipped.
    """
    lo, hi = within or (0, len(doc.raw))
    pattern = r"(?:[ \t\u3000]*\n\s*)?".join(re.escape(ch) for ch in quote)
    m = re.compile(pattern).search(doc.raw, lo, hi)
    return (m.start(), m.end()) if m else None


def load_corpus(corpus_dir: Path) -> dict[str, ParsedDocument]:
    """Parse every `*.txt` under corpus_dir/documents, keyed by doc id, in file-name order."""
    docs_dir = Path(corpus_dir) / "documents"
    if not docs_dir.is_dir():
        raise CorpusError(f"语料目录 {docs_dir} 不存在", code="corpus_missing")
    docs: dict[str, ParsedDocument] = {}
    for path in sorted(docs_dir.glob("*.txt")):
        doc = parse_document(path)
        if doc.meta.doc_id in docs:
            raise CorpusError(f"文件 {path.name} 的 doc_id {doc.meta.doc_id} 与另一文件重复", code="corpus_duplicate_id")
        docs[doc.meta.doc_id] = doc
    if not docs:
        raise CorpusError(f"语料目录 {docs_dir} 中没有 .txt 文档", code="corpus_missing")
    return docs
