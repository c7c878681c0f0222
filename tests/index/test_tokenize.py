"""Tokenisation: policy terms kept whole, bigrams for partial matches, the documents' own terms learnt."""

from __future__ import annotations

from pathlib import Path

from index.parse import load_corpus
from index.tokenize import PolicyTokenizer, document_terms

REPO = Path(__file__).resolve().parents[2]


def test_document_terms_come_from_quotes_and_enumerations():
    text = "持续实施“一县一品牌”工程。鼓励引导农村集体经济组织、农民专业合作社、涉农企业从业人员参加养老保险。"
    terms = document_terms(text)
    assert "一县一品牌" in terms and "农民专业合作社" in terms and "涉农企业从业人员参加养老保险" not in terms


def test_tokens_keep_policy_terms_whole_and_add_bigrams():
    docs = load_corpus(REPO / "corpus")
    tok = PolicyTokenizer.for_documents(REPO / "corpus", docs)
    tokens = tok.tokens("留工补助每人多少钱")
    assert "留工补助" in tokens and "#留工" in tokens and "#补助" in tokens
    assert "农民专业合作社" in tok.words("农民专业合作社的人")
    assert "王小园" in tok.words("王小园是干什么的")  # roster names from the parsed attachment


def test_dictionary_words_leave_out_the_pairs_jiebas_hmm_guesses():
    """`hmm=False` keeps to dictionary words: "再领", "上能" are character pairs the HMM joins, not words a
    scope check could find missing from the documents; real words stay words either way."""
    tok = PolicyTokenizer.from_corpus(REPO / "corpus")
    guessed = tok.words("补贴今年没排上能挪到明年再领吗")
    plain = tok.words("补贴今年没排上能挪到明年再领吗", hmm=False)
    assert {"上能", "再领"} <= set(guessed) and not {"上能", "再领"} & set(plain), (guessed, plain)
    assert "补贴" in plain and "明年" in plain
