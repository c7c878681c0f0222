"""How the index and `ask` scale with the number of documents: the seed alone, 100 and all documents.

Usage:
    .venv/bin/python benchmarks/corpus_scale.py DIR [--sizes 1,100,all] [--reps 3] [--keep WORKDIR]
    .venv/bin/python benchmarks/corpus_scale.py DIR --export-from GITDIR [--count 499]

DIR holds real documents (in DIR/documents/, or directly). Each size N builds a fresh index in a temp
folder from a corpus of the seed document (sx-rst-2022-19, with its rules and the corpus data files)
plus N-1 of DIR's documents (an even spread over DIR's file-name order, so every kind is present), and
prints per size: build seconds (and the embedding's part of them), chunks/s, the index version's size
on disk, ask p50/p95 over the smoke questions beside a bare query embedding of the same questions
measured in the same process, and hit@1 (and accuracy) of the seed gold set with the documents present.
Below the table: documents that parsed as plain paragraphs or with characters outside every clause.

How DIR was made (the documents are not committed; this recreates them):

    # a public repository of Chinese laws in markdown, fetched with git (measured at HEAD 2f4c5c2)
    git clone --bare https://github.com/LawRefBook/Laws /work/scale-docs/Laws.git
    .venv/bin/python benchmarks/corpus_scale.py /work/scale-docs --export-from /work/scale-docs/Laws.git
    # then: build once (about 30 min on 2 cores, 27.5k chunks at "all"), keeping the indexes
    .venv/bin/python benchmarks/corpus_scale.py /work/scale-docs --keep /work/scale-docs/work

`--export-from` takes `--count` files (default 499, so "all" is 500 with the seed) from the bare repo's
HEAD: 法律 (constitution, civil, administrative, economic, social, criminal and procedural laws),
行政法规, every 部门规章, 司法解释 and the local regulations of the seven provinces under DLC/, in
fixed shares, spread evenly over each kind's file names; of several dated versions of one title only the
newest is kept; 案例 (cases) and index pages are skipped. Each file is converted with
`index.formats.read_text` (markup dropped, first line the title) and written as
DIR/documents/<kind>-<NNNN>.txt, because `load_corpus` reads `*.txt`; DIR/SOURCES.tsv maps each file to
its path in the repo and the commit. The published documents carry no `.meta.yaml`: their metadata is
read from the text, as for any document dropped into corpus/documents.

Timings need the cores to themselves: while another process runs on this 2-core machine the bare query
embedding jumps from ~17 ms to ~350 ms (torch's two threads wait on each other), and ask with it. With
`--keep`, rerun on a quiet machine: the kept indexes are reused (build figures marked *, as timed when
they were built) and only `Assistant.open`, ask and the gold set are measured again, in minutes.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from assistant.pipeline import Assistant  # noqa: E402
from assistant.rules import load_rules  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from evals.gold_format import expand_cases, load_gold  # noqa: E402
from evals.runner import InProcessAnswerer, run_gold  # noqa: E402
from evals.scorers import summarize  # noqa: E402
from index.embed import Embedder, load_embedder  # noqa: E402
from index.formats import read_text  # noqa: E402
from index.parse import describe_document, load_corpus  # noqa: E402
from index.store import build_index  # noqa: E402

SEED = "sx-rst-2022-19"
#: answers pinned to the tests' date, so "has it lapsed" (and so the gold scores) do not move with the calendar
AS_OF = date(2026, 11, 26)
WARM_QUESTIONS = 10

# (file-name prefix, repo folders, share of --count); the shares favour the kinds a policy QA meets most
KINDS: tuple[tuple[str, tuple[str, ...], float], ...] = (
    ("law", ("宪法/", "宪法相关法/", "民法典/", "民法商法/", "行政法/", "经济法/", "社会法/", "刑法/",
             "诉讼与非诉讼程序法/"), 0.245),
    ("admin", ("行政法规/",), 0.24),
    ("dept", ("部门规章/",), 0.06),
    ("interp", ("司法解释/",), 0.12),
    ("local-sd", ("DLC/山东地方法规/",), 0.048),
    ("local-ha", ("DLC/河南地方法规/",), 0.048),
    ("local-zj", ("DLC/浙江地方法规/",), 0.048),
    ("local-sh", ("DLC/上海地方法规/",), 0.048),
    ("local-bj", ("DLC/北京地方法规/",), 0.048),
    ("local-cq", ("DLC/重庆地方法规/",), 0.048),
    ("local-gd", ("DLC/广东地方法规/",), 0.048),
)
_DATED = re.compile(r"^(?P<title>.+?)\((?P<date>\d{4}-\d{2}-\d{2})\)$")


# ----------------------------------------------------------------------------------------- export


def _git(gitdir: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-c", "core.quotepath=false", "--git-dir", str(gitdir), *args],
                          check=True, capture_output=True).stdout


def _spread(items: list, n: int) -> list:
    """n items evenly spaced over the list (all of them if it has no more than n)."""
    if n >= len(items):
        return list(items)
    return [items[int(i * len(items) / n)] for i in range(n)]


def _newest_per_title(paths: list[str]) -> list[str]:
    """One file per title: of 标题(2019-01-01).md and 标题(2021-06-01).md keep the later one."""
    best: dict[str, tuple[str, str]] = {}
    for p in paths:
        stem = p.rsplit("/", 1)[-1].removesuffix(".md")
        m = _DATED.match(stem)
        title, when = (m["title"], m["date"]) if m else (stem, "")
        if title not in best or when > best[title][0]:
            best[title] = (when, p)
    return sorted(p for _, p in best.values())


def export_documents(gitdir: Path, out_dir: Path, count: int) -> int:
    """Write `count` documents of the repo's HEAD as normalised text into out_dir/documents; return how many."""
    commit = _git(gitdir, "rev-parse", "HEAD").decode().strip()
    names = _git(gitdir, "ls-tree", "-r", "-z", "--name-only", "HEAD").decode("utf-8").split("\0")
    names = [n for n in names if n.endswith(".md") and not n.endswith("/_index.md")]
    docs_dir = out_dir / "documents"
    docs_dir.mkdir(parents=True, exist_ok=True)
    rows = ["file\tkind\tsource\tcommit"]
    written = 0
    with tempfile.TemporaryDirectory() as tmp:
        for prefix, folders, share in KINDS:
            pool = _newest_per_title([n for n in names if n.startswith(folders)])
            for k, src in enumerate(_spread(pool, max(1, round(share * count))), 1):
                md = Path(tmp) / "source.md"
                md.write_bytes(_git(gitdir, "show", f"HEAD:{src}"))
                text = read_text(md)
                name = f"{prefix}-{k:04d}.txt"
                (docs_dir / name).write_text(text, encoding="utf-8")
                rows.append(f"{name}\t{prefix}\t{src}\t{commit}")
                written += 1
    (out_dir / "SOURCES.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return written


# ----------------------------------------------------------------------------------------- measure


class TimedEmbedder:
    """The real embedder, counting the seconds its batch `encode` takes, so a build's time splits in two."""

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner
        self.seconds = 0.0

    def encode(self, texts: list[str], **kw):
        t = time.perf_counter()
        try:
            return self._inner.encode(texts, **kw)
        finally:
            self.seconds += time.perf_counter() - t

    def __getattr__(self, name: str):
        return getattr(self._inner, name)


@dataclass
class Row:
    docs: int
    chunks: int
    build_s: float
    embed_s: float
    index_mb: float
    open_s: float
    ask_p50: float
    ask_p95: float
    emb_p50: float
    emb_p95: float
    hit1: float | None
    accuracy: float | None
    cases: dict[str, tuple[bool, bool, str, str]]  # case id -> (hit@1, correct, first retrieved, failures)
    earlier_build: bool = False  # build figures recorded when a kept index was made, not in this run


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def disk_mb(path: Path) -> float:
    """Allocated size, as `du` counts it."""
    return sum(f.stat().st_blocks * 512 for f in path.rglob("*") if f.is_file()) / 2**20


def seed_items(items: list) -> list:
    """The gold items about the seed or about no document: the corpora here hold no other of the repo's."""
    def docs_of(item) -> set[str]:
        groups = [item.expected_clauses] + [t.expected_clauses for t in item.turns or []]
        return {c.split("#", 1)[0] for g in groups for c in g}

    return [it for it in items if docs_of(it) <= {SEED}]


def make_corpus(root: Path, real: list[Path]) -> Path:
    """The repo's corpus data files and rules, the seed document, and the given real documents."""
    corpus = root / "corpus"
    docs = corpus / "documents"
    docs.mkdir(parents=True)
    for f in list((REPO / "corpus").glob("*.yaml")) + list((REPO / "corpus").glob("*.txt")):
        shutil.copy2(f, corpus / f.name)
    # only the seed's rules: a rules file whose document is not in the corpus is refused at build
    (corpus / "rules").mkdir()
    for f in (REPO / "corpus" / "rules").glob(f"{SEED}*.yaml"):
        shutil.copy2(f, corpus / "rules" / f.name)
    for f in (REPO / "corpus" / "documents").glob(f"{SEED}.*"):
        shutil.copy2(f, docs / f.name)
    for f in real:
        shutil.copy2(f, docs / f.name)
    return corpus


def measure(size_docs: list[Path], embedder: Embedder, questions: list[str], gold_items, reps: int,
            keep: Path | None = None) -> Row:
    """Build (or, under `keep`, reuse) one size's index, then time `ask` and score the gold set on it."""
    with tempfile.TemporaryDirectory(prefix="corpus_scale_") as tmp:
        root = keep / f"size-{len(size_docs) + 1}" if keep else Path(tmp)
        shutil.rmtree(root / "corpus", ignore_errors=True)
        corpus = make_corpus(root, size_docs)  # same bytes as last time, so a kept index stays "unchanged"
        index_dir = root / "index"
        timed = TimedEmbedder(embedder)
        t = time.perf_counter()
        manifest, built = build_index(corpus, index_dir, timed, validate=lambda docs: load_rules(corpus, docs))
        build = {"build_s": time.perf_counter() - t, "embed_s": timed.seconds, "earlier": False}
        if built:
            (root / "build.json").write_text(json.dumps(build), encoding="utf-8")
        else:  # a kept index: its build was timed when it was made
            build = {**json.loads((root / "build.json").read_text(encoding="utf-8")), "earlier": True}
        index_mb = disk_mb(index_dir / "versions" / manifest.version)
        settings = Settings(corpus_dir=corpus, index_dir=index_dir, db_path=Path(tmp) / "qa.sqlite3",
                            as_of=AS_OF, index_poll_seconds=0)
        t = time.perf_counter()
        assistant = Assistant.open(settings, embedder)
        open_s = time.perf_counter() - t
        for q in questions[:WARM_QUESTIONS]:  # caches and first-call allocations
            assistant.ask(q)
        ask, emb = [], []
        for _ in range(reps):
            for q in questions:
                # interleaved, so a burst of load from other processes hits both series alike
                t = time.perf_counter()
                embedder.encode_one(q)
                emb.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                assistant.ask(q)
                ask.append((time.perf_counter() - t) * 1000)
        answerer = InProcessAnswerer(assistant)
        results = run_gold(gold_items, answerer.answer, answerer.new_session, as_of=AS_OF)
        summary = summarize(results)
        cases = {r.case_id: (bool(r.scores.retrieval and r.scores.retrieval.hit_at_1), r.scores.correct,
                             (r.answer.retrieved[0] if r.answer and r.answer.retrieved else "—"),
                             "; ".join(r.scores.failures)) for r in results}
        row = Row(len(manifest.documents), manifest.chunk_count, build["build_s"], build["embed_s"], index_mb,
                  open_s, statistics.median(ask), pct(ask, 95), statistics.median(emb), pct(emb, 95),
                  summary.hit_at_1, summary.accuracy, cases, build["earlier"])
        del assistant, answerer
        gc.collect()
    return row


def print_table(rows: list[Row]) -> None:
    head = (f"{'docs':>5}{'chunks':>8}{'build s':>9}{'embed s':>9}{'chunks/s':>9}{'index MB':>9}{'open s':>8}"
            f"{'ask p50/p95 ms':>16}{'embed p50/p95 ms':>18}{'ask/emb':>8}{'vs 1 doc':>9}{'hit@1':>7}{'acc':>7}")
    print(head)
    print("-" * len(head))
    base = rows[0].ask_p50
    for r in rows:
        fmt = lambda v: "—" if v is None else f"{v:.3f}"  # noqa: E731
        print(f"{r.docs:>5}{r.chunks:>8}{r.build_s:>8.1f}{'*' if r.earlier_build else ' '}{r.embed_s:>9.1f}{r.chunks / r.build_s:>9.1f}"
              f"{r.index_mb:>9.1f}{r.open_s:>8.2f}{f'{r.ask_p50:.2f}/{r.ask_p95:.2f}':>16}"
              f"{f'{r.emb_p50:.2f}/{r.emb_p95:.2f}':>18}{r.ask_p50 / r.emb_p50:>7.2f}x"
              f"{r.ask_p50 / base:>8.2f}x{fmt(r.hit1):>7}{fmt(r.accuracy):>7}")


def print_gold_changes(rows: list[Row], questions: dict[str, str], limit: int = 15) -> None:
    """Gold cases whose hit@1 or correctness differs from the first row's: what the added documents took."""
    base = rows[0]
    for r in rows[1:]:
        changed = [cid for cid, v in r.cases.items() if cid in base.cases and v[:2] != base.cases[cid][:2]]
        print(f"\ngold cases changed at {r.docs} documents vs {base.docs}: {len(changed)}")
        for cid in changed[:limit]:
            hit, ok, top, why = r.cases[cid]
            was = base.cases[cid]
            print(f"  {cid} {questions.get(cid, '')[:30]}: hit@1 {int(was[0])}->{int(hit)}, "
                  f"correct {int(was[1])}->{int(ok)}; top {top}; {why[:140]}")


def print_parse_report(real: list[Path], examples: int = 10) -> None:
    """Which real documents the grammar did not structure, or left characters outside every clause."""
    with tempfile.TemporaryDirectory(prefix="corpus_scale_parse_") as tmp:
        corpus = make_corpus(Path(tmp), real)
        t = time.perf_counter()
        docs = load_corpus(corpus)
        parse_s = time.perf_counter() - t
        reports = [describe_document(d) for d in docs.values() if d.meta.doc_id != SEED]
    paragraphs = [r for r in reports if r["family"] == "paragraphs"]
    partial = [r for r in reports if r["coverage"] < 1.0]
    families: dict[str, int] = {}
    for r in reports:
        families[r["family"]] = families.get(r["family"], 0) + 1
    print(f"\nparse of the {len(reports)} real documents: {parse_s:.1f} s; structure "
          + ", ".join(f"{k} {v}" for k, v in sorted(families.items())))
    print(f"  paragraphs fallback: {len(paragraphs)}; coverage < 100%: {len(partial)}"
          + (f" (lowest {min(r['coverage'] for r in partial):.1%})" if partial else ""))
    shown = (paragraphs + [r for r in partial if r not in paragraphs])[:examples]
    for r in shown:
        print(f"  {r['file']} ({r['title'][:24]}): {r['structure']}, 覆盖 {r['coverage']:.1%}")
        for w in r["warnings"]:
            print(f"    ⚠ {w[:160]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", type=Path, help="folder of real documents (DIR/documents/*.txt, or DIR/*.txt)")
    ap.add_argument("--export-from", type=Path, metavar="GITDIR",
                    help="first write DIR/documents from this bare git repo of LawRefBook/Laws, then exit")
    ap.add_argument("--count", type=int, default=499, help="documents to export (default 499)")
    ap.add_argument("--sizes", default="1,100,all", help="documents per corpus, the seed included (default 1,100,all)")
    ap.add_argument("--reps", type=int, default=3, help="passes over the smoke questions (default 3)")
    ap.add_argument("--keep", type=Path, metavar="WORKDIR",
                    help="build each size's corpus and index under WORKDIR and keep them: a rerun reuses the "
                         "indexes (no re-embedding) and only measures ask and the gold set again")
    ap.add_argument("--smoke", type=Path, default=REPO / "evals/gold/smoke.jsonl")
    ap.add_argument("--gold", type=Path, default=REPO / "evals/gold/gold.jsonl")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs each index build at DEBUG

    if args.export_from:
        n = export_documents(args.export_from, args.dir, args.count)
        print(f"wrote {n} documents to {args.dir / 'documents'} (sources in {args.dir / 'SOURCES.tsv'})")
        return

    docs_dir = args.dir / "documents" if (args.dir / "documents").is_dir() else args.dir
    real = sorted(p for p in docs_dir.glob("*.txt") if not p.name.startswith(SEED))
    if not real:
        sys.exit(f"no .txt documents in {docs_dir}")
    sizes = [len(real) + 1 if s == "all" else int(s) for s in args.sizes.split(",")]

    smoke_items, _ = load_gold(args.smoke)
    questions = [it.question for it in smoke_items if it.question]  # single-turn items only
    gold_items = seed_items(load_gold(args.gold)[0])
    t = time.perf_counter()
    embedder = load_embedder(Settings().embedding_model)
    print(f"model {embedder.name} ({embedder.dim} dims) loaded in {time.perf_counter() - t:.1f} s; "
          f"{len(questions)} smoke questions x {args.reps}; {len(expand_cases(gold_items))} gold cases "
          f"({args.gold.name}); {len(real)} real documents in {docs_dir}", flush=True)

    rows = []
    for size in sizes:
        t = time.perf_counter()
        rows.append(measure(_spread(real, size - 1), embedder, questions, gold_items, args.reps, args.keep))
        print(f"  size {size}: done in {time.perf_counter() - t:.0f} s", flush=True)
    print()
    print_table(rows)
    print("build s includes parsing, chunking, BM25 and Chroma; embed s is the part spent embedding chunks "
          "(* = timed when the kept index was built, not in this run); open s = Assistant.open. "
          "ask/emb = ask p50 / bare query embedding p50; vs 1 doc = ask p50 / the first row's.")
    print_gold_changes(rows, {c.case_id: c.question for c in expand_cases(gold_items)})
    print_parse_report(real)


if __name__ == "__main__":
    main()
