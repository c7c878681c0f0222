"""The clause tree of the real seed document, and the generic fallback for other documents."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from index.errors import CorpusError
from index.parse import load_corpus, locate_quote, parse_document, parse_text, read_document, split_sentences
from index.types import DocumentMeta

REPO = Path(__file__).resolve().parents[2]
DOC_ID = "sx-rst-2022-19"


@pytest.fixture(scope="module")
def doc():
    return load_corpus(REPO / "corpus")[DOC_ID]


def _c(doc, path):
    return doc.clauses[f"{DOC_ID}#{path}"]


def _nows(text: str) -> str:
    return re.sub(r"\s+", "", text)


class TestStructure:
    def test_parse_finds_seven_sections(self, doc):
        sections = [c for c in doc.clauses.values() if c.kind == "section"]
        assert [s.path for s in sections] == [f"s{i}" for i in range(1, 8)]
        assert sections[0].title == "全力支持企业稳岗扩岗"
        assert sections[6].title == "加强工作保障"

    def test_parse_finds_thirty_two_items_in_order(self, doc):
        items = [c for c in doc.clauses.values() if c.kind == "item"]
        assert [int(i.path) for i in items] == list(range(1, 33))
        # "1." and "3、" numbering styles both parse
        assert _c(doc, "1").title == "扩大实施社会保险费缓缴政策"
        assert _c(doc, "3").text.startswith("对企业组织职工参加岗前培训")

    @pytest.mark.parametrize("item,count", [("1", 2), ("2", 3), ("12", 5)])
    def test_parse_counts_sub_items(self, doc, item, count):
        assert len(_c(doc, item).children) == count
        assert all(doc.clauses[c].kind == "subitem" for c in _c(doc, item).children)

    def test_sub_items_take_half_and_full_width_parentheses(self, doc):
        assert _c(doc, "1.1").text.startswith("在对餐饮")  # "(1) "
        assert _c(doc, "2.1").text.startswith("采取“免申即享”")  # "（1）"
        assert _c(doc, "12.4").text.startswith("鼓励劳动密集型企业")  # "（4）" after "(3)"

    def test_clause_ids_and_labels_follow_the_document_numbering(self, doc):
        c = _c(doc, "2.1")
        assert c.clause_id == f"{DOC_ID}#2.1"
        assert c.label == "第2条第(1)项"
        assert c.parent_id == f"{DOC_ID}#2"
        assert _c(doc, "20").label == "第20条"

    def test_item_two_records_leaders_and_units(self, doc):
        item = _c(doc, "2")
        assert item.leaders == ["孔宪江", "贺德孝"]
        assert item.lead_units == ["失业保险处", "社会保险局"]
        # sub-items inherit the item's responsibility block
        assert _c(doc, "2.3").lead_units == ["失业保险处", "社会保险局"]

    def test_item_one_separates_lead_and_cooperating_units(self, doc):
        assert _c(doc, "1").lead_units == ["养老保险处", "社会保险局"]
        assert _c(doc, "1").coop_units == ["失业保险处"]

    def test_item_twelve_sub_items_have_their_own_leaders(self, doc):
        assert _c(doc, "12.1").leaders == ["师广卫"]
        assert _c(doc, "12.1").lead_units == ["农民工工作处"]
        assert "就业服务局" in _c(doc, "12.1").coop_units
        assert _c(doc, "12.2").leaders == ["李浓"]
        assert _c(doc, "12.2").coop_units == ["农民工工作处", "社会保险局"]

    def test_items_without_responsibility_lines_have_none(self, doc):
        assert _c(doc, "30").leaders == [] and _c(doc, "30").lead_units == []

    def test_responsibility_span_points_at_the_source_lines(self, doc):
        c = _c(doc, "3")
        assert doc.raw[c.resp_start : c.resp_end].startswith("责任领导：吴海亮")


class TestAttachments:
    def test_roster_has_its_leader_and_all_members(self, doc):
        roster = _c(doc, "att1")
        entries = [doc.clauses[c] for c in roster.children]
        assert len(entries) == 27
        head = entries[0]
        assert head.extra == {"role": "组长", "name": "陈振亮", "position": "厅党组书记、厅长"}
        assert [e.extra["name"] for e in entries if e.extra["role"] == "副组长"] == [
            "李浓", "吴海亮", "师广卫", "孔宪江", "薛春生", "贺德孝"
        ]
        # rows after the page break carry no role column: they stay members
        assert _c(doc, "att1.18").extra == {"role": "成员", "name": "李长东", "position": "工伤保险处处长"}

    def test_ledger_rows_keep_their_numbers_and_units(self, doc):
        row = _c(doc, "att2.2")
        assert row.extra["任务事项"] == "实施稳岗返还政策度"
        assert row.lead_units == ["失业保险处", "社会保险局"]
        # a short row (no progress cell) still puts its unit in the unit column
        assert _c(doc, "att2.7").lead_units == ["就业服务局"]
        assert f"{DOC_ID}#att2.13" not in doc.clauses  # the source's empty row


class TestText:
    @pytest.mark.parametrize(
        "path,joined",
        [("1.2", "生产经营出现暂时困难"), ("2.3", "参加失业保险的"), ("6", "毕业年度及毕业两年内"), ("18", "按省级每年最高")],
    )
    def test_page_breaks_are_joined(self, doc, path, joined):
        assert joined in _c(doc, path).text

    def test_every_clause_text_is_found_in_the_source_ignoring_whitespace(self, doc):
        source = _nows(doc.raw)
        for clause in doc.clauses.values():
            assert _nows(clause.text) in source, clause.clause_id
            assert _nows(doc.raw[clause.start : clause.end]) == _nows(clause.text) or clause.kind == "section"

    def test_clauses_cover_every_body_sentence(self, doc):
        """Nothing of the body is lost: every sentence between the preamble and the attachments is in a clause."""
        body_start = _c(doc, "preamble").start
        body_end = doc.raw.index("附件：1.")
        covered = [False] * len(doc.raw)
        for c in doc.clauses.values():
            for i in range(c.start, c.end):
                covered[i] = True
            for i in range(c.resp_start, c.resp_end):
                covered[i] = True
        # the numbering markers themselves ("一、", "1. ", "（1）") are structure, not text
        for m in re.finditer(r"(?m)^(?:[一二三四五六七]、|\d{1,2}\s*[.、]\s*|[（(]\d[)）]\s*)", doc.raw):
            for i in range(m.start(), m.end()):
                covered[i] = True
        for s, e in split_sentences(doc.raw[body_start:body_end]):
            sentence = doc.raw[body_start + s : body_start + e]
            chars = [body_start + s + i for i, ch in enumerate(sentence) if not ch.isspace()]
            assert all(covered[i] for i in chars), sentence

    def test_letterhead_signature_and_distribution_are_metadata(self, doc):
        fields = {m.field: m.text for m in doc.meta_lines}
        assert fields["doc_number"] == "晋人社党组字〔2022〕19号"
        assert fields["signer"] == "签发人：陈振亮"
        assert fields["cc"] == "抄送：各市人社局。"
        texts = " ".join(c.text for c in doc.clauses.values())
        assert "签发人" not in texts and "抄送" not in texts

    def test_metadata_file_is_read(self, doc):
        assert doc.meta.doc_number == "晋人社党组字〔2022〕19号"
        assert str(doc.meta.issue_date) == "2022-06-14"
        assert doc.meta.region == "山西省"

    def test_locate_quote_spans_page_breaks(self, doc):
        s, e = locate_quote(doc, "生产经营出现暂时困难")
        assert doc.raw[s:e] == "生产经营\n\n出现暂时困难"
        assert doc.quote(s, e) == "生产经营出现暂时困难"
        assert locate_quote(doc, "每名参保职工 800 元") is None


class TestPeriods:
    def test_item_one_one_states_two_end_dates(self, doc):
        ends = sorted(str(p.end_date) for p in _c(doc, "1.1").periods)
        assert ends == ["2022-12-31", "2022-12-31", "2023-03-31"]

    def test_relative_deadlines_resolve_to_the_plan_year(self, doc):
        assert [str(p.end_date) for p in _c(doc, "25").periods] == ["2022-07-31"]
        assert [str(p.end_date) for p in _c(doc, "22").periods] == ["2022-08-31"]

    def test_recurring_deadline_has_no_end(self, doc):
        (p,) = _c(doc, "31").periods
        assert p.kind == "recurring" and p.end_date is None

    def test_period_offsets_point_at_the_phrase(self, doc):
        for clause in doc.clauses.values():
            for p in clause.periods:
                assert _nows(doc.raw[p.start : p.end]) == _nows(p.text)


class TestOtherDocuments:
    NOTICE = (
        "太原市某区关于做好冬季供暖保障的通知\n\n"
        "各街道办事处：\n\n"
        "为保障居民冬季取暖，现将有关事项通知如下。供暖期自11月1日起至次年3月31日止。\n\n"
        "各供热单位要加强设备巡检，发现问题及时\n\n处理，确保室温达标。\n\n"
        "居民如有问题，可拨打供热服务热线反映。\n\n"
        "2023年10月20日\n"
    )

    def test_a_document_without_numbering_ingests_as_paragraphs(self, tmp_path):
        path = tmp_path / "heating-2023.txt"
        path.write_text(self.NOTICE, encoding="utf-8")
        doc = parse_document(path)
        assert doc.structured is False
        paras = [c for c in doc.clauses.values()]
        assert [c.path for c in paras] == ["p1", "p2", "p3", "p4"]
        assert "发现问题及时处理" in paras[2].text  # page break joined in the fallback too
        assert doc.meta.doc_id == "heating-2023"
        assert all(m.field in ("title", "other") for m in doc.meta_lines)

    def test_numbered_document_with_other_numbers_parses(self):
        raw = "某某办法\n\n一、总则\n\n1. 第一条内容。\n\n2、第二条内容，含（1）之外的字。\n\n责任领导：张三\n"
        doc = parse_text(raw, DocumentMeta(doc_id="x", title="某某办法"))
        assert [c.path for c in doc.clauses.values()] == ["s1", "1", "2"]
        assert doc.clauses["x#2"].leaders == ["张三"]


class TestBadFiles:
    def test_empty_file_is_rejected_with_its_name(self, tmp_path):
        (tmp_path / "empty.txt").write_bytes(b"")
        with pytest.raises(CorpusError, match="empty.txt"):
            read_document(tmp_path / "empty.txt")

    def test_non_utf8_file_is_rejected_with_its_name(self, tmp_path):
        (tmp_path / "gbk.txt").write_bytes("关于印发通知".encode("gbk"))
        with pytest.raises(CorpusError, match="gbk.txt.*UTF-8"):
            read_document(tmp_path / "gbk.txt")

    def test_binary_file_is_rejected_with_its_name(self, tmp_path):
        (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10)
        with pytest.raises(CorpusError, match="image.txt"):
            read_document(tmp_path / "image.txt")


def test_a_part_number_that_lost_its_comma_is_still_the_next_part_and_a_bracketed_number_is_the_wenhao():
    """Published copies drop a 顿号 ("三" alone on its line) and print 〔2011〕 as [2011]: the part is
    still part 三 with the next paragraph as its body, and the 文号 is still the 文号."""
    text = "\n".join([
        "关于调整某项待遇标准的通知", "", "人社部发[2011]12号", "", "各省、自治区、直辖市人力资源社会保障厅：", "",
        "现就有关事项通知如下：", "", "一、调整范围", "", "本通知适用于企业职工。", "",
        "二、调整标准", "", "每人每月增加50元", "", "三", "",
        "2005年印发的《关于某项待遇的通知》（劳社部发[2005]3号）同时废止。",
    ])
    doc = parse_text(text, DocumentMeta(doc_id="t", title="关于调整某项待遇标准的通知"))
    parts = [c for c in doc.clauses.values() if c.kind == "section"]
    assert [c.label for c in parts] == ["一、", "二、", "三、"], [c.label for c in parts]
    assert parts[1].text.endswith("每人每月增加50元"), parts[1].text  # the lone 三 is not joined to part 二
    assert parts[2].text.startswith("2005年印发的") and "废止" in parts[2].text
    assert [m.text for m in doc.meta_lines if m.field == "doc_number"] == ["人社部发[2011]12号"]  # the line verbatim
    from index.metadata import infer_metadata, load_grammar

    # the 文号 as GB/T 9704 writes it: [2011] in an answer would read as a footnote marker
    assert infer_metadata(doc, load_grammar(REPO / "corpus"))["doc_number"] == "人社部发〔2011〕12号"
