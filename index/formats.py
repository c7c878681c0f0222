"""A corpus file of any supported format → one normalised text: one paragraph a line, blank line between.

Offsets of clauses and quotes point into what `read_text` returns, so every reader here is
deterministic and the text of a file never depends on anything but its bytes.

* `.txt` is returned as published (BOM dropped, CRLF → LF); the parser repairs its page breaks.
* `.md` (markdown-it-py): markup dropped, each block one line; ordered-list numbers kept.
* `.docx` (python-docx): body paragraphs and tables in order; a table row is its cells joined by TAB.
* `.pdf` (pdfplumber): running heads, footers and page numbers dropped, visual lines rebuilt into
  paragraphs from the layout (indent, heading markers, short last lines), across page ends too.
* `.html`/`.htm` (lxml): the main content block of the page, `<br>` lines and tables kept.

Every problem is a `CorpusError` naming the file, with a stable code (`corpus_empty_file`,
`corpus_not_utf8`, `corpus_bad_encoding`, `corpus_not_text`, `corpus_bad_pdf`, `corpus_scanned_pdf`,
`corpus_bad_docx`, `corpus_unsupported`, `corpus_unreadable`).
"""

from __future__ import annotations

import codecs
import io
import logging
import re
import statistics
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from index.errors import CorpusError

__all__ = ["SUPPORTED_SUFFIXES", "read_text"]

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES: tuple[str, ...] = (".txt", ".md", ".docx", ".pdf", ".html", ".htm")


def read_text(path: Path) -> str:
    """The normalised text of a corpus file; CorpusError (naming the file) if it cannot be used."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise CorpusError(
            f"文件 {path.name} 的格式（{path.suffix or '无扩展名'}）不受支持，"
            f"请使用 {'、'.join(SUPPORTED_SUFFIXES)} 之一",
            code="corpus_unsupported",
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"无法读取文件 {path.name}：{exc.strerror}", code="corpus_unreadable") from exc
    if not data.strip():
        raise CorpusError(f"文件 {path.name} 是空的，无法入库", code="corpus_empty_file")
    if suffix == ".txt":
        # Published text stays byte-for-byte what was shipped (its sha256 and offsets depend on it).
        return _decode_text(path, data).replace("\r\n", "\n")
    if suffix == ".md":
        lines = _markdown_lines(_decode_text(path, data))
    elif suffix == ".docx":
        lines = _docx_lines(path, data)
    elif suffix == ".pdf":
        lines = _pdf_lines(path, data)
    else:
        lines = _html_lines(_decode_html(path, data))
    text = _normalise_lines(lines)
    if not text.strip():
        raise CorpusError(f"文件 {path.name} 中没有可提取的正文，无法入库", code="corpus_empty_file")
    return text


def _normalise_lines(lines: Iterable[str]) -> str:
    """Paragraph lines → the one text shape: NFC, no trailing spaces, one blank line between, final newline."""
    out = []
    for chunk in lines:
        for line in unicodedata.normalize("NFC", chunk).split("\n"):
            line = line.rstrip(" \u3000\u00a0\r")
            # A line of nothing but blanks or tabs is an empty paragraph or an empty table row.
            if line.strip(" \t\u3000\u00a0"):
                out.append(line)
    return "\n\n".join(out) + "\n" if out else ""


# ---------------------------------------------------------------- plain text


def _decode_text(path: Path, data: bytes) -> str:
    """UTF-8 text with the checks the corpus has always made (binary content, encoding, control characters)."""
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
    _check_controls(path, raw)
    return raw


def _check_controls(path: Path, raw: str) -> None:
    controls = sum(1 for ch in raw if ord(ch) < 32 and ch not in "\n\r\t")
    if controls > max(3, len(raw) // 100):
        raise CorpusError(f"文件 {path.name} 不是文本文件（控制字符过多），无法入库", code="corpus_not_text")


def _join(left: str, right: str) -> str:
    """Join two pieces of one paragraph broken by layout: no space, except between two Latin words."""
    if not left or not right:
        return left + right
    if left[-1].isspace() or right[0].isspace():
        return left + right
    if re.match(r"[A-Za-z,.;:!?)]", left[-1]) and re.match(r"[A-Za-z(]", right[0]):
        return left + " " + right
    return left + right


def _strip_indent(line: str) -> str:
    # Leading blanks (ASCII, ideographic or no-break spaces) are typed indentation, not content.
    return line.lstrip(" \u3000\u00a0").rstrip(" \u3000\u00a0")


# ---------------------------------------------------------------- markdown


def _markdown_lines(source: str) -> list[str]:
    """Markdown blocks → paragraph lines, markup dropped, ordered-list numbers kept as written."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").enable("table").enable("strikethrough")
    tokens = md.parse(source)
    lines: list[str] = []
    prefix = ""
    ordered: list[bool] = []
    row: list[str] | None = None
    for tok in tokens:
        if tok.type == "ordered_list_open":
            ordered.append(True)
        elif tok.type == "bullet_list_open":
            ordered.append(False)
        elif tok.type in ("ordered_list_close", "bullet_list_close"):
            ordered.pop()
        elif tok.type == "list_item_open" and ordered and ordered[-1]:
            # The number is part of the document's text ("1. 适用范围"), not decoration.
            prefix = f"{tok.info}{tok.markup} "
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "tr_close" and row is not None:
            lines.append("\t".join(row))
            row = None
        elif tok.type == "inline":
            parts = _markdown_inline(tok.children or [])
            if row is not None:
                cell = ""
                for part in parts:
                    cell = _join(cell, part.strip())
                row.append(cell.replace("\t", " "))
                continue
            if parts:
                parts[0] = prefix + parts[0]
            elif prefix:
                parts = [prefix.strip()]
            prefix = ""
            lines.extend(_strip_indent(p) for p in parts)
        elif tok.type in ("fence", "code_block"):
            lines.extend(_strip_indent(ln) for ln in tok.content.split("\n"))
        elif tok.type == "html_block" and not tok.content.lstrip().startswith("<!--"):
            lines.extend(_html_fragment_lines(tok.content))
    return lines


def _markdown_inline(children: list) -> list[str]:
    """Inline tokens → the lines of one block (hard breaks and <br> start a new line, soft breaks join)."""
    lines = [""]
    for child in children:
        if child.type in ("text", "code_inline"):
            lines[-1] += child.content
        elif child.type == "softbreak":
            lines[-1] += "\x02"
        elif child.type == "hardbreak" or (child.type == "html_inline" and re.match(r"<br\b", child.content, re.I)):
            lines.append("")
    out = []
    for line in lines:
        text = ""
        for piece in line.split("\x02"):
            text = _join(text.rstrip(" "), piece.lstrip(" ")) if text else piece
        if text.strip():
            out.append(text)
    return out


# ---------------------------------------------------------------- docx

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
# Deleted revisions, drawings/text boxes and VML fall-backs are not body text of the paragraph.
_DOCX_SKIP = {f"{_W}del", f"{_W}moveFrom", f"{_W}drawing", f"{_W}pict", f"{_W}object", f"{_MC}AlternateContent",
              f"{_W}pPr", f"{_W}rPr"}
_DOCX_WRAPPERS = {f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml", f"{_W}ins", f"{_W}moveTo"}


def _docx_lines(path: Path, data: bytes) -> list[str]:
    """Body paragraphs and tables of a Word file in document order; headers, footers and notes skipped."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml import etree

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError, etree.XMLSyntaxError) as exc:
        raise CorpusError(
            f"文件 {path.name} 不是有效的 Word（.docx）文件，可能已损坏，或是旧版 .doc 改了扩展名：{exc}",
            code="corpus_bad_docx",
        ) from exc
    numbering = _DocxNumbering(document)
    lines: list[str] = []
    for el in _docx_blocks(document.element.body):
        if el.tag == f"{_W}p":
            text = _strip_indent(_docx_paragraph_text(el))
            label = numbering.label(el) if text else ""
            lines.append(label + text)
        else:
            lines.extend(_docx_table_rows(el))
    return lines


def _docx_blocks(parent) -> Iterator:
    """The paragraphs and tables under a body or cell, content controls unwrapped."""
    for el in parent.iterchildren():
        if el.tag in (f"{_W}p", f"{_W}tbl"):
            yield el
        elif el.tag in _DOCX_WRAPPERS:
            yield from _docx_blocks(el)


def _docx_paragraph_text(p) -> str:
    """The visible text of a paragraph; soft line breaks joined, tracked insertions kept, deletions not."""
    pieces: list[str] = []

    def walk(el) -> None:
        for child in el.iterchildren():
            if child.tag in _DOCX_SKIP:
                continue
            if child.tag == f"{_W}r":
                walk_run(child)
            else:
                walk(child)

    def walk_run(r) -> None:
        for child in r.iterchildren():
            tag = child.tag
            if tag == f"{_W}t":
                pieces.append(child.text or "")
            elif tag in (f"{_W}tab", f"{_W}ptab"):
                pieces.append("\t")
            elif tag == f"{_W}noBreakHyphen":
                pieces.append("-")
            elif tag == f"{_W}cr" or (tag == f"{_W}br" and child.get(f"{_W}type", "textWrapping") == "textWrapping"):
                pieces.append("\n")

    walk(p)
    text = ""
    for i, part in enumerate("".join(pieces).split("\n")):
        text = part if i == 0 else _join(text.rstrip(" "), part.lstrip(" "))
    return text


def _docx_table_rows(tbl) -> list[str]:
    """Rows of a table, cells joined by TAB; a merged cell's continuation is an empty cell."""
    rows = []
    for tr in tbl.iterchildren(f"{_W}tr"):
        cells = []
        for tc in _docx_cells(tr):
            texts = []
            for el in _docx_blocks(tc):
                if el.tag == f"{_W}p":
                    texts.append(_strip_indent(_docx_paragraph_text(el)))
                else:
                    texts.extend(row.replace("\t", " ") for row in _docx_table_rows(el))
            cell = ""
            for t in texts:
                cell = _join(cell, t)
            cells.append(cell.replace("\t", " "))
        if any(c.strip() for c in cells):
            rows.append("\t".join(cells))
    return rows


def _docx_cells(tr) -> Iterator:
    for el in tr.iterchildren():
        if el.tag == f"{_W}tc":
            yield el
        elif el.tag in _DOCX_WRAPPERS:
            yield from _docx_cells(el)


_CN_DIGITS = "零一二三四五六七八九"


def _cn_number(n: int) -> str:
    if n < 10:
        return _CN_DIGITS[n]
    if n < 20:
        return "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _CN_DIGITS[n // 10] + "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    return str(n)


def _roman(n: int) -> str:
    out = ""
    for value, sym in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"),
                       (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out, n = out + sym, n - value
    return out


_NUM_FORMATS = {
    "decimal": str,
    "decimalZero": lambda n: f"{n:02d}",
    "decimalFullWidth": lambda n: "".join(chr(0xFF10 + int(d)) for d in str(n)),
    "decimalEnclosedCircle": lambda n: chr(0x2460 + n - 1) if 1 <= n <= 20 else str(n),
    "decimalEnclosedCircleChinese": lambda n: chr(0x2460 + n - 1) if 1 <= n <= 20 else str(n),
    "chineseCounting": _cn_number,
    "chineseCountingThousand": _cn_number,
    "chineseLegalSimplified": _cn_number,
    "ideographTraditional": lambda n: "甲乙丙丁戊己庚辛壬癸"[(n - 1) % 10],
    "lowerLetter": lambda n: chr(ord("a") + (n - 1) % 26),
    "upperLetter": lambda n: chr(ord("A") + (n - 1) % 26),
    "lowerRoman": _roman,
    "upperRoman": lambda n: _roman(n).upper(),
}


class _DocxNumbering:
    """Word's automatic numbering ("第一条", "（一）", "1.") rendered into the text, since readers see it.

    Counters run per list (numId) and level; a level restarts when a higher level advances.
    Bullets and formats we cannot render add nothing.
    """

    def __init__(self, document) -> None:
        self.levels: dict[tuple[str, int], tuple[str, str, int, str]] = {}
        self.counters: dict[str, list[int]] = {}
        self.style_num: dict[str, tuple[str, int]] = {}
        try:
            root = document.part.numbering_part.element
        except (NotImplementedError, KeyError, AttributeError):
            return
        abstract = {a.get(f"{_W}abstractNumId"): a for a in root.iterchildren(f"{_W}abstractNum")}
        for num in root.iterchildren(f"{_W}num"):
            num_id = num.get(f"{_W}numId")
            ref = num.find(f"{_W}abstractNumId")
            a = abstract.get(ref.get(f"{_W}val")) if ref is not None else None
            if a is None:
                continue
            overrides = {}
            for ov in num.iterchildren(f"{_W}lvlOverride"):
                start = ov.find(f"{_W}startOverride")
                if start is not None:
                    overrides[int(ov.get(f"{_W}ilvl", "0"))] = int(start.get(f"{_W}val", "1"))
            for lvl in a.iterchildren(f"{_W}lvl"):
                ilvl = int(lvl.get(f"{_W}ilvl", "0"))
                fmt = _val(lvl, "numFmt", "decimal")
                text = _val(lvl, "lvlText", "")
                start = overrides.get(ilvl, int(_val(lvl, "start", "1")))
                self.levels[(num_id, ilvl)] = (fmt, text, start, _val(lvl, "suff", "tab"))
        for style in document.styles.element.iterchildren(f"{_W}style"):
            num_pr = style.find(f"{_W}pPr/{_W}numPr")
            if num_pr is not None and (num_id := _val(num_pr, "numId", None)) is not None:
                self.style_num[style.get(f"{_W}styleId")] = (num_id, int(_val(num_pr, "ilvl", "0")))

    def label(self, p) -> str:
        """The number Word shows in front of paragraph `p`, counting it; empty if none."""
        num_pr = p.find(f"{_W}pPr/{_W}numPr")
        style = p.find(f"{_W}pPr/{_W}pStyle")
        num_id, ilvl = self.style_num.get(style.get(f"{_W}val") if style is not None else "", (None, 0))
        if num_pr is not None:
            num_id = _val(num_pr, "numId", num_id)
            ilvl = int(_val(num_pr, "ilvl", str(ilvl)))
        if num_id is None or (num_id, ilvl) not in self.levels:
            return ""
        fmt, text, start, suff = self.levels[(num_id, ilvl)]
        counters = self.counters.setdefault(num_id, [0] * 9)
        starts = [self.levels.get((num_id, i), ("", "", 1, ""))[2] for i in range(9)]
        counters[ilvl] = counters[ilvl] + 1 if counters[ilvl] else starts[ilvl]
        for deeper in range(ilvl + 1, 9):
            counters[deeper] = 0
        if fmt not in _NUM_FORMATS or not text:
            return ""

        def level_value(m: re.Match) -> str:
            i = int(m.group(1)) - 1
            lvl_fmt = self.levels.get((num_id, i), (fmt,))[0]
            return _NUM_FORMATS.get(lvl_fmt, str)(counters[i] or starts[i])

        label = re.sub(r"%([1-9])", level_value, text)
        # Word puts a tab after the number by default; in running text that reads as one space,
        # except after a closing Chinese mark ("一、", "（一）") which needs none.
        if suff == "nothing" or label[-1] in "、）)．，：":
            return label
        return label + " "


def _val(el, name: str, default):
    child = el.find(f"{_W}{name}")
    return child.get(f"{_W}val", default) if child is not None else default


# ---------------------------------------------------------------- html

_HTML_DROP = {"script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas", "head",
              "input", "select", "button", "textarea", "option", "nav", "aside", "footer", "menu", "map", "audio",
              "video", "link", "meta"}
_HTML_BLOCK = {"address", "article", "aside", "blockquote", "center", "dd", "details", "dialog", "div", "dl",
               "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
               "header", "hr", "li", "main", "ol", "p", "pre", "section", "summary", "ul", "caption", "body",
               "html", "table", "tr", "tbody", "thead", "tfoot"}
_HTML_PARA = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "td", "th", "pre", "blockquote", "dd", "dt", "div",
              "section", "article", "center"}
# Class/id words of page furniture on government sites (navigation, share and print bars, related links).
_HTML_NOISE = re.compile(
    r"(^|[\s_-])(nav|navbar|menu|breadcrumbs?|crumbs?|position|location|share|bdshare|print|close|toolbar|"
    r"sidebar|copyright|banner|login|search|related|xgwj|xgxx|comments?|footer|foot|topbar|"
    r"pages?-?date|info|source|fenxiang|dayin)($|[\s_-])",
    re.I,
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)""", re.I)


def _decode_html(path: Path, data: bytes) -> str:
    """Bytes of a web page → text, by its BOM, else its declared charset, else UTF-8."""
    for bom, enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            declared, data = enc, data[len(bom):]
            break
    else:
        m = _META_CHARSET.search(data[:4096]) or re.search(rb"<\?xml[^>]+encoding=[\"']([A-Za-z0-9_.-]+)", data[:200])
        declared = m.group(1).decode("ascii").lower() if m else "utf-8"
    # Browsers read GB2312/GBK pages as GBK; GB18030 decodes every GBK byte sequence the same way and more.
    if declared in ("gb2312", "gbk", "x-gbk", "gb_2312-80", "cp936", "euc-cn", "gb18030"):
        encoding = "gb18030"
    else:
        try:
            encoding = codecs.lookup(declared).name
        except LookupError:
            encoding = "utf-8"
    if encoding != "utf-8" and not encoding.startswith("utf-16") and not data.isascii():
        # A page saved again as UTF-8 often keeps its old GBK declaration; read as GBK it would turn into
        # mojibake without any decoding error, while GBK text is practically never valid UTF-8.
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            logger.warning("%s declares charset %s but is UTF-8; reading it as UTF-8", path.name, declared)
            encoding = "utf-8"
    if b"\x00" in data and not encoding.startswith("utf-16"):
        raise CorpusError(f"文件 {path.name} 不是文本文件（含二进制内容），无法入库", code="corpus_not_text")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding == "utf-8":
            raise CorpusError(
                f"文件 {path.name} 不是 UTF-8 编码（第 {exc.start} 字节处无法解码），也没有声明其他字符集，"
                f"请转成 UTF-8 或在页面中声明 charset 后再入库",
                code="corpus_not_utf8",
            ) from exc
        raise CorpusError(
            f"文件 {path.name} 声明的字符集是 {declared}，但第 {exc.start} 字节处按此无法解码，请核对页面编码",
            code="corpus_bad_encoding",
        ) from exc
    text = text.removeprefix("\ufeff")
    _check_controls(path, text)
    return text


def _html_lines(source: str) -> list[str]:
    """A government web page → the paragraph lines of its main content (page furniture dropped)."""
    import lxml.html

    try:
        doc = lxml.html.document_fromstring(source)
    except Exception:  # noqa: BLE001 — lxml raises ParserError/ValueError on pages with no elements at all
        return []
    _drop_noise(doc)
    body = doc.find("body") if doc.find("body") is not None else doc
    root = _content_root(body)
    lines = _HtmlText().lines(root)
    # Gov CMS pages put the title in an <h1> above the article box; the title is part of the document.
    # The nearest such heading before the box, not a site logo (whose text is a link or an image).
    if root.tag != "h1" and root.find(".//h1") is None:
        title = ""
        for el in body.iter():
            if el is root:
                break
            if el.tag == "h1" and _own_text_len(el):
                title = _strip_indent(re.sub(r"\s+", " ", el.text_content()))
        if title and (not lines or lines[0] != title):
            lines.insert(0, title)
    return lines


def _html_fragment_lines(fragment: str) -> list[str]:
    """An HTML block embedded in markdown → its text lines."""
    import lxml.html

    try:
        el = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except Exception:  # noqa: BLE001 — a malformed fragment carries no text we can place
        return []
    _drop_noise(el, furniture=False)
    return _HtmlText().lines(el)


def _drop_noise(doc, *, furniture: bool = True) -> None:
    for el in list(doc.iter()):
        if not isinstance(el.tag, str):  # comments and processing instructions
            if el.getparent() is not None:
                el.drop_tree()
            continue
        tag = el.tag.lower()
        names = f"{el.get('class', '')} {el.get('id', '')}".strip()
        if (
            tag in _HTML_DROP
            or (tag == "header" and not _inside(el, {"article", "main"}))
            # LibreOffice writes a document's page header and footer as <div title="header|footer">.
            or (tag == "div" and el.get("title") in ("header", "footer"))
            or (furniture and names and tag not in ("body", "html") and _HTML_NOISE.search(names))
        ):
            if el.getparent() is not None:
                el.drop_tree()


def _inside(el, tags: set[str]) -> bool:
    return any(a.tag in tags for a in el.iterancestors())


def _content_root(body):
    """The element holding the article: most paragraph text among its children and grandchildren."""
    scores: Counter = Counter()
    order = {el: i for i, el in enumerate(body.iter())}
    for el in body.iter():
        if not isinstance(el.tag, str):
            continue
        # Only innermost blocks count, so that a cell or box holding paragraphs does not count twice.
        if el.tag in _HTML_PARA and not any(c.tag in _HTML_PARA for c in el.iterdescendants()):
            n = _own_text_len(el)
            if n and (parent := el.getparent()) is not None:
                scores[parent] += n
                if (grand := parent.getparent()) is not None:
                    scores[grand] += n / 2
        # Text written straight into a container with <br> between lines counts for the container.
        loose = len(re.sub(r"\s", "", (el.text or "") + "".join(c.tail or "" for c in el)))
        if loose and any(c.tag == "br" for c in el):
            scores[el] += loose
    if not scores:
        return body
    return max(scores, key=lambda el: (scores[el], -order.get(el, 0)))


def _own_text_len(el) -> int:
    text = el.text_content()
    links = "".join(a.text_content() for a in el.iter("a"))
    return max(0, len(re.sub(r"\s", "", text)) - len(re.sub(r"\s", "", links)))


class _HtmlText:
    """Serialise an element tree the way a reader sees it: blocks and <br> end lines, tables become TAB rows."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.buf: list[str] = []

    def lines(self, root) -> list[str]:
        self.walk(root, pre=False)
        self.flush()
        return self.out

    def flush(self) -> None:
        # "\x01" marks a <br> (or a line of <pre>): each piece between them is a line of its own.
        for piece in "".join(self.buf).split("\x01"):
            if line := _collapse_ws(piece):
                self.out.append(line)
        self.buf = []

    def walk(self, el, *, pre: bool) -> None:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if tag == "br":
            self.buf.append("\x01")
            return
        if tag == "table" and self._is_data_table(el):
            self.flush()
            self.out.extend(self._table_rows(el))
            return
        block = tag in _HTML_BLOCK or tag in ("td", "th")
        if block:
            self.flush()
        if tag == "li" and (parent := el.getparent()) is not None and parent.tag == "ol":
            # Browsers print an <ol>'s numbers; they are part of what the reader sees.
            items = [c for c in parent if c.tag == "li"]
            start = int(parent.get("start")) if (parent.get("start") or "").isdigit() else 1
            if parent.get("type", "1") == "1":
                self.buf.append(f"{start + items.index(el)}. ")
        is_pre = pre or tag == "pre"

        def add(text: str | None) -> None:
            if text:
                self.buf.append(text.replace("\n", "\x01") if is_pre else text)

        add(el.text)
        for child in el:
            self.walk(child, pre=is_pre)
            add(child.tail)
        if block:
            self.flush()

    @staticmethod
    def _is_data_table(table) -> bool:
        # Old CMS pages lay out whole pages in tables; a table holding a table or one cell per row is layout.
        if table.find(".//table") is not None:
            return False
        rows = [tr for tr in table.iter("tr")]
        return any(len([c for c in tr if c.tag in ("td", "th")]) > 1 for tr in rows)

    @staticmethod
    def _table_rows(table) -> list[str]:
        rows = []
        for caption in table.iter("caption"):
            rows.extend(_HtmlText().lines(caption))
        for tr in table.iter("tr"):
            cells = []
            for cell in tr:
                if cell.tag not in ("td", "th"):
                    continue
                text = ""
                for part in _HtmlText().lines(cell):
                    text = _join(text, part)
                cells.append(text.replace("\t", " "))
            if any(cells):
                rows.append("\t".join(cells))
        return rows


def _collapse_ws(text: str) -> str:
    """HTML white space: a run of blanks and source line breaks is one space (exporters such as
    LibreOffice wrap their source at the spaces of the text); no-break spaces are plain spaces."""
    return _strip_indent(re.sub(r"[ \t\r\n\f]+", " ", text).replace("\u00a0", " "))


# ---------------------------------------------------------------- pdf

# Page numbers as printed on Chinese official documents: "- 3 -", "—3—", "第3页", "第 3 页 共 10 页", "3/10", "3".
_PAGE_NUMBER = re.compile(
    r"^[\s\-－—–‐·•]*(\d{1,4}|[第]\s*\d{1,4}\s*页(\s*[,，/]?\s*共\s*\d{1,4}\s*页)?|\d{1,4}\s*/\s*\d{1,4}|"
    r"page\s*\d{1,4}(\s*of\s*\d{1,4})?)[\s\-－—–‐·•]*$",
    re.I,
)
# A line opening a heading or numbered item starts a paragraph (GB/T 9704 and legal numbering).
_PARA_OPENER = re.compile(
    r"^\s*(第[一二三四五六七八九十百千零〇\d]+[编章节条款]|[一二三四五六七八九十百]+、|[（(][一二三四五六七八九十百]+[）)]|"
    r"\d{1,3}[.．、](?!\d)|[（(]\d{1,3}[）)]|[①-⑳]|附件|附表|抄送|主送)"
)
_SENTENCE_END = "。；：！？.;:!?）)」』”’】"
_NO_LINE_START = "，。、；：！？）》」』”’】〕,.;:!?)%"
_NO_LINE_END = "（《「『“‘【〔(["
_QUOTES = "“”‘’\""
_EDGE_LINES = 3  # how deep into a page's top and bottom running heads and page numbers are looked for


@dataclass(slots=True)
class _PdfLine:
    """One visual line of a page (or one row of a ruled table, its cells joined by TAB)."""

    text: str
    x0: float
    x1: float
    top: float
    size: float
    first_width: float
    page: int
    table: bool = False


def _line_from_chars(chars: list[dict], page: int) -> _PdfLine:
    chars.sort(key=lambda c: c["x0"])
    size = statistics.median([c["size"] for c in chars if not c["text"].isspace()] or [chars[0]["size"]])
    text = []
    prev = None
    for c in chars:
        # Real space glyphs are kept; a wide gap without one (word-processor spacing) reads as a space.
        if prev is not None and c["x0"] - prev["x1"] > 0.5 * size and not (prev["text"].isspace() or c["text"].isspace()):
            text.append(" ")
        text.append(c["text"])
        prev = c
    inked = [c for c in chars if not c["text"].isspace()] or chars
    return _PdfLine(
        text="".join(text), x0=inked[0]["x0"], x1=inked[-1]["x1"], top=min(c["top"] for c in chars),
        size=size, first_width=_first_unit_width(inked), page=page,
    )


def _first_unit_width(inked: list[dict]) -> float:
    """Width of what a line breaker cannot split from a line's start.

    A Latin word or number, an opening bracket with what it opens, closing punctuation that may not
    begin a line, and (as ICU, used by LibreOffice and browsers, has it) quotation marks glued to
    both neighbours. Had this fitted on the line before, that line would not have been broken there.
    """
    end = 1
    while end < len(inked):
        prev, nxt = inked[end - 1]["text"], inked[end]["text"]
        latin = re.match(r"[A-Za-z0-9]", prev) and re.match(r"[A-Za-z0-9.,%]", nxt)
        if latin or nxt in _NO_LINE_START or prev in _NO_LINE_END or prev in _QUOTES or nxt in _QUOTES:
            end += 1
        else:
            break
    return inked[end - 1]["x1"] - inked[0]["x0"]


def _pdf_lines(path: Path, data: bytes) -> list[str]:
    """A text PDF → paragraph lines: furniture removed, visual lines joined back into paragraphs."""
    if b"%PDF-" not in data[:1024]:
        raise CorpusError(f"文件 {path.name} 不是 PDF 文件（缺少 PDF 文件头），无法入库", code="corpus_bad_pdf")
    if b"%%EOF" not in data[-8192:]:
        raise CorpusError(
            f"文件 {path.name} 不完整（缺少 PDF 结尾标记，可能下载或复制中断），请重新获取后再入库",
            code="corpus_bad_pdf",
        )
    pages = _pdf_page_lines(path, data)
    if not pages:
        raise CorpusError(f"文件 {path.name} 已损坏，读不出任何页面，无法作为 PDF 读取", code="corpus_bad_pdf")
    if not any(pages):
        raise CorpusError(
            f"文件 {path.name} 没有文字层，可能是扫描件，需要先做文字识别（OCR）后再入库",
            code="corpus_scanned_pdf",
        )
    empty = [i + 1 for i, lines in enumerate(pages) if not lines]
    if empty:
        logger.warning("%s: pages %s have no text layer (scanned?); their content is missing", path.name, empty)
    pages = _drop_page_furniture(pages)
    return _rebuild_paragraphs([ln for lines in pages for ln in lines])


def _pdf_page_lines(path: Path, data: bytes) -> list[list[_PdfLine]]:
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    pages: list[list[_PdfLine]] = []
    unmapped = total = 0
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for number, page in enumerate(pdf.pages, start=1):
                deduped = page.dedupe_chars()
                rows, boxes = _table_rows(deduped, number)
                chars = [c for c in deduped.chars if c.get("upright", True) and c["text"]]
                total += len(chars)
                unmapped += sum(1 for c in chars if c["text"].startswith("(cid:"))
                chars = [c for c in chars if not any(_inside_box(c, box) for box in boxes)]
                pages.append(sorted(_group_lines(chars, number) + rows, key=lambda ln: ln.top))
                page.close()
    except PDFPasswordIncorrect as exc:
        raise CorpusError(f"文件 {path.name} 已加密，需要密码才能读取，请提供未加密的版本", code="corpus_bad_pdf") from exc
    except Exception as exc:  # noqa: BLE001 — pdfminer raises many unrelated exception types on damaged files
        raise CorpusError(f"文件 {path.name} 已损坏，无法作为 PDF 读取：{exc}", code="corpus_bad_pdf") from exc
    if total and unmapped > total // 10:
        raise CorpusError(
            f"文件 {path.name} 的字体没有文字映射（{unmapped} 个字符无法识别），文字无法提取，需要先做文字识别",
            code="corpus_bad_pdf",
        )
    return pages


def _table_rows(page, number: int) -> tuple[list[_PdfLine], list[tuple[float, float, float, float]]]:
    """Ruled tables of a page (rosters, ledgers) as rows of TAB-joined cells, and the boxes they cover."""
    rows: list[_PdfLine] = []
    boxes = []
    for table in page.find_tables():
        texts = table.extract()
        # A frame around a block of text is not a table: a table has at least two rows and two columns.
        if len(texts) < 2 or max(len(r) for r in texts) < 2:
            continue
        boxes.append(table.bbox)
        sizes = [c["size"] for c in page.chars if _inside_box(c, table.bbox)] or [0.0]
        for row, cells in zip(table.rows, texts):
            joined = []
            for cell in cells:
                text = ""
                for part in (cell or "").split("\n"):
                    text = _join(text, part.strip())
                joined.append(text.replace("\t", " "))
            x0, top, x1, _ = row.bbox
            rows.append(_PdfLine("\t".join(joined), x0, x1, top, statistics.median(sizes), 0.0, number, table=True))
    return rows, boxes


def _inside_box(c: dict, box: tuple[float, float, float, float]) -> bool:
    x0, top, x1, bottom = box
    mx, my = (c["x0"] + c["x1"]) / 2, (c["top"] + c["bottom"]) / 2
    return x0 <= mx <= x1 and top <= my <= bottom


def _group_lines(chars: list[dict], page: int) -> list[_PdfLine]:
    """Characters → visual lines, top to bottom: a character belongs to the line its middle falls in."""
    lines: list[list[dict]] = []
    for c in sorted(chars, key=lambda c: (round(c["top"], 1), c["x0"])):
        mid = (c["top"] + c["bottom"]) / 2
        if lines and lines[-1][0]["top"] - 0.5 <= mid <= lines[-1][0]["bottom"] + 0.5:
            lines[-1].append(c)
        else:
            lines.append([c])
    built = [_line_from_chars(group, page) for group in lines]
    return [ln for ln in built if ln.text.strip()]


def _furniture_key(line: _PdfLine) -> tuple[str, int]:
    # Same text modulo digits at the same height: "失业保险条例 第3页" on every page is one running head.
    return re.sub(r"\d+", "#", line.text.strip()), round(line.top / 4)


def _drop_page_furniture(pages: list[list[_PdfLine]]) -> list[list[_PdfLine]]:
    """Remove running heads/footers (repeated at the same place on most pages) and page numbers."""
    counts: Counter = Counter()
    for lines in pages:
        edge = lines[:_EDGE_LINES] + lines[-_EDGE_LINES:]
        counts.update({_furniture_key(ln) for ln in edge})
    printed = sum(1 for lines in pages if lines)
    repeated = {key for key, n in counts.items() if n >= 2 and n >= printed / 2}

    def removable(line: _PdfLine) -> bool:
        return not line.table and (_furniture_key(line) in repeated or bool(_PAGE_NUMBER.match(line.text)))

    cleaned = []
    for lines in pages:
        lines = list(lines)
        for _ in range(_EDGE_LINES):
            if lines and removable(lines[0]):
                lines.pop(0)
        for _ in range(_EDGE_LINES):
            if lines and removable(lines[-1]):
                lines.pop()
        cleaned.append(lines)
    return cleaned


def _margins(lines: list[_PdfLine]) -> tuple[float, float]:
    """Left and right edges of the text block: the leftmost start and the right edge of full lines."""
    left = min(ln.x0 for ln in lines)
    ends = sorted((ln.x1 for ln in lines), reverse=True)
    # The second-widest line, so that one line overhanging the margin does not move it.
    right = ends[1] if len(ends) > 2 else ends[0]
    return left, right


def _rebuild_paragraphs(lines: list[_PdfLine]) -> list[str]:
    """Join visual lines into paragraphs, deciding each break from the layout."""
    if not lines:
        return []
    text_lines = [ln for ln in lines if not ln.table] or lines
    by_page: dict[int, list[_PdfLine]] = {}
    for ln in text_lines:
        by_page.setdefault(ln.page, []).append(ln)
    dense = {p: ls for p, ls in by_page.items() if len(ls) >= 6}
    # A sparse page (a signature page) has too few lines to show its margins; it borrows them from the
    # pages of its parity, since printed documents mirror the margins of odd and even pages.
    fallback = {parity: _margins([ln for p, ls in dense.items() if p % 2 == parity for ln in ls] or text_lines)
                for parity in (0, 1)}
    margins = {p: _margins(by_page[p]) if p in dense else fallback[p % 2] for p in {ln.page for ln in lines}}
    body_size = statistics.median(ln.size for ln in text_lines)
    paragraphs: list[str] = []
    prev: _PdfLine | None = None
    for ln in lines:
        text = ln.text if ln.table else ln.text.lstrip(" \u3000\u00a0")
        if prev is None or prev.table or ln.table or _starts_paragraph(prev, ln, margins, body_size):
            paragraphs.append(text)
        else:
            paragraphs[-1] = _join(paragraphs[-1], text)
        prev = ln
    return paragraphs


def _starts_paragraph(prev: _PdfLine, line: _PdfLine, margins: dict[int, tuple[float, float]],
                      body_size: float) -> bool:
    left, right = margins[line.page]
    prev_right = margins[prev.page][1]
    em = line.size
    opener = bool(_PARA_OPENER.match(line.text))
    if abs(line.size - prev.size) > 0.15 * em:  # a change of type size: title, heading or note
        return True
    if abs(line.size - body_size) > 0.15 * body_size and prev.page == line.page:
        # A title set larger than the body and centred over several lines is one paragraph.
        centred = abs((line.x0 - left) - (right - line.x1)) < 1.5 * em
        return opener or not centred or prev.text.rstrip()[-1:] in _SENTENCE_END
    if line.x0 > left + 0.9 * em:  # indented (first-line indent of ~2 characters, centred or right-aligned)
        return True
    # The previous line stopped although the start of this one would have fitted: it ended its paragraph.
    if prev_right - prev.x1 > line.first_width + 0.25 * em:
        return True
    return opener and prev.text.rstrip()[-1:] in _SENTENCE_END
