"""Reading gold sets: every bad line is reported with its line number, good lines still load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.gold_format import check_clause_ids, expand_cases, load_gold

REPO = Path(__file__).resolve().parents[2]
GOOD = {"id": "g1", "category": "amount", "question": "留工补助每人多少", "expected_clauses": ["sx-rst-2022-19#2.2"],
        "must_contain": [["500元", "五百元"]], "must_not_contain": [], "expect_refusal": False}


def write_lines(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def line(**changes) -> str:
    data = {**GOOD, **changes}
    return json.dumps({k: v for k, v in data.items() if v is not ...}, ensure_ascii=False)


class TestLoadGold:
    def test_bad_lines_are_reported_with_their_numbers(self, tmp_path):
        path = write_lines(tmp_path, [
            line(),                                        # 1 good
            '{"id": "x", "category": "amount", "question": ',  # 2 invalid JSON
            line(id="g3", colour="red"),                   # 3 unknown field
            line(id="g4", question=...),                   # 4 missing question
            line(id="g5", category="weather"),             # 5 bad category
            "",                                            # 6 blank: skipped silently
            line(id="g1"),                                 # 7 duplicate id
            "[1, 2, 3]",                                   # 8 not an object
            line(id="g9", expected_clauses=["2.2"]),       # 9 clause id without document
            line(id="g10", question="   "),                # 10 blank question
            line(id="g11"),                                # 11 good
        ])
        items, problems = load_gold(path)
        assert [i.id for i in items] == ["g1", "g11"]
        by_line = dict(problems)
        assert sorted(by_line) == [2, 3, 4, 5, 7, 8, 9, 10]
        assert by_line[2].startswith("invalid JSON")
        assert "unknown field 'colour'" in by_line[3]
        assert "missing question" in by_line[4]
        assert "bad category 'weather'" in by_line[5]
        assert "duplicate id 'g1' (first on line 1)" in by_line[7]
        assert "JSON object" in by_line[8]
        assert "full ids" in by_line[9]
        assert "blank" in by_line[10]

    def test_unreadable_file_is_a_problem_not_an_exception(self, tmp_path):
        items, problems = load_gold(tmp_path / "missing.jsonl")
        assert items == [] and problems[0].line_no == 0

    def test_not_utf8_is_a_problem(self, tmp_path):
        path = tmp_path / "gbk.jsonl"
        path.write_bytes(line().encode("gbk"))
        assert load_gold(path)[1][0].line_no == 0

    def test_plain_string_fact_is_one_alternative(self, tmp_path):
        items, problems = load_gold(write_lines(tmp_path, [line(must_contain=["500元", ["90%", "百分之九十"]])]))
        assert problems == []
        assert items[0].must_contain == [["500元"], ["90%", "百分之九十"]]

    def test_empty_alternative_is_rejected(self, tmp_path):
        _, problems = load_gold(write_lines(tmp_path, [line(must_contain=[[]])]))
        assert problems and "empty" in problems[0].message


class TestConversations:
    def conv(self, **changes) -> str:
        data = {"id": "c1", "category": "amount", "as_of": "2022-10-01",
                "turns": [{"question": "我开饭店"},
                          {"question": "25个员工留工补助多少", "expected_clauses": ["sx-rst-2022-19#2.2"], "must_contain": [["12500"]]}]}
        data.update(changes)
        return json.dumps(data, ensure_ascii=False)

    def test_only_turns_with_expectations_become_cases(self, tmp_path):
        items, problems = load_gold(write_lines(tmp_path, [self.conv()]))
        assert problems == []
        cases = expand_cases(items)
        assert [c.case_id for c in cases] == ["c1#t2"]
        assert cases[0].turn == 2 and cases[0].question == "25个员工留工补助多少"
        assert str(cases[0].expectations.as_of) == "2022-10-01"  # inherited from the item

    def test_conversation_without_scored_turns_is_reported(self, tmp_path):
        _, problems = load_gold(write_lines(tmp_path, [self.conv(turns=[{"question": "你好"}])]))
        assert "no turn" in problems[0].message

    def test_unknown_field_in_a_turn_is_reported(self, tmp_path):
        _, problems = load_gold(write_lines(tmp_path, [self.conv(turns=[{"question": "a", "must_contain": [["x"]], "answer": "y"}])]))
        assert "unknown field 'turns.0.answer'" in problems[0].message

    def test_question_and_turns_together_are_reported(self, tmp_path):
        _, problems = load_gold(write_lines(tmp_path, [self.conv(question="x")]))
        assert "not both" in problems[0].message


def test_unknown_clause_ids_are_listed():
    items, _ = load_gold_from([line(expected_clauses=["sx-rst-2022-19#2.2", "sx-rst-2022-19#99"])])
    assert check_clause_ids(items, {"sx-rst-2022-19#2.2"}) == ["g1: expected clause sx-rst-2022-19#99 is not in the corpus"]


def load_gold_from(lines: list[str]):
    from evals.gold_format import parse_gold_lines

    return parse_gold_lines(lines)


@pytest.mark.parametrize("name", ["gold.jsonl", "smoke.jsonl"])
def test_repository_gold_sets_load_cleanly(name):
    path = REPO / "evals" / "gold" / name
    if not path.exists():
        pytest.skip(f"{name} not written yet")
    items, problems = load_gold(path)
    assert problems == []
    assert items


def _per_document_sets() -> list[Path]:
    gold = REPO / "evals" / "gold"
    return sorted([*(gold / "docs").glob("*.jsonl"), *gold.glob("holdout-*.jsonl")])


@pytest.mark.parametrize("path", _per_document_sets(), ids=lambda p: p.name)
def test_per_document_sets_load_cleanly_and_cite_their_own_document(path):
    """A set written for one document (docs/<id>.jsonl, holdout-<id>.jsonl) is valid, its document is in the
    corpus, and it cites only that document."""
    items, problems = load_gold(path)
    assert problems == [] and items
    doc_id = path.stem.removeprefix("holdout-")
    assert list((REPO / "corpus" / "documents").glob(f"{doc_id}.*")), doc_id
    cited = {c.split("#")[0] for it in items for c in _expected_clauses(it)}
    assert cited <= {doc_id}, cited


def _expected_clauses(item) -> list[str]:
    if getattr(item, "turns", None):
        return [c for t in item.turns for c in (t.expected_clauses or [])]
    return list(item.expected_clauses or [])
