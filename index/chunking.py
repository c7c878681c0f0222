"""Clause tree → chunks: one chunk per leaf clause, split only at sentence ends when long."""

from __future__ import annotations

from index.parse import split_sentences
from index.types import Chunk, Clause, ParsedDocument

__all__ = ["chunk_document", "DEFAULT_MAX_CHARS"]

#: m3e-small reads 512 tokens; Chinese is about one token per character, headers included
DEFAULT_MAX_CHARS = 400


def _header(doc: ParsedDocument, clause: Clause) -> str:
    parts: list[str] = []  # the document title is the same for every chunk: it would only blur embeddings
    if clause.kind in ("roster_entry", "ledger_row", "paragraph") and clause.parent_id:
        parent = doc.clauses[clause.parent_id]
        parts.append(f"{parent.label} {parent.title}")
    if clause.section_title and clause.kind in ("item", "subitem", "article"):
        parts.append(clause.section_title)
    if clause.kind == "subitem":
        parent = doc.clauses[clause.parent_id or ""]
        parts.append(f"{parent.label} {parent.title}")
    parts.append(clause.label)
    return " › ".join(p for p in parts if p)


def _body(clause: Clause) -> str:
    """What gets embedded and BM25-indexed for a clause: its text plus its responsibility lines."""
    if clause.kind == "roster_entry":
        e = clause.extra
        return f"{e.get('role', '')}：{e.get('name', '')}，{e.get('position', '')}"
    if clause.kind == "ledger_row":
        return "；".join(f"{k}：{v}" for k, v in clause.extra.items() if v and k != "序号")
    return clause.text


def _responsibility(clause: Clause) -> str:
    lines = []
    if clause.leaders:
        lines.append("责任领导：" + "、".join(clause.leaders))
    if clause.lead_units and clause.kind not in ("ledger_row", "roster_entry"):
        lines.append("牵头/责任处室：" + "、".join(clause.lead_units))
    if clause.coop_units:
        lines.append("配合处室：" + "、".join(clause.coop_units))
    return "\n".join(lines)


def _metadata(doc: ParsedDocument, clause: Clause, part: int) -> dict:
    section = ""
    node = clause
    while node.parent_id:
        node = doc.clauses[node.parent_id]
    if node.kind == "section":
        section = node.path
    ends = [p.end_date for p in clause.periods if p.end_date]
    return {
        "doc_id": clause.doc_id,
        "clause_id": clause.clause_id,
        "kind": clause.kind,
        "label": clause.label,
        "section": section,
        "section_title": clause.section_title,
        "leaders": "、".join(clause.leaders),
        "units": "、".join(clause.units),
        "period_end": max(ends).isoformat() if ends else "",
        "part": part,
    }


def chunk_document(doc: ParsedDocument, max_chars: int = DEFAULT_MAX_CHARS) -> list[Chunk]:
    """One chunk per leaf clause; a clause longer than max_chars splits at sentence ends only."""
    chunks: list[Chunk] = []
    for clause in doc.leaves():
        header = _header(doc, clause)
        body = _body(clause)
        resp = _responsibility(clause)
        pieces = [body]
        if len(body) > max_chars and clause.kind not in ("roster_entry", "ledger_row"):
            pieces = []
            current = ""
            for s, e in split_sentences(body):
                sentence = body[s:e]
                if current and len(current) + len(sentence) > max_chars:
                    pieces.append(current)
                    current = ""
                current += sentence
            if current:
                pieces.append(current)
        for k, piece in enumerate(pieces):
            text = piece if not resp else f"{piece}\n{resp}"
            chunks.append(
                Chunk(
                    chunk_id=clause.clause_id if k == 0 else f"{clause.clause_id}~{k + 1}",
                    clause_id=clause.clause_id,
                    doc_id=clause.doc_id,
                    header=header,
                    text=text,
                    start=clause.start,
                    end=clause.end,
                    metadata=_metadata(doc, clause, k + 1),
                )
            )
    return chunks
