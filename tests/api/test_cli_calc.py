"""`policy-qa calc` and `policy-qa match`: real corpus, real rules, output for people and for scripts;
bad input is one Chinese line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from api.cli_calc import calc_command, match_command

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture()
def runner(monkeypatch) -> CliRunner:
    monkeypatch.setenv("POLICY_QA_CORPUS_DIR", str(REPO / "corpus"))
    monkeypatch.delenv("POLICY_QA_AS_OF", raising=False)
    return CliRunner()


def run(runner: CliRunner, command, *args: str, input: str | None = None) -> Result:
    return runner.invoke(command, list(args), input=input)


def assert_one_line_error(result: Result, *words: str, exit_code: int = 2) -> None:
    assert result.exit_code == exit_code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误："), result.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


class TestCalc:
    def test_list(self, runner: CliRunner) -> None:
        r = run(runner, calc_command, "--list")
        assert r.exit_code == 0
        assert "job_retention_training_subsidy" in r.stdout and "一次性留工培训补助" in r.stdout
        assert "每人500元" in r.stdout
        data = json.loads(run(runner, calc_command, "--list", "--json").stdout)
        assert len(data["rules"]) >= 25
        rule = next(x for x in data["rules"] if x["rule_id"] == "job_retention_refund")
        assert {p["name"] for p in rule["parameters"]} == {"unemployment_insurance_paid_last_year", "size"}

    def test_show(self, runner: CliRunner) -> None:
        r = run(runner, calc_command, "employment_assistance_base_award", "--show", "--as-of", "2022-07-01")
        assert r.exit_code == 0
        assert "poverty_labourers_hired" in r.stdout and "吸纳脱贫劳动力人数" in r.stdout
        assert "30人及以上 50,000元（5万元）" in r.stdout
        assert "对吸纳人数达到 30 人及以上的，可给予 5 万元的一次性奖励" in r.stdout
        data = json.loads(run(runner, calc_command, "留工补助", "--show", "--json").stdout)
        assert data["rule_id"] == "job_retention_training_subsidy" and data["citations"][0]["label"] == "第2条第(2)项"

    def test_compute_for_people(self, runner: CliRunner) -> None:
        r = run(runner, calc_command, "job_retention_training_subsidy", "insured_employees=25", "--as-of", "2022-07-01")
        assert r.exit_code == 0, r.output
        assert "25人 × 500元/人 = 12,500元（1.25万元）" in r.stdout
        assert "在执行期内" in r.stdout and "第2条第(2)项" in r.stdout

    @pytest.mark.parametrize(
        "args",
        [("job_retention_training_subsidy", "insured_employees=25"),
         ("job_retention_training_subsidy", "--param", "employees=25"),
         ("留工补助", "-p", "参保职工人数=25人"),
         ("job_retention_training_subsidy", "employees=25", "industry=餐饮")],
    )
    def test_compute_json(self, runner: CliRunner, args: tuple[str, ...]) -> None:
        r = run(runner, calc_command, *args, "--json", "--as-of", "2026-11-26")
        assert r.exit_code == 0, r.output
        data = json.loads(r.stdout)
        assert data["ok"] is True and data["calculation"]["amount"] == 12500
        assert data["validity"]["lapsed"] is True

    def test_tiers_and_rates(self, runner: CliRunner) -> None:
        r = run(runner, calc_command, "employment_assistance_base_award", "poverty_labourers_hired=50", "--json")
        assert json.loads(r.stdout)["calculation"]["amount"] == 100000
        r = run(runner, calc_command, "job_retention_refund", "paid=10万", "size=小微", "--json")
        assert json.loads(r.stdout)["calculation"]["formula"] == "100,000元 × 90% = 90,000元（9万元）"

    @pytest.mark.parametrize(
        ("args", "words"),
        [
            (("job_retention_training_subsidy", "insured_employees=-3"), ("参保职工人数（insured_employees）", "负数")),
            (("job_retention_training_subsidy", "insured_employees=0"), ("insured_employees", "大于 0")),
            (("job_retention_training_subsidy", "insured_employees=2.5"), ("insured_employees", "整数")),
            (("job_retention_training_subsidy", "insured_employees=abc"), ("insured_employees", "数字")),
            (("job_retention_training_subsidy", "insured_employees=1000000000000"), ("insured_employees", "过大")),
            (("job_retention_training_subsidy",), ("缺少参数", "参保职工人数（insured_employees）")),
            (("job_retention_refund", "paid=100"), ("缺少参数", "企业规模（size）")),
            (("no_such_rule", "x=1"), ("no_such_rule",)),
            (("no_such_rule", "--show"), ("no_such_rule",)),
            (("job_retention_training_subsidy", "employees"), ("名称=数值",)),
            (("job_retention_training_subsidy", "employees=3", "--as-of", "2022/7/1"), ("--as-of",)),
            ((), ("规则 id",)),
        ],
    )
    def test_bad_input_is_one_chinese_line_and_exit_2(self, runner: CliRunner, args: tuple[str, ...], words) -> None:
        assert_one_line_error(run(runner, calc_command, *args), *words)

    def test_bad_input_with_json_still_prints_the_outcome(self, runner: CliRunner) -> None:
        r = run(runner, calc_command, "job_retention_training_subsidy", "employees=-1", "--json")
        assert r.exit_code == 2
        assert json.loads(r.stdout)["error"]["param"] == "insured_employees"


class TestMatch:
    def test_small_restaurant(self, runner: CliRunner) -> None:
        r = run(runner, match_command, "--industry", "餐饮", "--size", "small", "--employees", "25", "--as-of", "2022-07-01")
        assert r.exit_code == 0, r.output
        assert "一次性留工培训补助" in r.stdout and "25人 × 500元/人 = 12,500元（1.25万元）" in r.stdout
        assert "二选一" in r.stdout and "一次性扩岗补助" in r.stdout
        assert "不适用" in r.stdout

    def test_json_and_all(self, runner: CliRunner) -> None:
        r = run(runner, match_command, "--industry", "饭店", "--size", "小微", "--employees", "25", "--graduates", "2",
                "--region-risk", "低风险", "--json")
        data = json.loads(r.stdout)
        stay = next(m for m in data["measures"] if m["rule_id"] == "job_retention_training_subsidy")
        assert stay["status"] == "applies" and stay["amount"] == 12500
        assert ["job_expansion_subsidy", "small_micro_hiring_award"] in data["choices"]
        r = run(runner, match_command, "--industry", "餐饮", "--all")
        assert "人力资源服务产业园一次性奖励" in r.stdout and "适用范围" in r.stdout

    def test_profile_json_from_file_and_stdin(self, runner: CliRunner, tmp_path: Path) -> None:
        path = tmp_path / "profile.json"
        path.write_text(json.dumps({"industry": "餐饮", "size": "small", "insured_employees": 10}), encoding="utf-8")
        data = json.loads(run(runner, match_command, "--profile-json", str(path), "--json").stdout)
        assert next(m for m in data["measures"] if m["rule_id"] == "job_retention_training_subsidy")["amount"] == 5000
        # an option on the command line overrides the file
        data = json.loads(run(runner, match_command, "--profile-json", "-", "--employees", "4", "--json",
                              input=path.read_text(encoding="utf-8")).stdout)
        assert next(m for m in data["measures"] if m["rule_id"] == "job_retention_training_subsidy")["amount"] == 2000

    def test_flags_and_extra_parameters(self, runner: CliRunner) -> None:
        r = run(runner, match_command, "--labour-intensive", "--total-employees", "1000", "--poverty-labourers", "300",
                "--json")
        ids = {m["rule_id"]: m for m in json.loads(r.stdout)["measures"]}
        assert ids["labour_intensive_hiring_subsidy"]["amount"] == 450000
        r = run(runner, match_command, "--org-type", "职业院校", "--set", "intermediate_certificates=10", "--json")
        ids = {m["rule_id"]: m for m in json.loads(r.stdout)["measures"]}
        assert ids["certification_subsidy"]["amount"] == 6000

    @pytest.mark.parametrize(
        ("args", "words"),
        [
            (("--employees", "-3"), ("参保职工人数（insured_employees）", "负数")),
            (("--employees", "2.5"), ("整数",)),
            (("--employees", "abc"), ("数字",)),
            (("--employees", "1000000000000"), ("过大",)),
            (("--size", "巨型"), ("企业规模（size）",)),
            (("--region-risk", "很高"), ("region_risk",)),
            (("--set", "wings=2"), ("wings",)),
            (("--set", "wings"), ("名称=数值",)),
            (("--profile-json", "/nonexistent/profile.json"), ("无法读取",)),
            (("--as-of", "tomorrow"), ("--as-of",)),
        ],
    )
    def test_bad_profile_is_one_chinese_line_and_exit_2(self, runner: CliRunner, args: tuple[str, ...], words) -> None:
        assert_one_line_error(run(runner, match_command, *args), *words)

    def test_bad_profile_json(self, runner: CliRunner) -> None:
        assert_one_line_error(run(runner, match_command, "--profile-json", "-", input="{not json"), "JSON")
        assert_one_line_error(run(runner, match_command, "--profile-json", "-", input="[1, 2]"), "JSON")


class TestBrokenData:
    def test_missing_documents_exit_1(self, runner: CliRunner, tmp_path: Path, monkeypatch) -> None:
        monkeypatch.setenv("POLICY_QA_CORPUS_DIR", str(tmp_path))
        assert_one_line_error(run(runner, calc_command, "--list"), exit_code=1)

    def test_rules_quoting_text_not_in_the_source_exit_1(self, runner: CliRunner, tmp_path: Path, monkeypatch) -> None:
        corpus = tmp_path / "corpus"
        shutil.copytree(REPO / "corpus" / "documents", corpus / "documents")
        (corpus / "rules").mkdir()
        rules = (REPO / "corpus" / "rules" / "sx-rst-2022-19.yaml").read_text(encoding="utf-8")
        (corpus / "rules" / "sx-rst-2022-19.yaml").write_text(rules.replace("每名参保职工 500 元", "每名参保职工 600 元"),
                                                             encoding="utf-8")
        monkeypatch.setenv("POLICY_QA_CORPUS_DIR", str(corpus))
        assert_one_line_error(run(runner, match_command, "--industry", "餐饮"), "job_retention_training_subsidy",
                              "600 元", exit_code=1)
