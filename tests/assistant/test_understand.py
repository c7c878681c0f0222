"""Query understanding: cleaning, intents, slots, synonyms, follow-ups — deterministic, no model."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.understand import Lexicon, QuestionRejected, clean_question, cn_numerals_to_digits, understand

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.load(REPO / "corpus")


class TestCleaning:
    @pytest.mark.parametrize("text", ["", "   ", "\u200b\u200b", "\x00\x01", "\ud800"])
    def test_empty_after_cleaning_is_rejected(self, text):
        with pytest.raises(QuestionRejected):
            clean_question(text, 500)

    def test_over_long_question_is_rejected_with_the_limit(self):
        with pytest.raises(QuestionRejected, match="500"):
            clean_question("稳" * 501, 500)

    def test_traditional_and_full_width_become_simplified_half_width(self):
        assert clean_question("穩崗返還比例是多少？２５人", 500) == "稳岗返还比例是多少?25人"

    @pytest.mark.parametrize(
        "text,expected",
        [("二十五个人", "25个人"), ("两千元", "2000元"), ("三万元", "3万元"), ("一次性补助", "一次性补助"),
         ("一县一品牌", "一县一品牌"), ("8万元", "8万元"), ("一百二十个脱贫劳动力", "120个脱贫劳动力"),
         # spoken amounts need no counter: 一万五 is 15000, 三千五 is 3500
         ("交了一万五", "交了1.5万"), ("返了三十万", "返了30万"), ("每人一千五", "每人1500"),
         ("千万不要", "千万不要"), ("十四五规划", "十四五规划"), ("百分之三十", "百分之30")],
    )
    def test_chinese_numerals_become_digits_only_before_a_counter(self, text, expected):
        assert cn_numerals_to_digits(text) == expected


class TestIntent:
    @pytest.mark.parametrize(
        "question,intent",
        [
            ("留工补助每人多少钱", "amount"),
            ("稳岗返还比例是多少", "amount"),
            ("扩岗补助什么时候截止", "deadline"),
            ("现在还能申请扩岗补助吗", "deadline"),
            ("稳岗返还归哪个处管", "department"),
            ("留工补助的责任领导是谁", "department"),
            ("律师事务所能不能缓缴社保", "eligibility"),
            ("扩岗补助和吸纳就业补贴能同时拿吗", "eligibility"),
            ("帮扶基地吸纳30个人就奖励10万，没错吧？", "amount"),
            ("三场三站一平台指的是什么", "fact"),
        ],
    )
    def test_intent_follows_the_question_form(self, lexicon, question, intent):
        assert understand(question, lexicon).intent == intent


@pytest.fixture(scope="module")
def book():
    from assistant.rules import load_rules
    from index.parse import load_corpus

    return load_rules(REPO / "corpus", load_corpus(REPO / "corpus"))


class TestSlots:
    """Slots are read with the rule book's own words (its vocabulary, flags and parameter nouns)."""

    def test_restaurant_with_employees_in_low_risk_area(self, lexicon, book):
        u = understand("我开饭店，在低风险地区，有二十五个员工都参保了", lexicon, book=book)
        assert book.normalise("industry", u.slots["industry"]) == {"餐饮"}
        assert u.slots["region_risk"] == ["low"]
        assert u.slots["insured_employees"] == 25
        assert "餐饮" in u.expansions

    def test_money_paid_in_wan(self, lexicon, book):
        u = understand("中型企业，失业保险交了50万，稳岗返还能拿多少", lexicon, book=book)
        assert u.slots["unemployment_insurance_paid_last_year"] == 500000
        assert u.slots["size"] == ["medium"]

    def test_graduates_and_poverty_counts(self, lexicon, book):
        u = understand("招了3个应届大学生能补多少", lexicon, book=book)
        assert u.slots["graduates_hired"] == 3 and "org_type" not in u.slots  # the asker hires graduates
        assert understand("就业帮扶基地吸纳了50名脱贫劳动力", lexicon, book=book).slots["poverty_labourers_hired"] == 50
        u = understand("厂里1200人，脱贫劳动力占25%", lexicon, book=book)
        assert u.slots["total_employees"] == 1200 and u.slots["poverty_labourers_hired"] == 300

    def test_word_order_does_not_change_the_binding(self, lexicon, book):
        a = understand("职工2000人，脱贫户招了500人", lexicon, book=book).slots
        b = understand("职工2000人，招了500名脱贫户", lexicon, book=book).slots
        assert a == b and a["poverty_labourers_hired"] == 500 and a["total_employees"] == 2000

    def test_lockdown_is_not_high_risk(self, lexicon, book):
        u = understand("我们县被封控了，小微企业能缓缴社保吗", lexicon, book=book)
        assert u.slots.get("region_lockdown") is True and "region_risk" not in u.slots

    def test_a_negated_term_states_the_other_values(self, lexicon, book):
        u = understand("我们不是中高风险地区的饭店", lexicon, book=book)
        assert set(u.slots["region_risk"]) == {"low", "none"}

    def test_impossible_numbers_are_asked_back(self, lexicon, book):
        assert understand("-25个员工，留工补助多少", lexicon, book=book).refused

    def test_without_a_rule_book_no_slots_are_guessed(self, lexicon):
        assert "insured_employees" not in understand("有25个员工", lexicon).slots

    def test_typos_are_corrected_from_data(self, lexicon):
        assert "稳岗返还" in understand("稳岗反还比例", lexicon).text

    def test_other_province_is_detected(self, lexicon):
        from index.metadata import load_grammar
        from index.parse import load_corpus
        from assistant.documents import DocumentDirectory

        directory = DocumentDirectory(load_corpus(REPO / "corpus"), load_grammar(REPO / "corpus"))
        assert directory.foreign_place("北京的稳岗返还比例是多少") == "北京"
        assert directory.foreign_place("太原的稳岗返还比例是多少") is None  # 山西省 has a document
        assert directory.foreign_place("郑州的失业保险金多少") is None  # so has 河南省
        # 郑州 names the documents of 河南省: the province's regulation and the city's own
        assert sorted(directory.named("郑州的失业保险金多少")) == ["ha-sybx-tiaoli-2001", "zz-ldyg-tiaoli-2012"]

    def test_document_numbering_references(self, lexicon):
        assert understand("第2条第(1)项讲了什么", lexicon).references == ["2.1"]
        assert understand("台账第5行和第6行写了什么", lexicon).references == ["att2.5", "att2.6"]


class TestConversation:
    def test_follow_up_inherits_intent_slots_and_topic(self, lexicon, book):
        first = understand("稳岗返还比例是多少", lexicon)
        prev = {"text": first.text, "intent": first.intent, "slots": {"industry": "餐饮"}, "expansions": first.expansions}
        u = understand("那大型企业呢？", lexicon, previous=prev, book=book)
        assert u.follow_up and u.intent == "amount"
        assert u.slots == {"industry": "餐饮", "size": ["large"]}
        assert "稳岗返还" in u.search_text

    def test_a_new_topic_is_not_a_follow_up(self, lexicon):
        prev = {"text": "稳岗返还比例是多少", "intent": "amount", "slots": {}, "expansions": []}
        assert understand("一次性扩岗补助什么时候截止", lexicon, previous=prev).follow_up is False

    def test_a_short_question_whose_subject_the_last_answer_quoted_continues_it(self, lexicon):
        # the subject word is a variant of a word the quoted clause uses (安排 for 安置): nothing new is named
        prev = {"text": "见习岗位开发多少个", "intent": "fact", "slots": {}, "expansions": [],
                "seen": "统筹开发见习岗位，优先安置困难家庭毕业生。"}
        assert understand("优先安排哪些人", lexicon, previous=prev).follow_up is True
        # the same short question after an answer that quoted nothing of the kind starts a new topic
        fresh = {**prev, "seen": "统筹开发见习岗位。"}
        assert understand("优先安排哪些人", lexicon, previous=fresh).follow_up is False


class TestHomophones:
    @pytest.mark.parametrize(
        "typed,meant",
        [("留工陪训补助能拿多少", "留工培训补助"), ("稳港返还比例", "稳岗返还"), ("一次性扩港补助", "一次性扩岗补助"),
         ("失业保现稳岗返还", "失业保险")],
    )
    def test_a_policy_term_typed_with_a_homophone_is_restored(self, lexicon, typed, meant):
        assert meant in lexicon.fix_homophones(typed)

    def test_correct_text_is_left_alone(self, lexicon):
        text = "企业招用毕业年度高校毕业生，签订劳动合同并参加失业保险的"
        assert lexicon.fix_homophones(text) == text
