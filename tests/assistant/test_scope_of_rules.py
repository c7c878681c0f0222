"""A rule book is searched within the question's documents, and several documents that answer are cited side by side.

The corpus is served in 山西 (corpus/deployment.yaml): a question naming no place is answered from the national
texts and 山西's own. Only the 河南 regulation's rules file has a rule called 失业保险金, so before the rule
selection honoured the scope, a 山西 question about that benefit was answered with 河南's 80% rule although
retrieval had found the national article.
"""

from __future__ import annotations

import pytest

from tests.conftest import AS_OF

pytestmark = pytest.mark.slow


def _docs(answer) -> list[str]:
    return [c.clause_id.split("#")[0] for c in answer.citations]


def test_a_question_naming_no_place_is_not_answered_by_another_provinces_rule(assistant):
    served = set(assistant.handle.snapshot().directory.served_in(assistant.home_region))
    for question in ("拿失业保险金要具备啥条件", "失业保险金的领取条件都有哪些"):
        answer = assistant.ask(question)
        assert answer.status == "answered", answer.answer
        assert _docs(answer) and set(_docs(answer)) <= served, (question, _docs(answer))
        assert "河南" not in answer.answer


def test_naming_the_province_reaches_its_own_rule(assistant):
    answer = assistant.ask("按河南省的规定，失业保险金领取有哪些条件")
    assert _docs(answer)[0] == "ha-sybx-tiaoli-2001", answer.answer


def test_naming_the_national_regulation_keeps_to_it(assistant):
    answer = assistant.ask("依照《失业保险条例》，失业保险金领取要满足哪些条件")
    assert set(_docs(answer)) == {"cn-sybx-tiaoli-1999"}, answer.answer
    assert "另外" not in answer.answer  # one document named: nothing quoted beside it


def test_two_documents_that_both_answer_are_quoted_side_by_side(assistant):
    answer = assistant.ask("领取失业保险金需满足哪几个条件")
    docs = _docs(answer)
    assert len(set(docs)) == 2, answer.answer
    assert "另外，《" in answer.answer
    # the first sentence is the first document's answer; the other document comes after, each cited
    first, other = answer.answer.index("[1]"), answer.answer.index("[2]")
    assert first < answer.answer.index("另外") < other


def test_a_who_is_responsible_question_also_gets_the_units_another_document_assigns(assistant):
    """A law says how a fund works but names no responsible unit; the work plan that assigns the same
    work to its units answers who is responsible, and its duty line follows the law's quote."""
    from assistant.pipeline import ConversationState

    answer = assistant.ask("工伤保险基金里的工伤预防费归谁管", session=ConversationState(), as_of=AS_OF)
    assert answer.intent == "department"
    docs = {c.clause_id.split("#")[0] for c in answer.citations}
    assert "sx-rst-2022-19" in docs, answer.answer
    assert "牵头（责任）处室是" in answer.answer
