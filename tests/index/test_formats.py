"""read_text: real DOCX, PDF, HTML and Markdown files made from shipped texts read back to the same paragraphs."""

from __future__ import annotations

import io
import re
import zipfile
from html import escape
from pathlib import Path

import pytest
from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from index.errors import CorpusError
from index.formats import SUPPORTED_SUFFIXES, read_text

REPO = Path(__file__).resolve().parents[2]
SOURCES = ["cn-sybx-tiaoli-1999", "cn-gbf-2019-6"]
FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def paragraphs_of(doc_id: str) -> list[str]:
    text = (REPO / "corpus" / "documents" / f"{doc_id}.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip()]


def lines_of(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


# ------------------------------------------------------------------ writers of test files

NO_LINE_START = "，。；：、）》」”’！？"


def wrap(paragraph: str, width: float, size: float, indent: float) -> list[str]:
    """Typeset like a word processor: by glyph width, Latin runs unbroken, no comma at a line start."""
    lines: list[str] = []
    cur: list[str] = []
    avail = width - indent
    for tok in re.findall(r"[A-Za-z0-9%.]+|.", paragraph):
        # A space never starts a line: it stays, invisible, at the end of the line it follows.
        if cur and tok != " " and pdfmetrics.stringWidth("".join(cur) + tok, FONT, size) > avail:
            carry = [cur.pop()] if tok in NO_LINE_START and len(cur) > 1 else []
            lines.append("".join(cur))
            cur, avail = carry, width
        cur.append(tok)
    lines.append("".join(cur))
    return lines


def write_pdf(
    path: Path,
    paragraphs: list[str],
    running_head: str | None,
    *,
    size: float = 12,
    lines_per_page: int | None = None,
    justify: bool = False,
    title_size: float | None = None,
    page_number: str = "- {} -",
    outer_page_number: bool = False,
) -> int:
    """An A4 PDF, 28 characters a line with a 2-character first-line indent; returns the page count.

    With `title_size` the first paragraph is a title set larger, centred, broken at 20 characters;
    `justify` spreads every line but a paragraph's last to the right margin (as Word's 两端对齐);
    `outer_page_number` puts the number right on odd pages and left on even ones (GB/T 9704).
    """
    c = canvas.Canvas(str(path), pagesize=A4)
    page_w, page_h = A4
    width, leading = 28 * size, 1.6 * size
    left, top = (page_w - width) / 2, page_h - 90
    bottom = top - leading * (lines_per_page - 1) - 1 if lines_per_page else 80
    page = 1

    def furniture() -> None:
        c.setFont(FONT, 9)
        if running_head:
            c.drawCentredString(page_w / 2, page_h - 50, running_head)
            c.line(left, page_h - 56, left + width, page_h - 56)
        number = page_number.format(page)
        if not outer_page_number:
            c.drawCentredString(page_w / 2, 40, number)
        elif page % 2:
            c.drawRightString(left + width, 40, number)
        else:
            c.drawString(left, 40, number)

    furniture()
    y = top
    for k, para in enumerate(paragraphs):
        is_title = title_size is not None and k == 0
        fs = title_size if is_title else size
        lines = [para[i : i + 20] for i in range(0, len(para), 20)] if is_title else wrap(para, width, fs, 2 * fs)
        for i, line in enumerate(lines):
            if y < bottom:
                c.showPage()
                page += 1
                furniture()
                y = top
            x = left + (2 * fs if i == 0 else 0)
            if is_title:
                x = (page_w - pdfmetrics.stringWidth(line, FONT, fs)) / 2
            text = c.beginText(x, y)
            text.setFont(FONT, fs)
            if justify and not is_title and i < len(lines) - 1 and len(line) > 1:
                spare = width - (x - left) - pdfmetrics.stringWidth(line, FONT, fs)
                text.setCharSpace(spare / (len(line) - 1))
            text.textLine(line)
            c.drawText(text)
            y -= leading * fs / size
    c.save()
    return page


def write_docx(path: Path, paragraphs: list[str], running_head: str) -> None:
    doc = Document()
    for para in paragraphs:
        doc.add_paragraph(para)
    section = doc.sections[0]
    section.header.paragraphs[0].text = running_head
    footer = section.footer.paragraphs[0]
    footer.add_run("第 ")
    for kind, text in (("begin", None), (None, "PAGE"), ("separate", None), (None, None), ("end", None)):
        run = footer.add_run("1" if kind is None and text is None else "")
        if kind:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            run._r.append(fld)
        elif text:
            instr = OxmlElement("w:instrText")
            instr.text = text
            run._r.append(instr)
    footer.add_run(" 页")
    doc.save(str(path))


def gov_page(paragraphs: list[str], charset: str) -> str:
    """A government site's article page: title above the article box, furniture all around."""
    title, body = paragraphs[0], paragraphs[1:]
    html_body = []
    for i, para in enumerate(body):
        text = escape(para)
        if " " in text:
            text = text.replace(" ", "\n      ", 1)  # the page source is wrapped at a space of the text
        html_body.append(f'<p style="text-indent:2em;">{text}</p>')
    # The last two paragraphs (signature, date) share one <p>, separated by <br>.
    html_body[-2:] = [html_body[-2].replace("</p>", "<br/>" + escape(body[-1]) + "</p>")]
    return f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>{escape(title)}_政府信息公开专栏</title>
<script type="text/javascript">var _hmt = _hmt || []; document.write("<p>百度统计代码</p>");</script>
<style>.TRS_Editor p {{ line-height: 2; }}</style></head>
<body>
<div class="header"><div class="logo">中国政府网</div><div class="search"><input type="text"> <button>搜索</button></div></div>
<nav class="nav"><ul><li><a href="/">首页</a></li><li><a href="/zhengce">政策</a></li><li><a href="/hudong">互动</a></li></ul></nav>
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zhengce">政策</a> &gt; 正文</div>
<div class="article">
  <h1>{escape(title)}</h1>
  <div class="pages-date">2019-02-14 17:00 来源：中国政府网 【字体：大 中 小】</div>
  <div class="pages_content" id="UCAP-CONTENT"><div class="TRS_Editor">
{chr(10).join(html_body)}
  </div></div>
  <div class="share">分享到：<a href="#">微信</a> <a href="#">微博</a></div>
  <div class="print"><a href="javascript:window.print()">【打印本页】</a><a href="javascript:window.close()">【关闭窗口】</a></div>
</div>
<div class="related"><h3>相关稿件</h3><ul><li><a href="/1">关于做好失业保险稳岗工作的通知</a></li>
<li><a href="/2">关于进一步做好稳就业工作的意见</a></li></ul></div>
<footer><p>主办单位：国务院办公厅 运行维护单位：中国政府网运行中心</p><p>版权所有：中国政府网 京ICP备05070218号</p></footer>
<script>(function() {{ var s = document.createElement("script"); }})();</script>
</body></html>"""


def markdown_of(paragraphs: list[str]) -> str:
    out = [f"# {paragraphs[0]}", "<!-- INFO END -->"]
    for para in paragraphs[1:]:
        if re.match(r"^(第[一二三四五六七八九十]+章|[一二三四五六七八九十]+、)", para):
            out.append(f"## {para}")
        else:
            out.append(para)
    return "\n\n".join(out) + "\n"


# ------------------------------------------------------------------ same paragraphs from every format


def test_supported_suffixes_are_the_five_formats():
    assert SUPPORTED_SUFFIXES == (".txt", ".md", ".docx", ".pdf", ".html", ".htm")


@pytest.mark.parametrize("doc_id", SOURCES)
def test_txt_is_returned_as_published(doc_id):
    path = REPO / "corpus" / "documents" / f"{doc_id}.txt"
    assert read_text(path) == path.read_text(encoding="utf-8")


def test_txt_drops_bom_and_crlf_only(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes("\ufeff第一条 甲。\r\n\r\n　第二条 乙。  \r\n".encode("utf-8"))
    assert read_text(path) == "第一条 甲。\n\n　第二条 乙。  \n"


@pytest.mark.parametrize("doc_id", SOURCES)
def test_pdf_gives_the_paragraphs_of_the_text(doc_id, tmp_path):
    paragraphs = paragraphs_of(doc_id)
    path = tmp_path / f"{doc_id}.pdf"
    pages = write_pdf(path, paragraphs, running_head=paragraphs[0][:20])
    assert pages >= 3
    assert lines_of(read_text(path)) == paragraphs


def test_pdf_in_official_layout_gives_the_paragraphs_of_the_text(tmp_path):
    """GB/T 9704 page: 16 pt, 22 lines a page, justified, a two-line centred title, "— N —" on the outer side."""
    paragraphs = paragraphs_of("cn-gbf-2019-6")
    path = tmp_path / "official.pdf"
    pages = write_pdf(
        path, paragraphs, running_head=None, size=16, lines_per_page=22, justify=True, title_size=22,
        page_number="— {} —", outer_page_number=True,
    )
    assert pages >= 8
    assert lines_of(read_text(path)) == paragraphs


@pytest.mark.parametrize("doc_id", SOURCES)
def test_docx_gives_the_paragraphs_of_the_text_without_header_and_footer(doc_id, tmp_path):
    paragraphs = paragraphs_of(doc_id)
    path = tmp_path / f"{doc_id}.docx"
    write_docx(path, paragraphs, running_head="中华人民共和国国务院公报")
    text = read_text(path)
    assert lines_of(text) == paragraphs
    assert "公报" not in text


@pytest.mark.parametrize("doc_id", SOURCES)
def test_gbk_gov_page_gives_the_paragraphs_of_the_text(doc_id, tmp_path):
    paragraphs = paragraphs_of(doc_id)
    path = tmp_path / f"{doc_id}.html"
    path.write_bytes(gov_page(paragraphs, "gb2312").encode("gbk"))
    text = read_text(path)
    assert lines_of(text) == paragraphs
    for noise in ("首页", "分享到", "打印本页", "版权所有", "统计代码", "相关稿件", "来源："):
        assert noise not in text


@pytest.mark.parametrize("doc_id", SOURCES)
def test_markdown_gives_the_paragraphs_of_the_text(doc_id, tmp_path):
    paragraphs = paragraphs_of(doc_id)
    path = tmp_path / f"{doc_id}.md"
    path.write_text(markdown_of(paragraphs), encoding="utf-8")
    assert lines_of(read_text(path)) == paragraphs


def test_output_shape_is_one_paragraph_a_line_with_blank_lines_between(tmp_path):
    path = tmp_path / "a.docx"
    write_docx(path, ["标题", "", "第一条 甲。  ", "", "", "第二条 乙。"], running_head="页眉")
    assert read_text(path) == "标题\n\n第一条 甲。\n\n第二条 乙。\n"


# ------------------------------------------------------------------ format details


def test_docx_table_rows_are_tab_separated_in_document_order(tmp_path):
    doc = Document()
    doc.add_paragraph("附件1")
    table = doc.add_table(rows=3, cols=3)
    for r, row in enumerate([["序号", "姓名", "职务"], ["1", "张三", "处长"], ["2", "李四", ""]]):
        for col, value in enumerate(row):
            table.cell(r, col).text = value
    doc.add_paragraph("附件2")
    path = tmp_path / "t.docx"
    doc.save(str(path))
    assert lines_of(read_text(path)) == ["附件1", "序号\t姓名\t职务", "1\t张三\t处长", "2\t李四\t", "附件2"]


def test_docx_soft_line_breaks_are_joined(tmp_path):
    doc = Document()
    p = doc.add_paragraph("第一条 为了保障失业人员")
    p.runs[0].add_break()
    p.add_run("失业期间的基本生活。")
    q = doc.add_paragraph("according to the")
    q.runs[0].add_break()
    q.add_run("law")
    path = tmp_path / "b.docx"
    doc.save(str(path))
    assert lines_of(read_text(path)) == ["第一条 为了保障失业人员失业期间的基本生活。", "according to the law"]


def test_docx_automatic_numbering_is_part_of_the_text(tmp_path):
    doc = Document()
    doc.add_paragraph("申请材料如下：")
    doc.add_paragraph("身份证明；", style="List Number")
    doc.add_paragraph("劳动合同。", style="List Number")
    path = tmp_path / "n.docx"
    doc.save(str(path))
    assert lines_of(read_text(path)) == ["申请材料如下：", "1. 身份证明；", "2. 劳动合同。"]


def test_docx_keeps_tracked_insertions_and_drops_deletions(tmp_path):
    doc = Document()
    p = doc.add_paragraph("失业保险金的标准")
    for tag, text_tag, text in (("w:del", "w:delText", "不得高于"), ("w:ins", "w:t", "不得低于")):
        change = OxmlElement(tag)
        change.set(qn("w:id"), "1")
        change.set(qn("w:author"), "审核")
        run = OxmlElement("w:r")
        t = OxmlElement(text_tag)
        t.text = text
        run.append(t)
        change.append(run)
        p._p.append(change)
    p.add_run("城市居民最低生活保障标准。")
    path = tmp_path / "r.docx"
    doc.save(str(path))
    assert lines_of(read_text(path)) == ["失业保险金的标准不得低于城市居民最低生活保障标准。"]


def test_html_old_table_layout_page_keeps_only_the_article(tmp_path):
    page = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body>
    <table width="1000"><tr><td><h1><a href="/"><img src="logo.gif">山西省人力资源和社会保障厅</a></h1>
    <a href="/">首页</a> | <a href="/x">机构概况</a> | <a href="/y">政务公开</a></td></tr>
    <tr><td><table><tr><td width="200"><ul><li><a href="/a">通知公告</a></li><li><a href="/b">政策法规</a></li></ul></td>
    <td class="bt_content">
    <div align="center"><font size="5"><b>关于做好2022年失业保险稳岗返还工作的通知</b></font></div>
    <p class=MsoNormal style='text-indent:32.0pt'><span>各市人力资源和社会保障局、财政局：<span lang=EN-US><o:p></o:p></span></span></p>
    <p class=MsoNormal><span>&nbsp;&nbsp;&nbsp;&nbsp;为贯彻落实国务院常务会议精神，现就有关事项通知如下：</span></p>
    <p class=MsoNormal><span>一、返还标准</span></p>
    <p class=MsoNormal><span>大型企业按不超过上年度实际缴纳失业保险费的</span><span lang=EN-US>30%</span><span>返还。</span></p>
    <p class=MsoNormal align=right><span>山西省人力资源和社会保障厅</span></p>
    <p class=MsoNormal align=right><span lang=EN-US>2022</span><span>年</span><span lang=EN-US>5</span><span>月</span><span
    lang=EN-US>10</span><span>日</span></p>
    </td></tr></table></td></tr>
    <tr><td class="bottom">Copyright 2022 山西省人力资源和社会保障厅 晋ICP备12345678号</td></tr></table></body></html>"""
    path = tmp_path / "old.html"
    path.write_text(page, encoding="utf-8")
    assert lines_of(read_text(path)) == [
        "关于做好2022年失业保险稳岗返还工作的通知",
        "各市人力资源和社会保障局、财政局：",
        "为贯彻落实国务院常务会议精神，现就有关事项通知如下：",
        "一、返还标准",
        "大型企业按不超过上年度实际缴纳失业保险费的30%返还。",
        "山西省人力资源和社会保障厅",
        "2022年5月10日",
    ]


def test_html_exported_by_libreoffice_skips_page_header_and_footer(tmp_path):
    page = """<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"/></head><body>
<div title="header"><p><font face="SimSun">失业保险条例</font></p></div>
<p align="center"><font size="6">失业保险条例</font></p>
<p align="justify" style="text-indent: 0.44in"><font face="SimSun">第一条
为了保障失业人员失业期间的基本生活，促进其再就业，制定本条例。</font></p>
<div title="footer"><p align="center">— <sdfield type=PAGE subtype=RANDOM format=PAGE>4</sdfield> —</p></div>
</body></html>"""
    path = tmp_path / "lo.html"
    path.write_text(page, encoding="utf-8")
    assert lines_of(read_text(path)) == ["失业保险条例", "第一条 为了保障失业人员失业期间的基本生活，促进其再就业，制定本条例。"]


def test_html_keeps_escaped_angle_brackets_br_lines_and_tables(tmp_path):
    page = """<html><head><meta charset="utf-8"></head><body>
    <div class="nav"><a href="/">首页</a> <a href="/a">政务公开</a></div>
    <div id="zoom">
    <p>　　根据&lt;山东省海洋环境保护条例&gt;的规定，现将有关事项通知如下：&nbsp;</p>
    <p>一、适用范围<br>（一）本市行政区域内的企业；<br/>（二）个体工商户。</p>
    <table border="1"><tr><th>序号</th><th>姓名</th><th>单位</th></tr>
    <tr><td>1</td><td><p>张三</p></td><td>市人社局</td></tr><tr><td>2</td><td>李四</td><td></td></tr></table>
    <p>联系人：王五，电话：0351-1234567。</p>
    </div><div class="footer">版权所有 &copy; 某省人民政府</div></body></html>"""
    path = tmp_path / "p.htm"
    path.write_text(page, encoding="utf-8")
    assert lines_of(read_text(path)) == [
        "根据<山东省海洋环境保护条例>的规定，现将有关事项通知如下：",
        "一、适用范围",
        "（一）本市行政区域内的企业；",
        "（二）个体工商户。",
        "序号\t姓名\t单位",
        "1\t张三\t市人社局",
        "2\t李四\t",
        "联系人：王五，电话：0351-1234567。",
    ]


def test_html_saved_as_utf8_under_an_old_gbk_declaration_is_read_as_utf8(tmp_path):
    path = tmp_path / "resaved.html"
    path.write_bytes('<meta charset="gb2312"><div><p>第一条 为了保障失业人员失业期间的基本生活。</p></div>'.encode("utf-8"))
    assert lines_of(read_text(path)) == ["第一条 为了保障失业人员失业期间的基本生活。"]


def test_markdown_keeps_numbers_and_drops_markup(tmp_path):
    source = """# 关于做好**失业保险**工作的通知

<!-- INFO END -->

各市人力资源社会保障局：

1. 适用范围。详见[实施细则](https://example.org/a.html)。
2. 申领程序。

- 身份证明；
- 劳动合同。

（一）本市行政区域内的企业；
1.按月发放。
"""
    path = tmp_path / "m.md"
    path.write_text(source, encoding="utf-8")
    assert lines_of(read_text(path)) == [
        "关于做好失业保险工作的通知",
        "各市人力资源社会保障局：",
        "1. 适用范围。详见实施细则。",
        "2. 申领程序。",
        "身份证明；",
        "劳动合同。",
        "（一）本市行政区域内的企业；1.按月发放。",
    ]


def draw_pages(path: Path, pages: list[list[tuple[int, str]]], page_numbers: list[str], *, head: bool = True) -> None:
    """Pages of (indent in characters, line) drawn at 12 pt from x=100, a running head and a page number each."""
    c = canvas.Canvas(str(path), pagesize=A4)
    for number, (lines, form) in enumerate(zip(pages, page_numbers), start=1):
        if head:
            c.setFont(FONT, 9)
            c.drawString(100, 800, f"某省人民政府公报 2019年第{number}期")
        c.setFont(FONT, 12)
        for i, (indent, line) in enumerate(lines):
            c.drawString(100 + 12 * indent, 760 - i * 20, line)
        c.setFont(FONT, 9)
        c.drawCentredString(A4[0] / 2, 40, form)
        c.showPage()
    c.save()


def test_pdf_flush_left_paragraphs_break_at_short_lines_and_markers_across_pages(tmp_path):
    """Unindented paragraphs: a line ending early ends one, an item marker after a sentence starts one."""
    path = tmp_path / "f.pdf"
    draw_pages(path, [
        [(0, "第一条 为了保障失业人员失业期间的基本生活，促进其再就"), (0, "业，制定本条例。"),
         (0, "城镇企业事业单位失业人员依照本条例的规定，享受失业保"), (0, "险待遇。"),
         (0, "第二条 城镇企业事业单位、城镇企业事业单位职工依照本")],
        [(0, "条例的规定，缴纳失业保险费。"), (0, "本条所称城镇企业，是指国有企业、城镇集体企业、外商投"),
         (0, "资企业、城镇私营企业以及其他城镇企业。失业保险费按照"), (0, "国家有关规定征缴。"),
         (0, "（一）财政补贴；")],
        [(0, "（二）失业保险基金的利息；"), (0, "（三）财政补贴；")],
    ], ["—1—", "第2页", "3/3"])
    assert lines_of(read_text(path)) == [
        "第一条 为了保障失业人员失业期间的基本生活，促进其再就业，制定本条例。",
        "城镇企业事业单位失业人员依照本条例的规定，享受失业保险待遇。",
        "第二条 城镇企业事业单位、城镇企业事业单位职工依照本条例的规定，缴纳失业保险费。",
        "本条所称城镇企业，是指国有企业、城镇集体企业、外商投资企业、城镇私营企业以及其他城镇企业。"
        "失业保险费按照国家有关规定征缴。",
        "（一）财政补贴；",
        "（二）失业保险基金的利息；",
        "（三）财政补贴；",
    ]


def test_pdf_indented_line_starts_a_paragraph_after_a_full_line(tmp_path):
    path = tmp_path / "i.pdf"
    draw_pages(path, [[
        (2, "城镇企业事业单位失业人员依照本条例的规定，享受失业保"), (0, "险待遇。本条所称城镇企业，是指国有企业、城镇集体企业。"),
        (2, "失业保险基金专款专用，不得挪作他用，不得用于平衡财政"), (0, "收支。"),
        (2, "Page 1 of 1 is not a page number."),
    ]], ["Page 1 of 1"], head=False)
    assert lines_of(read_text(path)) == [
        "城镇企业事业单位失业人员依照本条例的规定，享受失业保险待遇。本条所称城镇企业，是指国有企业、城镇集体企业。",
        "失业保险基金专款专用，不得挪作他用，不得用于平衡财政收支。",
        "Page 1 of 1 is not a page number.",
    ]


def test_pdf_ruled_table_comes_out_as_tab_separated_rows(tmp_path):
    path = tmp_path / "roster.pdf"
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setFont(FONT, 12)
    c.drawString(100, 760, "附件1")
    c.drawString(124, 736, "第一条 工作专班由下列人员组成：")
    rows = [["职务", "姓名", "单位及职务"], ["组长", "陈振亮", "厅党组书记、厅长"], ["副组长", "", "厅党组成员、副厅长"]]
    widths, top, height = [80, 100, 200], 720, 24
    xs = [100 + sum(widths[:i]) for i in range(len(widths) + 1)]
    for r in range(len(rows) + 1):
        c.line(xs[0], top - r * height, xs[-1], top - r * height)
    for x in xs:
        c.line(x, top, x, top - len(rows) * height)
    for r, row in enumerate(rows):
        for i, cell in enumerate(row):
            c.drawString(xs[i] + 4, top - r * height - 17, cell)
    c.drawString(124, top - len(rows) * height - 30, "第二条 以上人员按照分工负责。")
    c.save()
    assert lines_of(read_text(path)) == [
        "附件1",
        "第一条 工作专班由下列人员组成：",
        "职务\t姓名\t单位及职务",
        "组长\t陈振亮\t厅党组书记、厅长",
        "副组长\t\t厅党组成员、副厅长",
        "第二条 以上人员按照分工负责。",
    ]


# ------------------------------------------------------------------ unusable files


def _valid_pdf(tmp_path: Path) -> bytes:
    path = tmp_path / "ok.pdf"
    write_pdf(path, paragraphs_of("cn-gbf-2019-6")[:10], running_head="标题")
    return path.read_bytes()


def _docx_with_broken_xml(tmp_path: Path) -> bytes:
    good = tmp_path / "good.docx"
    write_docx(good, ["第一条 为了保障失业人员的基本生活。"], running_head="页眉")
    out = io.BytesIO()
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, data[: len(data) // 2] if item.filename == "word/document.xml" else data)
    return out.getvalue()


def _image_only_pdf(tmp_path: Path) -> bytes:
    path = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(path), pagesize=A4)
    for _ in range(2):
        c.setFillGray(0.8)
        c.rect(60, 60, 470, 720, fill=1)
        c.setFillGray(0.2)
        for y in range(100, 760, 24):  # strokes where a scanner would have left lines of print
            c.rect(80, y, 430, 8, fill=1, stroke=0)
        c.showPage()
    c.save()
    return path.read_bytes()


BAD_FILES = {
    "empty.txt": (lambda tmp: b"", "corpus_empty_file"),
    "blank.md": (lambda tmp: b"  \n\n ", "corpus_empty_file"),
    "zero.pdf": (lambda tmp: b"", "corpus_empty_file"),
    "truncated.pdf": (lambda tmp: _valid_pdf(tmp)[: len(_valid_pdf(tmp)) // 2], "corpus_bad_pdf"),
    "garbage.pdf": (lambda tmp: b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n", "corpus_bad_pdf"),
    "notapdf.pdf": (lambda tmp: "第一条 这是文本。\n".encode() * 50, "corpus_bad_pdf"),
    "scan.pdf": (_image_only_pdf, "corpus_scanned_pdf"),
    "corrupt.docx": (lambda tmp: bytes((i * 97 + 13) % 256 for i in range(4096)), "corpus_bad_docx"),
    "broken-xml.docx": (_docx_with_broken_xml, "corpus_bad_docx"),
    "gbk.txt": (lambda tmp: "第一条 为了保障失业人员的基本生活。\n".encode("gbk"), "corpus_not_utf8"),
    "gbk.md": (lambda tmp: "# 失业保险条例\n".encode("gbk"), "corpus_not_utf8"),
    "undeclared.html": (lambda tmp: "<html><body><p>失业保险条例</p></body></html>".encode("gbk"), "corpus_not_utf8"),
    "misdeclared.html": (
        lambda tmp: b'<meta charset="gbk"><p>' + bytes([0x81, 0x20, 0xff]) * 20 + b"</p>",
        "corpus_bad_encoding",
    ),
    "binary.txt": (lambda tmp: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "corpus_not_text"),
    "nav-only.html": (lambda tmp: b"<html><body><script>var a=1;</script></body></html>", "corpus_empty_file"),
    "ledger.xls": (lambda tmp: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "corpus_unsupported"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_unusable_file_raises_corpus_error_naming_it(name, tmp_path):
    make, code = BAD_FILES[name]
    path = tmp_path / name
    path.write_bytes(make(tmp_path))
    with pytest.raises(CorpusError) as caught:
        read_text(path)
    assert caught.value.code == code
    assert name in caught.value.message


def test_scanned_pdf_message_asks_for_ocr(tmp_path):
    path = tmp_path / "扫描件.pdf"
    path.write_bytes(_image_only_pdf(tmp_path))
    with pytest.raises(CorpusError, match="没有文字层，可能是扫描件，需要先做文字识别"):
        read_text(path)


def test_missing_file_raises_corpus_error(tmp_path):
    with pytest.raises(CorpusError) as caught:
        read_text(tmp_path / "missing.pdf")
    assert caught.value.code == "corpus_unreadable" and "missing.pdf" in caught.value.message
