"""Answer composer: deterministic Chinese answers in which every sentence rests on a citation.

Claims are quoted, not paraphrased: the composer picks the clause sentences that answer the question
and quotes them verbatim with a [n] marker. The only numbers it writes itself come from a
calculation (its inputs and result), the as-of date, or the hotline 12333.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from assistant.contract import Calculation, Citation, Validity
from assistant.documents import document_name, part_label, referring_clauses
from assistant.quantities import read_quantities
from assistant.understand import Understanding, cn_numerals_to_digits
from assistant.compose_document import cite_meta_line, date_line_beside, effective_sentence, in_force_sentence
from assistant.validity import HOTLINE, clause_validity, document_validity, format_date, hotline_of
from index.grammar import match_marker
from index.parse import repair_span
from index.store import IndexVersion
from index.tokenize import PolicyTokenizer
from index.types import Clause, DocumentMeta

__all__ = ["Composition", "CitationBook", "best_sentences", "NO_ANSWER_TEXT", "REFUSAL_TAIL", "asked_figure", "asks_when",
           "states_figure", "clause_verdict", "asked_text"]

REFUSAL_TAIL = f"本助手只依据已收录的政策文件作答；其他问题请拨打{HOTLINE}人社服务热线咨询。"
NO_ANSWER_TEXT = "抱歉，现有文件中没有找到与这个问题相关的规定，我不能凭空回答。" + REFUSAL_TAIL


@dataclass
class Composition:
    status: str
    text: str
    citations: list[Citation] = field(default_factory=list)
    calculation: Calculation | None = None
    validity: Validity | None = None
    missing: list[str] = field(default_factory=list)
    measures: list = field(default_factory=list)  # MeasureLine, one per measure of a list answer


class CitationBook:
    """Numbers citations in order of first use; the same span cited twice keeps its number."""

    def __init__(self, version: IndexVersion) -> None:
        self.version = version
        self.items: list[Citation] = []

    def cite_span(self, clause: Clause, start: int, end: int, *, label: str | None = None) -> str:
        for c in self.items:
            if c.clause_id == clause.clause_id and c.start == start and c.end == end:
                return f"[{c.n}]"
        raw = self.version.document_of(clause.clause_id).raw
        quote = repair_span(raw, start, end) if clause.kind not in ("roster_entry", "ledger_row") else raw[start:end]
        if label and "\n" in raw[start:end]:
            # a block of separate lines (责任领导 / 处室): keep one line each, drop the blank lines
            quote = "\n".join(line.strip() for line in raw[start:end].splitlines() if line.strip())
        doc = self.version.document_of(clause.clause_id)
        n = len(self.items) + 1
        self.items.append(
            Citation(
                n=n,
                doc_id=clause.doc_id,
                document=document_name(doc.meta),
                clause_id=clause.clause_id,
                label=label or part_label(clause, start, end),
                title=f"{doc.meta.title}" + (f" · {clause.title}" if clause.title else ""),
                quote=quote,
                start=start,
                end=end,
            )
        )
        return f"[{n}]"

    def cite_clause(self, clause: Clause) -> str:
        return self.cite_span(clause, clause.start, clause.end)


def _sentence_texts(version: IndexVersion, clause: Clause) -> list[tuple[tuple[int, int], str]]:
    raw = version.document_of(clause.clause_id).raw
    return [((s, e), repair_span(raw, s, e)) for s, e in clause.sentences]


_AMOUNT_RE = re.compile(r"\d[\d,.]*\s*(?:元|万元|%|％|倍|个月)")
_SHARE_RE = re.compile(r"百分之[零一二三四五六七八九十百点]+|[一二三四五六七八九十]+倍|[一二三四五六七八九十]+个月")
_PERIOD_RE = re.compile(r"\d{4}\s*年|年底|月底|日前|执行期|期限")
_DURATION_RE = re.compile(r"不少于|不超过|个月|年以上|年内|以内|期间")
_WHO_RE = re.compile(r"对[^。；]{2,60}的|符合条件|参照|均按照|可申请|享受")

# What kind of figure a question asks for, by its Chinese question words (no document's vocabulary): a
# date or a length of time, or another figure (an amount, a rate, a count). A law writes its limits in 汉字
# ("十五日内"), so a sentence's numbers are read in either script.
_LENGTH_ASK = re.compile(r"多久|多长时间|多长|几个月|多少个月|几年|多少年|几天|多少天|几日|多少日|几周|期限|时限|时间内")
# (the understood text has its numerals as digits: "哪一年" reads "哪1年")
_WHEN_ASK = re.compile(r"什么时候|何时|哪[一1]?年|哪个年度|几月|几号|截止|到期")
_TIME_ASK = re.compile(_LENGTH_ASK.pattern + "|" + _WHEN_ASK.pattern)
_FIGURE_ASK = re.compile(r"多少|几[个名人位家项所户倍成]|标准|比例|费率|金额|数额")
# a number in digits or 汉字 (a lone 一 is mostly "one of", as in 一个统筹地区, and does not count)
_NUM = r"(?:\d[\d,.]*|[零〇二两三四五六七八九十百千万][零〇一二两三四五六七八九十百千万]*|一[零〇一二两三四五六七八九十百千万]+)"
_TIME_FIGURE = re.compile(_NUM + r"\s*(?:个)?(?:工作日|日|天|周|月|年)|[一\d]\s*(?:个月|年)|年底|年末|月底")
_FIGURE = re.compile(_NUM + r"\s*(?:元|万|%|％|倍|个|人|名|家|项|所|次|平方米|级)|[百千万]分之")
_OWN_NUMBERING = re.compile(r"第[\d零〇一二两三四五六七八九十百千]+[条款项章节]|[(（][\d一二三四五六七八九十]+[)）]")


def asked_figure(text: str) -> str | None:
    """"time" when the question asks a date or a length of time, "figure" for another figure, else None."""
    if _TIME_ASK.search(text):
        return "time"
    return "figure" if _FIGURE_ASK.search(text) else None


# a figure the question names with its bound ("10年以上", "不足5年"): the step of a schedule it asks about
_NAMED_FIGURE = re.compile(r"(不足|未满|满)?\s*(\d+(?:\.\d+)?)\s*(个月|年|日|天|人|元|%)\s*(以上|以下|以内|及以上)?")


def named_figure(text: str) -> re.Pattern[str] | None:
    """A pattern for the bounded figure a question names ("10年以上"), to find the sentence stating that
    same step; None when the question names none (a bare "交了7年" names no step of the text)."""
    for m in _NAMED_FIGURE.finditer(cn_numerals_to_digits(text)):
        before, number, unit, after = m.groups()
        if before or after:
            return re.compile((re.escape(before) if before else r"(?<!不足)(?<!未满)")
                              + rf"(?<![\d.]){re.escape(number)}\s*{re.escape(unit)}\s*" + (re.escape(after) if after else ""))
    return None


def asks_when(text: str) -> bool:
    """Whether a question asks for a point in time ("执行到什么时候", "哪一年的目标"), not a length of it."""
    return bool(_WHEN_ASK.search(text))


def asked_text(u: Understanding) -> str:
    """What the question asks, with a follow-up's topic ("那部分不能自理的呢" after "…护理费标准")."""
    return u.search_text if u.follow_up else u.text


def states_figure(text: str, kind: str) -> bool:
    """Whether a sentence states the kind of figure asked for (its own article numbers do not count)."""
    text = _OWN_NUMBERING.sub("", text)
    return bool(_TIME_FIGURE.search(text) if kind == "time" else _FIGURE.search(text))


def token_idf(version: IndexVersion, tokenizer: PolicyTokenizer) -> dict[str, float]:
    """Inverse document frequency of each token over the version's chunks, scaled so a token in every
    chunk weighs about 0.3 and one in a single chunk about 1.7; computed once per version."""
    cached = getattr(version, "_idf", None)
    if cached is not None:
        return cached
    df: dict[str, int] = {}
    for chunk in version.chunks:
        for t in set(tokenizer.tokens(chunk.indexed_text)):
            df[t] = df.get(t, 0) + 1
    n = len(version.chunks) or 1
    top = math.log(1 + n)
    table = {t: 0.3 + 1.4 * math.log(1 + n / d) / top for t, d in df.items()}
    version._idf = table  # type: ignore[attr-defined]
    return table


def best_sentences(
    version: IndexVersion, clause: Clause, u: Understanding, tokenizer: PolicyTokenizer, limit: int = 2
) -> list[tuple[tuple[int, int], str]]:
    """The clause's sentences that share most with the question (plus the intent's cue), in document order."""
    sentences = _sentence_texts(version, clause)
    if len(sentences) <= limit:
        return sentences
    if _LIST_ASK.search(u.text) and sum(len(t) for _, t in sentences) <= _WHOLE_LIST_CHARS:
        return sentences  # "由哪几部分构成": the whole enumeration is the answer, not two of its items
    q = set(tokenizer.tokens(" ".join([u.search_text, *u.synonyms])))
    asked = _ASKED_UNIT.search(u.text)
    asked_unit = asked.group(1) if asked else ""
    idf = token_idf(version, tokenizer)
    named = named_figure(u.text)
    scored = []
    for i, (span, text) in enumerate(sentences):
        toks = set(tokenizer.tokens(text))
        # rare shared words count more: "优先" singles out the sentence that answers "优先安排哪些人"
        score = sum(idf.get(t, 1.0) for t in q & toks) / (1 + math.log(1 + len(toks)))
        if named is not None and named.search(cn_numerals_to_digits(text)):
            score += 1.5  # "那10年以上呢": the step of a schedule the question names
        if asked_unit and re.search(r"\d[\d,.]*\s*" + re.escape(asked_unit), text):
            score += 1.0  # "扩大到了几个行业": the sentence that counts them ("17 个行业")
        elif u.intent == "amount" and (_AMOUNT_RE.search(digits := cn_numerals_to_digits(text))
                                       or _QUANTITY_RE.search(digits) or states_asked_time(u.text, text)):
            score += 1.0  # a law writes its sums in 汉字 (一万元以上五万元以下)
        elif u.intent == "deadline" and (_PERIOD_RE.search(text) or _DURATION_RE.search(text)
                                         or states_figure(text, "time")):
            score += 1.0  # "十五日内" as much as "期限": a law states its limits as counts of days
        elif u.intent == "fact" and (kind := asked_figure(asked_text(u))) and states_figure(text, kind):
            score += 1.0  # "生活护理费的标准": the sentence with the percentages, not the one that names the fee
        elif u.intent == "eligibility" and _WHO_RE.search(text):
            score += 0.5
        # a short heading sentence ("拓宽…受益范围。") says little on its own
        if len(text) < 18:
            score -= 0.5
        scored.append((score, i))
    keep = sorted(i for _, i in sorted(scored, reverse=True)[:limit])
    keep = _with_enumerations(sentences, keep)
    # a quote must not read as one passage where it skips one: the sentences between two chosen ones
    # are kept when they are short (a schedule's middle step "满5年不足10年的…18个月"), otherwise "……"
    # marks the gap (in the text shown; each citation still quotes its own verbatim span)
    filled: list[int] = []
    for i in keep:
        if filled and i - filled[-1] > 1:
            gap = range(filled[-1] + 1, i)
            if len(gap) <= _MAX_GAP_SENTENCES and sum(len(sentences[g][1]) for g in gap) <= _MAX_GAP_CHARS:
                filled.extend(gap)
        filled.append(i)
    return [(sentences[i][0], ("……" if n and i - filled[n - 1] > 1 else "") + sentences[i][1])
            for n, i in enumerate(filled)]


def _with_enumerations(sentences: list[tuple[tuple[int, int], str]], keep: list[int]) -> list[int]:
    """A chosen sentence that leads into a list ("具备下列条件的…：") keeps its numbered items — the
    list is what it says — when they are short enough to quote; items are told by the documents'
    own numbering grammar (（一）, 1., ①), not by any words."""
    out = set(keep)
    for i in keep:
        if not sentences[i][1].rstrip().endswith(("：", ":")):
            continue
        items = []
        j = i + 1
        while j < len(sentences) and match_marker(sentences[j][1].strip()) is not None:
            items.append(j)
            j += 1
        if items and sum(len(sentences[k][1]) for k in items) <= _WHOLE_LIST_CHARS:
            out.update(items)
    return sorted(out)


# a question that asks what a list holds (question words, not any document's) is answered with the whole
# list when the clause is short enough to quote whole
_LIST_ASK = re.compile(r"哪些|哪几|包括|包含|有什么|有几|分别是|都有")
_WHOLE_LIST_CHARS = 320

# what best_sentences fills between two chosen sentences rather than marking the gap
_MAX_GAP_SENTENCES = 2
_MAX_GAP_CHARS = 160


def quote_text(sentences: list[tuple[tuple[int, int], str]]) -> str:
    return "“" + "".join(t for _, t in sentences).strip() + "”"


def validity_sentence(validity: Validity | None) -> str:
    """The answer's time note, using only the document's own period words and the as-of date."""
    if validity is None or validity.lapsed is None:
        return ""
    if validity.period is None:  # a rule of law in force, with no period of its own
        return f"时效：{validity.note}"
    when = format_date(validity.as_of)
    if validity.lapsed:
        end = f"（已于{format_date(validity.ends)}到期）" if _end_is_spelled(validity) else ""
        return (
            f"⚠ 时效提示：文件规定的期限是“{validity.period}”{end}，截至{when}该措施已过期失效，"
            f"现在可能已无法申请；现行政策请拨打{HOTLINE}咨询。"
        )
    return f"时效：文件规定的期限是“{validity.period}”，截至{when}仍在期限内。"


def _end_is_spelled(validity: Validity) -> bool:
    """Whether the period's own numbers spell its last day ("1 月 1 日至 12 月 31 日"), so a note may name
    that day and every number of it still traces to the quote."""
    ends = validity.ends
    period_numbers = set(re.findall(r"\d+", validity.period or ""))
    return ends is not None and {str(ends.year), str(ends.month), str(ends.day)} <= period_numbers


def focus_spans(ctx: Context, clause: Clause, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Narrow quoted sentences to the comma-separated parts whose subject the question names.

    Item 1(1) states two periods in one sentence (养老保险费 … 到 2022 年年底，失业保险费 … 2023 年 3 月底):
    a question about 养老保险费 is judged on the part that speaks of it.
    """
    raw = ctx.version.document_of(clause.clause_id).raw
    q_words = {w for w in ctx.tokenizer.words(ctx.u.text) if len(w) >= 2}
    parts: list[tuple[int, int, int]] = []  # (start, end, words shared with the question)
    for s, e in spans:
        pos = s
        for m in re.finditer(r"[，,；;。]", raw[s:e]):
            end = s + m.end()
            seg = repair_span(raw, pos, end)
            parts.append((pos, end, len(q_words & set(ctx.tokenizer.words(seg)))))
            pos = end
        if pos < e:
            parts.append((pos, e, len(q_words & set(ctx.tokenizer.words(repair_span(raw, pos, e))))))
    dated = [(s, e, hit) for s, e, hit in parts if any(s <= p.start and p.end <= e for p in clause.periods)]
    if len(dated) > 1:
        best = max(hit for *_, hit in dated)
        keep = [(s, e) for s, e, hit in dated if hit == best]
        if best and len(keep) < len(dated):
            return keep
    return spans



# ---------------------------------------------------------------- per-intent composers
@dataclass
class Context:
    """What every composer needs: the question understood, the ranked clauses, and the as-of date."""

    u: Understanding
    clauses: list[Clause]  # ranked, leaves first
    version: IndexVersion
    tokenizer: PolicyTokenizer
    as_of: date
    # the documents this question is answered from (named, the conversation's, or the served region's);
    # None: all of them
    docs: tuple[str, ...] | None = None
    # the part of a clause the answer is about (clause id → raw span): its sentences are the ones quoted
    focus: dict[str, tuple[int, int]] = field(default_factory=dict)
    book: CitationBook = field(init=False)

    def __post_init__(self) -> None:
        self.book = CitationBook(self.version)

    def meta(self, clause: Clause) -> DocumentMeta:
        """The metadata of the document a clause belongs to (its kind, dates, hotline)."""
        return self.version.document_of(clause.clause_id).meta

    def doc_name(self, clause: Clause) -> str:
        """How the answer names the clause's document when the corpus holds more than one: 《title》 or 文号."""
        if len(self.version.docs) <= 1:
            return "文件"
        return document_name(self.meta(clause))


def _topic(clause: Clause) -> str:
    if clause.kind == "subitem" and clause.item_title:
        return f"“{clause.title}”"
    return f"“{clause.title}”" if clause.title else clause.label


def _roster_sentence(ctx: Context, clause: Clause) -> str:
    e = clause.extra
    parent = ctx.version.clause(clause.parent_id or "")
    group = parent.title if parent else ""
    mark = ctx.book.cite_clause(clause)
    return f"{group}中，{e.get('name')}任{e.get('role')}，职务为{e.get('position')}{mark}。"


def _figure_first(ctx: Context, sentences: list[tuple[tuple[int, int], str]], kind: str | None
                  ) -> tuple[list[tuple[tuple[int, int], str]], list[tuple[tuple[int, int], str]]]:
    """(the sentence to quote first, the rest): the first quoted sentence that states the figure asked
    for, when an earlier one does not — the answer then opens with the figure, and the sentences before
    it follow as context. ([], sentences) when the order needs no change."""
    if len(sentences) < 2:
        return [], sentences
    named = named_figure(ctx.u.text)
    hit = next((i for i, (_, t) in enumerate(sentences) if named and named.search(cn_numerals_to_digits(t))), None)
    if hit is None:
        if not kind or states_figure(sentences[0][1], kind):
            return [], sentences
        hit = next((i for i, (_, t) in enumerate(sentences) if states_figure(t, kind)), None)
    if hit == 0:
        return [], sentences
    if hit is None:
        return [], sentences
    lead = [(sentences[hit][0], sentences[hit][1].removeprefix("……"))]
    rest = []
    for i, (span, text) in enumerate(sentences):
        if i == hit:
            continue
        # a sentence that followed the lifted one now follows a gap
        gap = i == hit + 1 and rest and not text.startswith("……")
        rest.append((span, ("……" if gap else "") + text))
    return lead, rest


def _focused_sentences(ctx: Context, clause: Clause) -> list[tuple[tuple[int, int], str]]:
    """Every sentence of the part of the clause the answer is about (`Context.focus`); [] when none is set."""
    focus = ctx.focus.get(clause.clause_id)
    if focus is None:
        return []
    return [(span, text) for span, text in _sentence_texts(ctx.version, clause) if focus[0] <= span[0] and span[1] <= focus[1]]


def quote_clause(
    ctx: Context, clause: Clause, *, limit: int = 2, lead: str | None = None, figure: str | None = None
) -> tuple[str, list[tuple[int, int]]]:
    """A sentence quoting the clause's best sentences, and the raw spans it quoted.

    With `figure` (the kind asked for, see `asked_figure`) the sentence stating it is quoted first."""
    if clause.kind == "roster_entry":
        return _roster_sentence(ctx, clause), [(clause.start, clause.end)]
    if clause.kind == "ledger_row":
        mark = ctx.book.cite_clause(clause)
        fields = "；".join(f"{k}：{v}" for k, v in clause.extra.items() if v and k != next(iter(clause.extra)))
        return f"任务清单台账（{clause.label}）{mark}——{fields}", [(clause.start, clause.end)]
    sentences = _focused_sentences(ctx, clause) or best_sentences(ctx.version, clause, ctx.u, ctx.tokenizer, limit=limit)
    spans = [span for span, _ in sentences]
    heading = _parent_heading(ctx, clause, spans)
    mark = ctx.book.cite_clause(clause)
    lead = lead or f"根据{ctx.doc_name(clause)}规定"
    first, rest = _figure_first(ctx, sentences, figure)
    if first:
        text = f"{lead}{mark}：{quote_text(first)}\n同条还写明：{quote_text(rest)}"
    else:
        text = f"{lead}{mark}：{quote_text(sentences)}"
    return (heading + "\n" + text if heading else text), spans


def asked_roles(roles: set[str], text: str) -> list[str]:
    """Roster roles the text names, a role inside a longer one it also names excepted (组长 in 副组长)."""
    present = [r for r in roles if r and r in text]
    return [r for r in sorted(present, key=len, reverse=True) if not any(r != o and r in o for o in present)]


def _main_sentences(ctx: Context, clause: Clause, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Of the quoted sentences, those that carry the question's words (at least half as many as the best):
    a second sentence quoted for context ("…7月底前发放到位") does not date the first."""
    if len(spans) < 2:
        return spans
    raw = ctx.version.document_of(clause.clause_id).raw
    q_words = {w for w in ctx.tokenizer.words(ctx.u.search_text) if len(w) >= 2}
    shared = [len(q_words & set(ctx.tokenizer.words(repair_span(raw, s, e)))) for s, e in spans]
    best = max(shared)
    return [span for span, n in zip(spans, shared) if n * 2 >= best] if best else spans


def compose_roster_list(ctx: Context) -> Composition | None:
    """"副组长有哪几位": every roster entry with the asked role, each cited."""
    top = ctx.clauses[0]
    names = [str(ctx.version.clauses[c].extra.get("name", "")) for c in (ctx.version.clause(top.parent_id or "") or top).children]
    positions = [str(ctx.version.clauses[c].extra.get("position", "")) for c in (ctx.version.clause(top.parent_id or "") or top).children]
    if top.kind != "roster_entry" or any(n and n in ctx.u.text for n in names + positions):
        return None  # a question about a named person or post is answered from that entry
    parent = ctx.version.clause(top.parent_id or "")
    if parent is None:
        return None
    roles = {str(ctx.version.clauses[c].extra.get("role", "")) for c in parent.children}
    asked = asked_roles(roles, ctx.u.text)
    if not asked:
        return None
    entries = [ctx.version.clauses[c] for c in parent.children if ctx.version.clauses[c].extra.get("role") == asked[0]]
    items = [f"{e.extra.get('name')}（{e.extra.get('position')}）{ctx.book.cite_clause(e)}" for e in entries]
    text = f"{parent.title}中，{asked[0]}有：" + "、".join(items) + "。"  # no count: every number must be quoted
    return Composition("answered", text, ctx.book.items)


def shared_weight(version: IndexVersion, tokenizer: PolicyTokenizer, question: str, text: str) -> float:
    """How much of the question's wording a text shares, rarer words weighing more (idf over the chunks)."""
    idf = token_idf(version, tokenizer)
    return sum(idf.get(t, 1.0) for t in set(tokenizer.words(question)) & set(tokenizer.words(text)))


def _shared_weight(ctx: Context, text: str) -> float:
    return shared_weight(ctx.version, ctx.tokenizer, ctx.u.search_text, text)


def _parent_heading(ctx: Context, clause: Clause, spans: list[tuple[int, int]]) -> str:
    """A sub-item's item heading when it, not the sub-item, carries what the question asks
    ("脱贫劳动力包括防返贫监测对象吗" is answered by item 12's "（含防返贫监测对象，下同）")."""
    if clause.kind != "subitem" or not clause.parent_id:
        return ""
    parent = ctx.version.clause(clause.parent_id)
    if parent is None or not parent.text:
        return ""
    raw = ctx.version.document_of(clause.clause_id).raw
    quoted = "".join(repair_span(raw, s, e) for s, e in spans)
    if _shared_weight(ctx, parent.text) <= _shared_weight(ctx, quoted):
        return ""
    return f"所属条目写明{ctx.book.cite_clause(parent)}：“{parent.text}”"


# another document's clause is quoted beside the top one when it carries at least this share of the
# question's weighted words that the top clause carries (and is among the first few retrieved)
_SIDE_BY_SIDE_SHARE = 0.8
_SIDE_BY_SIDE_DEPTH = 3


def other_documents(ctx: Context, top: Clause) -> list[Clause]:
    """Clauses of other documents that answer the question about as well as the top one: a national
    regulation beside a provincial one, a law beside a work plan. One per document, at most two; none
    when the question is about one document (it names it, or the conversation does)."""
    if ctx.docs is not None and len(ctx.docs) <= 1 or top.kind in ("roster_entry", "ledger_row"):
        return []
    if ctx.u.references:
        return []  # "第六条": the question names one clause
    words = set(ctx.tokenizer.words(ctx.u.search_text))
    idf = token_idf(ctx.version, ctx.tokenizer)

    def weight(clause: Clause) -> float:
        return sum(idf.get(t, 1.0) for t in words & set(ctx.tokenizer.words(clause.text)))

    best = weight(top)
    seen = {top.doc_id}
    out: list[Clause] = []
    for clause in ctx.clauses[1:_SIDE_BY_SIDE_DEPTH]:
        if clause.doc_id in seen or clause.kind in ("roster_entry", "ledger_row") or not best:
            continue
        if weight(clause) >= _SIDE_BY_SIDE_SHARE * best:
            out.append(clause)
            seen.add(clause.doc_id)
    return out[:2]


def side_by_side(ctx: Context, top: Clause) -> list[str]:
    """Lines quoting what the other documents say ("另外，《X》规定[2]：…"), each with its own time note
    when it differs from an undated rule (a lapsed measure is said to be lapsed)."""
    lines = []
    for clause in other_documents(ctx, top):
        text, spans = quote_clause(ctx, clause, lead=f"另外，{ctx.doc_name(clause)}规定")
        lines.append(text)
        validity = clause_validity(clause, ctx.as_of, spans, ctx.meta(clause))
        if validity.lapsed:
            lines.append(validity_sentence(validity))
    return lines


def compose_fact(ctx: Context) -> Composition:
    listed = compose_roster_list(ctx)
    if listed is not None:
        return listed
    top = ctx.clauses[0]
    text, spans = quote_clause(ctx, top, figure=asked_figure(asked_text(ctx.u)))
    named = [c for c in ctx.clauses[1:] if c.clause_id in ctx.u.references]
    for clause in named:  # "台账第5行和第6行": every clause the question names by number
        more, _ = quote_clause(ctx, clause)
        text += "\n" + more
    validity = clause_validity(top, ctx.as_of, focus_spans(ctx, top, _main_sentences(ctx, top, spans)), ctx.meta(top))
    if asks_when(asked_text(ctx.u)) and validity.lapsed is not False and not named:
        # "开发3万个见习岗位是哪一年的目标": a point in time asked of a measure — its date and whether it
        # has passed (or that the document states none) come first, as for a deadline question
        return compose_deadline(ctx)
    note = validity_sentence(validity)
    check = None
    if ctx.u.intent in ("eligibility", "fact") and (found := clause_verdict(ctx, top, spans)) is not None:
        # a yes/no question no rule decides: the verdict the quoted sentence itself gives comes first
        verdict, check = found
        text = verdict + "\n依据：" + text.removeprefix("根据")
    return Composition("answered", "\n".join(p for p in [text, note, *side_by_side(ctx, top)] if p), ctx.book.items,
                       calculation=check, validity=validity)


# ---------------------------------------------------------------- a verdict a clause gives by itself
# A yes/no question, by its Chinese question words; a choice ("…还是…") or a duty ("要不要交") is not
# answered by 可以 / 不能, and a question asking what or how much wants the list or the figure first.
# (a question ending in 不/么/没 asks yes or no too: "能休年假不", "要交失业保险不")
_YES_NO = re.compile(r"吗|能否|可否|是否|能不能|可不可以|可以不|是不是|算不算|有没有|适不适用|行不行|[能可]不[能可]"
                     r"|[不么没][？?！!。\s]*$")
# 可以 / 不能 answer whether one can or may ("能领吗", "可否提供"), not whether a claim is true ("这合规吗")
_CAN_ASK = re.compile(r"能|可以|可否|可不可|允许")
# 需要 / 不需要 answer whether one must ("要不要交", "个人需要缴吗", "11天要扣掉吗", "还得发吗"): a modal word
# of its own in the question (jieba's cut: 用 of 用人单位 is no modal); a choice ("…还是…") or a what/how-much
# question is not answered by it
_DUTY_WORDS = frozenset({"要", "需要", "必须", "得", "须", "不要", "需不需要", "不用", "不需要", "应该", "应当"})
_COUNTS_ASK = re.compile(r"算不算|属不属于|[算属][^，,。？?]{0,10}(?:吗|不|么|没)")
# how a legal sentence says a case counts as something
_COUNTS_AS = re.compile(r"认定为|视同|属于|视为|计入|纳入|按[^，。；]{0,8}处理")
_NOT_COUNTED = re.compile(r"不(?:得|予)?(?:认定|视为|视同|属于|计入|纳入|算作)")
# a choice, or a question asking what, which, how much or how ("啥的" is "and so on", not "what")
_ASKS_WHAT = r"还是|哪些|哪个|哪[一1]|什么|多少|几[个年月天日]|怎么|如何|啥(?!的)"
_NOT_DUTY = re.compile(_ASKS_WHAT)
_NOT_YES_NO = re.compile(r"要不要|需不需要|需要|必须|要[交缴给办]|得[交缴办]|" + _ASKS_WHAT)
# how a legal sentence says no, and how it grants: modal words of the language of Chinese regulation
_DENIES = re.compile(r"不得|不予|不能|不可|严禁|禁止|不享受|停止|不属于|不再|无权|不计入|不纳入")
_GRANTS = re.compile(r"可以|可|有权|享受|予以|给予|实行|纳入|免[缴收交费]|领取|支付|参照[^，。；]{0,12}执行|适用")
# how a legal sentence says a thing need not be done (不缴纳, 不剔除, 免收, 无须), and how it says it must be;
# 不低于 / 不少于 / 不超过 … are bounds of a duty, not its denial
_NO_DUTY = re.compile(r"不(?!低于|少于|超过|高于|多于|足|满|得少|再低)[\u4e00-\u9fff]|无须|无需|免[\u4e00-\u9fff]")
_DUTY = re.compile(r"应当|必须|须|应|要求")
# the asker's own "not" before a condition the sentence states ("没按时完成" against "按时完成…的")
_ASKER_NOT = re.compile(r"(?:没有|尚未|并未|没|未|不是)([\u4e00-\u9fff]{3,8})")
# a minimum a sentence sets ("累计缴费满十五年的") and the asker's own figure in the same unit
_MINIMUM = re.compile(r"(?:满|不少于|不低于|达到)\s*(\d+(?:\.\d+)?)\s*(年|个月|月|天|人|元|岁|%)|(\d+(?:\.\d+)?)\s*(年|个月|月|天|人|元|岁|%)(?:以上|及以上)")
_ASKER_FIGURE = re.compile(r"(\d+(?:\.\d+)?)\s*(年|个月|月|天|人|元|岁|%)")
_SEGMENT = re.compile(r"[^，,；;。：:]+[，,；;。：:]?")
# words every yes/no question shares with any clause, which say nothing about what it is about
_ASK_WORDS = re.compile(r"^(?:能否|可否|是否|能不能|可不可以|是不是|算不算|有没有|可以|能够|现在|还能|我们|他们|这个|那个)$")


def _is_exception(part: str) -> bool:
    """A part stating an exception to the duty before it ("但因不可抗力导致…停产的除外")."""
    return part.startswith("但") or "除外" in part


def _segments(text: str) -> list[str]:
    return [m.group(0).strip() for m in _SEGMENT.finditer(text) if m.group(0).strip(" ，,；;。：:")]


def clause_verdict(ctx: Context, clause: Clause, spans: list[tuple[int, int]]
                   ) -> tuple[str, Calculation | None] | None:
    """可以 / 不能 for a yes/no question, read off the quoted passage when it speaks of what is asked: a
    minimum the asker's own figure fails (with the figure beside it), a condition the asker says is not
    met, or the passage's own "不得" / "可以" in the part that speaks of what is asked. None when nothing
    in the passage clearly decides."""
    asked = asked_text(ctx.u)
    can = bool(_YES_NO.search(asked) and _CAN_ASK.search(ctx.u.text)) and not _NOT_YES_NO.search(ctx.u.text)
    modal = [w for w in ctx.tokenizer.cut(asked) if w in _DUTY_WORDS]
    duty = not can and bool(modal) and (bool(_YES_NO.search(asked)) or any("不" in w for w in modal)) \
        and not _NOT_DUTY.search(ctx.u.text)
    # 算 / 不算 answer whether a case counts as something ("这算工伤不", "属于工伤吗"): the passage's 不得认定为 /
    # 视同 / 属于 say it, as for can/may
    counts = not (can or duty) and bool(_YES_NO.search(asked) and _COUNTS_ASK.search(asked)) \
        and not _NOT_YES_NO.search(ctx.u.text)
    if not (can or duty or counts):
        return None
    # the question's own clause numbers ("第十六条") point at the clause; they say nothing of what is asked
    plain = _OWN_NUMBERING.sub(" ", ctx.u.text)
    q_words = {w for w in ctx.tokenizer.words(plain) if len(w) >= 2 and not _ASK_WORDS.match(w)}
    if not q_words:
        return None
    idf = token_idf(ctx.version, ctx.tokenizer)

    def weight(words: set[str]) -> float:
        return sum(idf.get(w, 1.0) for w in words)

    raw = ctx.version.document_of(clause.clause_id).raw
    passage = "".join(repair_span(raw, s, e).strip() for s, e in spans)
    words = set(ctx.tokenizer.words(passage))
    # the passage must be about the question: most of the question's (weighted) words are in it
    if weight(q_words & words) < 0.5 * weight(q_words):
        return None
    parts = _segments(passage)
    # a condition: "…的，" or "对…的…，" (对 the ones who …)
    is_condition = [p.rstrip("，,；;：:。").endswith("的") or (p.startswith(("对", "凡")) and "的" in p) for p in parts]
    conditions = [p.rstrip("，,；;：:") for p, c in zip(parts, is_condition) if c]

    asker = cn_numerals_to_digits(ctx.u.text)
    for cond in conditions if can and not counts else []:  # a minimum the asker's figure does not reach ("交了12年" against "满十五年的")
        for m in _MINIMUM.finditer(cn_numerals_to_digits(cond)):
            need, unit = Decimal(m.group(1) or m.group(3)), m.group(2) or m.group(4)
            given = [Decimal(g) for g, u in _ASKER_FIGURE.findall(asker) if u == unit]
            if len(given) == 1 and given[0] < need:
                have, gap = given[0], need - given[0]
                formula = f"{_plain(need)}{unit} − {_plain(have)}{unit} = {_plain(gap)}{unit}"
                check = Calculation(rule_id="", inputs={"您的情况": f"{_plain(have)}{unit}"}, formula=formula,
                                    amount=None, unit=unit, note="不满足文件规定的条件")
                return (f"不能。文件的条件是“{cond}”，您的情况为{_plain(have)}{unit}，还差{_plain(gap)}{unit}"
                        f"（{formula}）。"), check
    for m in _ASKER_NOT.finditer(plain) if can else ():  # "没按时完成" against "对按时完成…的"
        phrase = m.group(1)
        for cond in conditions:
            size = next((n for n in range(len(phrase), 2, -1) if phrase[:n] in cond), 0)
            if size and not re.search(r"(?:没有|没|未|不)" + re.escape(phrase[:size]), cond):
                return f"不能。文件的条件是“{cond}”，您说的情况是“{m.group(0)}”。", None

    # a figure of the question's own the passage does not state ("能连着三年免督查"): the question is about
    # that figure, which a plain yes would confirm and the passage does not
    own = {_plain(Decimal(g)) for g, _ in _ASKER_FIGURE.findall(asker)}
    if own - {_plain(Decimal(g)) for g, _ in _ASKER_FIGURE.findall(cn_numerals_to_digits(passage))}:
        return None
    # the part that says yes or no about what is asked: the one (with the condition before it) sharing most
    scored = []
    for i, part in enumerate(parts):
        if is_condition[i]:
            continue
        before = parts[i - 1].rstrip("，,；;：:") if i and is_condition[i - 1] else ""
        shared = weight(q_words & set(ctx.tokenizer.words(part)))
        scored.append((shared + weight(q_words & set(ctx.tokenizer.words(before))), shared, i, before))
    if not scored:
        return None
    # a duty is read off the part that names the act itself; the condition before it says when, not what
    total, shared, i, before = max(scored, key=(lambda t: (t[1], t[0])) if duty else None)
    main = parts[i].rstrip("，,；;：:。")
    if not shared:
        return None
    # the asker's circumstance must be one the passage names: a word of the question beyond that part
    # ("醉酒" in "（二）醉酒或者吸毒的"), unless the passage is that part alone
    beyond = q_words - set(ctx.tokenizer.words(main))
    # (a duty question whose words are mostly in that part is about it: "职工个人不缴纳工伤保险费")
    if len(parts) > 1 and not beyond & words and not (duty and weight(q_words - beyond) >= 0.5 * weight(q_words)):
        return None
    if duty:
        # who must and who need not, in one passage ("职工应当参加工伤保险，由用人单位缴纳…，职工不缴纳…"): which
        # part answers depends on whose duty is asked, which shared words cannot tell — no verdict then
        said_of = [part for part in parts if weight(q_words & set(ctx.tokenizer.words(part))) > 0
                   and not _is_exception(part)]
        if any(_NO_DUTY.search(p) for p in said_of) and any(_DUTY.search(p) and not _NO_DUTY.search(p) for p in said_of):
            return None
        said = f"{before}，{main}" if before else main
        if _NO_DUTY.search(main):
            return f"不需要。文件写明“{said}”。", None
        if _DUTY.search(main):
            # an exception the passage states ("但因不可抗力导致…的除外") is part of the verdict, not a footnote
            exception = next((p.rstrip("，,；;。") for p in parts[i + 1:] if _is_exception(p)), "")
            if exception:
                return f"一般需要，但有例外。文件写明“{said}”；“{exception}”。", None
            return f"需要。文件写明“{said}”。", None
        return None
    if counts:
        if _NOT_COUNTED.search(main) or _DENIES.search(main):
            return f"不算。文件写明“{main}”。", None
        if _COUNTS_AS.search(main):
            return f"算。文件写明“{main}”。", None
        return None
    if _DENIES.search(main):
        return f"不能。文件写明“{main}”。", None
    if _GRANTS.search(main):
        if before:
            return f"可以，但需满足文件的条件：“{before}”。", None
        return f"可以。文件写明“{main}”。", None
    return None


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


_ASKED_UNIT = re.compile(r"(?:多少|几)\s*[万千百]?\s*([场个家名项条所次批户期])")
_QUANTITY_RE = re.compile(r"\d[\d,.]*\s*(?:元|万元|万|%|％|个|人|场|名|家|倍|条|项|所|次)")
_MONEY_ASK = re.compile(r"多少钱|工资|薪水|钱|几块|几百块|几千块|多少元")
_ASKED_TIME = re.compile(r"(?:多少|几)\s*(个月|年|天|日|周岁|岁|个?小时|周)")


def states_asked_time(question: str, text: str) -> bool | None:
    """Whether `text` states a figure in the unit of time or age the question asks for ("多少年" →
    满十五年, "几天" → 十五日), as the quantity reader names units (几日 → 天, 多少周岁 → 岁); None when the
    question asks for no such unit."""
    m = _ASKED_TIME.search(question)
    if m is None:
        return None
    want = {q.unit for q in read_quantities("1" + m.group(1))}
    return any(q.unit in want for q in read_quantities(text))


def _citing_part(ctx: Context, top: Clause) -> tuple[Clause, tuple[int, int]] | None:
    """Of the parts of the document that cite `top` by its number and state a sum, the one sharing most
    words with the question (第四十四条（一） for a question about 第七条's licence)."""
    doc = ctx.version.docs.get(top.doc_id)
    if doc is None:
        return None
    q = set(ctx.tokenizer.tokens(ctx.u.search_text))
    idf = token_idf(ctx.version, ctx.tokenizer)  # rare shared words count more (押金 over 中介)
    best: tuple[float, int, Clause, tuple[int, int]] | None = None
    for n, (cid, span) in enumerate(referring_clauses(ctx.version, top.clause_id)):
        clause = ctx.version.clause(cid)
        text = doc.raw[span[0] : span[1]]
        if clause is None or not _AMOUNT_RE.search(cn_numerals_to_digits(text)):
            continue
        shared = sum(idf.get(t, 1.0) for t in q & set(ctx.tokenizer.tokens(text)))
        if best is None or shared > best[0]:
            best = (shared, -n, clause, span)
    return (best[2], best[3]) if best else None


def compose_amount_unstated(ctx: Context) -> Composition | None:
    """An amount question whose best clause states no amount at all: say so instead of guessing."""
    top = ctx.clauses[0]
    # "公益性岗位的人一个月工资给多少": money is asked and the clause only counts posts (约5000个)
    money = bool(_MONEY_ASK.search(ctx.u.text))
    # a law writes its figures in 汉字 (百分之八十, 七个月): read them as numbers before deciding; a time or an
    # age asked for ("交满多少年", "几天", "多少岁") is stated when the quantity reader finds one in that unit
    # (满十五年 answers 多少年, not 多少岁), a date is none
    time_stated = states_asked_time(ctx.u.text, top.text)
    if money:
        # "每周干满多少个小时就得算加班工资": the hours asked, stated, answer it though a wage is named
        stated = _AMOUNT_RE.search(cn_numerals_to_digits(top.text)) or time_stated
    elif time_stated is not None:
        stated = time_stated
    else:
        stated = _QUANTITY_RE.search(cn_numerals_to_digits(top.text))
    if top.kind in ("roster_entry",) or stated or _SHARE_RE.search(top.text):
        return None
    # "山西一年要办多少场招聘会": the best clause names the activity, a close runner-up (a ledger row)
    # states how many of the unit asked for; that one answers
    if m := _ASKED_UNIT.search(ctx.u.text):
        stated = re.compile(r"\d[\d,.]*\s*[万千百]?\s*" + re.escape(m.group(1)))
        for clause in ctx.clauses[1:3]:
            if stated.search(clause.text):
                ctx.clauses.remove(clause)
                ctx.clauses.insert(0, clause)
                return None
    # "没证开中介会罚多少": the best clause is the rule broken and states no sum; an article of the same law
    # that cites it by number and states one (法律责任: "违反第七条第二款规定…处以一万元以上五万元以下罚款")
    # answers, the rule after it
    if states_asked_time(ctx.u.text, "") is None and (citing := _citing_part(ctx, top)) is not None:
        clause, span = citing
        if clause in ctx.clauses:
            ctx.clauses.remove(clause)
        ctx.clauses.insert(0, clause)
        ctx.focus[clause.clause_id] = span
        return None
    text, _ = quote_clause(ctx, top, limit=1, lead="文件提到了相关内容")
    text = f"文件没有规定具体的金额、比例或标准，我不能替文件给出数字。具体标准请拨打{HOTLINE}咨询。\n{text}"
    return Composition("no_answer", text, ctx.book.items)


_LIST_ASK = re.compile(r"具体(?:是|有|都是|都有)?(?:哪些|哪几|什么)|都(?:是|有)哪些|分别是(?:哪|什么)|哪几个|是哪些")
_COUNTED = re.compile(r"(\d+)\s*个\s*([\u4e00-\u9fff]{2,4})")


def compose_unlisted(ctx: Context) -> Composition | None:
    """"扩围的那17个行业具体是哪些": the document counts them ("扩围到 17 个行业") but never names them.
    Say exactly that, quoting the sentence, instead of answering around it or inventing a list."""
    if not _LIST_ASK.search(ctx.u.text):
        return None
    for m in _COUNTED.finditer(ctx.u.text):
        count, noun = m.group(1), m.group(2)[:2]
        for clause in ctx.clauses[:2]:
            hit = re.search(count + r"\s*个\s*" + re.escape(noun), clause.text)
            if hit is None:
                continue
            before = clause.text[max(0, hit.start() - 80) : hit.start()]
            listed = re.search(r"([\u4e00-\u9fff]{1,12}、){%d,}" % max(1, int(count) - 2), before)
            if listed:
                return None  # "餐饮、零售、旅游、民航、公路水路铁路运输等 5 个特困行业" names them
            sentences = [(span, t) for span, t in _sentence_texts(ctx.version, clause) if hit.group(0) in t.replace("\n", "")]
            if not sentences:
                return None
            (start, end), text = sentences[0]
            mark = ctx.book.cite_span(clause, start, end)
            answer = (
                f"文件只写了{mark}：“{text.strip()}”，没有列出具体是哪些{noun}，我不能替文件列举。"
                f"具体范围请拨打{HOTLINE}或咨询当地人社部门。"
            )
            return Composition("no_answer", answer, ctx.book.items)
    return None


DUTY_CUE = re.compile(r"负责哪些|牵头哪些|管哪些|分管|哪些工作|哪些任务|负责什么|管什么|哪些事|负责的工作|牵头的工作")


def duty_holders(version: IndexVersion, text: str) -> tuple[str, list[Clause]]:
    """("李浓", the clauses 李浓 leads) when a question asks what a leader or a unit is responsible for."""
    if not DUTY_CUE.search(text):
        return "", []
    leaves = [c for c in version.clauses.values() if c.kind in ("item", "subitem") and c.is_leaf]
    for name in sorted({n for c in leaves for n in (*c.leaders, *c.units)}, key=len, reverse=True):
        if name in text:
            cooperating = "配合" in text
            found = [
                c for c in leaves
                if name in c.leaders or name in c.lead_units or (cooperating and name in c.coop_units)
            ]
            return name, found
    return "", []


def compose_duties(ctx: Context) -> Composition | None:
    """"李浓负责哪些工作" / "劳动关系处牵头哪些任务": every clause whose responsibility lines name them."""
    name, clauses = duty_holders(ctx.version, ctx.u.text)
    if not clauses:
        return None
    role = "责任领导" if any(name in c.leaders for c in clauses) else "牵头（责任）处室"
    lines = [f"文件中{name}作为{role}的条目有："]
    for c in clauses:
        # the clause itself (its title is quoted) and the lines that name who is responsible
        marks = ctx.book.cite_clause(c) + ctx.book.cite_span(c, c.resp_start, c.resp_end, label=f"{c.label}（责任分工）")
        lines.append(f"· {c.label} “{c.title}”{marks}")
    return Composition("answered", "\n".join(lines), ctx.book.items)


def compose_department(ctx: Context) -> Composition:
    parts = []
    validity = None
    for clause in ctx.clauses[:2]:
        if clause.kind == "roster_entry":
            parts.append(_roster_sentence(ctx, clause))
            continue
        if clause.kind == "ledger_row" and clause.lead_units:
            text, _ = quote_clause(ctx, clause)
            parts.append(text)
            if clause is ctx.clauses[0]:
                break
            continue
        if not (clause.leaders or clause.lead_units):
            if clause is ctx.clauses[0]:
                # the clause says who does it in its own words ("日常工作由就业促进处承办")
                # "每个月几号前反馈": the day first; "标准由谁规定" asks who, not the figure
                when = "time" if asked_figure(asked_text(ctx.u)) == "time" else None
                text, spans = quote_clause(ctx, clause, figure=when)
                parts.append(text)
                validity = clause_validity(clause, ctx.as_of, spans, ctx.meta(clause))
                # "工伤预防费这项谁负责": a law says how the thing works; another document that assigns
                # the same work to units answers who is responsible, so its duty line follows
                parts += [f"另外，{ctx.doc_name(other)}中，{_duty_line(ctx, other)}" for other in other_documents(ctx, clause)
                          if other.leaders or other.lead_units]
                break
            continue
        parts.append(_duty_line(ctx, clause))
        validity = validity or clause_validity(clause, ctx.as_of, [], ctx.meta(clause))
        if len(parts) == 1 and ctx.clauses[0] is clause:
            break  # the top clause names its own units: a second clause would only blur the answer
    if not parts:
        return compose_fact(ctx)
    parts += _heads_of_named_units(ctx, [c for c in ctx.clauses[:2] if c.kind != "roster_entry"])
    return Composition("answered", "\n".join(parts), ctx.book.items, validity=validity)


def _duty_line(ctx: Context, clause: Clause) -> str:
    """"<topic>[n]：责任领导是…；牵头（责任）处室是…；配合处室是…[m]。" from a clause's responsibility lines."""
    what = ctx.book.cite_clause(clause)
    resp = ctx.book.cite_span(clause, clause.resp_start, clause.resp_end, label=f"{clause.label}（责任分工）")
    bits = []
    if clause.leaders:
        bits.append(f"责任领导是{'、'.join(clause.leaders)}")
    if clause.lead_units:
        bits.append(f"牵头（责任）处室是{'、'.join(clause.lead_units)}")
    if clause.coop_units:
        bits.append(f"配合处室是{'、'.join(clause.coop_units)}")
    return f"{_topic(clause)}{what}：{'；'.join(bits)}{resp}。"


_HEAD_CUE = re.compile(r"处长|局长|院长|主任|负责人|一把手|头儿|领导是谁|谁是领导")


def _heads_of_named_units(ctx: Context, clauses: list[Clause]) -> list[str]:
    """"事业单位公开招聘找哪个处，处长是谁": after the units, the roster entry heading the lead unit."""
    if not _HEAD_CUE.search(ctx.u.text):
        return []
    units = [u for c in clauses for u in c.lead_units]
    roster = [c for c in ctx.version.clauses.values() if c.kind == "roster_entry"]
    lines = []
    for unit in dict.fromkeys(units):
        for entry in roster:
            position = str(entry.extra.get("position", ""))
            if position.startswith(unit) and entry.clause_id not in {c.clause_id for c in clauses}:
                lines.append(_roster_sentence(ctx, entry))
                break
    return lines


def compose_deadline(ctx: Context) -> Composition:
    clause = ctx.clauses[0]
    asked = asked_text(ctx.u)
    if not asks_when(asked) and (length := compose_length(ctx, asked)) is not None:
        return length
    dated = [s for s in best_sentences(ctx.version, clause, ctx.u, ctx.tokenizer, limit=3) if _PERIOD_RE.search(s[1])]
    validity = clause_validity(clause, ctx.as_of, focus_spans(ctx, clause, [span for span, _ in dated[:2]]), ctx.meta(clause))
    if validity.lapsed is False and validity.period is None and (in_force := _document_in_force(ctx, clause)):
        return in_force
    if validity.lapsed is not True and validity.ends is None:
        text, spans = quote_clause(ctx, clause, limit=2, figure=asked_figure(asked_text(ctx.u)) or "time")
        if validity.lapsed is False:
            # a law in force: the time limit it states ("30日内") is in the quote, which is the answer
            return Composition("answered", text + "\n" + validity.note, ctx.book.items, validity=validity)
        # the note of an undated measure says the same again ("文件未写明该项措施的期限；…"): its advice only
        note = validity.note.split("；", 1)[-1] if validity.note.startswith("文件未写明") else validity.note
        first = f"文件未写明该项措施的截止期限。{note}"
        return Composition("answered", first + "\n依据：" + text.removeprefix("根据"), ctx.book.items, validity=validity)
    sentences = dated
    mark = ctx.book.cite_clause(clause)
    basis = f"依据：{ctx.doc_name(clause)}规定{mark}：{quote_text(sentences[:2])}"
    return Composition("answered", "\n".join([deadline_conclusion(clause, validity), basis, validity_tail(validity)]),
                       ctx.book.items, validity=validity)


def compose_length(ctx: Context, asked: str) -> Composition | None:
    """"一年有几天年假", "产假多少天": a length of time in a unit the question names, not a point in time.
    The sentence of the best clause that states a figure in that unit is the answer and comes first, the
    validity note after it; when that clause states none, the documents do not say, and the answer says so
    instead of quoting the clause as if it did. None when no unit is named ("多久") or a date is asked."""
    clause = ctx.clauses[0]
    stated = states_asked_time(asked, clause.text)
    if stated is None:
        return None
    # a close runner-up states one: not sure enough to say the documents do not. Close means it also has the
    # most specific word the question shares with the best clause (产假 of 女职工产假有多少天): a clause on
    # something else that counts days (365天－104天) is no rival
    idf = token_idf(ctx.version, ctx.tokenizer)
    shared = [w for w in ctx.tokenizer.words(asked, hmm=False) if len(w) >= 2 and w in clause.text]
    key = max(shared, key=lambda w: idf.get(w, 0.0), default=None)
    if not stated and any(states_asked_time(asked, c.text) and (key is None or key in c.text)
                          for c in ctx.clauses[1:3]):
        return None
    if not stated:
        unit = _ASKED_TIME.search(asked).group(1)
        text, _ = quote_clause(ctx, clause, limit=1, lead="文件提到了相关内容")
        return Composition("no_answer", f"文件没有写明具体是多少{unit}，我不能替文件给出数字。具体规定请拨打"
                           f"{hotline_of(ctx.meta(clause))}咨询。\n{text}", ctx.book.items)
    text, spans = quote_clause(ctx, clause, limit=2, figure="time")
    validity = clause_validity(clause, ctx.as_of, focus_spans(ctx, clause, spans), ctx.meta(clause))
    tail = validity.note if validity.lapsed is not None else ""
    return Composition("answered", "\n".join(p for p in (text, tail) if p), ctx.book.items, validity=validity)


def _document_in_force(ctx: Context, clause: Clause) -> Composition | None:
    """"这个条例现在还有效吗": a time question about a rule of law in force that names what the text calls
    itself (条例, 法 …), asks no length of time, names no clause, and whose best clause states no time at
    all, is answered by the document's own dates — from when it applies, and that it is in force — quoting
    its 施行 sentence."""
    meta = ctx.meta(clause)
    text = clause.text
    # a length asked for ("第十一条缓缴期限最长多久") or a clause named by number is about a clause, not the text
    if ctx.u.references or _LENGTH_ASK.search(ctx.u.text):
        return None
    if (not meta.form or meta.form not in ctx.u.text or meta.effective_date is None or meta.effective_date > ctx.as_of
            or states_figure(text, "time") or _PERIOD_RE.search(text)):
        return None
    found = effective_sentence(ctx.version.document_of(clause.clause_id))
    if found is None:
        return None
    stating, (start, end) = found
    mark = ctx.book.cite_span(stating, start, end)
    quote = ctx.book.items[int(mark.strip("[]")) - 1].quote.strip()
    name = document_name(meta)
    since = meta.effective_date
    dated = mark
    if str(since.year) not in quote:
        doc = ctx.version.document_of(clause.clause_id)
        line = date_line_beside(doc, since, quote)
        if line is None:
            return None
        ctx.book.items.append(cite_meta_line(doc, line, len(ctx.book.items) + 1))
        dated += f"[{len(ctx.book.items)}]"
    first = in_force_sentence(name, since, dated, ctx.as_of)
    basis = f"依据：{name}规定{mark}：“{quote}”"
    tail = f"如需确认最新修订，请拨打{hotline_of(meta)}咨询。"
    validity = document_validity(meta, ctx.as_of)
    return Composition("answered", "\n".join([first, basis, tail]), ctx.book.items, validity=validity)


def deadline_conclusion(clause: Clause, validity: Validity) -> str:
    """The date first and whether it has passed: "已过期：…的期限是“至2022年12月31日”，截至2026年12月1日已届满。"."""
    when = format_date(validity.as_of)
    topic = _topic(clause)
    if validity.lapsed:
        end = f"（{format_date(validity.ends)}）" if _end_is_spelled(validity) else ""
        return f"已过期：{topic}的期限是“{validity.period}”{end}，截至{when}已届满。"
    return f"仍在期限内：{topic}的期限是“{validity.period}”，截至{when}尚未届满。"


def validity_tail(validity: Validity) -> str:
    """What follows a lapsed date: where to ask about the policy in force now."""
    return f"现在可能已无法申请；现行政策请拨打{HOTLINE}咨询。" if validity.lapsed else ""
