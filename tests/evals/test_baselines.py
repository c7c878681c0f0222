"""The three baselines built on the real corpus with the real m3e-small model."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.settings import Settings
from evals.baselines import CHUNK_SIZE, build_baselines, laws_chunks, split_raw
from index.parse import load_corpus

REPO = Path(__file__).resolve().parents[2]
DOC = "sx-rst-2022-19"


@pytest.fixture(scope="module")
def docs():
    return load_corpus(REPO / "corpus")


class TestChunking:
    def test_raw_splits_are_at_most_250_characters_and_map_to_leaves(self, docs):
        chunks = split_raw(docs)
        leaves = {c.clause_id for d in docs.values() for c in d.leaves()}
        assert all(len(c.text) <= CHUNK_SIZE for c in chunks)
        assert all(docs[c.doc_id].raw[c.start : c.end] == c.text for c in chunks)
        mapped = [c.clause_id for c in chunks]
        assert all(cid in leaves or "#raw@" in cid for cid in mapped)
        # the split holding "每名参保职工 500 元" is mapped to the 留工补助 sub-item
        holder = next(c for c in chunks if "每名参保职工 500 元" in c.text)
        assert holder.clause_id == f"{DOC}#2.2"

    def test_laws_template_has_one_chunk_per_item_with_sub_items_merged(self, docs):
        chunks = {c.clause_id: c for c in laws_chunks(docs)}
        items = [c for c in docs[DOC].clauses.values() if c.kind == "item"]
        assert len(items) == 32 and all(i.clause_id in chunks for i in items)
        assert not any(c.endswith(("#2.1", "#2.2", "#12.3")) for c in chunks)  # sub-items live inside their item
        item2 = chunks[f"{DOC}#2"].text
        assert "免申即享" in item2 and "留工培训补助" in item2 and "扩岗补助" in item2
        assert item2.startswith("全力支持企业稳岗扩岗")  # section heading prefixed, as RAGFlow prefixes titles
        assert f"{DOC}#att2.7" in chunks and f"{DOC}#att1" in chunks


@pytest.mark.slow
class TestBaselines:
    @pytest.fixture(scope="class")
    def baselines(self, docs):
        from index.embed import load_embedder

        return build_baselines(docs, load_embedder(Settings().embedding_model))

    def test_three_named_baselines(self, baselines):
        assert [b.name for b in baselines] == ["langchain-chroma", "jieba-bm25", "ragflow-laws"]

    def test_every_baseline_returns_corpus_clause_ids(self, baselines, docs):
        known = {cid for d in docs.values() for cid in d.clauses}
        for b in baselines:
            a = b.answer("企业招用毕业年度高校毕业生，一次性扩岗补助每人多少钱？")
            assert len(a.retrieved) == len(set(a.retrieved)) >= 5
            assert all(cid in known or "#raw@" in cid for cid in a.retrieved), b.name
            assert a.status == "answered" and a.citations[0].clause_id == a.retrieved[0]
            assert a.citations[0].quote in a.answer

    def test_a_distinctive_question_retrieves_its_clause(self, baselines):
        for b in baselines:
            ranked = b.answer("省级劳务品牌的一次性建设补助最高多少？").retrieved
            assert f"{DOC}#10" in ranked[:3], (b.name, ranked)

    def test_ranking_is_deterministic(self, baselines):
        for b in baselines:
            q = "谁负责工伤保险"
            assert b.answer(q).retrieved == b.answer(q).retrieved
