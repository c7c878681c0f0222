"""Shared fixtures: the real model loaded once, the real corpus indexed once into a temp Chroma store."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parent.parent
#: answers are pinned to this date in tests, so "has it lapsed" does not change with the calendar
AS_OF = date(2026, 11, 26)


@pytest.fixture(scope="session")
def corpus_docs():
    """The shipped corpus parsed once (for tests of the rule book that need no index)."""
    from index.parse import load_corpus

    return load_corpus(REPO / "corpus")


@pytest.fixture(scope="session")
def rule_book(corpus_docs):
    """Every shipped rules file, loaded once against the shipped corpus; tests must not change it."""
    from assistant.rules import load_rules

    return load_rules(REPO / "corpus", corpus_docs)


@pytest.fixture(scope="session")
def embedder():
    from assistant.settings import Settings
    from index.embed import load_embedder

    return load_embedder(Settings().embedding_model)


@pytest.fixture(scope="session")
def built_index(tmp_path_factory, embedder) -> Path:
    from index.store import build_index

    index_dir = tmp_path_factory.mktemp("index")
    build_index(REPO / "corpus", index_dir, embedder)
    return index_dir


@pytest.fixture(scope="session")
def settings(built_index, tmp_path_factory):
    from assistant.settings import Settings

    data = tmp_path_factory.mktemp("data")
    return Settings(
        corpus_dir=REPO / "corpus",
        index_dir=built_index,
        db_path=data / "policy_qa.sqlite3",
        as_of=AS_OF,
        index_poll_seconds=0,
    )


@pytest.fixture(scope="session")
def assistant(settings, embedder):
    from assistant.pipeline import Assistant

    return Assistant.open(settings, embedder)


@pytest.fixture(scope="session")
def postgres_cluster():
    """One throw-away PostgreSQL server for the session (benchmarks/local_services.py), on 127.0.0.1;
    the tests that need it are skipped with one line when this machine cannot run it."""
    import contextlib
    import sys

    if str(REPO / "benchmarks") not in sys.path:
        sys.path.insert(0, str(REPO / "benchmarks"))  # as tests/reliability/benchmark_module.py does
    from local_services import PostgresCluster, ServiceUnavailable

    with contextlib.ExitStack() as stack:
        try:
            cluster = stack.enter_context(PostgresCluster.running())
        except ServiceUnavailable as exc:
            pytest.skip(f"PostgreSQL unavailable: {exc}")
        yield cluster
