"""Chunks: one per leaf clause, context headers, sentence-aligned splits that never cross items."""

from __future__ import annotations

from pathlib import Path

from index.chunking import chunk_document
from index.parse import load_corpus, parse_text
from index.types import DocumentMeta

REPO = Path(__file__).resolve().parents[2]


def test_one_chunk_per_leaf_clause_of_the_seed():
    doc = load_corpus(REPO / "corpus")["sx-rst-2022-19"]
    chunks = chunk_document(doc)
    assert [c.clause_id for c in chunks] == [c.clause_id for c in doc.leaves()]
    by_id = {c.clause_id: c for c in chunks}
    sub = by_id["sx-rst-2022-19#2.2"]
    assert "全力支持企业稳岗扩岗" in sub.header and "加大失业保险稳岗支持力度" in sub.header
    assert sub.metadata["leaders"] == "孔宪江、贺德孝"
    assert sub.metadata["section"] == "s1"
    assert sub.metadata["period_end"] == "2022-12-31"


def test_long_clause_splits_at_sentence_ends_and_stays_in_its_item():
    sentence = "对符合条件的企业按每人五百元的标准给予补贴，所需资金从就业补助资金列支。"
    raw = "某办法\n\n一、总则\n\n1. " + sentence * 30 + "\n\n2. 第二条很短。\n"
    doc = parse_text(raw, DocumentMeta(doc_id="long", title="某办法"))
    chunks = chunk_document(doc, max_chars=200)
    first = [c for c in chunks if c.clause_id == "long#1"]
    assert len(first) > 1
    for c in first:
        assert c.text.endswith("。") and len(c.text) <= 200
        assert sentence in c.text  # never mid-sentence
        assert "第二条" not in c.text
    assert [c.chunk_id for c in first][:2] == ["long#1", "long#1~2"]
    assert "".join(c.text for c in first) == doc.clauses["long#1"].text
