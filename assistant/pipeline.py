"""`Assistant.ask(question, session) -> Answer`: understand → retrieve → rules → validity → compose.

Heavy state (embedding model, index version, rules) is opened once by `Assistant.open` and shared by
every request; a request takes the index version current when it starts and keeps it to the end, so
an index switch during a request never mixes two versions in one answer.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable

from assistant.compose import (
    HOTLINE,
    NO_ANSWER_TEXT,
    REFUSAL_TAIL,
    Composition,
    asked_text,
    token_idf,
    Context,
    compose_amount_unstated,
    compose_unlisted,
    compose_deadline,
    compose_department,
    compose_duties,
    compose_fact,
    shared_weight,
)
from assistant.compose_rules import (
    asked_quantity,
    compose_amount,
    compose_eligibility,
    compose_profile_statement,
    names_a_measure,
)
from assistant.contract import Answer, SearchHit, SearchResult
from assistant.compose_document import DocumentQuestions, compose_document
from assistant.documents import DocumentDirectory, corpus_topic_terms
from assistant.retrieve import ClauseHit, HybridSearch, SearchFilters
from assistant.scope import ScopeRules
from assistant.settings import Settings
from assistant.understand import Lexicon, QuestionRejected, Understanding, strip_padding, understand
from index.embed import Embedder, load_embedder
from index.embed_batch import BatchingEmbedder
from index.metadata import load_grammar
from index.store import IndexVersion, active_version, open_index
from index.tokenize import PolicyTokenizer, general_dictionary
from index.types import Clause

__all__ = ["Assistant", "ConversationState", "IndexHandle"]

_CJK_WORD = re.compile(r"[\u4e00-\u9fff]")
_NUMERAL_WORD = re.compile(r"[一二三四五六七八九十两几对个]+")
_LEDGER_CUE = re.compile(r"台账|任务清单(?:台账|里|中|上|第|写|列|有|的第|的哪)|附件\s*2|附件二|序号|第\d+行")

log = logging.getLogger(__name__)


@dataclass
class ConversationState:
    """What a session remembers between turns: the slots so far and the last question understood."""

    session_id: str | None = None
    slots: dict[str, Any] = field(default_factory=dict)
    last: dict[str, Any] | None = None

    def remember(self, u: Understanding, retrieved: list[str], docs: list[str] | None = None) -> None:
        self.slots = dict(u.slots)
        self.last = {
            "docs": list(docs or []),
            "text": u.topic_text or u.text,
            "intent": u.intent,
            "slots": dict(u.slots),
            "expansions": list(u.expansions),
            "retrieved": retrieved[:3],
        }

    def to_dict(self) -> dict[str, Any]:
        return {"slots": self.slots, "last": self.last}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None, session_id: str | None = None) -> ConversationState:
        data = data or {}
        return cls(session_id=session_id, slots=dict(data.get("slots") or {}), last=data.get("last"))


@dataclass(frozen=True)
class Snapshot:
    """Everything one request reads, taken together: an index version, its search, and the rules
    checked against that version's documents (so a rule citation's offsets match its clause text)."""

    version: IndexVersion
    search: HybridSearch
    rules: Any
    directory: DocumentDirectory


class IndexHandle:
    """The active index version of a directory; picks up a new version when ACTIVE changes.

    Readers take `snapshot()` once per request and keep it; the switch is one reference assignment
    under a lock, so requests see either the old version or the new one, never a mix.
    """

    def __init__(self, index_dir: Path, embedder: Embedder, corpus_dir: Path, *, chroma_url: str | None,
                 poll_seconds: float, search_options: dict[str, Any] | None = None,
                 rules_loader: Callable[[dict], Any] | None = None) -> None:
        self.index_dir = index_dir
        self.embedder = embedder
        self.corpus_dir = corpus_dir
        self.chroma_url = chroma_url
        self.poll_seconds = poll_seconds
        self.search_options = search_options or {}  # HybridSearch keyword arguments (rrf_k, candidate_k, …)
        self.rules_loader = rules_loader
        self.on_open: Callable[[IndexVersion], None] | None = None
        self.grammar = load_grammar(corpus_dir)
        self._lock = threading.Lock()
        self._checked = 0.0
        self._state = self._open(active_version(index_dir))

    def _open(self, version: str | None) -> Snapshot:
        v = open_index(self.index_dir, chroma_url=self.chroma_url, version=version)
        if v.manifest.model != self.embedder.name:
            # still served (the vectors are of the same model), but ranks may differ from an index of its own
            log.warning("index version %s holds %s vectors but questions are embedded by %s: run "
                        "`policy-qa index build` with this embedding backend", v.version, v.manifest.model,
                        self.embedder.name)
        tokenizer = PolicyTokenizer.for_documents(self.corpus_dir, v.docs)
        token_idf(v, tokenizer)  # the composer's word weights, built here rather than by the first request
        search = HybridSearch(v, tokenizer, self.embedder, **self.search_options)
        rules = self.rules_loader(v.docs) if self.rules_loader else None
        if self.on_open is not None:
            self.on_open(v)  # per-version tables built before the version is served, not by its first request
        return Snapshot(v, search, rules, DocumentDirectory(v.docs, self.grammar))

    def current(self) -> tuple[IndexVersion, HybridSearch]:
        snap = self.snapshot()
        return snap.version, snap.search

    def snapshot(self) -> Snapshot:
        """The version being served. A new ACTIVE is opened in a background thread; until it is ready,
        requests keep the old snapshot rather than waiting for the open (seconds on a busy machine)."""
        now = time.monotonic()
        if self.poll_seconds and now - self._checked >= self.poll_seconds:
            self._checked = now
            name = active_version(self.index_dir)
            if name and name != self._state.version.version and self._lock.acquire(blocking=False):
                threading.Thread(target=self._switch, args=(name,), name=f"open-{name}", daemon=True).start()
        return self._state

    def _switch(self, name: str) -> None:
        """Open `name` and serve it; the lock is held from the request that noticed it until this ends."""
        t0 = time.monotonic()
        try:
            if name != self._state.version.version:
                self._state = self._open(name)
                log.info("switched to index version %s (opened in %.2f s)", name, time.monotonic() - t0)
        except Exception:  # a half-visible version or rules that do not fit it: keep the old
            log.exception("could not open index version %s; keeping %s", name, self._state.version.version)
        finally:
            self._lock.release()


class Assistant:
    """Answers questions over the index with rules and validity; built once per process."""

    def __init__(self, settings: Settings, embedder: Embedder, handle: IndexHandle, lexicon: Lexicon,
                 scope: ScopeRules | None = None) -> None:
        self.settings = settings
        self.embedder = embedder
        self.handle = handle
        self.lexicon = lexicon
        self.scope = scope or ScopeRules.load(settings.corpus_dir)
        self.document_questions = DocumentQuestions.load(settings.corpus_dir, handle.grammar)
        self.home_region = settings.served_region()
        self._known_terms_cache: tuple[IndexVersion, list[str]] | None = None
        self._batcher: BatchingEmbedder | None = None  # the one `open` started, which `close` stops

    def close(self) -> None:
        """Stop what `open` started (the embedding batcher); later questions are embedded one by one."""
        if self._batcher is not None:
            self._batcher.close()

    @property
    def rules(self):
        """The rule book checked against the index version currently served."""
        return self.handle.snapshot().rules

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder | None = None) -> Assistant:
        """Open the model (unless given), the index and the rules; with `embed_batching` the questions of
        concurrent `ask` calls are embedded together (the batching thread ends with `close`)."""
        embedder = embedder or load_embedder(settings.embedding_model, settings.embedding_threads,
                                             backend=settings.embedding_backend, cache_dir=settings.model_cache_dir)
        batcher = None
        if settings.embed_batching and not isinstance(embedder, BatchingEmbedder):
            embedder = batcher = BatchingEmbedder(embedder, window_ms=settings.embed_batch_window_ms,
                                                  max_batch=settings.embed_batch_size)
        handle = IndexHandle(
            settings.index_dir,
            embedder,
            settings.corpus_dir,
            chroma_url=settings.chroma_url,
            poll_seconds=settings.index_poll_seconds,
            search_options={
                "rrf_k": settings.rrf_k,
                "candidate_k": settings.candidate_k,
                "bm25_margin_weight": settings.bm25_margin_weight,
                "fusion": settings.fusion,
                "fusion_alpha": settings.fusion_alpha,
                "fusion_depth": settings.fusion_depth,
            },
            rules_loader=lambda docs: _load_rules(settings, docs),
        )
        lexicon = Lexicon.load(settings.corpus_dir)
        assistant = cls(settings, embedder, handle, lexicon)
        assistant._batcher = batcher
        assistant._use_version(handle.current()[0])
        # the scope check's dictionaries (jieba's general one, the documents' runs and their sounds) load
        # here rather than on the first citizen's question
        handle.on_open = assistant._use_version
        return assistant

    def _use_version(self, version: IndexVersion) -> None:
        """Per-version tables built before the version is served: the scope check's dictionaries (jieba's
        general one, the documents' runs and their sounds) and the documents' own policy subjects."""
        self.scope.warm(version.corpus_text)
        self.lexicon.document_words = version.corpus_text
        self.lexicon.use_corpus_terms(corpus_topic_terms(version.docs, self.scope.pos_cut))

    def new_session(self) -> ConversationState:
        return ConversationState()

    # ------------------------------------------------------------ ask
    def ask(self, question: str, *, session: ConversationState | None = None, as_of: date | None = None) -> Answer:
        t0 = time.perf_counter()
        as_of = as_of or self.settings.today()
        snap = self.handle.snapshot()
        version, search, rules, directory = snap.version, snap.search, snap.rules, snap.directory
        try:
            u = understand(
                question, self.lexicon, max_chars=self.settings.max_question_chars,
                previous=_previous_turn(session, version), book=rules,
            )
        except QuestionRejected as exc:
            return Answer(question=_printable(question), status="invalid", intent="invalid", answer=exc.message,
                          timing_ms=_ms(t0), index_version=version.version)
        if session and not session.last and session.slots:
            u.slots = {**session.slots, **u.slots}
        if u.refused:
            # "-25个员工", "1e308元": an impossible number is asked back, never computed with
            answer = Answer(question=u.text, status="clarify", intent=u.intent, answer="\n".join(dict.fromkeys(u.refused)),
                            slots=u.slots, timing_ms=_ms(t0), index_version=version.version)
            if session is not None:
                session.remember(u, [], [])
            return answer
        # the documents the question names (文号, title, region); a conversation keeps its documents until
        # the asker names others
        docs = directory.named(u.text)
        named_document = bool(docs)  # by its own name, 文号 or place — not through one of its measures
        u.foreign_region = None if docs else directory.foreign_place(u.text)
        if not docs and not u.foreign_region and rules is not None and not _LEDGER_CUE.search(u.text):
            # a measure named by its rule-book name ("留工补助") names the document whose rule book holds it
            from assistant.compose_rules import named_rules

            # only the served region's: another province's measure of the same name is not what was asked
            served = set(directory.served_in(self.home_region) or version.docs)
            docs = list(dict.fromkeys(r.doc_id for r in named_rules(rules, u.text) if r.doc_id in served))
        if not docs and session and session.last and u.follow_up:
            docs = [d for d in session.last.get("docs") or [] if d in version.docs]
        u.references = _clause_references(version, directory, u, docs or directory.served_in(self.home_region),
                                          question)

        fields = self.document_questions.asked_fields(u.text, names_document=named_document)
        if fields == ["validity"] and (self.lexicon.has_topic(rest := directory.without_names(u.text, docs))
                                       or names_a_measure(rules, rest)):
            fields = []  # "117号文的社保补贴还有效吗": a measure's validity, not the document's
        if fields:
            target = docs or ([next(iter(version.docs))] if len(version.docs) == 1 else [])
            if not target:  # "这个条例什么时候施行": the document the question's words fit best
                found = search.search(u.search_text, k=1)
                target = [found[0].clause_id.split("#")[0]] if found else []
            if target:
                doc_answer = compose_document(version.docs[target[0]], fields, as_of)
                if session is not None:
                    session.remember(u, doc_answer.clause_ids, target)
                return Answer(question=u.text, status="answered", intent="fact", answer=doc_answer.text,
                              citations=doc_answer.citations, validity=doc_answer.validity,
                              retrieved=doc_answer.clause_ids, slots=u.slots, timing_ms=_ms(t0),
                              index_version=version.version)

        hits: list[ClauseHit] = []
        refusal = self._refusal_reason(u, version, rules, directory, search, docs)
        if refusal is None:
            context = (session.last or {}).get("retrieved") if (session and u.follow_up) else None
            scope = docs or directory.served_in(self.home_region)
            filters = SearchFilters(doc_ids=tuple(scope)) if scope and len(scope) < len(version.docs) else None
            hits = search.search(
                u.search_text, k=self.settings.top_k, kind_weights=self._kind_weights(u), context_ids=context,
                named_ids=[i for i in self._named_clauses(u, version, rules) if not scope or i.split("#")[0] in scope],
                filters=filters,
            )
            hits = _pin_references(version, u, hits, search.tokenizer)
            hits = _pin_roster(version, u, hits, search.tokenizer)
            hits = _pin_duties(version, u, hits)
            top = [c.text for c in (version.clause(h.clause_id) for h in hits[:3]) if c is not None]
            if not u.references and (request := self.scope.unserved_request(u.text, top)) is not None:
                # a request kind the documents may still serve ("去哪办"): refused unless a clause retrieved says it
                refusal = f"抱歉，{request.reason}其他问题请拨打{HOTLINE}人社服务热线咨询。"
            elif not u.references and not self._supported(u, hits, search):
                refusal = NO_ANSWER_TEXT
            elif (verb := self._unanswered_procedure(u, hits, version, rules)) is not None:
                refusal = (
                    f"抱歉，现有文件没有写明这件事怎么{verb}，我不能凭空回答。"
                    f"办理方式请拨打{HOTLINE}人社服务热线或咨询当地人社部门。"
                )
            elif u.years and not _years_covered(version, u.years):
                refusal = (
                    "现有文件中没有您所问年份的政策规定，不能用其他年份的文件回答。"
                    f"现行政策请拨打{HOTLINE}或查询人社部门最新发布的文件。"
                )
        retrieved = [h.clause_id for h in hits]
        if refusal is not None:
            answer = Answer(question=u.text, status="no_answer", intent="out_of_scope", answer=refusal,
                            retrieved=retrieved, slots=u.slots, timing_ms=_ms(t0), index_version=version.version)
        else:
            clauses = [c for c in (version.clause(h.clause_id) for h in hits) if c is not None]
            ctx = Context(u, clauses, version, search.tokenizer, as_of, docs=tuple(scope) if scope else None)
            comp = self._compose(ctx, rules)
            answer = Answer(
                question=u.text,
                status=comp.status,
                intent=u.intent,
                answer=comp.text,
                citations=comp.citations,
                calculation=comp.calculation,
                validity=comp.validity,
                retrieved=retrieved,
                slots=u.slots,
                missing=comp.missing,
                measures=comp.measures,
                timing_ms=_ms(t0),
                index_version=version.version,
            )
        if session is not None:
            # the conversation keeps the documents it named, or else the one its answer came from
            session.remember(u, retrieved, docs or ([retrieved[0].split("#")[0]] if retrieved and refusal is None else []))
        return answer

    def _named_clauses(self, u: Understanding, version: IndexVersion, rules: Any) -> list[str]:
        """Clauses of the measures the question names by a rule title or alias (data: corpus/rules)."""
        if rules is None or _LEDGER_CUE.search(u.text):
            return []  # measure names point at body clauses; a ledger question is about the ledger
        from assistant.compose_rules import named_rules

        ids = [r.clause_id for r in named_rules(rules, u.text)]
        # the kind of applicant the asker says it is (平台企业, 帮扶车间 …) names the measures for that kind
        # when the question asks what it can get ("平台公司招骑手能拿补贴吗"), not what a rule says
        flags = {k for k, v in u.slots.items() if v is True and k in rules.flags}
        if flags and u.intent in ("amount", "eligibility"):
            ids += [r.clause_id for r in rules
                    if any(alt.where.get(f) is True for alt in r.eligibility or [] for f in flags)]
        return [i for i in dict.fromkeys(ids) if i in version.clauses]

    def _kind_weights(self, u: Understanding) -> dict[str, float] | None:
        # the ledger restates the body: it yields to the body unless the question is about the ledger
        if _LEDGER_CUE.search(u.text):
            return {"ledger_row": 1 / self.settings.ledger_weight}
        return {"ledger_row": self.settings.ledger_weight}

    def _refusal_reason(self, u: Understanding, version: IndexVersion, rules: Any,
                        directory: DocumentDirectory, search: HybridSearch | None = None,
                        docs: list[str] | None = None) -> str | None:
        if not u.chinese:
            return "目前只支持中文提问，请用中文描述您的问题（Please ask in Chinese）。其他咨询请拨打12333。"
        if u.foreign_region:
            held = "、".join(directory.regions)
            national = "和国家层面的法律法规" if directory.has_national else ""
            return (
                f"现有文件中没有{u.foreign_region}的规定：这里收录的是{held}{national}的文件，地方标准各不相同，"
                f"我不能用其他地区的规定回答。请咨询当地人社部门或拨打{HOTLINE}。"
            )
        if (request := self.scope.unserved_request(u.text, defer=True)) is not None:
            return f"抱歉，{request.reason}其他问题请拨打{HOTLINE}人社服务热线咨询。"
        if u.references:
            return None  # "第2条第(1)项讲的什么": the document's own numbering is always in scope
        unknown = self.scope.unknown_nouns(u.text, version.corpus_text, self._known_terms(version))
        if unknown and (
            _about_known_subjects(self.lexicon, u.text) or (u.intent != "fact" and names_a_measure(rules, u.text))
        ):
            # "县里封控了，个体户社保能缓交吗", "营业额下降了，能缓缴社保吗": a question that names two policy
            # subjects, or asks about a measure by name, is about them; the nouns the documents lack describe
            # the asker's circumstances. "社保卡怎么激活" names one subject at most (社保) besides the thing.
            # A noun after the can/may word is what is asked, not a circumstance ("生育津贴能不能用来买奶粉").
            ask = self.scope.ask_position(u.text)
            unknown = [] if ask is None else [w for w in unknown if u.text.find(w) > ask]
        if unknown:  # "婚假" for the documents' 婚丧假: a short form of one of their own subjects is that subject
            unknown = [w for w in unknown if not any(_shortens(w, t) for t in self.lexicon.corpus_terms)]
        if unknown and search is not None and self.settings.anchor_share > 0 \
                and self._anchored(u, search, docs or directory.served_in(self.home_region), unknown):
            unknown = []
        if unknown:
            named = "、".join(f"“{w}”" for w in unknown[:3])
            return f"抱歉，现有文件中没有关于{named}的内容，我不能凭空回答。" + REFUSAL_TAIL
        return None

    def _anchored(self, u: Understanding, search: HybridSearch, scope: list[str], unknown: list[str]) -> bool:
        """Whether two of the question's specific words (each used by few of the index's chunks, `anchor_share`,
        and rare in everyday Chinese, `anchor_general_ppm`) meet in one of its three best clauses: then the nouns
        the documents lack tell the asker's circumstances ("厂子因为发大水停产两个月了…还得发基本生活费吗": 停产
        and 生活费 meet in the article on 停工停产), not its subject. A question whose only known words are common
        ones (补贴, 申请, 准备, 材料) has no anchor."""
        version = search.version
        words = [w for w in dict.fromkeys(search.tokenizer.words(strip_padding(u.text), hmm=False))
                 if len(w) >= 2 and _CJK_WORD.search(w) and not _NUMERAL_WORD.fullmatch(w)
                 and not any(w in x or x in w for x in unknown)]
        # rare in everyday Chinese too (jieba's dictionary frequencies): 准备 and 材料 happen to be rare in the
        # documents, but are no subject a clause could be about
        freq, total = general_dictionary()
        common = self.settings.anchor_general_ppm * total / 1e6
        specific = [w for w in words if 0 < search.bm25.share_of_chunks(w) <= self.settings.anchor_share
                    and freq.get(w, 0) <= common]
        if len(specific) < 2:
            return False
        filters = SearchFilters(doc_ids=tuple(scope)) if scope and len(scope) < len(version.docs) else None
        for h in search.search(u.search_text, k=3, filters=filters):
            clause = version.clause(h.clause_id)
            if clause is not None and sum(w in clause.text for w in specific) >= 2:
                return True
        return False

    def _unanswered_procedure(self, u: Understanding, hits: list[ClauseHit], version: IndexVersion,
                              rules: Any) -> str | None:
        """A how-to question the documents do not answer: it names no measure, and its best clause does not
        use the verb asked about ("社保转到陕西咋转", "工伤认定咋申请")."""
        if u.follow_up or u.references or not hits:
            return None
        verb = self.scope.procedure_asked(u.text)
        if verb is None or names_a_measure(rules, u.text):
            return None
        top = version.clause(hits[0].clause_id)
        return verb if top is not None and verb not in top.text else None

    def _known_terms(self, version: IndexVersion) -> list[str]:
        """Vocabulary the question side knows beyond the documents' text: synonyms and typos, the
        industries, regions, and the person and unit names of the documents (longest first)."""
        cached = self._known_terms_cache
        if cached is None or cached[0] is not version:
            terms = {*self.lexicon.vocabulary, *version.names}
            cached = (version, sorted((t for t in terms if len(t) >= 2), key=len, reverse=True))
            self._known_terms_cache = cached
        return cached[1]

    def _supported(self, u: Understanding, hits: list[ClauseHit], search: HybridSearch) -> bool:
        """Does the corpus speak to this question at all?

        A question is in scope when it names a policy subject the corpus knows (a dictionary term, a
        synonym, a person or unit of the documents), or when nearly all of its content words occur in
        the documents. "医保住院报销比例" shares only 比例 with them; "稳岗返还归哪个处管" names a measure.
        """
        if not hits or hits[0].bm25_score <= 0:
            return False
        corpus_text = search.version.corpus_text
        words = [
            # dictionary words only: a pair jieba's HMM guesses ("能休", "天是") is no word the corpus could lack
            w for w in dict.fromkeys(search.tokenizer.words(strip_padding(u.text), hmm=False))
            if len(w) >= 2 and _CJK_WORD.search(w) and not w.isdigit()
            and not _NUMERAL_WORD.fullmatch(w)  # 一对一, 两三个
        ]
        if not words:
            return True
        # a word that reads like the documents' own ("专版" for 专班) is a typo of it, not a new word
        known = [w for w in words if self.scope.occurs_in_documents(w, corpus_text) or self.lexicon.is_variant(w)
                 or self.scope.sounds_like_the_documents(w, corpus_text)]
        text = asked_text(u)
        topic = self.lexicon.has_topic(text) or any(n in text for n in search.version.names)
        return topic or len(known) / len(words) >= self.settings.min_known_share

    def _compose(self, ctx: Context, rules: Any) -> Composition:
        if (unlisted := compose_unlisted(ctx)) is not None:
            return unlisted
        if (duties := compose_duties(ctx)) is not None:
            return duties
        if ctx.u.intent == "department":
            return compose_department(ctx)
        asked = asked_quantity(asked_text(ctx.u))  # "那10年以上呢": the earlier turn's ask
        if (ctx.u.intent in ("deadline", "fact") and rules is not None and asked == "duration"
                and (composed := compose_amount(ctx, rules)) is not None):
            return composed  # "能领多久": a schedule by years of contribution computes the months
        if ctx.u.intent == "deadline":
            return compose_deadline(ctx)
        if ctx.u.intent == "amount":
            if rules is not None and (composed := compose_amount(ctx, rules)) is not None:
                return composed
            unstated = compose_amount_unstated(ctx)
            if unstated is not None:
                return unstated
        if ctx.u.intent == "eligibility" and rules is not None:
            if (composed := compose_eligibility(ctx, rules)) is not None:
                return composed
        if ctx.u.intent == "fact" and rules is not None:
            if (composed := compose_profile_statement(ctx, rules)) is not None:
                return composed
        return compose_fact(ctx)

    # ------------------------------------------------------------ search (staff)
    def search(self, query: str, *, k: int = 10, filters: SearchFilters | None = None) -> SearchResult:
        version, search = self.handle.current()
        u = understand(query, self.lexicon, max_chars=self.settings.max_question_chars)
        hits = search.search(u.search_text, k=k, filters=filters)

        # A 附件 ledger row restating a body clause of its document (40% or more of its character pairs lie
        # in that clause) ranks after the body clauses: staff cite the clause, not the task list repeating it.
        def pairs(text: str) -> set[str]:
            text = "".join(text.split())
            return {text[i : i + 2] for i in range(len(text) - 1)}

        def restates_body(clause: Clause) -> bool:
            row = pairs(clause.text)
            return bool(row) and any(len(row & pairs(c.text)) >= 0.4 * len(row) for c in version.docs[clause.doc_id].leaves()
                                     if c.kind not in ("ledger_row", "roster_entry"))

        restating = {h.clause_id for h in hits if (c := version.clause(h.clause_id)) is not None
                     and c.kind == "ledger_row" and restates_body(c)}
        hits = [h for h in hits if h.clause_id not in restating] + [h for h in hits if h.clause_id in restating]
        terms = [w for w in search.tokenizer.words(u.search_text) if len(w) >= 2]
        results = []
        for h in hits:
            clause = version.clause(h.clause_id)
            if clause is None:
                continue
            quote = version.document_of(clause.clause_id).quote(clause.start, clause.end)
            if clause.kind in ("roster_entry", "ledger_row"):
                quote = version.document_of(clause.clause_id).raw[clause.start : clause.end]
            matched = [t for t in dict.fromkeys(terms) if t in quote]
            results.append(
                SearchHit(
                    n=len(results) + 1,
                    doc_id=clause.doc_id,
                    clause_id=clause.clause_id,
                    label=clause.label,
                    title=clause.title,
                    quote=quote,
                    start=clause.start,
                    end=clause.end,
                    score=round(h.score, 6),
                    section_title=clause.section_title,
                    leaders=clause.leaders,
                    units=clause.units,
                    matched_terms=matched,
                    highlights=_highlights(quote, matched),
                )
            )
        return SearchResult(query=u.text, results=results)

    def clause(self, clause_id: str) -> tuple[IndexVersion, Clause | None]:
        version, _ = self.handle.current()
        return version, version.clause(clause_id)


def _pinned(clause_id: str, hits: list[ClauseHit]) -> ClauseHit:
    """A clause put first by the question's structure, keeping the retriever's evidence about it."""
    found = next((h for h in hits if h.clause_id == clause_id), None)
    top = max((h.score for h in hits), default=1.0)
    best_bm25 = max((h.bm25_score for h in hits), default=0.0)
    return ClauseHit(
        clause_id=clause_id,
        score=top + 1.0,
        bm25_rank=found.bm25_rank if found else None,
        dense_rank=found.dense_rank if found else None,
        bm25_score=found.bm25_score if found and found.bm25_score > 0 else best_bm25,
        dense_score=found.dense_score if found else 0.0,
    )


def _shortens(word: str, term: str) -> bool:
    """Whether `word` is a short form of `term` as Chinese forms them: the term's first and last characters,
    one or two of its middle ones left out, the rest in order (婚假 of 婚丧假, 工险 of 工伤保险)."""
    if not 2 <= len(word) < len(term) <= len(word) + 2 or word[0] != term[0] or word[-1] != term[-1]:
        return False
    rest = iter(term[1:-1])
    return all(ch in rest for ch in word[1:-1])


def _about_known_subjects(lexicon: Lexicon, text: str) -> bool:
    """Two policy subjects, at least one beyond who the asker is ("我开超市的…中高风险…能领吗"): a question
    about them. "我饭店…国企的房子，房租能减免吗" names only the asker (饭店, 国企)."""
    subjects = lexicon.subjects_in(text)
    return len(subjects) >= 2 or (len(subjects) >= 1 and len(lexicon.topics_in(text)) >= 2)


_CN_ARTICLE = re.compile(r"第[零〇一二三四五六七八九十百两]+条")


def _clause_references(version: IndexVersion, directory: DocumentDirectory, u: Understanding,
                       docs: list[str], question: str) -> list[str]:
    """Clause ids the question names by a document's own numbering, within the documents it is about.

    Unscoped, "第十七条" (the numerals of a law) reads first as an article, "第2条" as a plan's item."""
    scope = docs or list(version.docs)
    legal_first = bool(_CN_ARTICLE.search(question if isinstance(question, str) else ""))
    scope = sorted(scope, key=lambda d: (version.docs[d].family == "legal") != legal_first)
    # attachment rows ("台账第5行", "附件1") as the plan numbers them: the question is about the attachment
    rows = [f"{d}#{p}" for p in u.references for d in scope if f"{d}#{p}" in version.clauses and p.startswith("att")]
    if rows:
        return list(dict.fromkeys(rows))
    ids = [cid for d in scope for cid in dict.fromkeys(
        directory.reference(question if isinstance(question, str) else "", version.docs[d])
        + directory.reference(u.text, version.docs[d]))]
    return list(dict.fromkeys(ids))


def _previous_turn(session: ConversationState | None, version: IndexVersion) -> dict[str, Any] | None:
    """The last turn as the question side reads it: what it asked, and the text of the clauses its answer
    came from ("seen"), so that a short next question can be told apart as continuing it."""
    if session is None or not session.last:
        return None
    quoted = (version.clause(i) for i in session.last.get("retrieved") or [])
    return {**session.last, "seen": " ".join(c.text for c in quoted if c is not None)}


def _pin_references(version: IndexVersion, u: Understanding, hits: list[ClauseHit],
                    tokenizer: PolicyTokenizer | None = None) -> list[ClauseHit]:
    """A question that names a clause by the document's numbering ("第2条第(1)项", "第十七条") gets it first."""
    pinned: list[ClauseHit] = []
    for cid in u.references:
        clause = version.clause(cid)
        if clause is None:
            continue
        leaves = [clause] if clause.is_leaf else [version.clauses[c] for c in clause.children]
        pinned += [_pinned(c.clause_id, hits) for c in leaves]
    if not pinned:
        return hits
    if tokenizer is not None and len({h.clause_id.split("#")[0] for h in pinned}) > 1:
        # "条例第六条" where several documents have a 第六条: the one whose text shares the question's
        # rarer words (失业保险费, not 工伤保险) comes first, then the search's own order
        order = {h.clause_id: n for n, h in enumerate(hits)}

        def evidence(h: ClauseHit) -> tuple[float, int]:
            text = version.clauses[h.clause_id].text
            return (-shared_weight(version, tokenizer, u.search_text, text), order.get(h.clause_id, len(order)))

        pinned.sort(key=evidence)
    ids = {h.clause_id for h in pinned}
    return pinned + [h for h in hits if h.clause_id not in ids]


def _names_its_list(version: IndexVersion, tokenizer: PolicyTokenizer, entry: Clause, text: str) -> bool:
    parent = version.clause(entry.parent_id or "")
    if parent is None:
        return False
    title_words = {w for w in tokenizer.words(parent.title) if len(w) >= 2}
    return parent.label.replace(" ", "") in text.replace(" ", "") or any(w in text for w in title_words)


def _pin_roster(
    version: IndexVersion, u: Understanding, hits: list[ClauseHit], tokenizer: PolicyTokenizer
) -> list[ClauseHit]:
    """A question naming a roster role ("组长是谁") or a listed person gets those roster entries first."""
    from assistant.compose import asked_roles

    entries = [c for c in version.clauses.values() if c.kind == "roster_entry"]
    by_name = [c for c in entries if str(c.extra.get("name", "")) in u.text and c.extra.get("name")]
    by_position = [c for c in entries if c.extra.get("position") and str(c.extra["position"]) in u.text]
    if by_name or by_position:
        chosen = by_name or by_position
    else:
        roles = asked_roles({str(c.extra.get("role", "")) for c in entries}, u.text)
        chosen = [c for c in entries if roles and c.extra.get("role") == roles[0]]
        # the question must also point at the list itself (a word of its title, 专班/名单, or its label
        # 附件1): 组长 alone may mean another group's leader
        chosen = [c for c in chosen if _names_its_list(version, tokenizer, c, u.text)]
    if not chosen:
        return hits
    pinned = [_pinned(c.clause_id, hits) for c in chosen]
    ids = {h.clause_id for h in pinned}
    return pinned + [h for h in hits if h.clause_id not in ids]


def _pin_duties(version: IndexVersion, u: Understanding, hits: list[ClauseHit]) -> list[ClauseHit]:
    """"李浓负责哪些工作": the clauses whose responsibility lines name that leader or unit come first."""
    from assistant.compose import duty_holders

    _, clauses = duty_holders(version, u.text)
    if not clauses:
        return hits
    pinned = [_pinned(c.clause_id, hits) for c in clauses]
    ids = {h.clause_id for h in pinned}
    return pinned + [h for h in hits if h.clause_id not in ids]


def _years_covered(version: IndexVersion, years: list[int]) -> bool:
    """Whether the documents speak of every year the question names (a 2024 question to a 2022 plan)."""
    text = version.corpus_text
    return all(str(y) in text for y in years)


def _highlights(text: str, terms: list[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for term in sorted(terms, key=len, reverse=True):
        start = text.find(term)
        while start != -1:
            end = start + len(term)
            if not any(s < end and start < e for s, e in spans):
                spans.append((start, end))
            start = text.find(term, end)
    return sorted(spans)


def _load_rules(settings: Settings, docs: dict):
    from assistant.rules import load_rules

    return load_rules(settings.corpus_dir, docs)


def _printable(text: Any) -> str:
    if not isinstance(text, str):
        return ""
    return text.encode("utf-8", "replace").decode("utf-8")[:500]


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 2)
