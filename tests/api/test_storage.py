"""Conversation store: round trips, expiry, migrations, and no personal data in the database's files.

Every test that takes `backend` runs twice: on SQLite (a file in tmp_path) and on PostgreSQL (a fresh
database in the session's throw-away cluster, see tests/conftest.py). What a test reads back it reads
through the backend's own raw connection, not through the store under test.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import secrets
import sqlite3
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from api.storage import (
    ConversationStore,
    PostgresStore,
    SqliteStore,
    UnknownAnswer,
    UnknownSession,
    open_store,
)
from api.storage import postgres as pg_backend
from api.storage import sqlite as sqlite_backend
from assistant.privacy import ID_CARD_MASK, PHONE_MASK, PROVINCE_CODES, redact
from index.errors import PolicyQAError

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for the hostile-input loader
from badinput import load_bad_inputs  # noqa: E402

TTL = 3600
FULLWIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


class FakeClock:
    """Time is an edge we do not own: tests move it by hand."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


class SqliteBackend:
    name = "sqlite"
    migrations = sqlite_backend

    def __init__(self, tmp_path: Path) -> None:
        self.path = tmp_path / "log.sqlite3"
        self.url = f"sqlite:///{self.path}"

    @contextlib.contextmanager
    def raw(self) -> Iterator[Any]:
        conn = sqlite3.connect(self.path, isolation_level=None)
        try:
            yield conn
        finally:
            conn.close()

    def tables(self, conn: Any) -> set[str]:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def columns(self, conn: Any, table: str) -> list[str]:
        return [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]

    def checkpoint(self, store: ConversationStore) -> None:
        with store._connection() as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def disk_bytes(self) -> bytes:
        files = [self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm")]
        return b"".join(f.read_bytes() for f in files if f.exists())

    def has_live_log(self) -> bool:
        return Path(f"{self.path}-wal").exists()


class PostgresBackend:
    name = "postgresql"
    migrations = pg_backend

    def __init__(self, cluster: Any, url: str) -> None:
        self.cluster = cluster
        self.url = url

    @contextlib.contextmanager
    def raw(self) -> Iterator[Any]:
        import psycopg

        conn = psycopg.connect(self.url, autocommit=True)
        try:
            yield conn
        finally:
            conn.close()

    def tables(self, conn: Any) -> set[str]:
        return {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}

    def columns(self, conn: Any, table: str) -> list[str]:
        return [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
            (table,))]

    def checkpoint(self, store: ConversationStore) -> None:
        self.cluster.checkpoint()

    def disk_bytes(self) -> bytes:
        # the tables' pages and the write-ahead log (rows are in the WAL as soon as they commit, in the
        # table files after a checkpoint); the test answers are short enough that
        # PostgreSQL stores them uncompressed (TOAST compresses values over ~2 KB)
        data = self.cluster.data_dir
        with self.raw() as conn:
            oid = conn.execute("SELECT oid FROM pg_database WHERE datname = current_database()").fetchone()[0]
        # this database's tables and indexes, and the write-ahead log (shared by all databases)
        files = [*(data / "base" / str(oid)).rglob("*"), *(data / "pg_wal").rglob("*")]
        return b"".join(p.read_bytes() for p in sorted(files) if p.is_file())

    def has_live_log(self) -> bool:
        return any((self.cluster.data_dir / "pg_wal").glob("0*"))


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, tmp_path: Path):
    if request.param == "sqlite":
        yield SqliteBackend(tmp_path)
        return
    cluster = request.getfixturevalue("postgres_cluster")
    name = f"t_{secrets.token_hex(6)}"
    url = cluster.create_database(name)
    yield PostgresBackend(cluster, url)
    cluster.drop_database(name)


@pytest.fixture
def store(backend, clock: FakeClock):
    s = open_store(backend.url, TTL, clock=clock)
    yield s
    s.close()


def sample_answer(text: str = "稳岗返还比例为90%[1]") -> dict:
    return {
        "version": "1.0",
        "status": "answered",
        "answer": text,
        "citations": [{"n": 1, "clause_id": "sx-rst-2022-19#2.1", "quote": "对中小微企业返还比例由 60% 提高至 90%"}],
        "calculation": {"amount": 1500, "unit": "元"},
    }


def mod11_2_check(first17: str) -> str:
    p = 0
    for ch in first17:
        p = ((p + int(ch)) * 2) % 11
    value = (12 - p) % 11
    return "X" if value == 10 else str(value)


def make_id(rng: random.Random) -> str:
    born = date(1900, 1, 1) + timedelta(days=rng.randint(0, 45000))
    body = f"{rng.choice(sorted(PROVINCE_CODES)):02d}{rng.randint(0, 9999):04d}{born:%Y%m%d}{rng.randint(0, 999):03d}"
    return body + mod11_2_check(body)


def make_phone(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randint(0, 999_999_999):09d}"


class TestRoundTrip:
    def test_session_turns_and_feedback_come_back_as_stored(self, store: ConversationStore) -> None:
        sid = store.create_session()
        assert len(sid) >= 20 and sid.replace("-", "").replace("_", "").isalnum()
        store.update_slots(sid, {"industry": "餐饮", "size": "小微"})
        a1 = store.add_turn(sid, "稳岗返还比例是多少？", sample_answer(), "answered", "amount", "v1")
        a2 = store.add_turn(sid, "那大型企业呢？", sample_answer("50%[1]"), "answered", "amount", "v1")
        assert a1 != a2

        session = store.get_session(sid)
        assert session is not None
        assert session.id == sid and session.slots == {"industry": "餐饮", "size": "小微"}

        turns = store.recent_turns(sid, 10)
        assert [t.answer_id for t in turns] == [a1, a2]
        assert turns[0].question == "稳岗返还比例是多少？"
        assert turns[0].answer == sample_answer()
        assert (turns[1].status, turns[1].intent, turns[1].index_version) == ("answered", "amount", "v1")
        assert [t.answer_id for t in store.recent_turns(sid, 1)] == [a2]

        f1 = store.add_feedback(a1, True, "很有用")
        f2 = store.add_feedback(a1, False, None)
        fb = store.feedback_for(a1)
        assert [(f.id, f.helpful, f.comment) for f in fb] == [(f1, True, "很有用"), (f2, False, None)]
        assert store.feedback_for(a2) == []

    def test_caller_may_choose_the_answer_id_for_streaming(self, store: ConversationStore) -> None:
        sid = store.create_session()
        aid = store.add_turn(sid, "q", sample_answer(), "answered", "fact", "v1", answer_id="announced-early")
        assert aid == "announced-early"
        assert store.recent_turns(sid, 5)[0].answer_id == "announced-early"

    def test_unknown_ids_raise_domain_errors_with_codes(self, store: ConversationStore) -> None:
        with pytest.raises(UnknownSession) as e:
            store.add_turn("nope", "q", {}, "answered", "fact", "v1")
        assert e.value.code == "unknown_session" and "会话" in e.value.message
        assert isinstance(e.value, PolicyQAError)
        with pytest.raises(UnknownSession):
            store.update_slots("nope", {})
        with pytest.raises(UnknownAnswer) as e2:
            store.add_feedback("nope", True, None)
        assert e2.value.code == "unknown_answer" and isinstance(e2.value, PolicyQAError)
        assert store.get_session("nope") is None
        assert store.recent_turns("nope", 5) == []

    def test_open_store_picks_the_backend_of_the_url(self, store: ConversationStore, backend) -> None:
        assert store.backend == backend.name
        assert isinstance(store, SqliteStore if backend.name == "sqlite" else PostgresStore)

    def test_awkward_text_is_stored_without_error(self, store: ConversationStore) -> None:
        sid = store.create_session()
        question = "a\x00b\ud800c 🇨🇳 ‮ '; DROP TABLE turns;--"
        aid = store.add_turn(sid, question, {"answer": "\udfff\x00"}, "invalid", "invalid", "v1")
        turn = store.recent_turns(sid, 1)[0]
        assert turn.answer_id == aid
        # NUL and lone surrogates become U+FFFD in both backends (PostgreSQL's text cannot hold NUL)
        assert turn.question == "a\ufffdb\ufffdc 🇨🇳 ‮ '; DROP TABLE turns;--"
        assert turn.answer == {"answer": "\ufffd\ufffd"}

    def test_every_hostile_input_round_trips_masked(self, store: ConversationStore) -> None:
        sid = store.create_session()
        for case_id, text in load_bad_inputs():
            aid = store.add_turn(sid, text, {"answer": text}, "invalid", "invalid", "v1")
            store.add_feedback(aid, False, text)
            store.update_slots(sid, {"last": text})
            turn = store.recent_turns(sid, 1)[0]
            valid = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").replace("\x00", "\ufffd")
            expected = redact(valid)
            assert turn.answer_id == aid, case_id
            assert turn.question == expected and turn.answer == {"answer": expected}, case_id
            assert store.feedback_for(aid)[0].comment == expected, case_id
            assert store.get_session(sid).slots == {"last": expected}, case_id

    def test_store_is_reopened_with_its_data(self, backend, clock: FakeClock) -> None:
        with open_store(backend.url, TTL, clock=clock) as s:
            sid = s.create_session()
            aid = s.add_turn(sid, "q", sample_answer(), "answered", "fact", "v1")
        with open_store(backend.url, TTL, clock=clock) as s:
            assert [t.answer_id for t in s.recent_turns(sid, 5)] == [aid]

    def test_judged_turns_pair_each_feedback_with_its_turn(self, store: ConversationStore, clock: FakeClock) -> None:
        sid = store.create_session()
        a1 = store.add_turn(sid, "稳岗返还比例是多少？手机13812345678", sample_answer(), "answered", "amount", "v1")
        a2 = store.add_turn(sid, "那大型企业呢？", sample_answer("50%[1]"), "answered", "amount", "v2")
        store.add_feedback(a1, False, "没说清楚，回电13812345678")
        clock.now += 1
        store.add_feedback(a2, True, None)
        clock.now += 1
        store.add_feedback(a1, True, "补充：其实有用")
        rows = store.judged_turns()
        assert [(r.answer_id, r.helpful, r.comment) for r in rows] == [
            (a1, False, f"没说清楚，回电{PHONE_MASK}"), (a2, True, None), (a1, True, "补充：其实有用")]
        assert rows[0].question == f"稳岗返还比例是多少？手机{PHONE_MASK}"
        assert rows[0].answer == sample_answer() and rows[1].index_version == "v2"
        assert rows[0].created_at < rows[1].created_at < rows[2].created_at
        assert store.check_integrity() == "ok"

    def test_pragmas_are_set_on_every_connection(self, tmp_path: Path) -> None:
        store = SqliteStore(tmp_path / "log.sqlite3", TTL)
        with store._connection() as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
            assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
            assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
        store.close()


class TestConcurrency:
    def test_threads_writing_while_others_read_and_purge_lose_nothing(self, backend) -> None:
        import threading

        store = open_store(backend.url, TTL, pool_size=4)  # fewer connections than threads: they queue
        sessions = [store.create_session() for _ in range(6)]
        written: list[str] = []
        errors: list[BaseException] = []
        done = threading.Event()
        lock = threading.Lock()

        def write(sid: str) -> None:
            for i in range(40):
                try:
                    aid = store.add_turn(sid, f"问题{i}，手机13812345678", sample_answer(), "answered", "fact", "v1")
                    store.add_feedback(aid, i % 2 == 0, None)
                    with lock:
                        written.append(aid)
                except Exception as exc:  # collected: the assertion names them
                    errors.append(exc)

        def churn() -> None:
            while not done.is_set():
                try:
                    store.purge_expired()  # nothing is expired: it must not take a live session with it
                    store.recent_turns(sessions[0], 6)
                except Exception as exc:
                    errors.append(exc)

        writers = [threading.Thread(target=write, args=(sid,)) for sid in sessions]
        other = threading.Thread(target=churn)
        for t in [*writers, other]:
            t.start()
        for t in writers:
            t.join()
        done.set()
        other.join()
        store.close()

        assert errors == []
        with backend.raw() as conn:
            stored = {r[0] for r in conn.execute("SELECT id FROM turns")}
            feedback = conn.execute("SELECT count(*) FROM feedback").fetchone()[0]
        assert len(written) == 6 * 40 and set(written) == stored and feedback == 6 * 40


class TestExpiry:
    def test_session_expires_after_ttl_of_silence(self, store: ConversationStore, clock: FakeClock) -> None:
        sid = store.create_session()
        clock.now += TTL - 1
        assert store.get_session(sid) is not None  # touching moves last_seen_at
        clock.now += TTL - 1
        assert store.get_session(sid) is not None
        clock.now += TTL + 1
        assert store.get_session(sid) is None
        assert store.recent_turns(sid, 5) == []
        with pytest.raises(UnknownSession):
            store.add_turn(sid, "q", {}, "answered", "fact", "v1")

    def test_adding_a_turn_keeps_the_session_alive(self, store: ConversationStore, clock: FakeClock) -> None:
        sid = store.create_session()
        for _ in range(3):
            clock.now += TTL - 10
            store.add_turn(sid, "q", {}, "answered", "fact", "v1")
        assert store.get_session(sid) is not None

    def test_purge_removes_expired_sessions_with_turns_and_feedback(
        self, store: ConversationStore, backend, clock: FakeClock
    ) -> None:
        old = store.create_session()
        old_answer = store.add_turn(old, "q", {}, "answered", "fact", "v1")
        store.add_feedback(old_answer, True, "好")
        clock.now += TTL / 2
        fresh = store.create_session()
        clock.now += TTL / 2 + 1

        assert store.purge_expired() == 1
        assert store.get_session(fresh) is not None
        with backend.raw() as conn:
            assert conn.execute("SELECT id FROM sessions").fetchall() == [(fresh,)]
            assert conn.execute("SELECT count(*) FROM turns").fetchone()[0] == 0
            assert conn.execute("SELECT count(*) FROM feedback").fetchone()[0] == 0
        with pytest.raises(UnknownAnswer):
            store.add_feedback(old_answer, True, None)
        assert store.purge_expired() == 0

    def test_purge_accepts_an_explicit_now(self, store: ConversationStore, clock: FakeClock) -> None:
        store.create_session()
        later = datetime.fromtimestamp(clock.now, UTC) + timedelta(seconds=TTL + 1)
        assert store.purge_expired(now=later) == 1


class TestMigrations:
    def test_opening_twice_applies_each_migration_once(self, backend) -> None:
        open_store(backend.url, TTL).close()
        open_store(backend.url, TTL).close()
        with backend.raw() as conn:
            names = [r[0] for r in conn.execute("SELECT name FROM _migrations ORDER BY name")]
        assert names == [m.__name__ for m in backend.migrations.MIGRATIONS]
        assert names[0] == "m001_initial"

    def test_new_migration_runs_once_after_the_old_ones(self, backend) -> None:
        open_store(backend.url, TTL).close()

        def m999_add_rating(conn) -> None:
            conn.execute("ALTER TABLE feedback ADD COLUMN rating INTEGER")

        steps = [*backend.migrations.MIGRATIONS, m999_add_rating]
        with backend.raw() as conn:
            assert backend.migrations.apply_migrations(conn, steps) == ["m999_add_rating"]
            assert backend.migrations.apply_migrations(conn, steps) == []
            assert "rating" in backend.columns(conn, "feedback")

    def test_failing_migration_leaves_schema_and_record_untouched(self, backend) -> None:
        open_store(backend.url, TTL).close()

        def m998_half_done(conn) -> None:
            conn.execute("CREATE TABLE half (x INTEGER)")
            raise RuntimeError("disk on fire")

        with backend.raw() as conn:
            with pytest.raises(RuntimeError):
                backend.migrations.apply_migrations(conn, [*backend.migrations.MIGRATIONS, m998_half_done])
            tables = backend.tables(conn)
            recorded = {r[0] for r in conn.execute("SELECT name FROM _migrations")}
        assert "half" not in tables and "m998_half_done" not in recorded
        assert {"sessions", "turns", "feedback"} <= tables


class TestNoPiiOnDisk:
    def test_thousand_turns_with_ids_and_phones_leave_no_number_in_any_file(self, backend) -> None:
        rng = random.Random(20220614)
        planted: list[str] = []
        store = open_store(backend.url, TTL)
        sid = store.create_session()
        for i in range(1000):
            id_card, phone, phone2 = make_id(rng), make_phone(rng), make_phone(rng)
            planted += [id_card, phone, phone2]
            if i % 4 == 0:  # full-width forms are masked too; their UTF-8 bytes are searched below
                id_card, phone = id_card.translate(FULLWIDTH), phone.translate(FULLWIDTH)
            grouped = f"{phone2[:3]} {phone2[3:7]} {phone2[7:]}"
            question = f"我的身份证{id_card}，手机{phone}，能领补贴吗？"
            answer = {"answer": f"已收到{grouped}", "slots": {"phone": phone, "id": id_card}, "raw": int(phone2)}
            aid = store.add_turn(sid, question, answer, "clarify", "eligibility", "v1")
            store.add_feedback(aid, i % 2 == 0, f"回电{phone2}")
            if i % 100 == 0:
                store.update_slots(sid, {"contact": phone, "note": f"身份证{id_card}"})

        def leaked(data: bytes) -> list[str]:
            """Planted numbers whose digits appear contiguously (ASCII, full-width or 3-4-4 spaced)."""
            for fw, ascii_ in zip("０１２３４５６７８９Ｘ", "0123456789X"):
                data = data.replace(fw.encode("utf-8"), ascii_.encode())
            windows: set[str] = set()
            for run in re.findall(rb"[0-9X](?:[0-9X ]*[0-9X])?", data):
                digits = run.replace(b" ", b"").decode("ascii")
                for width in (11, 18):
                    windows.update(digits[i : i + width] for i in range(len(digits) - width + 1))
            return sorted(windows & set(planted))

        assert backend.has_live_log()  # the test must look at a live write-ahead log, not only the tables
        before_checkpoint = backend.disk_bytes()
        assert ID_CARD_MASK.encode() in before_checkpoint and PHONE_MASK.encode() in before_checkpoint
        assert leaked(before_checkpoint) == []

        backend.checkpoint(store)
        after_checkpoint = backend.disk_bytes()
        assert leaked(after_checkpoint) == []

        turns = store.recent_turns(sid, 1000)
        assert len(turns) == 1000
        assert all(ID_CARD_MASK in t.question and PHONE_MASK in t.question for t in turns)
        # the answer text names the number a phone, so the stored number is withheld (not turned into text)
        assert all(t.answer["raw"] is None for t in turns)
        store.close()
        assert leaked(backend.disk_bytes()) == []

    def test_stored_values_keep_their_types(self, store: ConversationStore) -> None:
        sid = store.create_session()
        calc = {"rule_id": "r", "inputs": {"paid": 13800000000, "employees": 25, "rate": 0.9, "ok": True},
                "formula": "13800000000元 × 60% = 8,280,000,000元"}
        store.add_turn(sid, "去年缴纳失业保险费13800000000元，能返多少？", {"calculation": calc}, "answered", "calc", "v1")
        store.update_slots(sid, {"paid": 13800000000, "phone": 13912345678}, context=["电话13912345678"])
        turn = store.recent_turns(sid, 1)[0]
        assert turn.question == "去年缴纳失业保险费13800000000元，能返多少？"
        assert turn.answer == {"calculation": calc}
        assert type(turn.answer["calculation"]["inputs"]["paid"]) is int
        assert store.get_session(sid).slots == {"paid": 13800000000, "phone": None}

    def test_stored_answer_json_stays_valid_json(self, store: ConversationStore, backend) -> None:
        sid = store.create_session()
        store.add_turn(sid, "q", {"n": 13812345678, "s": "13812345678"}, "answered", "fact", "v1")
        with backend.raw() as conn:
            raw = conn.execute("SELECT answer_json FROM turns").fetchone()[0]
        assert json.loads(raw) == {"n": None, "s": PHONE_MASK}


def test_both_backends_store_the_same_masked_text(tmp_path: Path, postgres_cluster) -> None:
    """One masking path: the hostile inputs, written to SQLite and to PostgreSQL, are the same stored text."""
    name = f"t_{secrets.token_hex(6)}"
    backends = [SqliteBackend(tmp_path), PostgresBackend(postgres_cluster, postgres_cluster.create_database(name))]
    try:
        stored = []
        for b in backends:
            with open_store(b.url, TTL) as s:
                sid = s.create_session()
                for case_id, text in load_bad_inputs():
                    aid = s.add_turn(sid, text, {"answer": text, "n": 13812345678}, "invalid", "invalid", "v1",
                                     answer_id=case_id)
                    s.add_feedback(aid, False, text)
                s.update_slots(sid, {"last": text}, context=[text])
            with b.raw() as conn:
                stored.append((
                    sorted(conn.execute("SELECT id, question, answer_json FROM turns").fetchall()),
                    sorted(r[0] for r in conn.execute("SELECT comment FROM feedback")),
                    [r[0] for r in conn.execute("SELECT slots_json FROM sessions")],
                ))
        assert stored[0][0] and stored[0] == stored[1]
    finally:
        postgres_cluster.drop_database(name)
