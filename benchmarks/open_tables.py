"""What opening an index version costs, table by table, without embedding or building Chroma.

Usage:
    .venv/bin/python benchmarks/open_tables.py [--docs DIR] [--sizes 1,100,500] [--no-memory]

`IndexHandle._open` (assistant/pipeline.py) reads the version (docs.json → documents), builds the policy
tokenizer with every document's names and terms, loads the rule book against the documents, and calls
`on_open` = `Assistant._use_version`, which builds the scope check's tables (`ScopeRules.warm` on
`IndexVersion.corpus_text`: jieba's general dictionary, the documents' runs and their sounds) and the
lexicon's topic terms (`corpus_topic_terms` over every leaf clause). The first question then builds the
version's person and unit names (`IndexVersion.names`). This script calls those same functions on the
same inputs and prints seconds per part and size; with memory on, a second process per size repeats the
cold pass under tracemalloc and prints each part's peak and what it keeps (retained) in MB.

Each size N is a corpus in a temp folder: the documents of corpus/ (seed first, with their rules and the
corpus data files), then real documents of DIR (default /work/scale-docs/documents, see
benchmarks/corpus_scale.py for how they were made), spread evenly over DIR's file names, up to N in all.

Per size, one process times two opens and then the scope check's two tables apart:
* cold: the first open of a server (every process cache empty);
* switch: a second version of the same documents opened in the same process afterwards, as after a
  rebuild (new document objects, a new corpus_text string; process-wide caches warm);
* the runs table (`scope._ngrams`) and the sounds table (`scope._sound_grams`) built once more each, as
  `warm` would build them for another version of the same text.
A second process (unless --no-memory) repeats the cold open under tracemalloc, the scope tables built by
those two builders instead of `ScopeRules.warm`, and prints each part's peak and what it keeps, in MB
(tracemalloc slows Python down, so its times are not shown).
"""

from __future__ import annotations

import argparse
import gc
import inspect
import json
import logging
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any, Callable

os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from assistant import scope as scope_module  # noqa: E402
from assistant.documents import DocumentDirectory, corpus_topic_terms  # noqa: E402
from assistant.rules import load_rules  # noqa: E402
from assistant.scope import ScopeRules  # noqa: E402
from assistant.understand import Lexicon  # noqa: E402
from index.metadata import load_grammar  # noqa: E402
from index.parse import load_corpus  # noqa: E402
from index.store import IndexVersion  # noqa: E402
from index.tokenize import PolicyTokenizer  # noqa: E402
from index.types import ParsedDocument  # noqa: E402

SEED = "sx-rst-2022-19"
DEFAULT_DOCS = Path("/work/scale-docs/documents")


def _spread(items: list, n: int) -> list:
    """n items evenly spaced over the list (all of them if it has no more than n)."""
    if n >= len(items):
        return list(items)
    return [items[int(i * len(items) / n)] for i in range(n)]


def make_corpus(root: Path, size: int, real_dir: Path) -> Path:
    """corpus/'s data files, its first documents (seed first) with their rules, then real documents, N in all."""
    src = REPO / "corpus"
    corpus = root / "corpus"
    (corpus / "documents").mkdir(parents=True)
    (corpus / "rules").mkdir()
    for f in [*src.glob("*.yaml"), *src.glob("*.txt")]:
        shutil.copy2(f, corpus / f.name)
    own = sorted((p for p in (src / "documents").glob("*.txt")), key=lambda p: (p.stem != SEED, p.name))
    own = own[:size]
    for doc in own:
        for f in (src / "documents").glob(f"{doc.stem}.*"):
            shutil.copy2(f, corpus / "documents" / f.name)
        # a rules file whose document is absent is refused, so only the rules of the documents present
        for f in (src / "rules").glob(f"{doc.stem}*.yaml"):
            shutil.copy2(f, corpus / "rules" / f.name)
    real = sorted(p for p in real_dir.glob("*.txt") if not p.name.startswith(SEED))
    for f in _spread(real, size - len(own)) if size > len(own) else []:
        shutil.copy2(f, corpus / "documents" / f.name)
    return corpus


def _scope_parts() -> list[tuple[str, Callable[[str], Any]]]:
    """The scope check's two table builders (the names they had as sets and keep as packed tables)."""
    return [("scope runs table (_ngrams)", scope_module._ngrams),
            ("scope sounds table (_sound_grams)", scope_module._sound_grams)]


class Meter:
    """Times (and under tracemalloc, measures) named parts; keeps each part's result alive."""

    def __init__(self, memory: bool) -> None:
        self.memory = memory
        self.rows: list[dict] = []
        self.kept: list[Any] = []

    def part(self, label: str, fn: Callable[[], Any]) -> Any:
        gc.collect()
        if self.memory:
            tracemalloc.reset_peak()
            before = tracemalloc.get_traced_memory()[0]
        t = time.perf_counter()
        result = fn()
        row: dict[str, Any] = {"part": label, "s": time.perf_counter() - t}
        if self.memory:
            current, peak = tracemalloc.get_traced_memory()
            row["peak_mb"] = (peak - before) / 2**20
            row["kept_mb"] = (current - before) / 2**20
        self.kept.append(result)
        self.rows.append(row)
        return result


def _documents_from_json(text: str) -> dict[str, ParsedDocument]:
    """What open_index does with docs.json."""
    return {d["meta"]["doc_id"]: ParsedDocument.model_validate(d) for d in json.loads(text)}


def _version(docs: dict[str, ParsedDocument]) -> IndexVersion:
    """An index version of these documents without BM25, Chroma or vectors (none of the tables read them)."""
    clauses = {cid: c for d in docs.values() for cid, c in d.clauses.items()}
    return IndexVersion(None, docs, [], None, None, clauses)  # type: ignore[arg-type]


def open_pass(m: Meter, corpus: Path, docs_json: str, scope: ScopeRules, lexicon: Lexicon, *, split: bool) -> str:
    """The per-version work of one open, in the order IndexHandle._open and Assistant._use_version do it.

    With `split`, the scope check's tables are built by their builders one by one (to see each one's
    time and memory) instead of by `ScopeRules.warm`, and no question is asked."""
    docs = m.part("docs.json -> documents", lambda: _documents_from_json(docs_json))
    version = _version(docs)
    m.part("tokenizer (PolicyTokenizer.for_documents)", lambda: PolicyTokenizer.for_documents(corpus, docs))
    m.part("rules (load_rules)", lambda: load_rules(corpus, docs))
    text = m.part("corpus_text", lambda: version.corpus_text)
    m.part("jieba general dictionary (scope)", lambda: scope_module._pos_tokenizer().tokenizer.initialize())
    if split:
        for label, fn in _scope_parts():
            m.part(label, lambda fn=fn: fn(text))
    else:
        m.part("ScopeRules.warm (runs + sounds tables)", lambda: scope.warm(text))
    m.part("lexicon topic terms (corpus_topic_terms)",
           lambda: lexicon.use_corpus_terms(corpus_topic_terms(version.docs, scope.pos_cut)))
    m.part("document directory", lambda: DocumentDirectory(docs, load_grammar(corpus)))
    m.part("version.names (first question)", lambda: version.names)
    if not split:
        m.part("first scope question (unknown_nouns)", lambda: scope.unknown_nouns(QUESTION, text))
    return text


#: a question that reaches both tables (a noun the documents lack, a typo that sounds like their word)
QUESTION = "社保卡怎么激活，稳岗返还专版在哪里"


def run_one(size: int, real_dir: Path, memory: bool) -> dict:
    """One size in this process: cold and switch timings, or (memory) the cold pass under tracemalloc."""
    with tempfile.TemporaryDirectory(prefix="open_tables_") as tmp:
        corpus = make_corpus(Path(tmp), size, real_dir)
        docs = load_corpus(corpus)
        docs_json = json.dumps([d.model_dump(mode="json") for d in docs.values()], ensure_ascii=False)
        out: dict[str, Any] = {"size": size, "docs": len(docs), "chars": sum(len(d.raw) for d in docs.values())}
        del docs
        scope = ScopeRules.load(corpus)
        lexicon = Lexicon.load(corpus)
        if memory:
            tracemalloc.start()
            cold = Meter(True)
            open_pass(cold, corpus, docs_json, scope, lexicon, split=True)
            out["cold"] = cold.rows
        else:
            cold = Meter(False)
            open_pass(cold, corpus, docs_json, scope, lexicon, split=False)
            out["cold"] = cold.rows
            switch = Meter(False)
            text = open_pass(switch, corpus, docs_json, scope, lexicon, split=False)
            out["switch"] = switch.rows
            # the two tables apart, once more with the process caches warm, to see which one costs
            parts = Meter(False)
            held = [c[2] for c in getattr(scope, "_caches", ())]
            for label, fn in _scope_parts():
                # as warm builds it: the packed sounds table takes the held versions' lines (the set-based
                # one had a process-wide pinyin cache instead)
                takes_known = len(inspect.signature(fn).parameters) > 1
                parts.part(label, lambda fn=fn, k=takes_known: fn(text, held) if k else fn(text))
            out["parts"] = parts.rows
        out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return out


def _table(results: list[dict], key: str, field: str, fmt: str) -> None:
    parts = list(dict.fromkeys(r["part"] for res in results for r in res.get(key, [])))
    print(f"{'part':48}" + "".join(f"{res['docs']:>10}" for res in results))
    for p in parts:
        cells = []
        for res in results:
            row = next((r for r in res.get(key, []) if r["part"] == p), None)
            cells.append(f"{row[field]:>10{fmt}}" if row else f"{'—':>10}")
        print(f"{p:48}" + "".join(cells))
    if field == "s" and key != "parts":
        totals = [sum(r[field] for r in res.get(key, [])) for res in results]
        print(f"{'total':48}" + "".join(f"{t:>10{fmt}}" for t in totals))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=Path, default=DEFAULT_DOCS, help="folder of real *.txt documents")
    ap.add_argument("--sizes", default="1,100,500", help="documents per corpus (default 1,100,500)")
    ap.add_argument("--no-memory", action="store_true", help="skip the tracemalloc pass")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--memory", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)

    if args.one:
        print(json.dumps(run_one(args.one, args.docs, args.memory)))
        return

    timed, traced = [], []
    for size in (int(s) for s in args.sizes.split(",")):
        for memory, into in ((False, timed), (True, traced)):
            if memory and args.no_memory:
                continue
            cmd = [sys.executable, __file__, "--docs", str(args.docs), "--one", str(size)] + (["--memory"] if memory else [])
            res = subprocess.run(cmd, capture_output=True, text=True, check=True)
            into.append(json.loads(res.stdout.strip().splitlines()[-1]))
            print(f"  size {size} {'memory' if memory else 'time'}: done", file=sys.stderr, flush=True)
    print("documents:", ", ".join(f"{r['docs']} ({r['chars'] / 1e6:.2f} M chars)" for r in timed))
    print("\ncold open (fresh process), seconds")
    _table(timed, "cold", "s", ".2f")
    print("\nswitch (a second version of the same documents in the same process), seconds")
    _table(timed, "switch", "s", ".2f")
    print("\nthe scope tables apart, after the switch (process caches warm), seconds")
    _table(timed, "parts", "s", ".2f")
    print("\nprocess peak RSS after both passes, MB:", ", ".join(f"{r['maxrss_mb']:.0f}" for r in timed))
    if traced:
        print("\ncold open under tracemalloc: peak MB above the part's start")
        _table(traced, "cold", "peak_mb", ".1f")
        print("\ncold open under tracemalloc: MB kept after the part")
        _table(traced, "cold", "kept_mb", ".1f")


if __name__ == "__main__":
    main()
