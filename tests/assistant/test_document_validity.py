""""Is this document still in force?" answered from the document: a rule of law from its effective date, a plan
from the periods its measures state, and a text with neither says it cannot be told — the conclusion first."""

from __future__ import annotations

import pytest

from evals.scorers import first_sentence

pytestmark = pytest.mark.slow


def test_a_regulation_is_in_force_from_its_effective_date(assistant):
    answer = assistant.ask("《失业保险条例》如今仍有效吗")
    assert answer.status == "answered"
    head = first_sentence(answer)
    assert "现行有效" in head and "起施行" in head, answer.answer  # the verdict and its deciding fact first
    assert any("施行" in c.quote for c in answer.citations), answer.citations


def test_a_plan_whose_dated_measures_all_ended_is_reported_lapsed(assistant):
    answer = assistant.ask("晋人社党组字〔2022〕19号这个文件现在作废了吗")
    head = first_sentence(answer)
    assert "已过期" in head and "到期" in head, answer.answer
    assert answer.validity is not None and answer.validity.lapsed is True
    # the last end date is the one a measure states, and that measure is cited with it
    period_cite = next(c for c in answer.citations if c.clause_id.split("#")[1] != "meta")
    assert answer.validity.period and answer.validity.period.replace(" ", "") in period_cite.quote.replace(" ", "")


def test_a_text_with_no_dates_for_its_measures_says_so(assistant):
    answer = assistant.ask("国办发〔2019〕6号是否有效")
    assert first_sentence(answer).startswith("文件没有写明有效期"), answer.answer
    assert answer.validity is None or answer.validity.lapsed is None


def test_a_measure_question_is_not_taken_for_a_document_question(assistant):
    # names no document and points at none: a measure's own validity, not the document's
    answer = assistant.ask("一次性扩岗补助现在还有效吗")
    assert "本身没有写明整体有效期" not in answer.answer


def test_every_figure_of_these_answers_is_in_a_quote(assistant):
    from evals.scorers import untraced_numbers

    for question in ("失业保险条例现在还有效吗", "晋人社党组字〔2022〕19号失效了没有", "国办发〔2019〕6号仍有效吗"):
        answer = assistant.ask(question)
        n, untraced = untraced_numbers(answer)
        assert not untraced, (question, untraced, answer.answer)


def test_a_measure_of_a_named_document_is_asked_about_the_measure(assistant):
    # the document is named, but what is asked about is one of its measures: that measure's own period
    answer = assistant.ask("19号文里的一次性扩岗补助还有效吗")
    assert "本身没有写明整体有效期" not in answer.answer
    assert answer.citations and answer.citations[0].clause_id.split("#")[1] != "meta", answer.answer


def test_an_attachments_question_gets_the_count_first_and_the_attachments_themselves(assistant):
    """"有几个附件": how many comes first, counted from the attachments the parse found, the list is quoted
    from the document's 附件 lines, and the attachment clauses are what the answer points to."""
    answer = assistant.ask("晋人社党组字〔2022〕19号一共带了几个附件")
    assert answer.status == "answered"
    assert "有2个附件" in first_sentence(answer), answer.answer
    assert answer.retrieved == ["sx-rst-2022-19#att1", "sx-rst-2022-19#att2"]
    assert any("附件" in c.quote for c in answer.citations)
    none = assistant.ask("工伤保险条例带附件了吗")
    assert "没有附件" in none.answer and none.retrieved == []


def test_a_structure_count_is_quoted_where_the_document_shows_it(assistant):
    """"几章几条": the counts come from the parse, and each is cited by the heading that shows it — the last
    chapter and the last article — so no figure of the answer stands without a quote."""
    from evals.scorers import untraced_numbers

    for question in ("工伤保险条例总共有多少章、多少条", "社会保险法分成几章，条文一共几条"):
        answer = assistant.ask(question)
        n, untraced = untraced_numbers(answer)
        assert n >= 2 and not untraced, (question, untraced, answer.answer)
        quotes = [c.quote for c in answer.citations]
        assert any(q.startswith("第") and "章" in q[:6] for q in quotes), quotes
        assert any(q.startswith("第") and "条" in q[:8] for q in quotes), quotes


def test_two_facts_asked_of_a_document_are_both_answered_in_the_order_asked(assistant):
    answer = assistant.ask("国办发〔2018〕117号是哪个机关发的，又是哪一天发的")
    assert answer.status == "answered" and answer.intent == "fact", answer.answer
    issuer_at, date_at = answer.answer.find("国务院办公厅印发"), answer.answer.find("2018年12月6日")
    assert 0 <= issuer_at < date_at, answer.answer
    assert len({c.start for c in answer.citations}) == len(answer.citations)  # each line cited once


def test_a_document_called_by_its_form_is_asked_about_without_being_named_exactly(assistant):
    # not its title, no 这个/本: "…担保基金的指导意见" is what the document calls itself, before the ask
    answer = assistant.ask("那个讲政府性融资担保基金的指导意见哪天发的")
    assert answer.intent == "fact" and "2019年1月22日" in answer.answer, answer.answer
    assert any(c.clause_id.endswith("#meta") for c in answer.citations)


def test_a_plans_parts_and_items_are_counted_beside_the_headings_that_show_them(assistant):
    from evals.scorers import untraced_numbers

    answer = assistant.ask("国办发〔2019〕6号这个意见一共有几部分")
    n, untraced = untraced_numbers(answer)
    assert "8个部分" in answer.answer and not untraced, (untraced, answer.answer)


def test_a_form_counts_as_pointing_only_when_nothing_between_starts_another_phrase(assistant):
    dq = assistant.document_questions
    assert dq.asked_fields("那个融资担保的指导意见 一共分几个部分", names_document=False) == ["structure"]
    assert dq.asked_fields("就业促进条例2016年修正依据什么", names_document=False) == ["revisions"]
    # 里/的 after the form: the words belong to something in the document, not to the document
    assert dq.asked_fields("工作方案里的补贴审核通过时间", names_document=False) == []


def test_a_local_text_called_by_its_title_without_its_place_is_that_text(assistant):
    # "劳动用工条例" is 郑州市劳动用工条例 without its city; no other document has that title
    answer = assistant.ask("郑州那个劳动用工条例现在是否有效")
    assert first_sentence(answer).startswith("《郑州市劳动用工条例》现行有效"), answer.answer


def test_a_national_title_with_a_province_names_the_provinces_text(assistant):
    # the national title, said with 河南: the province's regulation, and the title is no topic of the question
    answer = assistant.ask("河南的那个失业保险条例目前还适用吗")
    assert first_sentence(answer).startswith("《河南省失业保险条例》现行有效"), answer.answer


def test_a_bare_title_is_weaker_than_a_whole_one():
    from pathlib import Path

    from assistant.documents import DocumentDirectory
    from index.metadata import load_grammar
    from index.parse import load_corpus

    repo = Path(__file__).resolve().parents[2]
    directory = DocumentDirectory(load_corpus(repo / "corpus"), load_grammar(repo / "corpus"))
    # 失业保险条例 is the national title and 河南省失业保险条例's without its province: the whole title wins
    assert directory.named("失业保险条例第十六条写的啥") == ["cn-sybx-tiaoli-1999"]
    assert directory.named("劳动用工条例第三条") == ["zz-ldyg-tiaoli-2012"]


def test_a_city_named_points_at_its_own_text_before_its_provinces():
    from pathlib import Path

    from assistant.documents import DocumentDirectory
    from index.metadata import load_grammar
    from index.parse import load_corpus

    repo = Path(__file__).resolve().parents[2]
    directory = DocumentDirectory(load_corpus(repo / "corpus"), load_grammar(repo / "corpus"))
    # 郑州 is in 河南省: both texts are reached, the city's own first
    assert directory.named("郑州那边的条例哪天起施行") == ["zz-ldyg-tiaoli-2012", "ha-sybx-tiaoli-2001"]
    assert directory.named("河南这边的条例哪天起施行")[0] == "ha-sybx-tiaoli-2001"


def test_a_ministrys_implementing_measures_are_in_force_from_their_own_date(assistant):
    # 实施办法 "自发布之日起施行": a rule text, judged by its effective date, not by periods its articles lack
    answer = assistant.ask("企业职工带薪年休假实施办法如今还有效吗")
    assert first_sentence(answer).startswith("《企业职工带薪年休假实施办法》现行有效"), answer.answer
