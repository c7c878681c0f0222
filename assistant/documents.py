"""Which documents a question is about, and how answers name them.

Built once per index version from the documents' own metadata (title, 文号, issuer, region, kind) and
the places data (`corpus/places.yaml`): nothing here names a document, a province or a kind.

* `named(text)` — the documents a question names: a 文号 in any of its written forms (国办发〔2019〕6号,
  国办发[2019]6号, 国办发2019年6号, "6号文", 令第258号), a title or short title (社会保险法, 失业保险条例),
  an issuer, or a region (河南, 郑州市 → the documents of 河南省);
* `foreign_place(text)` — a place the question names that no document of the corpus belongs to;
* `reference(text, doc)` — a clause the question names by that document's own numbering (第十七条,
  第17条第二款, 三、（五）, 第2条第(1)项).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from index.grammar import to_int
from index.metadata import DocumentGrammar
from index.types import Clause, DocumentMeta, ParsedDocument

if TYPE_CHECKING:
    from index.store import IndexVersion

__all__ = ["DocumentDirectory", "DocumentNames", "normalise_numbers", "document_name", "part_label", "referring_clauses"]

_YEAR_BRACKET = re.compile(r"[\[【［(（〔]\s*(\d{4})\s*[\]】］)）〕]")
_YEAR_WORD = re.compile(r"([\u4e00-\u9fff]{2,8}?)\s*(\d{4})\s*年\s*第?\s*(\d{1,4})\s*号")
_NUMBER_SHORT = re.compile(r"(?<![〔\d])(\d{1,4})\s*号\s*(?:文件?|文)")
_ORDER_SHORT = re.compile(r"令\s*第?\s*(\d{1,4})\s*号|(\d{1,4})\s*号\s*令")
_CN_NUM = "零〇一二三四五六七八九十百两"
_ARTICLE_REF = re.compile(rf"第\s*([{_CN_NUM}]+|\d{{1,3}})\s*条(?:\s*第\s*([{_CN_NUM}]+|\d)\s*款)?"
                          rf"(?:\s*第?\s*[（(]\s*([{_CN_NUM}]+|\d{{1,2}})\s*[)）]\s*项)?")
_PART_REF = re.compile(rf"(?<![\u4e00-\u9fff])([{_CN_NUM}]+)、\s*[（(]([{_CN_NUM}]+)[)）]")
_ITEM_REF = re.compile(rf"第\s*[（(]\s*([{_CN_NUM}]+)\s*[)）]\s*(?:条|项)?|(?<![\u4e00-\u9fff])[（(]([{_CN_NUM}]+)[)）]\s*(?:条|项|讲|说|写|是|里|中)")
_TOP_REF = re.compile(rf"第\s*([{_CN_NUM}]+|\d{{1,2}})\s*(?:部分|项|点)")


def document_name(meta: DocumentMeta) -> str:
    """A document as people cite it: a law or regulation by its title in 《》, anything else by its 文号."""
    if meta.validity_rule == "in_force" or not meta.doc_number:
        return f"《{meta.title}》"
    return meta.doc_number


def part_label(clause: Clause, start: int, end: int) -> str:
    """The finest label of a span: the article's 款 or 项 that holds it (第十四条第（三）项), else the clause's."""
    inside = [p for p in clause.parts if p.start <= start and end <= p.end]
    return min(inside, key=lambda p: p.end - p.start).label if inside else clause.label


def normalise_numbers(text: str) -> str:
    """文号 as the documents write them: 国办发[2019]6号 / 国办发（2019）6号 / 国办发2019年6号 → 国办发〔2019〕6号."""
    text = _YEAR_BRACKET.sub(r"〔\1〕", text)
    return _YEAR_WORD.sub(r"\1〔\2〕\3号", text)


def _subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def _int(s: str | None) -> int | None:
    if not s:
        return None
    return int(s) if s.isdigit() else to_int(s, "cn")


def referring_clauses(version: IndexVersion, clause_id: str) -> list[tuple[str, tuple[int, int]]]:
    """The articles of a legal document that cite article `clause_id` of the same document by number, in
    the document's order, once for each of their parts (款 or 项) that cites it, with that part's raw span
    ("（四）违反第九条第（五）项规定…处五千元罚款" in 第四十四条 cites 第九条). A number after a 《title》 in the
    same sentence is another law's article and does not count. Computed once per version."""
    cited_by = getattr(version, "_cited_by", None)
    if cited_by is None:
        cited_by = {}
        for doc in version.docs.values():
            if doc.family == "legal":
                _add_citations(doc, cited_by)
        version._cited_by = cited_by  # type: ignore[attr-defined]
    return cited_by.get(clause_id, [])


def _add_citations(doc: ParsedDocument, cited_by: dict[str, list[tuple[str, tuple[int, int]]]]) -> None:
    pid = doc.meta.doc_id
    for cid, clause in doc.clauses.items():
        parts = [(p.start, p.end) for p in clause.parts if p.kind in ("item", "paragraph")]
        # the smallest part holding a reference comes first: an item before the paragraph it sits in
        for start, end in sorted(parts or [(clause.start, clause.end)], key=lambda se: se[1] - se[0]):
            text = doc.raw[start:end]
            for m in _ARTICLE_REF.finditer(text):
                if "》" in re.split(r"[。；;：:]", text[: m.start()])[-1]:
                    continue  # 《中华人民共和国劳动合同法》第四十条: another law's
                n = _int(m.group(1))
                target = f"{pid}#a{n}" if n else ""
                if target in doc.clauses and target != cid:
                    held_by = cited_by.setdefault(target, [])
                    if (cid, (start, end)) not in held_by:
                        held_by.append((cid, (start, end)))


@dataclass
class DocumentNames:
    """What a question may call one document."""

    doc_id: str
    number: str = ""  # 国办发〔2019〕6号
    number_no: str = ""  # 6 (for "6号文")
    order_no: str = ""  # 258 (for 令第258号)
    titles: list[str] = field(default_factory=list)  # full title, without 中华人民共和国, …
    # the title without its own place ("劳动用工条例" of 郑州市劳动用工条例): weaker evidence than a whole title,
    # which may be another document's ("河南那个失业保险条例" is 河南's, though 失业保险条例 is the national title)
    bare_titles: list[str] = field(default_factory=list)
    issuer: str = ""
    region: str = ""  # 河南省; "" for national documents
    places: list[str] = field(default_factory=list)  # the names of that region and its places


class DocumentDirectory:
    """The corpus's documents by the names questions use for them."""

    def __init__(self, docs: dict[str, ParsedDocument], grammar: DocumentGrammar) -> None:
        self.docs = docs
        self.grammar = grammar
        self.entries: list[DocumentNames] = []
        for doc in docs.values():
            m = doc.meta
            e = DocumentNames(doc_id=m.doc_id, number=m.doc_number, issuer=m.issuer, region=m.region)
            if mm := re.search(r"〔\d{4}〕\s*(\d+)\s*号", m.doc_number):
                e.number_no = mm.group(1)
            if mm := re.search(r"令第\s*(\d+)\s*号", m.doc_number):
                e.order_no = mm.group(1)
            titles = {m.title, m.title.removeprefix("中华人民共和国")}
            if m.issuer and m.title.startswith(m.issuer):
                titles.add(m.title[len(m.issuer):])
            e.titles = sorted((t for t in titles if len(t) >= 4), key=len, reverse=True)
            place = next((p for p in grammar.provinces if p.full == m.region), None)
            if place is not None:
                e.places = [place.full, *(n for n in place.names if len(n) >= 2), *place.places]
                for name in sorted(e.places, key=len, reverse=True):
                    if m.title.startswith(name):
                        bare = m.title[len(name):].lstrip("省市县区")
                        if len(bare) >= 4 and bare not in e.titles:
                            e.bare_titles.append(bare)
                        break
            self.entries.append(e)
        # each title's short-form ending (条例, 法 …), looked up per title on every question otherwise
        self._forms = {t: grammar.form_of(t) for e in self.entries for t in e.titles}
        self.home_places = sorted({p for e in self.entries for p in e.places}, key=len, reverse=True)
        # a place the documents themselves speak of (京津冀 partners, a pilot city) is not foreign to them
        text = "\n".join(doc.raw for doc in docs.values())
        self._foreign_names = [
            name for p in grammar.provinces if p.full not in {e.region for e in self.entries}
            for name in (p.full, *(n for n in p.names if len(n) >= 2), *(c for c in p.places if len(c) >= 2))
            if name not in text
        ]

    # -------------------------------------------------------------- naming a document
    def named(self, text: str) -> list[str]:
        """The documents the question names, strongest evidence first (文号 › title › region › issuer)."""
        text = normalise_numbers(text)
        by_number = [e.doc_id for e in self.entries if e.number and e.number in text]
        if not by_number:
            shorts = set(_NUMBER_SHORT.findall(text))
            orders = {a or b for a, b in _ORDER_SHORT.findall(text)}
            by_number = [e.doc_id for e in self.entries
                         if (e.number_no and e.number_no in shorts) or (e.order_no and e.order_no in orders)]
        if by_number:
            return by_number
        plain = re.sub(r"[《》〈〉<>\s]", "", text)
        titled: list[tuple[float, str]] = []  # (evidence: the length of the name found, doc_id)
        for e in self.entries:
            best = next((t for t in e.titles if t in plain), None)
            bare = next((t for t in e.bare_titles if t in plain), None)
            if best:
                titled.append((len(best), e.doc_id))
            elif (n := max((self._abbreviated(t, plain) for t in e.titles), default=0)):
                titled.append((n, e.doc_id))
            elif bare:
                titled.append((len(bare) - 0.5, e.doc_id))
        regional = self._by_region(plain)
        if titled:
            longest = max(n for n, _ in titled)
            chosen = [d for n, d in titled if n == longest]
            if regional:  # "河南的失业保险条例": the region's own text, not the national one of that title
                return [d for d in chosen if d in regional] or [d for _, d in titled if d in regional] or regional
            return chosen
        if regional:
            return regional
        return [e.doc_id for e in self.entries if e.issuer and len(e.issuer) >= 4 and e.issuer in plain]

    def without_names(self, text: str, doc_ids: list[str]) -> str:
        """The text with the titles and 文号 of these documents taken out: what it says besides naming them.
        A title of another document that the text uses is a name too ("河南那个失业保险条例" names the 河南
        regulation with the national one's title), not a subject of the question."""
        plain = normalise_numbers(re.sub(r"[《》〈〉<>\s]", "", text))
        names = {n for e in self.entries for n in (*e.titles, *e.bare_titles, e.number if e.doc_id in doc_ids else "")
                 if n}
        for name in sorted(names, key=len, reverse=True):
            plain = plain.replace(name, "")
        return plain

    def _abbreviated(self, title: str, text: str) -> int:
        """Length of the longest short form of `title` in `text` ("社保法" for 社会保险法, "工伤条例" for
        工伤保险条例): it ends with the title's form, starts with its first character and keeps the
        order of its characters. 0 when there is none."""
        form = self._forms[title] if title in self._forms else self.grammar.form_of(title)
        if not form or len(title) <= len(form) + 1 or form not in text:
            return 0
        best = 0
        for m in re.finditer(re.escape(form), text):
            end = m.end()
            for start in range(max(0, m.start() - 8), m.start() - 1):
                cand = text[start:end]
                if cand[0] == title[0] and len(cand) >= len(form) + 2 and _subsequence(cand, title):
                    best = max(best, len(cand))
                    break
        return best

    def _by_region(self, text: str) -> list[str]:
        place = next((p for p in self.home_places if p in text), None)
        if place is None:
            return []
        found = [e for e in self.entries if place in e.places]
        # a city's own text before its province's: 郑州 names both, but 郑州市劳动用工条例 is 郑州's own
        return [e.doc_id for e in sorted(found, key=lambda e: not any(place in t for t in (*e.titles, e.issuer)))]

    def foreign_place(self, text: str) -> str | None:
        """A province or city the question names that no document belongs to ("北京的稳岗返还")."""
        text = re.sub(r"[《》\s]", "", text)
        for home in self.home_places:  # "山西安排…" holds no 西安 once 山西 is read
            text = text.replace(home, "|")
        found = next((name for name in self._foreign_names if name in text), None)
        return found or next((w for w in self.grammar.elsewhere if w in text), None)

    def served_in(self, region: str) -> list[str]:
        """The documents a question naming no place reaches where `region` is served: the national texts
        and that region's own (all documents when no region is set)."""
        if not region:
            return []
        return [e.doc_id for e in self.entries if not e.region or e.region == region]

    @property
    def regions(self) -> list[str]:
        return sorted({e.region for e in self.entries if e.region})

    @property
    def has_national(self) -> bool:
        return any(not e.region for e in self.entries)

    # -------------------------------------------------------------- naming a clause
    def reference(self, text: str, doc: ParsedDocument) -> list[str]:
        """Clause ids of `doc` the question names by the document's own numbering."""
        ids = doc.clauses
        out: list[str] = []
        pid = doc.meta.doc_id
        if doc.family == "legal":
            for m in _ARTICLE_REF.finditer(text):
                n = _int(m.group(1))
                if n and f"{pid}#a{n}" in ids:
                    out.append(f"{pid}#a{n}")
            return out
        for m in _PART_REF.finditer(text):  # 三、（五）
            sec, item = _int(m.group(1)), _int(m.group(2))
            for cid in (f"{pid}#s{sec}.{item}", f"{pid}#i{item}"):
                if cid in ids and ids[cid].parent_id == f"{pid}#s{sec}":
                    out.append(cid)
                    break
        if out:
            return out
        for m in _ARTICLE_REF.finditer(text):  # 第2条第(1)项 in a plan numbered 1. / (1)
            n, sub = _int(m.group(1)), _int(m.group(3))
            for cid in ((f"{pid}#{n}.{sub}" if sub else None), f"{pid}#{n}", f"{pid}#i{n}", f"{pid}#s{n}"):
                if cid and cid in ids:
                    out.append(cid)
                    break
        if out:
            return out
        for m in _ITEM_REF.finditer(text):
            n = _int(m.group(1) or m.group(2))
            if n and f"{pid}#i{n}" in ids:
                out.append(f"{pid}#i{n}")
        for m in _TOP_REF.finditer(text):
            n = _int(m.group(1))
            if n and f"{pid}#s{n}" in ids:
                out.append(f"{pid}#s{n}")
        return out


_DEFINED_RE = re.compile(r"(?:本(?:条例|法|办法|规定|意见)所称|所称)([\u4e00-\u9fff]{2,12})[，,]?(?:是指|指)")


@functools.lru_cache(maxsize=65536)
def _nouns_cached(text: str, pos_cut) -> frozenset[str]:
    return frozenset(w for w, flag in pos_cut(text) if len(w) >= 2 and flag in ("n", "nz", "vn", "nr", "nt"))


def _nouns(text: str, pos_cut) -> frozenset[str]:
    """The nouns of a clause (cached by its text: a new index version re-cuts only the clauses that changed)."""
    return _nouns_cached(text, pos_cut)


def corpus_topic_terms(docs: dict[str, ParsedDocument], pos_cut, *, min_clauses: int = 2,
                       max_share: float = 0.08) -> list[str]:
    """Policy subjects every document names for itself, for the question side's topic check:

    titles of chapters, parts and items (工伤认定, 失业保险待遇, 引导降费让利), terms a text defines
    (本条例所称本人工资，是指…), quoted names and enumeration members, and the nouns that recur in a few
    clauses but not in most (伤残津贴, 担保费率; not 单位 or 职工, which every clause has).
    `pos_cut(text)` yields (word, flag) pairs (jieba.posseg)."""
    from index.tokenize import document_terms

    terms: set[str] = set()
    leaves = [c for d in docs.values() for c in d.leaves()]
    for d in docs.values():
        for c in d.clauses.values():
            if c.kind in ("chapter", "division", "book", "section") and 2 <= len(c.title) <= 12:
                terms.add(c.title)
            elif c.kind == "item" and 2 <= len(c.title) <= 10 and not re.search(r"[，。；]", c.title):
                terms.add(c.title)
            terms.update(m.group(1) for m in _DEFINED_RE.finditer(c.text))
            terms.update(t for t in document_terms(c.text) if len(t) <= 8)
    counts: dict[str, int] = {}
    for c in leaves:
        for w in _nouns(c.text, pos_cut):
            counts[w] = counts.get(w, 0) + 1
    ceiling = max(min_clauses, int(len(leaves) * max_share))
    terms.update(w for w, n in counts.items() if min_clauses <= n <= ceiling and len(w) >= 4)
    return sorted(t for t in terms if re.fullmatch(r"[\u4e00-\u9fff“”]+", t))
