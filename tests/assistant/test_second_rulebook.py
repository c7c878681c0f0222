"""A rules file added for another shipped document is understood and computed with no code change.

The test writes its own small rules file for the national 失业保险条例 (a schedule of months by years of
contribution, a contribution rate, and who may draw the benefit), drops it into a copy of the corpus and
asks the real assistant — the same index, the same code — questions phrased here, not taken from any
evaluation set. Nothing in assistant/ knows these parameter names: they exist only in the YAML below.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import AS_OF, REPO

DOC = "cn-sybx-tiaoli-1999"

RULES = """
doc_id: cn-sybx-tiaoli-1999
version: 1
flags:
  t_lost_job: {label: 失业人员, aliases: [失业了, 被辞退, 下岗], default: false}
parameters:
  t_years_paid:
    label: 累计缴费时间
    type: duration
    unit: 年
    min: "0"
    max: "60"
    aliases: [累计缴费时间, 缴费时间, 交了, 缴了, 交失业保险]
  t_payroll:
    label: 本单位工资总额
    type: money
    unit: 元
    min: "0.01"
    max: "100000000000"
    aliases: [本单位工资总额, 工资总额]
rules:
  - id: t_benefit_months
    title: 领取失业保险金的期限
    aliases: [失业金能领多久, 失业金领几个月, 失业保险金期限]
    clause: a17
    kind: tiered
    count: t_years_paid
    unit: 个月
    tiers:
      - {min: "1", phrase: 及以上, amount: "12", quote: 累计缴费时间满1年不足5年的，领取失业保险金的期限最长为12个月}
      - {min: "5", phrase: 及以上, amount: "18", quote: 累计缴费时间满5年不足10年的，领取失业保险金的期限最长为18个月}
      - {min: "10", phrase: 以上, amount: "24", quote: 累计缴费时间10年以上的，领取失业保险金的期限最长为24个月}
    quotes:
      - 失业人员失业前所在单位和本人按照规定累计缴费时间满1年不足5年的，领取失业保险金的期限最长为12个月
    eligibility:
      - label: 失业人员
        where: {t_lost_job: true}
  - id: t_employer_contribution
    title: 单位缴纳失业保险费
    aliases: [单位交失业保险, 单位缴纳失业保险费]
    clause: a6
    kind: rate
    base: t_payroll
    rate: "0.02"
    quotes:
      - 城镇企业事业单位按照本单位工资总额的2%缴纳失业保险费。
"""


@pytest.fixture(scope="module")
def second(built_index, embedder, tmp_path_factory):
    from assistant.pipeline import Assistant
    from assistant.settings import Settings

    corpus = tmp_path_factory.mktemp("corpus")
    shutil.copytree(REPO / "corpus", corpus, dirs_exist_ok=True)
    for other in (corpus / "rules").glob("*.yaml"):
        if other.stem == DOC:
            other.unlink()  # a shipped file for the same document would duplicate these measures
    (corpus / "rules" / f"{DOC}.yaml").write_text(RULES, encoding="utf-8")
    data = tmp_path_factory.mktemp("data2")
    settings = Settings(corpus_dir=corpus, index_dir=built_index, db_path=data / "q.sqlite3", as_of=AS_OF,
                        index_poll_seconds=0)
    return Assistant.open(settings, embedder)


def test_the_new_rules_are_in_the_book(second):
    assert {"t_benefit_months", "t_employer_contribution"} <= {r.id for r in second.rules}


def test_a_schedule_of_months_answers_with_its_tier_and_clause(second):
    a = second.ask("我失业了，之前累计交了七年失业保险，失业金最长可以领多少个月")
    assert a.calculation is not None and a.calculation.rule_id == "t_benefit_months"
    assert a.calculation.amount == 18 and a.calculation.unit == "个月"
    assert a.summary.startswith("“领取失业保险金的期限”为18个月")
    assert any(c.clause_id == f"{DOC}#a17" and "18个月" in c.quote for c in a.citations)


def test_a_rate_of_a_base_the_asker_states(second):
    a = second.ask("我们单位工资总额一年200万，单位交失业保险要交多少钱")
    assert a.calculation is not None and a.calculation.rule_id == "t_employer_contribution"
    assert a.calculation.amount == 40000
    assert "2,000,000元 × 2%" in a.answer


def test_below_the_lowest_tier_is_a_no_with_the_deciding_fact(second):
    a = second.ask("失业了，失业保险才交了半年，失业金能领几个月")
    assert a.summary.startswith("不能"), a.answer
    assert "1年" in a.summary and "0.5年" in a.summary
