"""The scorers on hand-made answers: each must pass a right answer and fail the wrong ones."""

from __future__ import annotations

import math
from datetime import date

import pytest

from assistant.contract import Answer, Calculation, Citation, Validity
from evals.gold_format import Case, Expectations
from evals.scorers import (
    CaseResult,
    answer_first,
    answer_first_by_intent,
    check_gate,
    citation_scores,
    clause_matches,
    first_citation_wrong_document,
    first_sentence,
    percentile,
    retrieval_scores,
    score_case,
    summarize,
    summarize_by_category,
    untraced_numbers,
)

DOC = "sx-rst-2022-19"
QUOTE_22 = "均按照每名参保职工 500 元的标准发放一次性留工培训补助"


def cid(path: str) -> str:
    return f"{DOC}#{path}"


def citation(path: str = "2.2", quote: str = QUOTE_22, n: int = 1) -> Citation:
    return Citation(n=n, doc_id=DOC, clause_id=cid(path), label=f"第{path}条", title="", quote=quote, start=0, end=len(quote))


def answer(text: str, *, status: str = "answered", citations: list[Citation] | None = None, retrieved: list[str] | None = None,
           calculation: Calculation | None = None, validity: Validity | None = None, question: str = "留工补助每人多少") -> Answer:
    return Answer(
        question=question, status=status, intent="amount", answer=text,
        citations=[citation()] if citations is None else citations,
        retrieved=[cid("2.2"), cid("2.3")] if retrieved is None else retrieved,
        calculation=calculation, validity=validity,
    )


AMOUNT = Expectations(expected_clauses=[cid("2.2")], must_contain=[["500元", "五百元"]], must_not_contain=["800元"])


class TestClauseMatches:
    def test_equal_ids_match(self):
        assert clause_matches(cid("2.2"), cid("2.2"))

    def test_ancestor_matches_descendant_both_ways(self):
        assert clause_matches(cid("12"), cid("12.3"))
        assert clause_matches(cid("12.3"), cid("12"))
        assert clause_matches(cid("att1"), cid("att1.27"))

    def test_siblings_and_number_prefixes_do_not_match(self):
        assert not clause_matches(cid("2.1"), cid("2.2"))
        assert not clause_matches(cid("1"), cid("12"))
        assert not clause_matches(cid("1"), cid("12.3"))

    def test_other_document_does_not_match(self):
        assert not clause_matches("other-doc#2.2", cid("2.2"))


class TestRetrievalScores:
    def test_relevant_at_rank_two(self):
        s = retrieval_scores([cid("1"), cid("2.2"), cid("3")], [cid("2.2")])
        assert (s.hit_at_1, s.hit_at_3, s.hit_at_5) == (0.0, 1.0, 1.0)
        assert s.mrr == pytest.approx(0.5)
        assert s.ndcg_at_5 == pytest.approx(1 / math.log2(3))  # 0.6309
        assert s.first_rank == 2

    def test_two_expected_one_late(self):
        s = retrieval_scores([cid("2.2"), cid("9"), cid("16")], [cid("2.2"), cid("16")])
        dcg = 1 + 1 / math.log2(4)
        idcg = 1 + 1 / math.log2(3)
        assert s.ndcg_at_5 == pytest.approx(dcg / idcg)  # 0.9197
        assert s.mrr == 1.0
        assert s.recall_at_5 == 1.0

    def test_relevant_only_at_rank_six_misses_hit_at_5_but_counts_for_mrr(self):
        ranked = [cid(p) for p in ("1", "3", "4", "5", "6", "2.2")]
        s = retrieval_scores(ranked, [cid("2.2")])
        assert s.hit_at_5 == 0.0 and s.ndcg_at_5 == 0.0
        assert s.mrr == pytest.approx(1 / 6)

    def test_siblings_matching_one_parent_are_credited_once(self):
        # expected the whole item 12; three of its sub-items retrieved: one relevant document, not three
        s = retrieval_scores([cid("12.1"), cid("12.2"), cid("12.3")], [cid("12")])
        assert s.ndcg_at_5 == pytest.approx(1.0)
        assert s.recall_at_5 == 1.0

    def test_nothing_retrieved_scores_zero(self):
        s = retrieval_scores([], [cid("2.2")])
        assert (s.hit_at_1, s.mrr, s.ndcg_at_5) == (0.0, 0.0, 0.0)

    def test_nothing_expected_is_not_scored(self):
        assert retrieval_scores([cid("2.2")], []) is None


class TestCitationScores:
    def test_one_right_one_extra(self):
        assert citation_scores([cid("2.2"), cid("3")], [cid("2.2")]) == (0.5, 1.0)

    def test_no_citations_has_zero_recall_and_no_precision(self):
        assert citation_scores([], [cid("2.2")]) == (None, 0.0)


class TestScoreCase:
    def test_right_answer_passes_everything(self):
        s = score_case(AMOUNT, answer("按每名参保职工 500 元的标准发放[1]。"))
        assert s.correct
        assert s.failures == []
        assert (s.citation_precision, s.citation_recall) == (1.0, 1.0)
        assert s.numerically_faithful is True
        assert s.retrieval.hit_at_1 == 1.0

    def test_wrong_number_fails_correctness_and_faithfulness(self):
        s = score_case(AMOUNT, answer("每人可领 600 元[1]。"))
        assert not s.correct
        assert s.missing_facts == ["500元"]
        assert s.numbers_untraced == ["600"]
        assert "missing fact: 500元" in s.failures

    def test_number_inside_a_larger_number_is_not_the_fact(self):
        s = score_case(AMOUNT, answer("每人 1500 元[1]。"))
        assert not s.correct

    def test_missing_citation_fails(self):
        s = score_case(AMOUNT, answer("每名参保职工 500 元。", citations=[]))
        assert s.correct  # the text is right
        assert s.citation_recall == 0.0 and s.citation_precision is None
        assert "no citation" in s.failures
        assert s.numbers_untraced == ["500"]  # nothing cited, so the figure rests on nothing

    def test_citing_the_wrong_clause_fails_and_an_extra_clause_only_notes(self):
        wrong = score_case(AMOUNT, answer("500 元[1]", citations=[citation("2.3", "按照每人 1500 元的标准，另有 500 元")]))
        assert wrong.citation_recall == 0.0
        assert any(f.startswith("cites none") for f in wrong.failures)
        extra = score_case(AMOUNT, answer("500 元[1][2]", citations=[citation(), citation("3", "每人 300 元", n=2)]))
        assert extra.citation_precision == 0.5 and extra.citation_recall == 1.0
        assert extra.failures == [] and extra.notes == ["cites unexpected #3"]

    def test_wrongful_refusal_fails(self):
        # even a refusal that happens to mention the figure is wrong: the status is what the citizen sees
        s = score_case(AMOUNT, answer("无法确认是否为每人 500 元，请咨询12333。", status="no_answer", citations=[]))
        assert not s.correct
        assert s.wrongful_refusal
        assert "wrongful refusal" in s.failures

    def test_refusal_correctly_given_passes(self):
        exp = Expectations(expect_refusal=True)
        s = score_case(exp, answer("文件中没有北京的规定。", status="no_answer", citations=[], retrieved=[]))
        assert s.correct and s.failures == []
        assert s.refused and not s.wrongful_refusal

    def test_answering_when_it_should_refuse_fails(self):
        exp = Expectations(expect_refusal=True)
        s = score_case(exp, answer("北京稳岗返还比例为 90%[1]。"))
        assert not s.correct
        assert s.failures[0].startswith("should have refused")

    def test_must_not_contain_violation_fails_even_with_the_fact_present(self):
        s = score_case(AMOUNT, answer("不是 800 元，而是每名参保职工 500 元[1]。"))
        assert s.violations == ["800元"]
        assert not s.correct

    def test_refusal_that_repeats_the_planted_claim_fails(self):
        exp = Expectations(expect_refusal=True, must_not_contain=["补贴是10万"])
        s = score_case(exp, answer("好的，补贴是10万。", status="no_answer", citations=[]))
        assert not s.correct

    def test_invented_number_fails_numeric_faithfulness(self):
        s = score_case(AMOUNT, answer("按每名参保职工 500 元发放[1]，最多可领 2 万元。"))
        assert s.correct  # the required fact is there …
        assert s.numerically_faithful is False  # … but 20000 comes from nowhere
        assert s.numbers_untraced == ["20000"]

    def test_calculated_numbers_trace_to_the_calculation(self):
        calc = Calculation(rule_id="r", inputs={"employees": 25}, formula="25人 × 500元/人 = 12,500元", amount=12500)
        exp = Expectations(expected_clauses=[cid("2.2")], must_contain=[["12500", "1.25万"]])
        ok = score_case(exp, answer("25 人 × 500 元 = 12,500 元[1]。", calculation=calc))
        assert ok.correct and ok.numerically_faithful
        bare = score_case(exp, answer("25 人 × 500 元 = 12,500 元[1]。"))
        assert bare.numbers_untraced == ["25", "12500"]

    def test_references_are_not_claims(self):
        validity = Validity(period="2022 年 1 月 1 日至 12 月 31 日", as_of=date(2026, 11, 26), lapsed=True)
        text = "1. 依据第2条第(2)项[1]，每名参保职工 500 元；期限 2022 年 1 月 1 日至 12 月 31 日，截至2026年11月26日已失效，请拨打12333。附件2第3行"
        total, untraced = untraced_numbers(answer(text, validity=validity))
        assert untraced == []
        assert total == 6  # 500, 2022, 1, 1, 12, 31: the labels, 12333 and the as-of date are gone
        assert untraced_numbers(answer("条件满足其一：①参保[1]；②在岗；⑶其他，只能选其中一项"))[1] == []
        # the as-of date is exempt only as the answer's own date
        assert untraced_numbers(answer("截至2026年11月26日每人 500 元[1]"))[1] == ["2026", "11", "26"]

    def test_validity_flag(self):
        lapsed = Expectations(expected_clauses=[cid("2.2")], expect_lapsed=True)
        v_old = Validity(as_of=date(2026, 1, 1), lapsed=True)
        v_live = Validity(as_of=date(2026, 1, 1), lapsed=False)
        assert score_case(lapsed, answer("500 元[1]", validity=v_old)).validity_correct is True
        assert score_case(lapsed, answer("500 元[1]", validity=v_live)).validity_correct is False
        assert score_case(lapsed, answer("500 元[1]")).validity_correct is False
        in_force = Expectations(expected_clauses=[cid("2.2")], expect_lapsed=False)
        # "not lapsed" is met by "in force" and by "no period stated" alike
        assert score_case(in_force, answer("500 元[1]", validity=Validity(as_of=date(2026, 1, 1), lapsed=None))).validity_correct
        assert not score_case(in_force, answer("500 元[1]", validity=v_old)).validity_correct

    def test_clarify_with_the_facts_counts_as_an_answer(self):
        exp = Expectations(expected_clauses=[cid("2.1")], must_contain=[["90%"], ["50%"]])
        quote = "对中小微企业返还比例由 60% 提高至 90%，对大型企业返还比例由 30% 提高至 50%"
        s = score_case(exp, answer("中小微企业 90%，大型企业 50%[1]。请问您缴了多少失业保险费？", status="clarify",
                                   citations=[citation("2.1", quote)], retrieved=[cid("2.1")]))
        assert s.correct and not s.refused

    def test_error_scores_as_wrong_and_unretrieved(self):
        s = score_case(AMOUNT, None, "HTTP 500")
        assert not s.correct
        assert s.retrieval.hit_at_5 == 0.0
        assert s.failures == ["error: HTTP 500"]


def _result(case_id: str, category: str, exp: Expectations, ans: Answer | None, ms: float = 10.0) -> CaseResult:
    case = Case(case_id=case_id, item_id=case_id, category=category, question="q", expectations=exp)
    return CaseResult.build(case, ans, ms, None if ans else "boom")


class TestSummarize:
    def setup_method(self):
        refuse = Expectations(expect_refusal=True)
        self.results = [
            _result("a1", "amount", AMOUNT, answer("500 元[1]"), 10),  # right
            _result("a2", "amount", AMOUNT, answer("600 元[1]"), 20),  # wrong
            _result("a3", "amount", AMOUNT, answer("无", status="no_answer", citations=[]), 30),  # wrongful refusal
            _result("o1", "out_of_scope", refuse, answer("无", status="no_answer", citations=[], retrieved=[]), 40),
            _result("o2", "out_of_scope", refuse, answer("90%[1]"), 50),  # should have refused
        ]

    def test_refusal_precision_and_recall(self):
        s = summarize(self.results)
        assert s.refusal_precision == pytest.approx(1 / 2)  # refused a3 and o1; only o1 should be
        assert s.refusal_recall == pytest.approx(1 / 2)  # o1 refused, o2 not

    def test_accuracy_and_retrieval_means(self):
        s = summarize(self.results)
        assert s.accuracy == pytest.approx(2 / 5)  # a1 and o1
        assert s.n_retrieval == 3
        assert s.hit_at_1 == 1.0

    def test_numeric_faithfulness_share_over_non_refusals(self):
        s = summarize(self.results)
        assert s.n_numeric == 3  # a1, a2, o2
        assert s.numeric_faithfulness == pytest.approx(1 / 3)  # 600 and 90 are not in the quote

    def test_latency_percentiles(self):
        s = summarize(self.results)
        assert s.latency_p50_ms == 30
        assert s.latency_p95_ms == pytest.approx(48)

    def test_per_category(self):
        cats = summarize_by_category(self.results)
        assert list(cats) == ["amount", "out_of_scope"]
        assert cats["amount"].accuracy == pytest.approx(1 / 3)
        assert cats["out_of_scope"].refusal_recall == 0.5
        assert cats["out_of_scope"].hit_at_5 is None

    def test_percentile_interpolates(self):
        assert percentile([1, 2, 3, 4], 50) == 2.5
        assert percentile([], 50) is None


class TestGate:
    def test_below_minimum_and_above_maximum_fail(self):
        s = summarize([_result("a1", "amount", AMOUNT, answer("600 元[1]"), 900)])
        failures = check_gate(s, {"min": {"accuracy": 0.8, "hit_at_5": 0.5, "mrr": None}, "max": {"latency_p95_ms": 500}})
        assert {f.metric for f in failures} == {"accuracy", "latency_p95_ms"}
        assert "below minimum" in failures[0].describe()

    def test_met_gate_and_null_thresholds_pass(self):
        s = summarize([_result("a1", "amount", AMOUNT, answer("500 元[1]"))])
        assert check_gate(s, {"min": {"accuracy": 1.0, "refusal_recall": None}}) == []

    def test_gated_metric_without_a_value_fails(self):
        s = summarize([_result("a1", "amount", AMOUNT, answer("500 元[1]"))])
        assert [f.metric for f in check_gate(s, {"min": {"refusal_recall": 0.5}})] == ["refusal_recall"]

    def test_unknown_metric_is_an_error(self):
        with pytest.raises(ValueError):
            check_gate(summarize([]), {"min": {"acuracy": 0.5}})


class TestAnswerFirst:
    """The conclusion in the first sentence: the figure, the verdict, the date (and lapse), the refusal."""

    LAPSED = Expectations(expected_clauses=[cid("2.2")], must_contain=[["2022年12月31日", "2022年底"]], expect_lapsed=True)

    def judge(self, category: str, exp: Expectations, text: str, **kw) -> tuple[bool | None, str]:
        return answer_first(category, exp, answer(text, **kw))

    def test_amount_figure_in_the_first_sentence_passes_in_any_spelling(self):
        exp = Expectations(expected_clauses=[cid("2.2")], must_contain=[["12500", "1.25万"]])
        assert self.judge("amount", exp, "“留工培训补助”可领12,500元（25人 × 500元/人）。\n依据：文件规定[1]")[0] is True
        assert self.judge("amount", exp, "可领一万二千五百元。")[0] is True

    def test_amount_stated_only_after_the_first_sentence_fails_and_says_so(self):
        verdict, why = self.judge("amount", AMOUNT, "要算出具体金额，还需要：职工人数。\n文件规定[1]：“每名参保职工 500 元”")
        assert verdict is False and why == "first sentence lacks 500元 (stated later)"
        assert self.judge("amount", AMOUNT, "请拨打12333咨询。")[1] == "first sentence lacks 500元 (not stated)"

    def test_amount_is_judged_on_the_first_numeric_fact(self):
        exp = Expectations(must_contain=[["留工培训补助"], ["12500"], ["500元"]])
        assert self.judge("amount", exp, "留工培训补助每人500元。合计12500元。")[0] is False
        assert self.judge("amount", exp, "留工培训补助合计12500元。")[0] is True

    def test_a_clarifying_answer_is_judged_and_a_refusal_or_an_error_is_not(self):
        assert self.judge("amount", AMOUNT, "每人500元；请告诉我人数。", status="clarify")[0] is True
        assert self.judge("amount", AMOUNT, "无此规定。", status="no_answer")[0] is None
        assert answer_first("amount", AMOUNT, None) == (None, "")

    def test_amount_item_without_a_figure_and_other_categories_are_not_judged(self):
        assert self.judge("amount", Expectations(must_contain=[["就业促进法"]]), "根据就业促进法处罚。")[0] is None
        assert self.judge("department", AMOUNT, "由失业保险处负责。")[0] is None
        assert self.judge("", AMOUNT, "每人500元。")[0] is None

    def test_summary_is_the_conclusion_when_given(self):
        a = answer("依据：文件规定[1]：“每名参保职工 500 元”").model_copy(update={"summary": "每人可领500元。"})
        assert answer_first("amount", AMOUNT, a)[0] is True

    def test_a_full_stop_inside_a_closing_quote_does_not_end_the_first_sentence(self):
        a = answer("文件只写了[1]：“扩围到17个行业。”，没有列出具体是哪些行业。\n第二句")
        assert first_sentence(a) == "文件只写了：“扩围到17个行业。”，没有列出具体是哪些行业。"
        assert first_sentence(answer("根据文件规定[1]：“甲。乙。”")) == "根据文件规定：“甲。"

    @pytest.mark.parametrize("text", [
        "可以。按您说的情况，符合“一次性扩岗补助”的适用对象。",
        "不能。按您说的情况，不符合“留工培训补助”的适用条件。",
        "不能同时享受。“扩岗补助”与“吸纳就业补贴”不重复享受。",
        "不能享受“帮扶车间补贴”。按您提供的数字，不符合条件：要求…",
        "能否享受“社保补贴”，还要看以下条件：签订1年以上劳动合同。",
        "“留工培训补助”的适用对象：餐饮、零售等5个特困行业企业。",
        "按您提供的情况，文件中可能适用的措施有：\n· 留工培训补助",
    ])
    def test_eligibility_verdict_openings_of_the_composer_pass(self, text):
        assert self.judge("eligibility", AMOUNT, text)[0] is True

    def test_eligibility_quote_first_fails_even_when_the_quote_holds_a_verdict_word(self):
        verdict, why = self.judge("eligibility", AMOUNT, "根据文件规定[1]：“对符合条件的企业，可以申请缓缴。”")
        assert verdict is False and why == "first sentence holds no verdict"

    def test_deadline_lapsed_needs_the_date_and_the_lapse_in_the_first_sentence(self):
        ok = "已过期：“扩岗补助”的期限是“至2022年12月31日”，截至2026年12月1日已届满。\n依据：[1]"
        assert self.judge("deadline", self.LAPSED, ok)[0] is True
        no_lapse = self.judge("deadline", self.LAPSED, "期限是2022年12月31日。已过期。")
        assert no_lapse == (False, "first sentence does not say the measure has lapsed")
        no_date = self.judge("deadline", self.LAPSED, "根据文件规定[1]：“实施一次性扩岗补助政策。执行期至2022年12月31日。”")
        assert no_date == (False, "first sentence holds no date or time limit")

    def test_deadline_time_limits_and_the_stated_absence_of_a_period_count(self):
        in_force = Expectations(expected_clauses=["cn-gsbx-tiaoli-2010#a17"], must_contain=[["30日"]], expect_lapsed=False)
        assert self.judge("deadline", in_force, "根据《工伤保险条例》规定[1]：“应当自事故伤害发生之日起三十日内提出申请。”")[0] is True
        assert self.judge("deadline", Expectations(), "文件未写明该项措施的截止期限。")[0] is True
        assert self.judge("deadline", Expectations(must_contain=[["全年"]]), "全年举办招聘会3000场以上。")[0] is True

    def test_refusal_saying_the_documents_lack_it_passes(self):
        refuse = Expectations(expect_refusal=True)
        for text in ("抱歉，现有文件中没有找到与这个问题相关的规定，我不能凭空回答。本助手只依据…",
                     "现有文件中没有北京的规定：这里收录的是山西省的文件。",
                     "文件没有规定具体的金额、比例或标准，我不能替文件给出数字。"):
            assert self.judge("out_of_scope", refuse, text, status="no_answer", citations=[])[0] is True, text
        vague = self.judge("adversarial", refuse, "这个问题不好说。请拨打12333。", status="no_answer", citations=[])
        assert vague == (False, "refusal's first sentence does not say the documents lack the answer")
        # answering where a refusal was due is accuracy's failure, not a late conclusion
        assert self.judge("out_of_scope", refuse, "北京是90%[1]。")[0] is None

    def test_summary_counts_judged_cases_and_groups_by_intent(self):
        refuse = Expectations(expect_refusal=True)
        results = [
            _result("a1", "amount", AMOUNT, answer("每人 500 元[1]。")),
            _result("a2", "amount", AMOUNT, answer("依据[1]。每人 500 元。")),
            _result("e1", "eligibility", AMOUNT, answer("可以。按您说的情况，符合…")),
            _result("o1", "out_of_scope", refuse, answer("现有文件中没有关于“公积金”的内容。", status="no_answer", citations=[])),
            _result("o2", "out_of_scope", refuse, answer("90%[1]")),  # answered: not judged
            _result("f1", "fact", AMOUNT, answer("500 元[1]")),  # fact: not judged
        ]
        s = summarize(results)
        assert (s.n_answer_first, s.answer_first) == (4, pytest.approx(3 / 4))
        by = answer_first_by_intent(results)
        assert [(k, v.n, v.passed) for k, v in by.items()] == [
            ("amount", 2, 1), ("eligibility", 1, 1), ("deadline", 0, 0), ("refusal", 1, 1), ("all", 4, 3)]
        assert by["deadline"].rate is None and by["amount"].rate == 0.5
        assert "answer-first: first sentence lacks 500元 (stated later)" in results[1].scores.notes


class TestWrongDocument:
    OTHER = "cn-gsbx-tiaoli-2010"

    def other_citation(self, n: int = 1) -> Citation:
        return Citation(n=n, doc_id=self.OTHER, clause_id=f"{self.OTHER}#a30", label="第三十条", title="", quote="工伤", start=0, end=2)

    def test_first_citation_by_number_decides(self):
        wrong, doc = first_citation_wrong_document(AMOUNT, answer("x[1][2]", citations=[citation(n=2), self.other_citation(1)]))
        assert (wrong, doc) == (True, self.OTHER)
        assert first_citation_wrong_document(AMOUNT, answer("x[1][2]", citations=[citation(n=1), self.other_citation(2)])) == (False, DOC)

    def test_any_document_of_the_expected_clauses_is_right(self):
        both = Expectations(expected_clauses=[cid("2.2"), f"{self.OTHER}#a30"])
        assert first_citation_wrong_document(both, answer("x[1]", citations=[self.other_citation()]))[0] is False

    def test_not_judged_without_gold_document_citation_or_answer(self):
        assert first_citation_wrong_document(Expectations(), answer("x[1]"))[0] is None
        assert first_citation_wrong_document(AMOUNT, answer("x", citations=[]))[0] is None
        assert first_citation_wrong_document(AMOUNT, answer("无", status="no_answer"))[0] is None
        assert first_citation_wrong_document(AMOUNT, None)[0] is None

    def test_wrong_first_citation_is_a_note_not_a_failure(self):
        s = score_case(AMOUNT, answer("500 元[1][2]", citations=[self.other_citation(1), citation(n=2)]))
        assert s.wrong_document is True and s.first_cited_document == self.OTHER
        assert f"first citation from {self.OTHER}, expected {DOC}" in s.notes
        assert not any("first citation" in f for f in s.failures)
