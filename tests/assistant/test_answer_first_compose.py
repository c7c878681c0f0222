"""Answer first: the first sentence holds the conclusion — the standard, the amount, the count, the time
limit, the document's dates, the verdict — and the quote follows (issue 14). Phrasings are our own."""

from __future__ import annotations

import pytest

from assistant.compose import asked_figure, asks_when, states_figure
from evals.scorers import first_sentence


@pytest.fixture
def ask(assistant):
    def _ask(question: str):
        return assistant.ask(question, session=assistant.new_session())

    return _ask


class TestAskedFigure:
    @pytest.mark.parametrize(
        "question, kind",
        [
            ("实习协议签了以后多少天内备案", "time"),
            ("这个补贴执行到什么时候", "time"),
            ("护理费的标准是多少", "figure"),
            ("最多能招几名实习生", "figure"),
            ("这个条款讲的是什么", None),
        ],
    )
    def test_the_kind_of_figure_a_question_asks_for(self, question, kind):
        assert asked_figure(question) == kind

    def test_a_point_in_time_is_not_a_length_of_time(self):
        assert asks_when("是哪1年的目标") and not asks_when("能领多久")

    @pytest.mark.parametrize(
        "sentence, kind, states",
        [
            ("应当自签订之日起十五日内备案。", "time", True),
            ("按照第十四条的规定执行。", "time", False),  # the clause's own numbering is no time limit
            ("其标准分别为月平均工资的50%、40%或者30%。", "figure", True),
            ("实习协议应当载明三方的权利和义务。", "time", False),
            ("统筹到一个地区。", "figure", False),  # "一个" is "one of", not a count stated
        ],
    )
    def test_a_sentence_states_the_figure_in_either_script(self, sentence, kind, states):
        assert states_figure(sentence, kind) is states


def test_the_standard_comes_before_the_question_back(ask):
    a = ask("企业招高校毕业生的扩岗补助按什么标准发")
    assert a.status == "clarify"
    first = first_sentence(a)
    assert "1,500元" in first and "还需要" not in first
    assert "还需要" in a.answer  # the asker's number is still asked for, after the standard


def test_a_computed_measure_leads_when_another_lacks_a_number(ask):
    a = ask("开饭店的，30个参保职工，留工补助和稳岗返还加起来多少")
    assert "15,000元" in first_sentence(a)
    assert "还需要" in a.answer


def test_a_count_a_rule_computes_is_answered_with_its_formula(ask):
    a = ask("按山东省就业促进条例，单位在职职工300人，最多可以接收多少名实习生")
    first = first_sentence(a)
    assert "90人" in first and "300人 × 30%" in first
    assert a.calculation is not None


def test_the_sentence_with_the_time_limit_is_quoted_first(ask):
    a = ask("按山东省就业促进条例，用人单位签了实习协议以后多少天内要去备案")
    assert "十五日内" in first_sentence(a)


def test_whether_a_law_is_in_force_is_answered_with_its_own_dates(ask):
    a = ask("工伤保险条例现在还管用吗")
    first = first_sentence(a)
    assert "2004年1月1日" in first and "现行有效" in first
    assert a.citations and "施行" in a.citations[0].quote
    assert a.validity is not None and a.validity.lapsed is False


def test_a_minimum_the_askers_figure_fails_is_the_verdict(ask):
    a = ask("我养老保险只交了10年，到退休年龄能按月拿养老金吗")
    assert first_sentence(a) == "不能。"
    assert "您的情况为10年，还差5年" in a.summary
    # the asker's figure and the gap trace to a calculation, not only to the question
    assert a.calculation is not None and "15年 − 10年 = 5年" in a.calculation.formula


def test_the_clauses_own_prohibition_is_the_verdict(ask):
    a = ask("职工吸毒后出了事故能认定工伤吗")
    assert a.summary.startswith("不能。") and "不得认定为工伤" in a.summary


def test_a_condition_the_asker_says_is_not_met_is_the_verdict(ask):
    a = ask("我们县闲置土地很多，没有节约集约利用，能拿建设用地指标奖励吗")
    assert a.summary.startswith("不能。") and "没有节约集约利用" in a.summary


def test_a_choice_question_gets_no_yes_or_no(ask):
    a = ask("缓缴的是单位部分还是个人部分")
    assert not a.summary.startswith(("可以", "不能"))


def test_a_point_in_time_asked_of_a_lapsed_measure_says_it_has_passed(ask):
    a = ask("星火项目创业大赛是什么时候办的")
    first = first_sentence(a)
    assert first.startswith("已过期") and "2022" in first


def test_a_figure_of_the_askers_own_the_clause_does_not_state_gets_no_yes(ask):
    # the clause grants one year ("下一年度"); a plain "可以" would confirm the asker's three
    a = ask("有人说受过国务院督查表扬的县可以连续三年免督查，能这样吗")
    assert not a.summary.startswith("可以")


def test_whether_a_claim_is_true_is_not_answered_with_can_or_cannot(ask):
    a = ask("担保机构收我资料费，这样合规吗")
    assert not a.summary.startswith(("可以", "不能"))


@pytest.mark.parametrize(
    "question, opening, said",
    [
        # "要…吗" asks whether one must; 本人不缴纳 says no — not "可以" / "不能", which answer may
        ("招来的农民合同制工人，他们本人得缴失业保险费吗", "不需要。", "本人不缴纳失业保险费"),
        ("新招的员工，单位要不要去给他们办社会保险登记", "需要。", "应当自用工之日起三十日内"),
        # "算不算" asks whether the case counts; the item "(三)自残或者自杀的。" is a condition of the
        # lead-in that says it does not
        ("在单位自残受的伤算不算工伤", "不算。", "不得认定为工伤"),
        ("探亲假算在年休假天数里面吗", "不算。", "不计入年休假假期"),
    ],
    ids=["need-not", "must", "does-not-count", "left-out-of-a-count"],
)
def test_the_passages_own_words_give_the_verdict_of_a_duty_or_counting_question(ask, question, opening, said):
    a = ask(question)
    assert a.summary.startswith(opening) and said in a.summary, a.summary


def test_an_exception_the_passage_states_is_part_of_the_verdict(ask):
    a = ask("郑州的厂子停工了，一直没安排我们干活，还得发基本生活费吗")
    first = first_sentence(a)
    assert first.startswith("一般需要，但有例外")
    assert "不可抗力" in a.summary


def test_a_passage_saying_who_must_and_who_need_not_gives_no_duty_verdict(ask):
    # 社会保险法: 职工应当参加工伤保险，由用人单位缴纳…，职工不缴纳 — whose duty is asked decides, and the
    # shared words cannot tell it; a wrong "不需要" would be worse than the quote alone
    a = ask("公司要替员工交工伤保险吗")
    assert not a.summary.startswith(("需要", "不需要", "一般需要"))


def test_a_what_question_with_a_duty_word_gets_no_duty_verdict(ask):
    a = ask("申请失业保险金需要什么材料")
    assert not a.summary.startswith(("需要。", "不需要。"))


def test_a_follow_up_naming_a_step_of_a_schedule_quotes_that_step_first(assistant):
    session = assistant.new_session()
    assistant.ask("失业保险条例里失业金能领多长时间", session=session)
    a = assistant.ask("那10年以上呢？", session=session)
    assert "24个月" in first_sentence(a)


def test_a_measure_named_only_inside_an_input_is_not_one_of_those_asked(ask):
    # "每月失业金1200元" gives the input of both grants; it does not ask for the 失业金 itself
    a = ask("河南的，家里老人领失业金期间去世了，每月失业金1200元，丧葬补助金和抚恤金分别多少")
    assert "8,400元" in first_sentence(a)
    assert "1,200元 × 80%" not in a.answer
