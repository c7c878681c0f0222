"""The reliability report (hardening issue, item 6): the figures of items 1–5 as one table.

1. Bad input: every entry of tests/data/bad_inputs.json through every text field of the HTTP API of
   a `policy-qa serve` process this script starts (chat question, stream question, feedback comment,
   search q, calc parameter values, match profile fields, OpenAI message content), and through the
   CLI (`policy-qa ask --json --batch` and `policy-qa search --json --batch`, all inputs in one
   process each). Counted: 2xx / 4xx / 5xx, Python tracebacks in bodies and stderr, hangs (no
   answer within the client timeout, which is longer than the server's own request timeout).
2. XSS: every payload of tests/data/xss_payloads.json typed into the widget on / and into the staff
   console's ask box of a real Chromium; counted: dialogs fired, and script/handler nodes that
   appeared anywhere in the page or the widget's shadow root (a MutationObserver installed before
   any page script runs also sees nodes that were inserted and removed again).
3. PII: `pii_figures(10000)` (masking recall and false positives of assistant.privacy), then 1,000
   chats carrying generated ID-card and mobile numbers; afterwards the SQLite file, its -wal and
   -shm, the server's JSON log and its stderr are searched byte for byte for every planted number
   (as sent, digits only, JSON-escaped).
4. Rebuild under load: `rebuild_figures()` (benchmarks/rebuild_under_load.py).
5. Storage faults: `storage_figures()` (benchmarks/storage_faults.py).
6. Slow clients (issue 16): `run_slow_clients` (benchmarks/slow_clients.py) against a server of its own
   with the default slots and deadlines: 24 connections dripping their bodies and 4 lying
   Content-Lengths while one client chats, then one address firing bursts as wide as all the slots.
7. Personal numbers in every form (issue 16): benchmarks/pii_forms.py's corpus (30 written forms)
   through every text field and header of a server of its own, then its SQLite file, -wal, -shm, log
   and stderr searched; legitimate numbers checked as stored and logged; and our patterns against
   jionlp's (benchmarks/pii_library_compare.py, jionlp only when it is importable).
8. Secure by default (issue 16): benchmarks/staff_access.py, staff endpoints and redirects seen from a
   non-loopback address in a network namespace, without and with a staff key.

Exits 1 when any figure misses its goal. Takes about eight minutes on two cores.

    .venv/bin/python benchmarks/reliability.py [ITEM ...]     (make reliability; e.g. `6 7 8` for those alone)
"""

from __future__ import annotations

import json
import logging
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "tests"))  # tests/badinput.py: the hostile-input loaders

from badinput import load_bad_inputs, load_xss_payloads  # noqa: E402
from pii_figures import generate_id_card, generate_phone, pii_figures  # noqa: E402
from rebuild_under_load import Server, Workspace, passed as rebuild_passed, rebuild_figures, run_server, server_env  # noqa: E402
from storage_faults import storage_figures  # noqa: E402
import pii_forms  # noqa: E402
import slow_clients  # noqa: E402
import staff_access  # noqa: E402
from pii_library_compare import compare as compare_pii_detectors  # noqa: E402

log = logging.getLogger("reliability")

#: longer than the server's request timeout (20 s), so a slow answer shows up as its 504, not as a hang
CLIENT_TIMEOUT_S = 30.0
CLI_TIMEOUT_S = 600.0
HTTP_WORKERS = 4
MAX_CLIENT_URL = 65_536  # httpx refuses longer URLs; those go over a raw socket
TRACEBACK = "Traceback (most recent call last)"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
RENDER_TIMEOUT_MS = 20_000
PII_CHATS = 1000
PII_SEED = 20240611


# ---------------------------------------------------------------- (1) bad input over HTTP
Request = tuple[str, str, dict]  # method, url, httpx keyword arguments
MATCH_FIELDS = ("industry", "size", "region_risk", "insured_employees", "graduates_hired", "poverty_labourers_hired",
                "unemployment_insurance_paid_last_year")


def _json_body(value: object) -> dict:
    # ensure_ascii writes a lone surrogate as a \udXXX escape, which is how a JSON client sends one
    return {"content": json.dumps(value, ensure_ascii=True).encode("ascii"), "headers": {"content-type": "application/json"}}


def _url_part(text: str) -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def http_fields(answer_id: str) -> dict[str, Callable[[str], Request]]:
    """One request per text field; every other field holds a valid value."""
    return {
        "POST /api/chat question": lambda s: ("POST", "/api/chat", _json_body({"question": s})),
        "POST /api/chat/stream question": lambda s: ("POST", "/api/chat/stream", _json_body({"question": s})),
        "POST /api/feedback comment": lambda s: (
            "POST", "/api/feedback", _json_body({"answer_id": answer_id, "helpful": False, "comment": s})),
        "GET /api/search q": lambda s: ("GET", f"/api/search?q={_url_part(s)}", {}),
        "POST /api/calc param values": lambda s: ("POST", "/api/calc", _json_body(
            {"rule_id": "job_retention_refund", "params": {"unemployment_insurance_paid_last_year": s, "size": s}})),
        "POST /api/match profile fields": lambda s: ("POST", "/api/match", _json_body(
            {"profile": {name: s for name in MATCH_FIELDS}})),
        "POST /api/match industry": lambda s: ("POST", "/api/match", _json_body({"profile": {"industry": s}})),
        "POST /v1/chat/completions content": lambda s: ("POST", "/v1/chat/completions", _json_body(
            {"model": "policy-qa", "messages": [{"role": "user", "content": s}]})),
    }


def _raw_get(base: str, url: str) -> tuple[int | None, str]:
    """A GET too long for an HTTP client; returns (status, head of the response)."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=CLIENT_TIMEOUT_S) as sock:
        sock.sendall(f"GET {url} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode("ascii"))
        data = b""
        # the status line and headers are enough to judge; the server may keep the socket open after them
        while b"\r\n\r\n" not in data and (chunk := sock.recv(65536)):
            data += chunk
    if not data.startswith(b"HTTP/"):
        return None, data[:200].decode(errors="replace")
    return int(data.split(b" ", 2)[1]), data.decode(errors="replace")


def classify(status: int | None, body: str, content_type: str = "") -> str:
    """2xx / 4xx / 5xx; a stream that reports an error event or never ends counts as 5xx."""
    if status is None:
        return "dropped"
    if status >= 500:
        return "5xx"
    if status >= 400:
        return "4xx"
    if content_type.startswith("text/event-stream"):
        ended = "event: done" in body or "data: [DONE]" in body
        return "5xx" if "event: error" in body or not ended else "2xx"
    return "2xx"


def send_one(client: httpx.Client, base: str, request: Request) -> tuple[str, bool, str]:
    """(bucket, traceback in the body, a short description for the report)."""
    method, url, kwargs = request
    try:
        if len(url) > MAX_CLIENT_URL:
            status, body = _raw_get(base, url)
            return classify(status, body), TRACEBACK in body, f"{method} {url[:60]}… → {status}"
        r = client.request(method, url, **kwargs)
    except (httpx.TimeoutException, socket.timeout):
        return "hang", False, f"{method} {url[:60]} timed out"
    except (httpx.HTTPError, OSError) as exc:
        return "dropped", False, f"{method} {url[:60]}: {type(exc).__name__}: {exc}"
    bucket = classify(r.status_code, r.text, r.headers.get("content-type", ""))
    return bucket, TRACEBACK in r.text, f"{method} {url[:60]} → {r.status_code} {r.text[:160]}"


def bad_inputs_http(base: str, inputs: list[tuple[str, str]]) -> dict[str, Any]:
    """Every input through every field; counts per field and the first few problems."""
    with httpx.Client(base_url=base, timeout=CLIENT_TIMEOUT_S) as client:
        first = client.post("/api/chat", json={"question": "稳岗返还比例是多少？"})
        first.raise_for_status()
        fields = http_fields(first.json()["answer_id"])
        per_field: dict[str, Counter] = {}
        problems: list[str] = []
        with ThreadPoolExecutor(HTTP_WORKERS) as pool:
            for name, build in fields.items():
                counts: Counter = Counter()
                for (case_id, _), (bucket, tb, desc) in zip(
                    inputs, pool.map(lambda item: send_one(client, base, build(item[1])), inputs)
                ):
                    counts[bucket] += 1
                    counts["traceback"] += tb
                    if bucket in ("5xx", "hang", "dropped") or tb:
                        problems.append(f"{name} [{case_id}] {desc}")
                per_field[name] = counts
    total: Counter = Counter()
    for c in per_field.values():
        total.update(c)
    return {"requests": sum(total[k] for k in ("2xx", "4xx", "5xx", "hang", "dropped")), "total": dict(total),
            "per_field": {k: dict(v) for k, v in per_field.items()}, "problems": problems}


# ---------------------------------------------------------------- (1) bad input through the CLI
def _batch_lines(text: str) -> list[str]:
    """The questions of a --batch file: one per line, blank lines skipped (the format `policy-qa ask` reads)."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def _run_cli(args: list[str], env: dict[str, str]) -> tuple[int | None, str, str, float]:
    t0 = time.monotonic()
    try:
        p = subprocess.run([sys.executable, "-m", "api.cli", *args], env=env, cwd=REPO_ROOT, capture_output=True,
                           timeout=CLI_TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        return None, (exc.stdout or b"").decode(errors="replace"), (exc.stderr or b"").decode(errors="replace"), CLI_TIMEOUT_S
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"), time.monotonic() - t0


def bad_inputs_cli(env: dict[str, str], inputs: list[tuple[str, str]], workdir: Path) -> dict[str, Any]:
    """`ask --json --batch` and `search --json --batch` over all inputs, one process each.

    Mapping onto the HTTP columns: an Answer line counts as 2xx, an `invalid` Answer or a search line
    with an `error` as 4xx, a question without its output line as 5xx. Inputs with lone surrogates
    cannot be written as UTF-8; they go in a file of their own (written with surrogatepass), which
    the command must refuse as a whole with one Chinese line and exit 2: 4xx for each of them.
    """
    encodable = [(i, t) for i, t in inputs if not re.search(r"[\ud800-\udfff]", t)]
    surrogates = [(i, t) for i, t in inputs if re.search(r"[\ud800-\udfff]", t)]
    text = "\n".join(t for _, t in encodable) + "\n"
    good_file = workdir / "bad_inputs.txt"
    good_file.write_text(text, encoding="utf-8")
    bad_file = workdir / "bad_inputs_surrogates.txt"
    bad_file.write_bytes("\n".join(t for _, t in surrogates).encode("utf-8", "surrogatepass"))
    expected = len(_batch_lines(text))

    out: dict[str, Any] = {}
    for command in ("ask", "search"):
        counts: Counter = Counter()
        problems: list[str] = []
        rc, stdout, stderr, seconds = _run_cli([command, "--json", "--batch", str(good_file)], env)
        if rc is None:
            counts["hang"] += 1
            problems.append(f"{command}: no exit within {CLI_TIMEOUT_S:.0f} s")
        elif rc != 0:
            problems.append(f"{command}: exit {rc}: {stderr.strip()[-300:]}")
        counts["traceback"] += stderr.count(TRACEBACK) + stdout.count(TRACEBACK)
        lines = [line for line in stdout.splitlines() if line.strip()]
        for line in lines:
            try:
                obj = json.loads(line)
            except ValueError:
                counts["5xx"] += 1
                problems.append(f"{command}: not JSON: {line[:120]}")
                continue
            rejected = obj.get("status") == "invalid" if command == "ask" else "error" in obj
            counts["4xx" if rejected else "2xx"] += 1
        if len(lines) < expected:
            counts["5xx"] += expected - len(lines)
            problems.append(f"{command}: {expected - len(lines)} of {expected} questions without an output line")
        rc2, stdout2, stderr2, _ = _run_cli([command, "--json", "--batch", str(bad_file)], env)
        refused = rc2 == 2 and stderr2.startswith("错误：") and re.search(r"[\u4e00-\u9fff]", stderr2)
        counts["4xx" if refused else "5xx"] += len(surrogates)
        counts["traceback"] += (stderr2 + stdout2).count(TRACEBACK)
        if not refused:
            problems.append(f"{command} (surrogate file): exit {rc2}: {stderr2.strip()[-300:]}")
        out[command] = {"inputs": len(inputs), "batch_lines": expected + len(surrogates), "exit": rc,
                        "seconds": round(seconds, 1), "counts": dict(counts), "problems": problems}
    return out


# ---------------------------------------------------------------- (2) XSS in a real browser
#: installed before any page script: watches the document and every shadow root for injected markup
INJECTION_WATCH = r"""
(() => {
  const found = [];
  Object.defineProperty(window, '__pqaInjected', { value: found });
  const own = /(^|\/)(widget|console)\.js$/;  // the pages' own scripts (console.html names its script relatively)
  const dangerousTags = new Set(['script', 'iframe', 'frame', 'object', 'embed', 'base']);
  const urlAttrs = new Set(['href', 'src', 'action', 'formaction', 'xlink:href', 'data']);
  const check = (el) => {
    if (el.nodeType !== 1) return;
    const tag = el.tagName.toLowerCase();
    if (dangerousTags.has(tag) && !(tag === 'script' && own.test(el.getAttribute('src') || '')))
      found.push(tag + ': ' + el.outerHTML.slice(0, 100));
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = attr.value.replace(/[\s\u0000-\u001f]/g, '').toLowerCase();
      if (name.startsWith('on')) found.push('handler ' + name + ' on ' + tag);
      if (name === 'srcdoc' || (urlAttrs.has(name) && (value.startsWith('javascript:') || value.startsWith('data:text/html'))))
        found.push(name + '=' + attr.value.slice(0, 60) + ' on ' + tag);
    }
  };
  const scan = (node) => {
    if (node.nodeType !== 1) return;
    check(node);
    node.querySelectorAll('*').forEach(check);
    if (node.shadowRoot) watch(node.shadowRoot);
  };
  const watch = (root) => new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'childList') r.addedNodes.forEach(scan);
      else if (r.type === 'attributes') check(r.target);
    }
  }).observe(root, { childList: true, subtree: true, attributes: true });
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    const root = attach.call(this, init);
    watch(root);
    return root;
  };
  watch(document);
})();
"""


#: plants a handler attribute in the widget's shadow root (or the body) and an inert script in the
#: document; the watch must report both, or its zero counts mean nothing. The canary is then removed
#: from the findings.
CANARY = """
() => new Promise((resolve) => {
  const before = window.__pqaInjected.length;
  const host = document.querySelector('policy-qa-widget');
  const probe = document.createElement('span');
  probe.setAttribute('onclick', 'void 0');
  ((host && host.shadowRoot) || document.body).appendChild(probe);
  const inert = document.createElement('script');
  inert.type = 'text/plain';
  document.body.appendChild(inert);
  setTimeout(() => {
    probe.remove();
    inert.remove();
    resolve(window.__pqaInjected.splice(before).length >= 2);
  }, 100);
})
"""


def _page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    context.add_init_script(INJECTION_WATCH)
    page = context.new_page()
    dialogs: list[str] = []

    def on_dialog(d) -> None:
        dialogs.append(f"{d.type}: {d.message}")
        d.dismiss()

    page.on("dialog", on_dialog)
    return context, page, dialogs


def _widget_ask(page, payload: str) -> None:
    """Type the payload into the widget and wait until its answer bubble is complete."""
    n = page.locator("[data-testid=pqa-answer]").count()
    page.locator("[data-testid=pqa-input]").fill(payload)
    page.locator("[data-testid=pqa-input]").press("Enter")
    page.wait_for_function(
        "(n) => { const h = document.querySelector('policy-qa-widget');"
        " const b = h && h.shadowRoot.querySelectorAll('[data-testid=pqa-answer]')[n];"
        " return b && b.getAttribute('data-status') !== 'pending'; }",
        arg=n, timeout=RENDER_TIMEOUT_MS,
    )


def _console_ask(page, payload: str) -> None:
    """Put the payload in the console's ask box and wait until the answer is drawn."""
    page.locator("#ask-input").fill(payload)
    page.locator("#ask-submit").click()
    page.wait_for_function(
        "() => !document.querySelector('#ask-submit').disabled"
        " && document.querySelector('#ask-result .answer-head, #ask-result .notice')",
        timeout=RENDER_TIMEOUT_MS,
    )


FACES = {
    # face: (path, what shows the page is ready, how one payload is asked)
    "widget": ("/", "() => !!document.querySelector('policy-qa-widget')", _widget_ask),
    "console": ("/console", "() => document.querySelector('#ready').textContent.includes('服务就绪')", _console_ask),
}


def _xss_face(browser, base: str, face: str, payloads: list[str]) -> dict[str, Any]:
    path, ready, ask = FACES[face]
    context, page, dialogs = _page(browser)
    rendered, problems = 0, []
    try:
        page.goto(base + path)
        page.wait_for_function(ready, timeout=RENDER_TIMEOUT_MS)
        if face == "widget":
            page.locator("[data-testid=pqa-launcher]").click()
        for payload in payloads:
            try:
                ask(page, payload)
                rendered += 1
            except Exception as exc:  # a payload that breaks the face is a finding, not a crash of the report
                problems.append(f"{face}: {payload[:40]!r}: {type(exc).__name__}: {str(exc)[:120]}")
        injected = list(page.evaluate("window.__pqaInjected"))
        detector_ok = bool(page.evaluate(CANARY))
    finally:
        context.close()
    return {"payloads": len(payloads), "rendered": rendered, "dialogs": dialogs, "injected": injected,
            "detector_ok": detector_ok, "problems": problems}


def xss_figures(base: str, payloads: list[str]) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            return {face: _xss_face(browser, base, face, payloads) for face in FACES}
        finally:
            browser.close()


# ---------------------------------------------------------------- (3) PII at rest after 1,000 chats
_TEMPLATES = (
    "我的身份证号是{id}，手机{phone}，我开饭店有25个员工，留工培训补助多少？",
    "{phone} 这是我的电话，稳岗返还能返多少钱？",
    "身份证{id}能不能申请一次性扩岗补助",
    "请联系我{phone}，另外我身份证号码{id}，灵活就业参保还有户籍限制吗",
    "我叫张三，{id}，企业缓缴社保到什么时候？电话{phone}",
)


def _forms(number: str) -> set[str]:
    """The ways a planted number could sit in a file: as sent, digits only, JSON-escaped."""
    ascii_form = number.translate(str.maketrans("０１２３４５６７８９Ｘ＋－", "0123456789X+-"))
    digits = re.sub(r"[^0-9X]", "", ascii_form)
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if digits.startswith("0086"):
        digits = digits[4:]
    forms = {number, digits, json.dumps(number)[1:-1]}
    return {f for f in forms if len(re.sub(r"\D", "", f)) >= 11 or "\\u" in f}


@dataclass
class PiiPlan:
    questions: list[str]
    comments: dict[int, str]  # question index -> feedback comment carrying a phone number
    planted: list[str]


def plan_pii_chats(n: int = PII_CHATS, seed: int = PII_SEED) -> PiiPlan:
    """`n` questions carrying generated ID-card and mobile numbers, and a phone in every 20th feedback comment."""
    rng = random.Random(seed)
    today = date.today()
    questions, planted, comments = [], [], {}
    for i in range(n):
        id_card, phone = generate_id_card(rng, today), generate_phone(rng)
        template = _TEMPLATES[i % len(_TEMPLATES)]
        planted += [x for x, key in ((id_card, "{id}"), (phone, "{phone}")) if key in template]
        questions.append(template.format(id=id_card, phone=phone))
        if i % 20 == 0:
            callback = generate_phone(rng)
            comments[i] = f"答非所问，请回电{callback}"
            planted.append(callback)
    return PiiPlan(questions, comments, planted)


def run_pii_chats(base: str, plan: PiiPlan) -> Counter:
    """Send the planned chats (every 10th through the stream) and comments; count the statuses."""
    statuses: Counter = Counter()
    lock = threading.Lock()

    def chat(i: int) -> None:
        path = "/api/chat/stream" if i % 10 == 9 else "/api/chat"
        outcome = []
        try:
            r = client.post(path, json={"question": plan.questions[i]})
            outcome.append(f"chat {r.status_code}")
            if i in plan.comments and r.status_code == 200:
                fb = client.post("/api/feedback", json={"answer_id": r.json()["answer_id"], "helpful": False,
                                                        "comment": plan.comments[i]})
                outcome.append(f"feedback {fb.status_code}")
        except httpx.HTTPError as exc:
            outcome.append(f"chat {type(exc).__name__}")
        with lock:
            statuses.update(outcome)

    with httpx.Client(base_url=base, timeout=CLIENT_TIMEOUT_S) as client, ThreadPoolExecutor(HTTP_WORKERS) as pool:
        list(pool.map(chat, range(len(plan.questions))))
    return statuses


def search_files(planted: list[str], files: list[Path]) -> dict[str, int]:
    """How many planted numbers each file holds, in any of the forms `_forms` lists."""
    patterns = [[f.encode("utf-8") for f in _forms(p)] for p in planted]
    found: dict[str, int] = {}
    for path in files:
        if path.exists():
            data = path.read_bytes()
            found[path.name] = sum(any(f in data for f in forms) for forms in patterns)
    return found


# ---------------------------------------------------------------- the table
@dataclass
class Row:
    item: str
    figure: str
    value: Any
    goal: str
    ok: bool


def _http_rows(http: dict[str, Any], cli: dict[str, Any]) -> list[Row]:
    t = http["total"]
    rows = [Row("1 bad input", f"HTTP: {len(load_bad_inputs())} inputs x {len(http['per_field'])} fields",
                f"{http['requests']} requests", "", True)]
    rows.append(Row("", "HTTP 2xx / 4xx", f"{t.get('2xx', 0)} / {t.get('4xx', 0)}", "", True))
    rows.append(Row("", "HTTP 5xx (incl. SSE error events)", t.get("5xx", 0), "0", t.get("5xx", 0) == 0))
    rows.append(Row("", "HTTP tracebacks in bodies", t.get("traceback", 0), "0", t.get("traceback", 0) == 0))
    rows.append(Row("", "HTTP hangs (no answer in 30 s)", t.get("hang", 0), "0", t.get("hang", 0) == 0))
    rows.append(Row("", "HTTP dropped connections", t.get("dropped", 0), "0", t.get("dropped", 0) == 0))
    for command, r in cli.items():
        c = r["counts"]
        rows.append(Row("", f"CLI {command} --batch: 2xx / 4xx / 5xx",
                        f"{c.get('2xx', 0)} / {c.get('4xx', 0)} / {c.get('5xx', 0)}", "5xx 0",
                        c.get("5xx", 0) == 0 and r["exit"] == 0))
        rows.append(Row("", f"CLI {command}: tracebacks / hangs", f"{c.get('traceback', 0)} / {c.get('hang', 0)}", "0 / 0",
                        c.get("traceback", 0) == 0 and c.get("hang", 0) == 0))
    return rows


def _xss_rows(xss: dict[str, Any]) -> list[Row]:
    rows = []
    for face, r in xss.items():
        rows.append(Row("2 XSS" if face == "widget" else "", f"{face}: payloads rendered", f"{r['rendered']}/{r['payloads']}",
                        "all", r["rendered"] == r["payloads"]))
        rows.append(Row("", f"{face}: dialogs fired", len(r["dialogs"]), "0", not r["dialogs"]))
        rows.append(Row("", f"{face}: script/handler nodes injected", len(r["injected"]), "0", not r["injected"]))
        rows.append(Row("", f"{face}: detector sees a planted handler+script", "yes" if r["detector_ok"] else "no",
                        "yes", r["detector_ok"]))
    return rows


def _pii_rows(masking: dict[str, Any], plan: PiiPlan, statuses: Counter, running: dict[str, int],
              after: dict[str, int], server_errors: int) -> list[Row]:
    ok_chats = statuses["chat 200"]
    ok_comments = statuses["feedback 200"]
    found_running = sum(running.values())
    found_after = sum(after.values())
    return [
        Row("3 PII", f"ID-card numbers masked (N={masking['n']:,})", f"{masking['id_card_recall']:.2%}", "100%",
            masking["id_card_recall"] == 1),
        Row("", f"mobile numbers masked (N={masking['n']:,})", f"{masking['phone_recall']:.2%}", "100%",
            masking["phone_recall"] == 1),
        Row("", "false positives (corpus numbers, landlines)", masking["false_positive_total"], "0",
            masking["false_positive_total"] == 0),
        Row("", "chats / comments with planted PII answered", f"{ok_chats}/{len(plan.questions)} / "
            f"{ok_comments}/{len(plan.comments)}", "all", ok_chats == len(plan.questions) and ok_comments == len(plan.comments)),
        Row("", f"of {len(plan.planted):,} numbers: found running / stopped", f"{found_running} / {found_after}", "0 / 0",
            found_running == 0 and found_after == 0),
        Row("", "server log: errors / tracebacks", server_errors, "0", server_errors == 0),
    ]


def _rebuild_rows(f: dict[str, Any]) -> list[Row]:
    s, k = f["swap"], f["kill"]
    new_served = s["served_at_end"] == s["new_version"] and s["new_version"] is not None
    return [
        Row("4 rebuild", "swap: requests at 20/s / failed", f"{s['requests']} / {s['failed']}", "failed 0", s["failed"] == 0),
        Row("", "swap: versions seen / new served at end", f"{len(s['versions_seen'])} / {'yes' if new_served else 'no'}",
            "2 / yes", len(s["versions_seen"]) == 2 and new_served and s["build_rc"] == 0),
        Row("", "swap: answers mixing versions", s["mixed_answers"], "0", s["mixed_answers"] == 0),
        Row("", "swap: old-version answers after the switch", s["old_after_switch"], "0", s["old_after_switch"] == 0),
        Row("", "kill: requests at 20/s / failed", f"{k['requests']} / {k['failed']}", "failed 0", k["failed"] == 0),
        Row("", "kill: versions seen / mixed answers", f"{len(k['versions_seen'])} / {k['mixed_answers']}", "1 / 0",
            len(k["versions_seen"]) == 1 and k["mixed_answers"] == 0),
        Row("", "kill: old index serving after SIGKILL", "yes" if k["old_serving"] else "no", "yes", k["old_serving"]),
        Row("", "swap: build s / switch lag s / p99 ms", f"{s['build_seconds']} / {s['switch_lag_s']} / {s['p99_ms']:.0f}",
            "", True),
        Row("", "server log: errors / tracebacks", f["server_errors"], "0", f["server_errors"] == 0),
    ]


def _storage_rows(f: dict[str, Any]) -> list[Row]:
    c, k = f["concurrent"], f["sigkill"]
    return [
        Row("5 storage", "concurrent writes (8 threads) ok", f"{c['writes_ok']}/{c['writes']}", "all",
            c["writes_ok"] == c["writes"]),
        Row("", "database is locked / other errors", f"{c['lock_errors']} / {c['other_errors']}", "0 / 0",
            c["lock_errors"] == 0 and c["other_errors"] == 0),
        Row("", "writer processes SIGKILLed", k["kills"], "", True),
        Row("", "integrity_check (threads / kills)", f"{c['integrity']} / {k['integrity']}", "ok / ok",
            c["integrity"] == "ok" and k["integrity"] == "ok"),
        Row("", "committed rows lost (threads / kills)", f"{c['missing_rows']} / {k['lost_committed_rows']}", "0 / 0",
            c["missing_rows"] == 0 and k["lost_committed_rows"] == 0 and k["parent_errors"] == 0 and k["child_errors"] == 0),
    ]


def _slow_rows(f: dict[str, Any], body_timeout_s: float) -> list[Row]:
    base, attack, hogged = f["baseline"], f["attack"], f["hogged"]
    latency_ok = attack["p95_ms"] <= 2 * base["p95_ms"] + 150
    slow_ok = set(f["slow_answers"]) == {408} and f["slow_answer_max_s"] <= body_timeout_s + 1.5
    liar_ok = f["liar_answers"] == {408: f["n_liars"]} and f["liar_answer_max_s"] <= body_timeout_s + 1.5
    refused = f["hog"].get("429 too_many_concurrent", 0)
    return [
        Row("6 slow", "chat alone: requests / failed / p50 / p95 ms",
            f"{base['requests']} / {base['failed']} / {base['p50_ms']:.0f} / {base['p95_ms']:.0f}", "failed 0",
            base["failed"] == 0),
        Row("", f"chat beside {f['n_slow']} dripping bodies: failed", f"{attack['failed']}/{attack['requests']}", "0",
            attack["failed"] == 0),
        Row("", "  its p50 / p95 ms", f"{attack['p50_ms']:.0f} / {attack['p95_ms']:.0f}", "p95<=2x+150", latency_ok),
        Row("", "dripping bodies answered / slowest s", f"{dict(f['slow_answers'])} / {f['slow_answer_max_s']}",
            f"408 <={body_timeout_s + 1.5:g}", slow_ok),
        Row("", f"lying Content-Length ({f['n_liars']}) answered / slowest s",
            f"{dict(f['liar_answers'])} / {f['liar_answer_max_s']}", f"408 <={body_timeout_s + 1.5:g}", liar_ok),
        Row("", "/healthz failed / slowest ms",
            f"{sum(v for k, v in f['health'].items() if k != 200)} / {f['health_max_ms']:.0f}", "0 / <1000",
            set(f["health"]) == {200} and f["health_max_ms"] < 1000),
        Row("", "bursts of 16 from one address: 200 / 429 share", f"{f['hog'].get(200, 0)} / {refused}", "429 > 0",
            refused > 0),
        Row("", "  chat from another address meanwhile: failed", f"{hogged['failed']}/{hogged['requests']}", "0",
            hogged["failed"] == 0),
    ]


def _pii_forms_rows(corpus: Any, sent: Any, running: dict[str, list[str]], after: dict[str, list[str]],
                    false: list[str], detectors: dict[str, Any], server_errors: int) -> list[Row]:
    places = list(pii_forms.FIELDS) + list(pii_forms.HEADERS)
    covered = all({f for p, f in sent.pairs if p == place} == set(corpus.forms()) for place in places)
    hits_running = sum(len(v) for v in running.values())
    hits_after = sum(len(v) for v in after.values())
    total = sent.total()
    ours = detectors["ours"]
    rows = [
        Row("7 PII forms", "numbers / written forms / fields+headers", f"{len(sent.planted)} / {len(corpus.forms())} / "
            f"{len(places)}", ">=500/12", len(sent.planted) >= 500 and len(corpus.forms()) >= 12 and covered),
        Row("", "requests: 2xx / 4xx / 5xx or transport errors",
            f"{sum(v for k, v in total.items() if isinstance(k, int) and k < 300)} / "
            f"{sum(v for k, v in total.items() if isinstance(k, int) and 400 <= k < 500)} / {len(sent.errors)}",
            "errors 0", not sent.errors),
        Row("", "hits in SQLite/-wal/-shm/log/stderr: running / stopped", f"{hits_running} / {hits_after}", "0 / 0",
            hits_running == 0 and hits_after == 0),
        Row("", f"legitimate numbers ({len(corpus.legit)}): false masks", len(false), "0", not false),
        Row("", f"our patterns: recall / false masks ({ours['total']} cases)",
            f"{ours['recall']:.2%} / {len(ours['false_masks'])}", "100% / 0",
            ours["recall"] == 1 and not ours["false_masks"]),
    ]
    if "jionlp" in detectors:
        j = detectors["jionlp"]
        rows.append(Row("", "jionlp extractors: recall / false masks", f"{j['recall']:.2%} / {len(j['false_masks'])}",
                        "(compared)", True))
    rows.append(Row("", "server log: errors / tracebacks", server_errors, "0", server_errors == 0))
    return rows


def _staff_rows(no_key: dict[str, Any], key: dict[str, Any]) -> list[Row]:
    if "error" in no_key or "error" in key:
        return [Row("8 staff", "probe", (no_key.get("error") or key.get("error") or "")[:40], "runs", False)]
    far = [no_key[k] for k in ("rules from far", "search from far", "documents from far", "calc from far")]
    forged = no_key["redirect with forged Host"]["location"] or ""
    allowed = no_key["redirect with allowed Host"]["location"] or ""
    return [
        Row("8 staff", f"probe from ({no_key['mode']})", no_key["peer address seen"] or "?", "not 127.*",
            bool(no_key["peer address seen"]) and not no_key["peer address seen"].startswith("127.")),
        Row("", "no key: 4 staff endpoints from far", "/".join(map(str, far)), "403",
            far == [403] * 4),
        Row("", "no key: from loopback / via a local proxy",
            f"{no_key['rules from loopback']} / {no_key['rules from loopback via proxy']}", "200 / 403",
            no_key["rules from loopback"] == 200 and no_key["rules from loopback via proxy"] == 403),
        Row("", "key: far without / with key, loopback without",
            f"{key['rules from far']} / {key['rules from far with key']} / {key['rules from loopback']}",
            "401/200/401", (key["rules from far"], key["rules from far with key"], key["rules from loopback"])
            == (401, 200, 401)),
        Row("", "chat and /healthz from far (both servers)",
            f"{no_key['chat from far']},{no_key['healthz from far']} / {key['chat from far']},{key['healthz from far']}",
            "200", {no_key["chat from far"], no_key["healthz from far"], key["chat from far"],
                    key["healthz from far"]} == {200}),
        Row("", "start-up line about staff access (both)",
            "yes" if no_key["start-up line"] and key["start-up line"] else "no", "yes",
            bool(no_key["start-up line"]) and bool(key["start-up line"])),
        Row("", "redirect Location: forged Host / allow-listed Host",
            f"{'relative' if forged.startswith('/') else forged[:18]} / "
            f"{'absolute' if allowed.startswith('http://' + staff_access.ALLOWED_HOST) else allowed[:18]}",
            "rel / abs", forged.startswith("/") and allowed.startswith("http://" + staff_access.ALLOWED_HOST)),
    ]


def print_table(rows: list[Row]) -> None:
    widths = [11, 48, 18, 9]
    head = ("item", "figure", "value", "goal", "")
    print("  ".join(h.ljust(w) for h, w in zip(head, widths + [4])))
    print("-" * (sum(widths) + 2 * len(widths) + 4))
    for r in rows:
        mark = "ok" if r.ok else "MISS"
        print("  ".join([r.item.ljust(widths[0]), r.figure.ljust(widths[1]), str(r.value).rjust(widths[2]),
                         r.goal.rjust(widths[3]), mark]))


def _details(title: str, lines: list[str], limit: int = 8) -> None:
    if lines:
        print(f"\n{title} ({len(lines)}):")
        for line in lines[:limit]:
            print("  " + line)


def issue16_rows(embedder: Any, seed: Path | None, items: set[int]) -> tuple[list[Row], list[str]]:
    """Items 6-8 (hardening issue 16), each against servers of its own; (rows, details to print)."""
    from assistant.settings import Settings

    rows: list[Row] = []
    details: list[str] = []
    with tempfile.TemporaryDirectory(prefix="pqa-issue16-") as tmp:
        ws = Workspace.create(Path(tmp) / "ws", embedder, seed)
        if 6 in items:
            log.info("(6) slow clients")
            env = server_env(ws, **slow_clients.SERVER_ENV)
            env.pop("POLICY_QA_MAX_CONCURRENT_REQUESTS")  # the default slots and share are the point here
            env.pop("POLICY_QA_MAX_CLIENT_SHARE")
            with run_server(env, ws.root / "slow.stderr", ws.root / "slow.log") as server:
                slow = slow_clients.run_slow_clients(server.url).figures()
            rows += _slow_rows(slow, Settings(corpus_dir=ws.corpus).body_timeout_s)
            details.append("slow clients: " + json.dumps(slow, ensure_ascii=False, default=str))
        if 7 in items:
            log.info("(7) personal numbers in every form, field and header")
            corpus = pii_forms.build_corpus()
            pii_ws = Workspace.create(Path(tmp) / "pii", embedder, seed)
            env = server_env(pii_ws)
            stderr = pii_ws.root / "server.stderr"
            db = pii_ws.db_path
            files = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm"), pii_ws.log_path, stderr]
            with run_server(env, stderr, pii_ws.log_path) as server:
                sent = pii_forms.send_everywhere(server.url, corpus)
                running = pii_forms.search_files(sent.planted, files)
                errors = server.error_lines()
            after = pii_forms.search_files(sent.planted, files)
            false = pii_forms.false_masks(db, pii_ws.log_path, sent)
            detectors = compare_pii_detectors()
            rows += _pii_forms_rows(corpus, sent, running, after, false, detectors, len(errors))
            details += [f"PII hits in {name}: {found[:5]}" for name, found in {**running, **after}.items() if found]
            details += [f"false mask: {x}" for x in false[:5]] + sent.errors[:5]
        if 8 in items:
            log.info("(8) staff endpoints from a non-loopback address")
            env = server_env(ws)
            no_key, key = staff_access.probe(env), staff_access.probe(env, staff_access.STAFF_KEY)
            rows += _staff_rows(no_key, key)
            details.append("staff probes: " + json.dumps({"no key": no_key, "key": key}, ensure_ascii=False))
    return rows, details


def main(argv: list[str] | None = None) -> int:
    items = {int(a) for a in (argv or [])} or set(range(1, 9))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    for noisy in ("httpx", "bm25s", "chromadb", "sentence_transformers", "jieba"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    t0 = time.monotonic()
    from assistant.settings import Settings
    from index.embed import load_embedder
    from index.store import active_version

    settings = Settings()
    embedder = load_embedder(settings.embedding_model, settings.embedding_threads)
    seed = settings.index_dir if active_version(settings.index_dir) else None
    inputs = load_bad_inputs()
    rows: list[Row] = []
    details: list[tuple[str, list[str], int]] = []
    rebuild_ok = True

    if 5 in items:
        log.info("(5) storage faults")
        storage = storage_figures()
    if 3 in items:
        log.info("(3) PII masking over 10,000 planted numbers each")
        masking = pii_figures(10_000)
    if 4 in items:
        log.info("(4) rebuild under load")
        rebuild = rebuild_figures(embedder=embedder, seed_index=seed)
        rebuild_ok = rebuild_passed(rebuild)

    if items & {1, 2, 3}:
        with tempfile.TemporaryDirectory(prefix="pqa-reliability-") as tmp:
            ws = Workspace.create(Path(tmp) / "ws", embedder, seed)
            env = server_env(ws)
            stderr_path = ws.root / "server.stderr"
            plan = plan_pii_chats()
            with run_server(env, stderr_path, ws.log_path) as server:
                if 1 in items:
                    log.info("(1) bad input over HTTP: %d inputs", len(inputs))
                    http = bad_inputs_http(server.url, inputs)
                if 2 in items:
                    log.info("(2) XSS payloads in Chromium")
                    xss = xss_figures(server.url, load_xss_payloads())
                if 3 in items:
                    log.info("(3) %d chats with planted PII", len(plan.questions))
                    statuses = run_pii_chats(server.url, plan)
                wal = ws.db_path.with_name(ws.db_path.name + "-wal")
                shm = ws.db_path.with_name(ws.db_path.name + "-shm")
                running = search_files(plan.planted, [ws.db_path, wal, shm, ws.log_path, stderr_path])
                server_errors = server.error_lines()
            # stopped: SQLite has checkpointed the WAL into the main file and the log handlers are closed
            after = search_files(plan.planted, [ws.db_path, wal, ws.log_path, stderr_path])
            if 1 in items:
                log.info("(1) bad input through the CLI")
                cli = bad_inputs_cli(env, inputs, Path(tmp))
        if 1 in items:
            rows += _http_rows(http, cli)
            details += [("HTTP problems", http["problems"], 8),
                        ("CLI problems", [p for r in cli.values() for p in r["problems"]], 8)]
        if 2 in items:
            rows += _xss_rows(xss)
            details.append(("XSS findings", [f"{face}: {x}" for face, r in xss.items()
                                             for x in r["dialogs"] + r["injected"] + r["problems"]], 8))
        if 3 in items:
            rows += _pii_rows(masking, plan, statuses, running, after, len(server_errors))
        details.append(("server errors (bad-input/XSS/PII server)", server_errors, 5))
    if 4 in items:
        rows += _rebuild_rows(rebuild)
        details.append(("rebuild: failures and mixed answers",
                        rebuild["swap"]["failures"] + rebuild["swap"]["mixed_examples"] + rebuild["kill"]["failures"]
                        + rebuild["kill"]["mixed_examples"] + rebuild["server_error_examples"], 6))
    if 5 in items:
        rows += _storage_rows(storage)
    if items & {6, 7, 8}:
        issue16, issue16_details = issue16_rows(embedder, seed, items)
        rows += issue16
        details.append(("issue 16 details", issue16_details, 12))

    print(f"policy-qa reliability report (hardening issues, items {', '.join(map(str, sorted(items)))})")
    print_table(rows)
    for title, lines, limit in details:
        _details(title, lines, limit)
    ok = all(r.ok for r in rows) and rebuild_ok
    print(f"\nresult: {'all goals met' if ok else 'GOALS MISSED'}; runtime {time.monotonic() - t0:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
