"""Personal numbers in every written form through every field and header of a real `policy-qa serve`
process, then its SQLite file, -wal, -shm, JSON log and stderr searched byte for byte (hardening
issue 16, item 2). benchmarks/pii_forms.py holds the corpus, the sender and the searches, so the
figures `make reliability` prints and these assertions come from the same code.
"""

from __future__ import annotations

import pytest
from benchmark_module import load

harness = load("rebuild_under_load")
pii = load("pii_forms")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def corpus():
    return pii.build_corpus()


@pytest.fixture(scope="module")
def run(tmp_path_factory, embedder, built_index, corpus):
    """(workspace, what was sent, files searched while running, files searched after the stop)."""
    ws = harness.Workspace.create(tmp_path_factory.mktemp("pii") / "ws", embedder, seed_index=built_index)
    env = harness.server_env(ws)
    stderr = ws.root / "server.stderr"
    db = ws.db_path
    files = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm"), ws.log_path, stderr]
    with harness.run_server(env, stderr, ws.log_path) as server:
        sent = pii.send_everywhere(server.url, corpus)
        running = pii.search_files(sent.planted, files)
        errors = server.error_lines()
    after = pii.search_files(sent.planted, files)
    return ws, sent, running, after, errors


def test_the_corpus_has_500_numbers_in_12_forms_and_200_legitimate_ones(corpus):
    assert len(corpus.planted) >= 500
    assert len(corpus.forms()) >= 12
    assert len(corpus.legit) >= 200


def test_every_form_went_through_every_field_and_header(run, corpus):
    _, sent, _, _, _ = run
    forms = set(corpus.forms())
    for place in list(pii.FIELDS) + list(pii.HEADERS):
        assert {f for p, f in sent.pairs if p == place} == forms, place
    assert len(sent.planted) == len(corpus.planted)
    assert sent.errors == [], "\n".join(sent.errors[:10])


def test_no_planted_number_is_in_the_database_its_wal_and_shm_or_any_log(run):
    _, _, running, after, errors = run
    assert errors == [], "\n".join(errors[:5])
    hits = {name: found for name, found in {**running}.items() if found}
    assert hits == {}, {name: found[:5] for name, found in hits.items()}
    hits_after = {name: found for name, found in after.items() if found}
    assert hits_after == {}, {name: found[:5] for name, found in hits_after.items()}


def test_legitimate_numbers_are_stored_and_logged_as_sent_with_their_types(run, corpus):
    ws, sent, _, _, _ = run
    assert sorted(sent.legit_sent) == sorted(corpus.legit)
    assert len(sent.legit_answers) == len(corpus.legit)
    problems = pii.false_masks(ws.db_path, ws.log_path, sent)
    assert problems == [], f"{len(problems)} false masks:\n" + "\n".join(problems[:15])


def test_the_search_finds_a_number_masked_in_part_but_not_its_digits_inside_a_random_id(tmp_path):
    mobile = pii.Planted("phone", "mobile plain", "15110050628", "15110050628")
    files = {}
    for name, text in {"whole": "回电15110050628", "grouped rest": "回电 151 1005 0628",
                       "masked in part": "回电151***10050628", "tail after a mask": "[已隐藏] 10050628 谢谢",
                       "inside a hex id": '"request_id": "a10050628c45f2e1"', "masked": "回电[手机号已隐藏]"}.items():
        files[name] = tmp_path / name
        files[name].write_text(text, encoding="utf-8")
    found = {name for name, path in files.items() if pii.search_files([mobile], [path])[path.name]}
    assert found == {"whole", "masked in part", "tail after a mask"}
