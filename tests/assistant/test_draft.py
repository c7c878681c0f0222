"""The drafter proposes rules from a document's sentences; every draft loads through the real loader, the
seed's draft recovers the hand-written rules, and each sentence pattern yields its kind and numbers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from assistant.draft import check_draft, draft_rules, normalise, render_draft, slug
from assistant.rules import Rule, RuleDataError, build_rulebook
from index.parse import load_corpus, parse_text
from index.types import DocumentMeta, ParsedDocument

REPO = Path(__file__).resolve().parents[2]
SEED = "sx-rst-2022-19"
NO_MONEY = ("not_stated", "eligibility_only")
FAMILY = {"cap_per_head": "per_head", "lump_cap": "fixed"}
#: measured 16/16 rules with money and 29/29 rules in all on the seed (benchmarks/drafter_recall.py),
#: which the drafter was developed against; the bars leave room for a change of wording, not for a pattern lost
MONEY_RECALL_BAR = 0.85
ALL_RECALL_BAR = 0.8


@pytest.fixture(scope="module")
def docs() -> dict[str, ParsedDocument]:
    return load_corpus(REPO / "corpus")


def _doc(*sentences: str) -> ParsedDocument:
    """A small GB/T-style document, one numbered item per sentence."""
    lines = ["关于测试补贴政策的通知", "", "一、补贴政策", ""]
    for i, s in enumerate(sentences, 1):
        lines += [f"{i}. {s}", ""]
    return parse_text("\n".join(lines), DocumentMeta(doc_id="synthetic", title="关于测试补贴政策的通知"))


def _loaded(*sentences: str) -> list[Rule]:
    """The drafted rules of the sentences, as the real loader resolves them (every one must load)."""
    doc = _doc(*sentences)
    checked = check_draft(draft_rules(doc), doc)
    assert not checked.refused, [(r.rule_id, r.reason) for r in checked.refused]
    return list(build_rulebook([("draft.yaml", checked.data)], {doc.meta.doc_id: doc}))


def _nums(values) -> list[str]:
    return sorted(format(Decimal(v).normalize(), "f") for v in values)


def _only(rules: list[Rule], kind: str) -> Rule:
    hits = [r for r in rules if r.kind == kind]
    assert len(hits) == 1, [(r.kind, r.title) for r in rules]
    return hits[0]


# ---------------------------------------------------------------- the shipped corpus
class TestCorpus:
    def test_draft_of_every_shipped_document_loads(self, docs) -> None:
        for doc_id, doc in docs.items():
            data = draft_rules(doc)
            checked = check_draft(data, doc)
            assert checked.loaded == len(checked.data["rules"]) == len(data["rules"]) - len(checked.refused)
            text = render_draft(checked.data, doc, refused=checked.refused)
            if checked.data["rules"]:
                book = build_rulebook([(f"{doc_id}.yaml", yaml.safe_load(text))], {doc_id: doc})
                assert len(book) == checked.loaded
                assert not any(r.reviewed for r in book)
            # a refusal is the loader's own number check, never a quote the drafter did not copy verbatim
            assert all(r.code == "rule_number_not_quoted" for r in checked.refused), checked.refused

    def test_drafts_of_the_corpus_mostly_load(self, docs) -> None:
        drafted = loaded = 0
        for doc in docs.values():
            checked = check_draft(draft_rules(doc), doc)
            drafted += checked.loaded + len(checked.refused)
            loaded += checked.loaded
        assert loaded >= 0.9 * drafted

    def test_seed_draft_recovers_the_hand_written_rules(self, docs) -> None:
        seed = docs[SEED]
        hand_data = yaml.safe_load((REPO / "corpus" / "rules" / f"{SEED}.yaml").read_text(encoding="utf-8"))
        hand = list(build_rulebook([(f"{SEED}.yaml", hand_data)], docs))
        drafted = list(build_rulebook([("draft.yaml", check_draft(draft_rules(seed), seed).data)], {SEED: seed}))

        def numbers(r: Rule) -> set[Decimal]:
            nums = [t.amount for t in r.terms] + [x for x in (r.amount, r.rate, r.minus_rate) if x is not None]
            nums += [v for sel in (r.amount_by, r.rate_by) if sel for v in sel.values.values()]
            nums += [n for t in r.tiers for n in (t.min, t.amount)]
            return {n.normalize() for n in nums}

        def matches(h: Rule, d: Rule) -> bool:
            return (h.clause == d.clause and FAMILY.get(h.kind, h.kind) == FAMILY.get(d.kind, d.kind)
                    and numbers(h) == numbers(d)
                    and any(x.start < y.end and y.start < x.end for x in h.citations for y in d.citations))

        used: set[str] = set()
        recovered = []
        for h in hand:
            hit = next((d for d in drafted if d.id not in used and matches(h, d)), None)
            if hit:
                used.add(hit.id)
                recovered.append(h)
        money = [h for h in hand if h.kind not in NO_MONEY]
        assert len([h for h in recovered if h.kind not in NO_MONEY]) >= MONEY_RECALL_BAR * len(money)
        assert len(recovered) >= ALL_RECALL_BAR * len(hand)
        assert len(used) >= 0.8 * len(drafted)  # precision: most proposals are rules a person wrote too


# ---------------------------------------------------------------- one pattern each
class TestPatterns:
    def test_per_head_amount_names_the_counted_noun(self) -> None:
        rules = _loaded("对吸纳退役军人就业的小微企业，按照每名退役军人 800 元的标准发放一次性就业补助。")
        r = _only(rules, "per_head")
        assert r.title == "一次性就业补助"
        assert _nums(t.amount for t in r.terms) == ["800"]

    def test_monthly_amount_per_head_times_months_at_most_the_stated_maximum(self) -> None:
        r = _only(_loaded("对参加就业见习的青年，按照每人每月1500元的标准给予见习补贴，补贴期限最长不超过12个月。"), "per_head")
        assert (r.terms[0].amount, r.times.max, r.per_period) == (1500, 12, None)

    def test_amount_per_thing_counted_that_is_not_a_person(self) -> None:
        doc = _doc("养老服务机构每张床位给予2000元的建设补贴。")
        data = draft_rules(doc)
        r = _only(list(build_rulebook([("d.yaml", data)], {"synthetic": doc})), "per_head")
        assert (r.terms[0].amount, r.terms[0].per) == (2000, "张")
        assert data["parameters"][r.terms[0].param]["aliases"][0] == "床位"

    def test_per_head_amount_with_a_maximum_is_a_cap(self) -> None:
        r = _only(_loaded("对开展新型学徒制培训的企业，学徒培训补贴最高可至每人5000元。"), "cap_per_head")
        assert _nums(t.amount for t in r.terms) == ["5000"]

    def test_amount_for_driving_jobs_is_fixed_with_a_threshold(self) -> None:
        r = _only(_loaded("对返乡创业并带动3人以上就业的，给予20000元的一次性创业补贴。"), "fixed")
        assert r.amount == 20000
        assert [(t.phrase, t.value) for t in r.thresholds] == [("以上", 3)]

    def test_one_tier_alone_is_an_amount_with_a_threshold(self) -> None:
        r = _only(_loaded("对吸纳10人以上的小微企业，给予2万元的一次性奖励。"), "fixed")
        assert r.amount == 20000 and [(t.phrase, t.value) for t in r.thresholds] == [("以上", 10)]

    def test_tiers_over_consecutive_clauses(self) -> None:
        r = _only(_loaded("对吸纳人数达到10人及以上的，给予2万元的一次性奖励；达到20人及以上的，给予5万元的一次性奖励。"), "tiered")
        assert [(t.min, t.amount, t.phrase) for t in r.tiers] == [(10, 20000, "及以上"), (20, 50000, "及以上")]

    def test_rate_of_a_base_the_asker_states(self, tmp_path) -> None:
        doc = _doc("城乡居民养老保险缴费补贴按照当地最低缴费档次的30%发放。")
        data = draft_rules(doc)
        r = _only(list(build_rulebook([("d.yaml", data)], {"synthetic": doc})), "rate")
        assert r.rate == Decimal("0.3")
        assert "最低缴费档次" in data["parameters"][r.base]["aliases"]

    def test_monthly_rate_times_months_at_most_the_stated_maximum(self) -> None:
        r = _only(_loaded("失业保险金按照当地最低工资标准的90%按月发放，最长不超过24个月。"), "rate")
        assert (r.rate, r.times.max) == (Decimal("0.9"), 24)

    def test_a_fine_of_a_range_of_multiples_is_a_ranged_rate(self) -> None:
        # the synthetic sentences of the drafter's own tests, not a document's: a fine's range of a sum stated
        r = _only(_loaded("冒领培训补贴的，由人力资源社会保障部门责令退回，处冒领金额二倍以上四倍以下的罚款。"), "rate")
        assert (r.rate, r.rate_max) == (Decimal("2"), Decimal("4"))
        assert "冒领金额" in r.title

    def test_a_fine_without_a_multiple_is_still_not_drafted(self) -> None:
        doc = _doc("违反本办法规定的，由人力资源社会保障部门处五千元罚款。")
        assert not draft_rules(doc)["rules"]

    def test_a_daily_late_fee_in_wan_fen_zhi_times_the_days(self) -> None:
        r = _only(_loaded("未按期缴纳培训费的，自滞纳之日起，按日加收万分之三的滞纳金。"), "rate")
        assert r.rate == Decimal("0.0003") and r.times is not None and r.base != r.times.param

    def test_rate_with_a_money_cap(self) -> None:
        r = _only(_loaded("对招用就业困难人员的企业，按照实际缴纳社会保险费的50%给予社会保险补贴，每户最高不超过3000元。"), "rate")
        assert (r.rate, r.cap.amount) == (Decimal("0.5"), 3000)

    def test_raised_rate_and_the_difference_paid_to_those_paid_at_the_old_rate(self) -> None:
        rules = _loaded("对参保企业返还比例由50%提高至75%。已按50%比例返还的企业，由经办机构补发差额。")
        pairs = sorted((r.rate, r.minus_rate or 0) for r in rules)
        assert pairs == [(Decimal("0.75"), 0), (Decimal("0.75"), Decimal("0.5"))]

    def test_schedule_of_months_over_a_duration(self) -> None:
        doc = _doc("累计缴费时间满1年不足3年的，领取生活补助金的期限最长为6个月；累计缴费时间满3年以上的，领取生活补助金的期限最长为12个月。")
        data = draft_rules(doc)
        r = _only(list(build_rulebook([("d.yaml", data)], {"synthetic": doc})), "tiered")
        assert r.unit == "个月" and [(t.min, t.amount) for t in r.tiers] == [(1, 6), (3, 12)]
        assert data["parameters"][r.count]["type"] == "duration" and "缴费时间" in data["parameters"][r.count]["aliases"]

    @pytest.mark.parametrize(
        ("sentence", "rate"),
        [
            ("一次性抚慰金标准为上年度当地职工年平均工资的2倍。", "2"),
            ("丧葬补助费为3个月的本人月工资。", "3"),
        ],
    )
    def test_multiples_of_a_base(self, sentence: str, rate: str) -> None:
        assert _only(_loaded(sentence), "rate").rate == Decimal(rate)

    def test_a_share_above_the_whole_is_a_rate_its_percentage_states(self) -> None:
        # 加班工资 at 200% of the hourly wage: paid (支付) as a 工资报酬, written as a percentage over 100
        r = _only(_loaded("安排劳动者延长工作时间的，按照其小时工资收入的200%支付加班工资报酬。"), "rate")
        assert r.rate == Decimal("2")

    def test_rates_chosen_by_a_category_the_sentence_enumerates(self) -> None:
        r = _only(_loaded("从基金按月支付护理津贴，标准为：一档为护理基数的60%，二档为护理基数的40%。"), "rate")
        assert _nums(r.rate_by.values.values()) == ["0.4", "0.6"]

    def test_amounts_by_level_of_one_noun_are_one_choice(self) -> None:
        r = _only(_loaded("对新认定的市级和省级示范基地，分别给予30万元和50万元的一次性奖补。"), "fixed")
        assert _nums(r.amount_by.values.values()) == ["300000", "500000"]

    def test_amounts_for_two_recipients_are_two_rules(self) -> None:
        rules = _loaded("对评为优秀的创业园区和孵化基地分别给予最高20万元和最高10万元的运营补助。")
        assert sorted((r.kind, r.amount, r.title) for r in rules) == [
            ("lump_cap", 100000, "孵化基地运营补助"), ("lump_cap", 200000, "创业园区运营补助")]

    def test_per_head_amounts_for_several_kinds_of_head(self) -> None:
        r = _only(_loaded("对技工院校组织学生参加技能评价的，按取证人数给予取证补贴，补贴标准为初级证书 300 元、中级证书 500 元。"), "per_head")
        assert [(t.label, t.amount) for t in r.terms] == [("初级证书", 300), ("中级证书", 500)]

    def test_benefit_named_without_an_amount(self) -> None:
        r = _only(_loaded("对符合条件的困难家庭，按规定给予临时救助金。"), "not_stated")
        assert r.title == "临时救助金"

    def test_deferral_with_a_period_is_eligibility_only(self) -> None:
        r = _only(_loaded("受灾企业可申请缓缴医疗保险费，缓缴期限到2025年年底。"), "eligibility_only")
        assert r.periods and r.periods[0].end_date == date(2025, 12, 31)

    def test_period_the_sentence_states(self) -> None:
        r = _only(_loaded("企业招用退役军人的，按照每人 600 元的标准发放一次性吸纳补贴，政策执行期至2025年12月31日。"), "per_head")
        assert r.periods[0].end_date == date(2025, 12, 31)

    def test_chinese_numerals_are_read(self) -> None:
        r = _only(_loaded("失业保险金按照最低工资标准的百分之八十按月发放，最长不超过二十四个月。"), "rate")
        assert (r.rate, r.times.max) == (Decimal("0.8"), 24)
        r = _only(_loaded("对登记失业的高校毕业生，按照每人二千元的标准发放一次性求职补贴。"), "per_head")
        assert r.terms[0].amount == 2000

    def test_penalties_are_not_benefits(self) -> None:
        doc = _doc("违反本办法的，由主管部门责令改正，处2000元以上1万元以下的罚款。")
        assert draft_rules(doc)["rules"] == []


class TestText:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("最长不超过二十四个月", "最长不超过24个月"),
            ("百分之九十", "90%"),
            ("五百元以上三千元以下", "500元以上3000元以下"),
            ("发放一次性补贴", "发放一次性补贴"),
            ("上一年度平均工资", "上一年度平均工资"),
        ],
    )
    def test_normalise_reads_numerals_before_units_only(self, text: str, expected: str) -> None:
        norm = normalise(text)
        assert norm.text == expected
        assert norm.orig_span(0, len(norm.text)) == text

    def test_slug_is_ascii_snake_case(self) -> None:
        assert slug("一次性留工培训补助") == "yicixing_liugong_peixun_buzhu"


class TestLoaderCheck:
    def test_number_not_in_the_source_fails_the_loader(self, docs) -> None:
        seed = docs[SEED]
        data = draft_rules(seed)
        rule = next(r for r in data["rules"] if r["kind"] == "per_head")
        rule["terms"][0]["amount"] = "551"
        with pytest.raises(RuleDataError) as err:
            build_rulebook([("draft.yaml", {**data, "rules": [rule]})], {SEED: seed})
        assert err.value.code == "rule_number_not_quoted"
        checked = check_draft(data, seed)
        assert [r.rule_id for r in checked.refused] == [rule["id"]]
        assert rule["id"] in render_draft(checked.data, seed, refused=checked.refused)


class TestCli:
    def test_rules_draft_writes_a_draft_that_rules_check_loads(self, tmp_path) -> None:
        from api.cli import cli

        out = tmp_path / "draft.yaml"
        runner = CliRunner()
        res = runner.invoke(cli, ["rules", "draft", "cn-sybx-tiaoli-1999", "--out", str(out)])
        assert res.exit_code == 0, res.output
        assert "规则加载器加载" in res.output
        res = runner.invoke(cli, ["rules", "check", str(out)])
        assert res.exit_code == 0, res.output
        assert "未审核" in res.output and "已审核 0" in res.output

    def test_rules_draft_of_an_unknown_document_is_one_line(self) -> None:
        from api.cli import cli

        res = CliRunner().invoke(cli, ["rules", "draft", "no-such-document"])
        assert res.exit_code == 2 and "no-such-document" in res.output
