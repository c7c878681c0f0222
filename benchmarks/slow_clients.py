"""Slow clients against a real server (hardening issue 16, item 1): starvation and lying bodies.

The scenario, against any running server (`url`), all on loopback but from different source addresses
(every 127.x.y.z is this machine on Linux, so each slow client is "another client" to the server):

1. Baseline: one client (127.0.0.1) chats at a human pace, one question every `CHAT_INTERVAL_S`.
2. Attack: `n_slow` connections (127.0.1.1, 127.0.1.2, …) each send the headers of a POST /api/chat
   promising a 400-byte body and then drip it, one byte every `DRIP_INTERVAL_S`; when the server
   answers (or closes) they reconnect and start again, so the pressure lasts the whole phase. Beside
   them, `n_liars` connections send a Content-Length of 200 and 20 bytes, then wait. The chatting
   client goes on as in the baseline, and a third client polls /healthz.
3. Hog: one address (127.0.2.1) sends bursts of `hog_threads` simultaneous chats (as many as the
   default 16 slots), one burst two seconds after the last one's answers, while the chatting client goes on.

Figures: the chatting client's statuses and latency (p50 / p95) in each phase, what the slow and
lying connections were answered and how long that took, /healthz failures and its slowest answer,
and how the hog's requests were answered. Every client stays under the per-client rate limit of the
server the reliability report starts (600 a minute); the slow clients reconnect about once per body
deadline.

    .venv/bin/python benchmarks/slow_clients.py URL
"""

from __future__ import annotations

import json
import select
import socket
import statistics
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

__all__ = ["QUESTIONS", "SlowClientsResult", "run_slow_clients", "SERVER_ENV"]

QUESTIONS = (
    "稳岗返还比例是多少？",
    "一次性留工培训补助的标准是多少？",
    "灵活就业人员参保还有户籍限制吗？",
    "招用应届高校毕业生，企业能领多少扩岗补助？",
)
#: what the server of this scenario is started with (besides its paths): room for the chatting client
#: at four questions a second, the defaults for everything else (16 slots, a 20 s request timeout)
SERVER_ENV = {"POLICY_QA_RATE_LIMIT_PER_MINUTE": "600", "POLICY_QA_RATE_LIMIT_BURST": "60"}
CHAT_INTERVAL_S = 0.25
DRIP_INTERVAL_S = 0.5
PROMISED_BYTES = 400
LIAR_PROMISE, LIAR_SENDS = 200, 20
HEALTH_INTERVAL_S = 0.2
HOG_PAUSE_S = 2.0
CLIENT_TIMEOUT_S = 30.0


def _pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p * (len(ordered) - 1) + 0.5))] * 1000, 1)


@dataclass
class Phase:
    """The chatting client's requests in one phase."""

    statuses: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)  # seconds, of the 200s

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def failed(self) -> int:
        return self.requests - self.statuses[200]

    def figures(self) -> dict[str, Any]:
        return {"requests": self.requests, "failed": self.failed, "statuses": dict(self.statuses),
                "p50_ms": _pct(self.latencies, 0.5), "p95_ms": _pct(self.latencies, 0.95),
                "mean_ms": round(statistics.fmean(self.latencies) * 1000, 1) if self.latencies else 0.0}


@dataclass
class SlowClientsResult:
    baseline: Phase
    attack: Phase
    hogged: Phase
    slow_answers: Counter  # status (or "closed") -> count, of the dripping connections
    slow_answer_s: list[float]  # seconds from the first byte to the server's answer
    liar_answers: Counter
    liar_answer_s: list[float]
    health: Counter
    health_max_ms: float
    hog: Counter
    n_slow: int
    n_liars: int

    def figures(self) -> dict[str, Any]:
        return {
            "n_slow": self.n_slow, "n_liars": self.n_liars,
            "baseline": self.baseline.figures(), "attack": self.attack.figures(), "hogged": self.hogged.figures(),
            "slow_answers": dict(self.slow_answers),
            "slow_answer_max_s": round(max(self.slow_answer_s, default=0.0), 2),
            "liar_answers": dict(self.liar_answers),
            "liar_answer_max_s": round(max(self.liar_answer_s, default=0.0), 2),
            "health": dict(self.health), "health_max_ms": self.health_max_ms, "hog": dict(self.hog),
        }


def _chat_loop(url: str, stop: threading.Event, phase: Phase, source: str = "127.0.0.1",
               interval: float = CHAT_INTERVAL_S) -> None:
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(base_url=url, timeout=CLIENT_TIMEOUT_S, transport=transport) as client:
        i = 0
        while not stop.is_set():
            t0 = time.monotonic()
            try:
                r = client.post("/api/chat", json={"question": QUESTIONS[i % len(QUESTIONS)]})
                status: Any = r.status_code
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            elapsed = time.monotonic() - t0
            phase.statuses[status] += 1
            if status == 200:
                phase.latencies.append(elapsed)
            i += 1
            stop.wait(max(0.0, interval - elapsed))


def _read_status(sock: socket.socket, deadline: float) -> Any:
    """The status of the response on `sock`, or "closed" / "no answer"."""
    data = b""
    while b"\r\n" not in data:
        left = deadline - time.monotonic()
        if left <= 0:
            return "no answer"
        ready, _, _ = select.select([sock], [], [], left)
        if not ready:
            continue
        try:
            chunk = sock.recv(4096)
        except OSError:
            return "closed"
        if not chunk:
            return "closed" if not data else data[:40].decode(errors="replace")
        data += chunk
    try:
        return int(data.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return data[:40].decode(errors="replace")


def _head(host: str, length: int) -> bytes:
    return (f"POST /api/chat HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\n\r\n").encode("ascii")


def _drip_loop(host: str, port: int, source: str, stop: threading.Event, answers: Counter,
               answer_s: list[float], lock: threading.Lock) -> None:
    body = json.dumps({"question": "慢" * 200}, ensure_ascii=True).encode()[:PROMISED_BYTES]
    body = body.ljust(PROMISED_BYTES, b" ")
    while not stop.is_set():
        try:
            sock = socket.create_connection((host, port), timeout=5, source_address=(source, 0))
        except OSError:
            stop.wait(1.0)
            continue
        outcome: Any = "no answer"
        t0 = time.monotonic()
        try:
            sock.sendall(_head(host, PROMISED_BYTES))
            for i in range(PROMISED_BYTES):
                if stop.is_set():
                    break
                ready, _, _ = select.select([sock], [], [], DRIP_INTERVAL_S)
                if ready:  # the server has answered (or closed) before the body was complete
                    outcome = _read_status(sock, time.monotonic() + 5)
                    break
                try:
                    sock.sendall(body[i : i + 1])
                except OSError:
                    outcome = "closed"
                    break
        finally:
            sock.close()
        if outcome != "no answer":
            with lock:
                answers[outcome] += 1
                answer_s.append(time.monotonic() - t0)
        if outcome == 503 or outcome == 429:
            stop.wait(1.0)  # Retry-After


def _liar(host: str, port: int, source: str, answers: Counter, answer_s: list[float], lock: threading.Lock) -> None:
    with socket.create_connection((host, port), timeout=5, source_address=(source, 0)) as sock:
        t0 = time.monotonic()
        sock.sendall(_head(host, LIAR_PROMISE) + b'{"question": "' + b"x" * (LIAR_SENDS - 14))
        outcome = _read_status(sock, t0 + CLIENT_TIMEOUT_S)
        with lock:
            answers[outcome] += 1
            answer_s.append(time.monotonic() - t0)


def _health_loop(url: str, stop: threading.Event, health: Counter, worst: list[float]) -> None:
    with httpx.Client(base_url=url, timeout=10, transport=httpx.HTTPTransport(local_address="127.0.3.1")) as client:
        while not stop.is_set():
            t0 = time.monotonic()
            try:
                status: Any = client.get("/healthz").status_code
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            worst.append(time.monotonic() - t0)
            health[status] += 1
            stop.wait(HEALTH_INTERVAL_S)


def _hog_loop(url: str, width: int, stop: threading.Event, hog: Counter) -> None:
    """Bursts of `width` simultaneous chats from one address, one burst every `HOG_PAUSE_S` after the last answer."""
    transport = httpx.HTTPTransport(local_address="127.0.2.1")
    limits = httpx.Limits(max_connections=width, max_keepalive_connections=width)
    with httpx.Client(base_url=url, timeout=CLIENT_TIMEOUT_S, transport=transport, limits=limits) as client, \
            ThreadPoolExecutor(width) as pool:
        barrier = threading.Barrier(width)

        def one(i: int) -> Any:
            barrier.wait()
            try:
                r = client.post("/api/chat", json={"question": QUESTIONS[i % len(QUESTIONS)]})
            except httpx.HTTPError as exc:
                return type(exc).__name__
            code = r.json().get("error", {}).get("code") if r.status_code != 200 else None
            return f"{r.status_code} {code}" if code else r.status_code

        while not stop.is_set():
            hog.update(pool.map(one, range(width)))
            stop.wait(HOG_PAUSE_S)


def _run_phase(url: str, seconds: float, phase: Phase) -> None:
    stop = threading.Event()
    t = threading.Thread(target=_chat_loop, args=(url, stop, phase), daemon=True)
    t.start()
    time.sleep(seconds)
    stop.set()
    t.join(CLIENT_TIMEOUT_S + 5)


def run_slow_clients(url: str, *, n_slow: int = 24, n_liars: int = 4, baseline_s: float = 6.0,
                     attack_s: float = 14.0, hog_threads: int = 16, hog_s: float = 6.0) -> SlowClientsResult:
    """Run the three phases against `url` (see the module docstring)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    baseline, attack, hogged = Phase(), Phase(), Phase()
    _run_phase(url, baseline_s, baseline)

    lock = threading.Lock()
    stop = threading.Event()
    slow_answers: Counter = Counter()
    slow_s: list[float] = []
    liar_answers: Counter = Counter()
    liar_s: list[float] = []
    health: Counter = Counter()
    health_s: list[float] = []
    threads = [threading.Thread(target=_drip_loop, args=(host, port, f"127.0.1.{i + 1}", stop, slow_answers, slow_s,
                                                          lock), daemon=True) for i in range(n_slow)]
    threads.append(threading.Thread(target=_health_loop, args=(url, stop, health, health_s), daemon=True))
    for t in threads:
        t.start()
    time.sleep(1.0)  # every slow connection has sent its headers and started dripping
    liars = [threading.Thread(target=_liar, args=(host, port, f"127.0.4.{i + 1}", liar_answers, liar_s, lock),
                              daemon=True) for i in range(n_liars)]
    for t in liars:
        t.start()
    _run_phase(url, attack_s, attack)
    stop.set()
    for t in threads + liars:
        t.join(CLIENT_TIMEOUT_S + 5)

    hog: Counter = Counter()
    hog_stop = threading.Event()
    hog_thread = threading.Thread(target=_hog_loop, args=(url, hog_threads, hog_stop, hog), daemon=True)
    hog_thread.start()
    time.sleep(0.5)
    _run_phase(url, hog_s, hogged)
    hog_stop.set()
    hog_thread.join(CLIENT_TIMEOUT_S + 5)
    return SlowClientsResult(baseline, attack, hogged, slow_answers, slow_s, liar_answers, liar_s, health,
                             _pct(health_s, 1.0), hog, n_slow, n_liars)


def main() -> int:
    url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
    print(json.dumps(run_slow_clients(url).figures(), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
