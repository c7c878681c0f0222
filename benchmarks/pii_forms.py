"""Personal numbers in every written form, through every field and header (hardening issue 16, item 2).

The corpus (`build_corpus`): generated ID-card numbers (18-digit with check character, 15-digit) and
mobile numbers, each written in one of `FORMS` (plain, grouped by spaces, dashes, dots or slashes,
bracketed, with +86 / 0086 / (+86) / 86-, full-width, ideographic spaces, …), planted in a Chinese
sentence; and legitimate numbers that must stay as written (`legit_numbers`: amounts such as 12,500元
and eleven-digit amounts with 元 or ¥, dates, 文号, article numbers, landlines and service numbers,
counts, percentages).

`send_everywhere` sends them to a running server: every request puts one planted number into one
text field (cycling over `FIELDS`: chat and stream question, feedback comment, search q, calculator
parameter values, matcher profile, OpenAI message content and `user`, client-chosen session and
answer ids, a document id in the path, a query string) and one more into each of `HEADERS`
(X-Request-ID, User-Agent, Referer, Cookie, Authorization, X-Forwarded-For and a custom header), so
every form meets every field. Legitimate numbers go through the chat question and the feedback comment.

`search_files` then reads the SQLite file, its -wal and -shm, the JSON log and the server's stderr
byte for byte for every planted number (as sent, digits only, JSON-escaped, percent-encoded, and its
last digits standing alone, which catch a number masked only in part); `false_masks` checks that every legitimate
number is stored and logged exactly as sent, and that each stored answer equals the answer the client
got (same values, same types).

    .venv/bin/python benchmarks/pii_forms.py          (prints the corpus's size and forms)
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
import sys
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from pii_figures import mod11_2_check  # a sibling: ISO 7064 written apart from the module under test

__all__ = ["FORMS", "FIELDS", "HEADERS", "Planted", "PiiCorpus", "build_corpus", "legit_numbers",
           "send_everywhere", "search_files", "false_masks", "digits_of"]

SEED = 16016
PROVINCES = (11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53,
             54, 61, 62, 63, 64, 65)
WORKERS = 4
CLIENT_TIMEOUT_S = 30.0
_FULLWIDTH = str.maketrans("0123456789Xx+-()", "０１２３４５６７８９Ｘｘ＋－（）")


# ---------------------------------------------------------------- generated personal numbers
def make_id18(rng: random.Random, today: date, *, want_x: bool = False) -> str:
    while True:
        region = f"{rng.choice(PROVINCES):02d}{rng.randint(0, 9999):04d}"
        born = date(1920, 1, 1) + timedelta(days=rng.randint(0, (today - date(1920, 1, 1)).days))
        body = f"{region}{born:%Y%m%d}{rng.randint(0, 999):03d}"
        number = body + mod11_2_check(body)
        if not want_x or number.endswith("X"):
            return number


def make_id15(rng: random.Random) -> str:
    born = date(1930, 1, 1) + timedelta(days=rng.randint(0, (date(1999, 12, 31) - date(1930, 1, 1)).days))
    return f"{rng.choice(PROVINCES):02d}{rng.randint(0, 9999):04d}{born:%y%m%d}{rng.randint(0, 999):03d}"


def make_mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randint(0, 999_999_999):09d}"


def _g(n: str, sizes: tuple[int, ...], sep: str) -> str:
    parts, i = [], 0
    for s in sizes:
        parts.append(n[i : i + s])
        i += s
    return sep.join(parts)


# name -> (kind, make the number, write it)
Form = tuple[str, Callable[[random.Random, date], str], Callable[[str], str]]
_M: Callable[[random.Random, date], str] = lambda rng, today: make_mobile(rng)  # noqa: E731
_I: Callable[[random.Random, date], str] = lambda rng, today: make_id18(rng, today)  # noqa: E731
FORMS: dict[str, Form] = {
    "mobile plain": ("phone", _M, lambda n: n),
    "mobile 3-4-4 spaces": ("phone", _M, lambda n: _g(n, (3, 4, 4), " ")),
    "mobile 3-4-4 dashes": ("phone", _M, lambda n: _g(n, (3, 4, 4), "-")),
    "mobile 3-4-4 dots": ("phone", _M, lambda n: _g(n, (3, 4, 4), ".")),
    "mobile 3-4-4 slashes": ("phone", _M, lambda n: _g(n, (3, 4, 4), "/")),
    "mobile spaced dashes": ("phone", _M, lambda n: _g(n, (3, 4, 4), " - ")),
    "mobile 3-8 space": ("phone", _M, lambda n: _g(n, (3, 8), " ")),
    "mobile (138)1234-5678": ("phone", _M, lambda n: f"({n[:3]}){n[3:7]}-{n[7:]}"),
    "mobile full-width brackets": ("phone", _M, lambda n: f"（{n[:3]}）{n[3:7]} {n[7:]}"),
    "mobile +86": ("phone", _M, lambda n: "+86" + n),
    "mobile +86 grouped": ("phone", _M, lambda n: "+86 " + _g(n, (3, 4, 4), " ")),
    "mobile +86-dashed": ("phone", _M, lambda n: "+86-" + _g(n, (3, 4, 4), "-")),
    "mobile 0086": ("phone", _M, lambda n: "0086" + n),
    "mobile 0086 grouped": ("phone", _M, lambda n: "0086 " + _g(n, (3, 4, 4), " ")),
    "mobile (+86)": ("phone", _M, lambda n: "(+86)" + n),
    "mobile 86-": ("phone", _M, lambda n: "86-" + n),
    "mobile full-width": ("phone", _M, lambda n: n.translate(_FULLWIDTH)),
    "mobile +86 full-width": ("phone", _M, lambda n: ("+86 " + _g(n, (3, 4, 4), "-")).translate(_FULLWIDTH)),
    "mobile ideographic spaces": ("phone", _M, lambda n: _g(n, (3, 4, 4), "\u3000")),
    "ID 18 plain": ("id_card", _I, lambda n: n),
    "ID 18 lowercase x": ("id_card", lambda rng, today: make_id18(rng, today, want_x=True), lambda n: n.lower()),
    "ID 18 6-8-4 spaces": ("id_card", _I, lambda n: _g(n, (6, 8, 4), " ")),
    "ID 18 6-8-4 dashes": ("id_card", _I, lambda n: _g(n, (6, 8, 4), "-")),
    "ID 18 6-8-4 dots": ("id_card", _I, lambda n: _g(n, (6, 8, 4), ".")),
    "ID 18 6-8-4 slashes": ("id_card", _I, lambda n: _g(n, (6, 8, 4), "/")),
    "ID 18 groups of 4": ("id_card", _I, lambda n: _g(n, (4, 4, 4, 4, 2), " ")),
    "ID 18 full-width": ("id_card", _I, lambda n: n.translate(_FULLWIDTH)),
    "ID 18 in brackets": ("id_card", _I, lambda n: f"({n})"),
    "ID 15 plain": ("id_card", lambda rng, today: make_id15(rng), lambda n: n),
    "ID 15 6-6-3 spaces": ("id_card", lambda rng, today: make_id15(rng), lambda n: _g(n, (6, 6, 3), " ")),
}

_SENTENCES = (
    "我的身份证号是{n}，稳岗返还怎么申请？",
    "手机：{n}，一次性留工培训补助多少？",
    "{n}",
    "请回电 {n} 谢谢",
    "联系方式{n}。灵活就业人员参保还有户籍限制吗",
    "证件号码【{n}】能不能申请扩岗补助",
)


@dataclass(frozen=True)
class Planted:
    kind: str  # id_card / phone
    form: str
    number: str  # the bare number (digits, X)
    written: str  # as written in the request


def digits_of(written: str) -> str:
    """The number's digits (and X) as they would read with every separator and country code gone."""
    ascii_form = written.translate(str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789Xx"))
    digits = re.sub(r"[^0-9Xx]", "", ascii_form).upper()
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    elif len(digits) == 15 and digits.startswith("0086"):
        digits = digits[4:]
    return digits


@dataclass
class PiiCorpus:
    planted: list[Planted]
    legit: list[str]

    def forms(self) -> Counter:
        return Counter(p.form for p in self.planted)


def plant(rng: random.Random, form: str, today: date) -> Planted:
    kind, make, write = FORMS[form]
    number = make(rng, today)
    return Planted(kind, form, number, write(number))


def legit_numbers(rng: random.Random, n_random: int = 160) -> list[str]:
    """Numbers policy questions carry that are nobody's personal number: each must stay as written."""
    fixed = [
        "国发〔2019〕6号", "晋人社厅发〔2022〕19号", "人社部发〔2022〕23号", "国办发〔2020〕27号", "晋政发[2022]15号",
        "第17条", "第十七条", "第三章第二十一条", "第2款", "第(三)项",
        "2022年12月31日", "2022年1月1日至2022年12月31日", "2022-12-31", "2022.12.31", "2022/12/31", "20221231",
        "2019-2022年", "2022年6月14日", "2023年第4季度", "12月31日前",
        "12,500元", "1,500元", "13800000000元", "15000000000元", "18612345678元", "人民币13912345678元",
        "¥15812345678", "￥13600000000", "13812345678.50元", "1.5万元", "3万个以上", "每人1500元",
        "60%", "90%", "0.5%", "13.5%",
        "0351-4567890", "(0351)4567890", "010-82345678", "12333", "12345", "95598", "400-810-8888",
        "25个员工", "3000场", "100人以上", "1500名高校毕业生", "6个月", "2次",
    ]
    out = list(dict.fromkeys(fixed))
    issuers = ("国发", "国办发", "人社部发", "晋政发", "晋人社厅发", "财社", "晋财社")
    while len(out) < len(fixed) + n_random:
        choice = rng.randrange(6)
        if choice == 0:
            value = f"{rng.randint(1, 99_999_999):,}元"
        elif choice == 1:  # eleven digits, mobile-shaped, but an amount
            value = f"1{rng.choice('3456789')}{rng.randint(0, 999_999_999):09d}元"
        elif choice == 2:
            d = date(2015, 1, 1) + timedelta(days=rng.randint(0, 4000))
            value = rng.choice([f"{d.year}年{d.month}月{d.day}日", f"{d:%Y-%m-%d}", f"{d:%Y.%m.%d}", f"{d:%Y%m%d}"])
        elif choice == 3:
            value = f"{rng.choice(issuers)}〔{rng.randint(2010, 2024)}〕{rng.randint(1, 120)}号"
        elif choice == 4:
            value = f"第{rng.randint(1, 99)}条"
        else:
            value = f"{rng.randint(1, 500)}{rng.choice(['人', '个', '户', '家企业', '万元', '%'])}"
        if value not in out:
            out.append(value)
    return out


def build_corpus(seed: int = SEED, per_form: int | None = None, n_random_legit: int = 160) -> PiiCorpus:
    """`per_form` planted numbers of every form (default: enough for every field and header to carry
    every form once, see `send_everywhere`), and the legitimate numbers."""
    rng = random.Random(seed)
    today = date.today()
    per_form = per_form or len(FIELDS) * (1 + len(HEADERS))
    planted = [plant(rng, form, today) for form in FORMS for _ in range(per_form)]
    return PiiCorpus(planted, legit_numbers(rng, n_random_legit))


# ---------------------------------------------------------------- sending
Request = tuple[str, str, dict[str, Any]]  # method, url, httpx keyword arguments
MATCH_FIELDS = ("industry", "size", "region_risk")


def _sentence(rng: random.Random, written: str) -> str:
    return rng.choice(_SENTENCES).format(n=written)


def _ascii_id(written: str) -> str:
    """An id-like token of the number: what a client could put in a session or request id."""
    return re.sub(r"[^0-9A-Za-z._-]", "-", written.translate(str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789Xx")))


#: field name -> (text of the planted number in context, answer id) -> request
FIELDS: dict[str, Callable[[str, str], Request]] = {
    "chat question": lambda s, a: ("POST", "/api/chat", {"json": {"question": s}}),
    "stream question": lambda s, a: ("POST", "/api/chat/stream", {"json": {"question": s}}),
    "feedback comment": lambda s, a: ("POST", "/api/feedback", {"json": {"answer_id": a, "helpful": False, "comment": s}}),
    "search q (query string)": lambda s, a: ("GET", f"/api/search?q={quote(s)}", {}),
    "calc parameter values": lambda s, a: ("POST", "/api/calc", {"json": {
        "rule_id": "job_retention_refund", "params": {"unemployment_insurance_paid_last_year": s, "size": s}}}),
    "match profile": lambda s, a: ("POST", "/api/match", {"json": {"profile": {k: s for k in MATCH_FIELDS}}}),
    "openai content": lambda s, a: ("POST", "/v1/chat/completions", {"json": {
        "model": "policy-qa", "messages": [{"role": "user", "content": s}]}}),
    "openai user": lambda s, a: ("POST", "/v1/chat/completions", {"json": {
        "model": "policy-qa", "user": s[:64], "messages": [{"role": "user", "content": "稳岗返还比例是多少？"}]}}),
    "chat session_id": lambda s, a: ("POST", "/api/chat", {"json": {"question": "稳岗返还比例是多少？",
                                                                    "session_id": _ascii_id(s)[:64]}}),
    "feedback answer_id": lambda s, a: ("POST", "/api/feedback", {"json": {"answer_id": _ascii_id(s)[:64],
                                                                          "helpful": True, "comment": "ok"}}),
    "document id in the path": lambda s, a: ("GET", f"/api/documents/{quote(s, safe='')}", {}),
    "query string of a page": lambda s, a: ("GET", f"/api/suggestions?ref={quote(s)}&phone={quote(s)}", {}),
}
HEADERS: dict[str, Callable[[str], str]] = {
    "X-Request-ID": _ascii_id,
    "User-Agent": lambda w: f"Mozilla/5.0 (contact {w})",
    "Referer": lambda w: f"http://127.0.0.1/?tel={w}",
    "Cookie": lambda w: f"pqa_phone={_ascii_id(w)}",
    "Authorization": lambda w: f"Bearer {_ascii_id(w)}",
    "X-Forwarded-For": lambda w: w,
    "X-Client-Note": lambda w: w,
}


@dataclass
class SendResult:
    statuses: dict[str, Counter] = field(default_factory=dict)  # field -> status counts
    requests: int = 0
    planted: list[Planted] = field(default_factory=list)  # every number actually sent
    pairs: set[tuple[str, str]] = field(default_factory=set)  # (field or header, form) covered
    legit_sent: list[str] = field(default_factory=list)
    legit_answers: dict[str, dict[str, Any]] = field(default_factory=dict)  # question -> answer as the client got it
    errors: list[str] = field(default_factory=list)

    def total(self) -> Counter:
        out: Counter = Counter()
        for c in self.statuses.values():
            out.update(c)
        return out


def _header_bytes(value: str) -> bytes:
    return value.encode("utf-8")


def send_everywhere(url: str, corpus: PiiCorpus, *, seed: int = SEED) -> SendResult:
    """Every planted number into one field and the headers of some request; legitimate numbers into chats."""
    result = SendResult()
    lock = threading.Lock()
    fields = list(FIELDS)
    headers = list(HEADERS)
    with httpx.Client(base_url=url, timeout=CLIENT_TIMEOUT_S) as client:
        first = client.post("/api/chat", json={"question": "稳岗返还比例是多少？"})
        first.raise_for_status()
        answer_id = first.json()["answer_id"]
        # one request per (field, form); header j of that request carries the next form but j, so every
        # header meets every form too
        queues: dict[str, list[Planted]] = {}
        for p in corpus.planted:
            queues.setdefault(p.form, []).append(p)
        forms = list(queues)
        jobs: list[tuple[str, Planted, dict[str, Planted]]] = []
        for name in fields:
            for k, form in enumerate(forms):
                carried = queues[form].pop()
                in_headers = {h: queues[forms[(k + j + 1) % len(forms)]].pop() for j, h in enumerate(headers)}
                jobs.append((name, carried, in_headers))
        random.Random(seed).shuffle(jobs)

        def send(job: tuple[str, Planted, dict[str, Planted]]) -> None:
            name, p, in_headers = job
            method, path, kwargs = FIELDS[name](_sentence(random.Random(p.written), p.written), answer_id)
            hdrs = {h: _header_bytes(HEADERS[h](q.written)) for h, q in in_headers.items()}
            try:
                r = client.request(method, path, headers=hdrs, **kwargs)
                status: Any = r.status_code
                if path.endswith("/stream") and r.status_code == 200:
                    status = 200 if "event: done" in r.text else "stream without done"
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            with lock:
                result.statuses.setdefault(name, Counter())[status] += 1
                result.requests += 1
                result.planted.append(p)
                result.pairs.add((name, p.form))
                for h, q in in_headers.items():
                    result.planted.append(q)
                    result.pairs.add((h, q.form))
                if status == "stream without done" or (isinstance(status, int) and status >= 500) or \
                        not isinstance(status, int):
                    result.errors.append(f"{name} [{p.form}] {p.written!r}: {status}")

        with ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(send, jobs))

        def send_legit(value: str) -> None:
            question = f"我们企业情况：{value}，稳岗返还能返多少？"
            r = client.post("/api/chat", json={"question": question})
            with lock:
                result.legit_sent.append(value)
                if r.status_code != 200:
                    result.errors.append(f"legit {value!r}: {r.status_code}")
                    return
                result.legit_answers[question] = r.json()
            fb = client.post("/api/feedback", json={"answer_id": r.json()["answer_id"], "helpful": True,
                                                    "comment": f"数字核对：{value}"})
            if fb.status_code != 200:
                with lock:
                    result.errors.append(f"legit comment {value!r}: {fb.status_code}")

        with ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(send_legit, corpus.legit))
    return result


# ---------------------------------------------------------------- searching
def search_forms(p: Planted) -> set[bytes]:
    """Byte strings whose presence in a file means the number got there (the last digits: see `tail_alone`)."""
    digits = digits_of(p.written)
    texts = {p.written, digits, json.dumps(p.written)[1:-1], quote(p.written), quote(p.written, safe=""),
             p.written.replace(" ", "+")}
    if digits.endswith("X"):
        texts.add(digits[:-1] + "x")
    return {t.encode("utf-8") for t in texts if len(re.sub(r"\D", "", t)) >= 8 or "\\u" in t}


def tail_alone(p: Planted, data: bytes) -> bool:
    """Whether the number's last digits (8 of a mobile, 10 of an ID) stand alone in `data`: what a number
    masked only in part leaves behind ("151****0628" no, "*** 10050628" yes). Standing alone, because the same
    digits inside a longer run of letters and digits (a random hex request id such as 86028093887c45f2) are no
    trace of it. (One CI run reported a planted mobile in the log that a rerun with the same numbers did not
    find; the random request ids are the only digits in the log that differ between runs.) A plain `find`
    with the neighbours checked: a regex per number over the whole database took minutes."""
    digits = digits_of(p.written)
    tail = digits[-(8 if p.kind == "phone" else 10):].encode()
    at = data.find(tail)
    while at != -1:
        before = data[at - 1 : at] if at else b""
        after = data[at + len(tail) : at + len(tail) + 1]
        if not (before.isalnum() or after.isalnum()):
            return True
        at = data.find(tail, at + 1)
    return False


def search_files(planted: list[Planted], files: list[Path]) -> dict[str, list[str]]:
    """For each file, the planted numbers (as written) found in it in any of `search_forms` or by `tail_alone`."""
    forms = [(p, search_forms(p)) for p in planted]  # once, not once per file
    found: dict[str, list[str]] = {}
    for path in files:
        if not path.exists():
            continue
        data = path.read_bytes()
        found[path.name] = [p.written for p, fs in forms if any(f in data for f in fs) or tail_alone(p, data)]
    return found


def false_masks(db_path: Path, log_path: Path, sent: SendResult) -> list[str]:
    """Every legitimate number not stored and logged exactly as sent; stored answers unlike what the client got."""
    problems: list[str] = []
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        questions = {row[0]: row[1] for row in conn.execute("SELECT question, answer_json FROM turns")}
        comments = {row[0] for row in conn.execute("SELECT comment FROM feedback WHERE comment IS NOT NULL")}
    log_text = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
    logged = set()
    for line in log_text.splitlines():
        try:
            q = json.loads(line).get("question")
        except ValueError:
            continue
        if isinstance(q, str):
            logged.add(q)
    for value in sent.legit_sent:
        question = f"我们企业情况：{value}，稳岗返还能返多少？"
        if question not in questions:
            problems.append(f"question not stored as sent: {value!r}")
        if f"数字核对：{value}" not in comments:
            problems.append(f"comment not stored as sent: {value!r}")
        if question not in logged:
            problems.append(f"question not logged as sent: {value!r}")
    for question, answer in sent.legit_answers.items():
        stored = questions.get(question)
        if stored is None:
            continue
        client_view = {k: v for k, v in answer.items() if k not in ("session_id", "answer_id")}
        kept = json.loads(stored)
        differing = sorted(k for k in set(kept) | set(client_view) if kept.get(k) != client_view.get(k))
        if differing:
            problems.append(f"stored answer differs from the one sent in {differing}: {question!r}")
    return problems


def main() -> int:
    corpus = build_corpus()
    forms = corpus.forms()
    print(f"{len(corpus.planted)} personal numbers in {len(forms)} written forms; {len(corpus.legit)} legitimate numbers")
    rng = random.Random(1)
    for form in FORMS:
        print(f"  {form:<28} {plant(rng, form, date.today()).written}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
