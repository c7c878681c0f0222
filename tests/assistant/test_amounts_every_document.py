"""Every document of the default corpus has a reviewed rules file, and for each one that states a figure computed
from the asker's numbers, an amount question is answered by the calculator: the amount in the first line, the
formula, and a citation of that document's clause. Questions phrased here, not taken from any evaluation set;
each asked as a hotline of the document's region would ask it."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from tests.conftest import AS_OF

REPO = Path(__file__).resolve().parents[2]

CASES = [
    # (home region, question, document, expected amount, expected upper end)
    ("山西省", "在中高风险地区开饭店，参保员工25人，一次性留工培训补助多少钱", "sx-rst-2022-19", 12500, None),
    ("山西省", "政府性融资担保机构给小微企业单户担保300万元，担保费最多收多少", "cn-gbf-2019-6", 30000, None),
    ("山西省", "七级伤残，本人工资5000元，一次性伤残补助金能拿多少", "cn-gsbx-tiaoli-2010", 65000, None),
    ("山西省", "月工资收入6525元，按规定折算日工资是多少", "cn-lsbf-2008-3", 300, None),
    ("山西省", "日工资200元，有3天年休假单位没安排，未休年休假工资报酬多少", "cn-nxj-banfa-2008", 1800, None),
    ("山西省", "单位社保费欠缴了4万元，拖了10天，按社会保险法滞纳金是多少", "cn-shbx-fa-2018", 200, None),
    ("山西省", "骗取失业保险金4000元情节严重，罚款最多多少", "cn-sybx-tiaoli-1999", 4000, 12000),
    ("河南省", "当地最低工资标准1900元，失业保险金每月多少", "ha-sybx-tiaoli-2001", 1520, None),
    ("山东省", "职业中介机构违法，违法所得8000元，最多罚多少", "sd-jycj-tiaoli-2016", 24000, None),
    ("河南省", "郑州的厂子停工停产超过一个工资支付周期，当地最低工资标准2000元，基本生活费不低于多少",
     "zz-ldyg-tiaoli-2012", 1200, None),
]


def test_every_document_has_a_reviewed_rules_file():
    docs = {p.name.removesuffix(".txt") for p in (REPO / "corpus/documents").glob("*.txt")}
    files = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in (REPO / "corpus/rules").glob("*.yaml")}
    assert docs <= set(files), sorted(docs - set(files))
    assert all(f.get("reviewed", True) and all(r.get("reviewed", True) for r in f["rules"]) for f in files.values())


def test_every_document_stating_a_figure_has_a_case_here():
    # 国办发〔2018〕117号 names its incentives without a figure the asker could compute from
    stated = {p.stem for p in (REPO / "corpus/rules").glob("*.yaml")
              if any(r["kind"] not in ("not_stated", "eligibility_only")
                     for r in yaml.safe_load(p.read_text(encoding="utf-8"))["rules"])}
    assert stated == {doc for _, _, doc, _, _ in CASES}


@pytest.mark.parametrize("region, question, doc, amount, upper", CASES, ids=[c[2] for c in CASES])
def test_an_amount_question_is_computed_with_its_clause(assistant, region, question, doc, amount, upper):
    served = assistant.home_region
    assistant.home_region = region
    try:
        a = assistant.ask(question, session=assistant.new_session(), as_of=AS_OF)
    finally:
        assistant.home_region = served
    calc = a.calculation
    assert calc is not None, a.answer
    assert calc.amount == Decimal(amount) and calc.amount_max == (None if upper is None else Decimal(upper)), calc
    assert calc.formula and ("×" in calc.formula or "÷" in calc.formula)
    first = a.answer.split("\n")[0]
    assert f"{amount:,}元" in first, first
    assert any(c.clause_id.startswith(doc + "#") for c in a.citations), [c.clause_id for c in a.citations]


def test_a_document_without_figures_says_so(assistant):
    a = assistant.ask("国办发〔2018〕117号对督查激励的地方奖励多少钱", session=assistant.new_session(), as_of=AS_OF)
    assert a.calculation is None or a.calculation.amount is None
    assert "没有规定具体的金额" in a.answer or "未规定具体金额" in a.answer, a.answer
