"""Every shipped document parses in its own numbering, covers all of its text, and states its metadata;
the same document as DOCX or PDF gives the same clauses as its text file."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from index.parse import coverage, describe_document, load_corpus, parse_document, parse_text
from index.metadata import load_grammar
from index.types import DocumentMeta

from tests.index.test_formats import paragraphs_of, write_docx, write_pdf

REPO = Path(__file__).resolve().parents[2]
CN = "零〇一二三四五六七八九十百"
LEGAL = ["cn-sybx-tiaoli-1999", "cn-gsbx-tiaoli-2010", "cn-shbx-fa-2018", "ha-sybx-tiaoli-2001", "sd-jycj-tiaoli-2016"]
GBT = ["cn-gbf-2019-6", "cn-gbf-2018-117", "sx-rst-2022-19"]


@pytest.fixture(scope="module")
def docs():
    return load_corpus(REPO / "corpus")


def _count_lines(doc, pattern: str) -> int:
    return len(re.findall(pattern, doc.raw, flags=re.M))


def _kinds(doc, kind: str) -> list:
    return [c for c in doc.clauses.values() if c.kind == kind]


@pytest.mark.parametrize("doc_id", LEGAL + GBT)
def test_every_character_of_every_document_is_in_a_clause_or_a_metadata_line(docs, doc_id):
    share, missed = coverage(docs[doc_id])
    assert missed == [] and share == 1.0
    report = describe_document(docs[doc_id])
    assert report["coverage"] == 1.0 and report["warnings"] == []


@pytest.mark.parametrize("doc_id", LEGAL)
def test_legal_texts_have_as_many_chapters_and_articles_as_their_text_numbers(docs, doc_id):
    doc = docs[doc_id]
    assert doc.family == "legal"
    assert len(_kinds(doc, "chapter")) == _count_lines(doc, rf"^第[{CN}]+章")
    articles = _kinds(doc, "article")
    assert len(articles) == _count_lines(doc, rf"^第[{CN}]+条")
    assert [a.path for a in articles] == [f"a{i}" for i in range(1, len(articles) + 1)]
    # items （一） are parts of their article, never clauses of their own
    items = sum(1 for a in articles for p in a.parts if p.kind == "item")
    assert items == _count_lines(doc, rf"^[（(][{CN}]+[)）]")
    assert not _kinds(doc, "paragraph")


def test_articles_are_labelled_and_titled_as_the_law_cites_them(docs):
    doc = docs["cn-sybx-tiaoli-1999"]
    a17 = doc.clauses["cn-sybx-tiaoli-1999#a17"]
    assert a17.label == "第十七条" and a17.section_title == "失业保险待遇"
    assert a17.text.startswith("失业人员失业前所在单位和本人按照规定累计缴费时间满1年不足5年的")
    a5 = doc.clauses["cn-sybx-tiaoli-1999#a5"]
    assert [p.label for p in a5.parts] == ["第五条第一款", "第五条第（一）项", "第五条第（二）项", "第五条第（三）项",
                                           "第五条第（四）项"]
    assert doc.raw[a5.parts[3].start:a5.parts[3].end] == "(三)财政补贴；"


def test_items_of_a_paragraph_are_cited_with_that_paragraph(docs):
    a35 = docs["cn-gsbx-tiaoli-2010"].clauses["cn-gsbx-tiaoli-2010#a35"]
    assert [p.label for p in a35.parts] == [
        "第三十五条第一款", "第三十五条第一款第（一）项", "第三十五条第一款第（二）项", "第三十五条第一款第（三）项",
        "第三十五条第二款"]
    a2 = docs["cn-gsbx-tiaoli-2010"].clauses["cn-gsbx-tiaoli-2010#a2"]
    assert [p.label for p in a2.parts] == ["第二条第一款", "第二条第二款"]


def test_an_opinion_numbers_its_items_straight_through_its_parts(docs):
    doc = docs["cn-gbf-2019-6"]
    sections, items = _kinds(doc, "section"), _kinds(doc, "item")
    assert len(sections) == _count_lines(doc, rf"^[{CN}]+、") == 8
    assert [i.path for i in items] == [f"i{n}" for n in range(1, 28)]
    i8 = doc.clauses["cn-gbf-2019-6#i8"]
    assert i8.label == "三、（八）" and i8.title == "引导降费让利" and i8.parent_id == "cn-gbf-2019-6#s3"
    # "（二）基本原则。" is a heading: the four unnumbered paragraphs after it are its body
    assert "聚焦支小支农主业" in doc.clauses["cn-gbf-2019-6#i2"].text
    assert "凝聚担保机构合力" in doc.clauses["cn-gbf-2019-6#i2"].text
    closing = doc.clauses["cn-gbf-2019-6#closing1"]
    assert closing.text.startswith("各地区、各部门要充分认识") and closing.parent_id is None
    assert {m.field: m.text for m in doc.meta_lines}["issuer"] == "国务院办公厅"


def test_a_notice_reads_its_responsibility_tails_and_its_closing(docs):
    doc = docs["cn-gbf-2018-117"]
    items = _kinds(doc, "section")
    assert len(items) == 30 and all(i.lead_units for i in items)
    s21 = doc.clauses["cn-gbf-2018-117#s21"]
    assert s21.label == "二十一、"
    assert s21.lead_units == ["财政部"] and s21.coop_units == ["人力资源社会保障部"]
    assert doc.raw[s21.resp_start:s21.resp_end] == "（财政部、人力资源社会保障部负责）"
    closings = _kinds(doc, "closing")
    assert len(closings) == 3 and closings[-1].text.startswith("自本通知印发之日起")


def test_a_trailing_responsibility_list_names_the_lead_unit_first():
    raw = ("某某通知\n\n各单位：\n\n为做好工作，通知如下：\n\n一、加大就业补贴力度。（人力资源社会保障部、财政部负责，"
           "列第一位者为牵头单位）\n\n二、做好培训。\n\n牵头单位：省人社厅\n\n配合单位：省财政厅、省教育厅\n\n"
           "各地要抓好落实。\n\n某某办公室\n\n2024年3月1日\n")
    doc = parse_text(raw, DocumentMeta(doc_id="t", title="某某通知"))
    s1, s2 = doc.clauses["t#s1"], doc.clauses["t#s2"]
    assert s1.lead_units == ["人力资源社会保障部"] and s1.coop_units == ["财政部"]
    assert s2.lead_units == ["省人社厅"] and s2.coop_units == ["省财政厅", "省教育厅"]
    assert doc.clauses["t#closing1"].text == "各地要抓好落实。"
    assert [m.field for m in doc.meta_lines][-2:] == ["issuer", "date"]
    assert coverage(doc)[0] == 1.0


def test_a_signature_and_dates_in_chinese_numerals_are_metadata():
    # ministries sign and date in 汉字 ("一九九四年十二月六日"), and the last article often says 起执行
    from index.metadata import infer_metadata

    raw = ("某某管理办法\n\n关于印发《某某管理办法》的通知\n\n某部发〔2012〕7号\n\n各有关单位：\n\n"
           "现将《某某管理办法》印发给你们，请遵照执行。\n\n某某部\n\n二○一二年十月二十五日\n\n"
           "第一条 为了规范管理，制定本办法。\n\n第二条 本办法自二〇一三年一月一日起执行。\n")
    doc = parse_text(raw, DocumentMeta(doc_id="t", title="某某管理办法"))
    fields = {m.field: m.text for m in doc.meta_lines}
    assert fields["issuer"] == "某某部" and fields["date"] == "二○一二年十月二十五日"
    meta = infer_metadata(doc, load_grammar(REPO / "corpus"))
    assert meta["issuer"] == "某某部"
    assert meta["issue_date"] == date(2012, 10, 25) and meta["effective_date"] == date(2013, 1, 1)
    assert coverage(doc)[0] == 1.0
    # a rule text (办法) stating when it takes effect is in force from then, though its 文号 makes it a 规范性文件
    assert meta["kind"] == "规范性文件" and meta["validity_rule"] == "in_force"


def test_a_plan_stating_its_start_keeps_to_the_periods_of_its_measures():
    from index.metadata import infer_metadata

    raw = "某某工作方案\n\n一、目标\n\n（一）2023年底前完成培训。\n\n二、本方案自2023年1月1日起施行。\n"
    doc = parse_text(raw, DocumentMeta(doc_id="t", title="某某工作方案"))
    meta = infer_metadata(doc, load_grammar(REPO / "corpus"))
    assert meta["effective_date"] == date(2023, 1, 1) and meta["validity_rule"] == "stated_periods"


def test_a_plan_in_four_gbt_levels_nests_each_under_the_one_before():
    raw = ("实施方案\n\n一、目标\n\n（一）扩大就业。\n\n1.开发岗位。每年新增岗位。\n\n（1）公益岗位按月补贴。\n\n"
           "（2）见习岗位按月补贴。\n\n2.开展培训。\n\n（二）稳定岗位。\n\n二、保障\n\n（一）加强领导。\n")
    doc = parse_text(raw, DocumentMeta(doc_id="t", title="实施方案"))
    paths = [c.path for c in doc.clauses.values()]
    # （一） restarts in each part, so its paths hang under the part; 1. and （1） under theirs
    assert paths == ["s1", "s1.1", "s1.1.1", "s1.1.1.1", "s1.1.1.2", "s1.1.2", "s1.2", "s2", "s2.1"]
    assert doc.clauses["t#s1.1.1.2"].label == "一、（一）1.第(2)项"
    assert doc.clauses["t#s1.1.1.2"].parent_id == "t#s1.1.1"


@pytest.mark.parametrize("doc_id", [p.stem for p in (REPO / "tests/index/data/expected_meta").glob("*.yaml")])
def test_metadata_read_from_the_text_matches_what_the_source_states(docs, doc_id):
    expected = yaml.safe_load((REPO / "tests/index/data/expected_meta" / f"{doc_id}.yaml").read_text(encoding="utf-8"))
    meta = docs[expected["doc_id"]].meta
    assert not set(meta.declared) - {"source_note"}, "the shipped .meta.yaml must leave these fields to the text"
    for key, value in expected.items():
        if key in ("source_note", "doc_id"):
            continue
        assert str(getattr(meta, key)) == str(value), key


@pytest.mark.parametrize("doc_id,kind,effective", [
    ("cn-shbx-fa-2018", "法律", date(2011, 7, 1)),
    ("cn-sybx-tiaoli-1999", "行政法规", date(1999, 1, 22)),
    ("cn-gsbx-tiaoli-2010", "行政法规", date(2004, 1, 1)),
    ("ha-sybx-tiaoli-2001", "地方性法规", date(2002, 1, 1)),
    ("sd-jycj-tiaoli-2016", "地方性法规", date(2010, 1, 1)),
    ("cn-gbf-2019-6", "规范性文件", None),
])
def test_kind_and_effective_date_come_from_the_text(docs, doc_id, kind, effective):
    meta = docs[doc_id].meta
    assert meta.kind == kind and meta.effective_date == effective
    assert meta.validity_rule == ("stated_periods" if kind == "规范性文件" else "in_force")


def test_revisions_and_repealed_texts_are_recorded(docs):
    sd = docs["sd-jycj-tiaoli-2016"].meta
    assert [r["date"] for r in sd.revisions] == ["2009-11-28", "2016-03-30"]
    assert docs["cn-gbf-2018-117"].meta.replaces == ["国办发〔2016〕82号"]
    assert docs["cn-sybx-tiaoli-1999"].meta.replaces == ["国有企业职工待业保险规定"]


def _clauses(doc) -> list[tuple[str, str, str]]:
    return [(c.path, c.label, re.sub(r"\s+", "", c.text)) for c in doc.clauses.values()]


@pytest.mark.parametrize("doc_id", ["cn-gsbx-tiaoli-2010", "cn-gbf-2019-6"])
def test_the_same_document_as_docx_or_pdf_gives_the_clauses_of_its_text(docs, doc_id, tmp_path):
    paragraphs = paragraphs_of(doc_id)
    grammar = load_grammar(REPO / "corpus")
    write_pdf(tmp_path / f"{doc_id}.pdf", paragraphs, running_head=paragraphs[0][:20])
    write_docx(tmp_path / f"{doc_id}.docx", paragraphs, running_head=paragraphs[0][:20])
    want = _clauses(docs[doc_id])
    for suffix in (".pdf", ".docx"):
        got = parse_document(tmp_path / f"{doc_id}{suffix}", grammar)
        assert _clauses(got) == want, suffix
        assert coverage(got)[0] == 1.0
        assert got.meta.title == docs[doc_id].meta.title
