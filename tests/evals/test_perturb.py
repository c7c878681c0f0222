"""Robustness rewrites: each changes the question the way it claims, the same way every time."""

from __future__ import annotations

import json

import pytest

from evals.gold_format import parse_gold_lines
from evals.normalize import normalize
from evals.perturb import (
    PERTURBATIONS,
    add_fillers,
    int_to_hanzi,
    load_perturbation_table,
    numbers_to_hanzi,
    perturb_items,
    perturb_question,
    to_traditional,
)

QUESTION = "我们企业招了25个高校毕业生，一次性扩岗补助能拿多少钱？"


@pytest.fixture(scope="module")
def table():
    return load_perturbation_table(None)


@pytest.mark.parametrize("kind", list(PERTURBATIONS))
def test_every_perturbation_changes_a_suitable_question(kind, table):
    assert perturb_question(QUESTION, kind, table, key="q1") != QUESTION


@pytest.mark.parametrize("kind", list(PERTURBATIONS))
def test_same_seed_and_key_give_the_same_rewrite(kind, table):
    runs = {perturb_question(QUESTION, kind, table, seed=7, key="q1") for _ in range(3)}
    assert len(runs) == 1


def test_different_keys_draw_differently(table):
    rewrites = {perturb_question(QUESTION, "filler", table, key=f"q{i}") for i in range(20)}
    assert len(rewrites) > 1


def test_synonym_swap_replaces_a_term_with_a_group_member(table):
    out = perturb_question("高校毕业生有什么补贴", "synonym", table, key="k")
    group = next(g for g in table.synonyms if "高校毕业生" in g)
    assert "高校毕业生" not in out
    assert any(term in out for term in group if term != "高校毕业生")


def test_typo_makes_exactly_one_slip(table):
    out = perturb_question("稳岗返还比例是多少", "typo", table, key="k")
    assert out == "稳岗反还比例是多少"  # the listed phrase typo wins over single characters
    single = perturb_question("申请标准", "typo", table, key="k")
    assert sum(a != b for a, b in zip(single, "申请标准")) == 1


def test_traditional_characters():
    assert to_traditional("稳岗返还补贴") == "穩崗返還補貼"


def test_fillers_add_an_opener_and_keep_the_question_mark(table):
    out = add_fillers("留工补助多少钱？", table, __import__("random").Random(1))
    assert out.endswith("？") and out != "留工补助多少钱？"
    assert any(out.startswith(p) for p in table.prefixes)


@pytest.mark.parametrize(("n", "text"), [(10, "十"), (15, "十五"), (25, "二十五"), (105, "一百零五"), (1050, "一千零五十"),
                                         (1500, "一千五百"), (10500, "一万零五百"), (250000, "二十五万"), (100010000, "一亿零一万")])
def test_int_to_hanzi(n, text):
    assert int_to_hanzi(n) == text


def test_numbers_as_hanzi_read_back_to_the_same_figures():
    out = numbers_to_hanzi("2022年招了25个人，每人1,500元，比例90%")
    assert out == "二〇二二年招了二十五个人，每人一千五百元，比例百分之九十"
    assert normalize(out) == normalize("2022年招了25个人，每人1500元，比例90%")


def test_perturb_items_keeps_ids_and_expectations(table):
    lines = [
        json.dumps({"id": "a", "category": "amount", "question": QUESTION, "must_contain": [["37500"]]}, ensure_ascii=False),
        json.dumps({"id": "c", "category": "amount", "turns": [{"question": "我开饭店"}, {"question": "25个员工呢？", "must_contain": [["12500"]]}]},
                   ensure_ascii=False),
    ]
    items, problems = parse_gold_lines(lines)
    assert problems == []
    out = perturb_items(items, "hanzi_numbers", table)
    assert [i.id for i in out] == ["a", "c"]
    assert out[0].must_contain == [["37500"]]
    assert "二十五个" in out[0].question
    assert out[1].turns[1].question == "二十五个员工呢？"
    assert items[0].question == QUESTION  # the originals are untouched


def test_corpus_synonyms_file_takes_over(tmp_path):
    (tmp_path / "synonyms.yaml").write_text(
        "synonyms:\n  - canonical: 稳岗返还\n    variants: [返稳岗钱]\ntypos:\n  稳港返还: 稳岗返还\n", encoding="utf-8"
    )
    table = load_perturbation_table(tmp_path)
    assert table.synonyms == [["稳岗返还", "返稳岗钱"]]
    assert table.typos["稳岗返还"] == "稳港返还"
    assert perturb_question("稳岗返还多少", "synonym", table, key="k") == "返稳岗钱多少"


def test_unknown_perturbation_is_an_error(table):
    with pytest.raises(ValueError):
        perturb_question("x", "rot13", table)
