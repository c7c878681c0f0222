"""Dense search restricted to documents: an in-process row mask over the version's vectors, exact."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.retrieve import DenseSearch, HybridSearch, SearchFilters
from index.store import open_index


@pytest.fixture(scope="module")
def version(built_index):
    return open_index(built_index)


def _brute_force(version, vector, doc_ids, k):
    """Every allowed chunk scored one by one: what the restricted matrix product must reproduce."""
    rows = [i for i, c in enumerate(version.chunks) if not doc_ids or c.doc_id in doc_ids]
    q = vector / np.linalg.norm(vector)
    scores = [(float(version.vectors[i] @ q), i) for i in rows]
    scores.sort(key=lambda t: (-t[0], t[1]))
    return [version.chunks[i].chunk_id for _, i in scores[:k]]


class TestDocumentMask:
    def test_mask_selects_exactly_the_chunks_of_the_documents(self, version):
        some = tuple(list(version.docs)[:2])
        mask = version.document_mask(some)
        assert mask.dtype == bool and len(mask) == len(version.chunks)
        assert [c.chunk_id for c, ok in zip(version.chunks, mask) if ok] == [
            c.chunk_id for c in version.chunks if c.doc_id in some]

    def test_mask_is_reused_for_the_same_documents_in_any_order(self, version):
        some = list(version.docs)[:3]
        assert version.document_mask(tuple(some)) is version.document_mask(tuple(reversed(some)))

    def test_unknown_document_selects_nothing(self, version):
        assert not version.document_mask(("no-such-document",)).any()


class TestDenseSearch:
    def test_vectors_are_unit_rows_matching_the_collection(self, version):
        assert version.vectors.shape[0] == len(version.chunks) == version.collection.count()
        assert np.allclose(np.linalg.norm(version.vectors, axis=1), 1.0, atol=1e-5)

    def test_run_restricted_to_documents_equals_brute_force(self, version, embedder):
        vector = embedder.encode_one("失业保险金领取期限")
        dense = DenseSearch(version)
        for doc_ids in [(), tuple(list(version.docs)[:1]), tuple(list(version.docs)[1:])]:
            mask = version.document_mask(doc_ids) if doc_ids else None
            got = [cid for cid, _ in dense.run(vector, 20, mask)]
            assert got == _brute_force(version, vector, set(doc_ids), 20)
            assert all(cid.split("#")[0] in doc_ids for cid in got) or not doc_ids

    def test_run_with_an_empty_mask_finds_nothing(self, version, embedder):
        vector = embedder.encode_one("工伤认定")
        assert DenseSearch(version).run(vector, 5, np.zeros(len(version.chunks), dtype=bool)) == []

    def test_hybrid_search_keeps_to_the_filtered_documents(self, version, embedder, settings):
        from index.tokenize import PolicyTokenizer

        search = HybridSearch(version, PolicyTokenizer.for_documents(settings.corpus_dir, version.docs), embedder)
        one = next(iter(version.docs))
        hits = search.search("补贴标准是多少", k=10, filters=SearchFilters(doc_ids=(one,)))
        assert hits and all(h.clause_id.split("#")[0] == one for h in hits)
