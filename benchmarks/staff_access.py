"""Staff endpoints and redirects as a client on another machine sees them (hardening issue 16, item 3).

`probe(env)` starts `policy-qa serve --host 0.0.0.0` inside a network namespace of its own (made with
`unshare -rn`, no root needed: a user namespace owns it) holding a veth pair 10.231.0.1 / 10.231.0.2,
so a request from 10.231.0.2 reaches the server from a real non-loopback address, and nothing on the
host's network changes. Where `unshare` is refused, the same probes run on the host against the
server bound to 0.0.0.0 and reached through the machine's own non-loopback address (`fallback`).

Probes, each the status (and for redirects the Location) the server answered:
    staff endpoints (/api/rules, /api/search, /api/documents, /api/calc) from the other address,
    from loopback, from loopback carrying X-Forwarded-For (a reverse proxy on this machine), with and
    without the key; the citizen chat and /healthz from the other address; a trailing-slash redirect
    with a forged Host header and with an allow-listed one; and the server's start-up line about staff access.

    .venv/bin/python benchmarks/staff_access.py         (prints both runs: no key, and a key set)
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from rebuild_under_load import stop_process  # a sibling: benchmarks/ is on sys.path

__all__ = ["probe", "netns_available", "SERVER_ADDR", "CLIENT_ADDR", "ALLOWED_HOST", "STAFF_KEY"]

REPO_ROOT = Path(__file__).resolve().parent.parent
SERVER_ADDR, CLIENT_ADDR = "10.231.0.1", "10.231.0.2"
ALLOWED_HOST = "qa.example.gov.cn"
FORGED_HOST = "evil.example"
STAFF_KEY = "probe-staff-key-0123456789"
READY_TIMEOUT_S = 180.0
_NETNS_SETUP = [
    ["ip", "link", "set", "lo", "up"],
    ["ip", "link", "add", "pqa-srv", "type", "veth", "peer", "name", "pqa-cli"],
    ["ip", "addr", "add", f"{SERVER_ADDR}/24", "dev", "pqa-srv"],
    ["ip", "addr", "add", f"{CLIENT_ADDR}/24", "dev", "pqa-cli"],
    ["ip", "link", "set", "pqa-srv", "up"],
    ["ip", "link", "set", "pqa-cli", "up"],
]


def netns_available() -> bool:
    """True when `unshare -rn` can make a namespace with a veth pair here."""
    if not shutil.which("unshare") or not shutil.which("ip"):
        return False
    script = "; ".join(" ".join(cmd) for cmd in _NETNS_SETUP)
    r = subprocess.run(["unshare", "-rn", "sh", "-c", script], capture_output=True, timeout=30)
    return r.returncode == 0


def non_loopback_address() -> str | None:
    """One IPv4 address of this machine that is not loopback, if it has one."""
    try:
        out = subprocess.run(["ip", "-4", "-o", "addr", "show", "scope", "global"], capture_output=True, text=True,
                             timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in out.splitlines():
        parts = line.split()
        if "inet" in parts:
            return parts[parts.index("inet") + 1].split("/")[0]
    return None


def _free_port(host: str = "0.0.0.0") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _get(base: str, path: str, source: str | None, **kwargs: Any) -> httpx.Response:
    transport = httpx.HTTPTransport(local_address=source) if source else None
    with httpx.Client(base_url=base, timeout=30, transport=transport) as client:
        return client.request(kwargs.pop("method", "GET"), path, **kwargs)


def _probes(server: str, client: str | None, port: int, key: str | None) -> dict[str, Any]:
    far = f"http://{server}:{port}"
    near = f"http://127.0.0.1:{port}"
    with_key = {"X-API-Key": key} if key else {}
    calc = {"rule_id": "job_retention_refund", "params": {"size": "中小微企业"}}
    out: dict[str, Any] = {
        "peer address seen": None,
        "rules from far": _get(far, "/api/rules", client).status_code,
        "search from far": _get(far, "/api/search", client, params={"q": "稳岗"}).status_code,
        "documents from far": _get(far, "/api/documents", client).status_code,
        "calc from far": _get(far, "/api/calc", client, method="POST", json=calc).status_code,
        "rules from loopback": _get(near, "/api/rules", None).status_code,
        "rules from loopback via proxy": _get(near, "/api/rules", None,
                                              headers={"X-Forwarded-For": "203.0.113.9"}).status_code,
        "chat from far": _get(far, "/api/chat", client, method="POST", json={"question": "稳岗返还比例是多少？"}).status_code,
        "healthz from far": _get(far, "/healthz", client).status_code,
    }
    if key:
        out["rules from far with key"] = _get(far, "/api/rules", client, headers=with_key).status_code
        out["search from far with key"] = _get(far, "/api/search", client, params={"q": "稳岗"},
                                               headers=with_key).status_code
    for name, host in (("forged", FORGED_HOST), ("allowed", ALLOWED_HOST)):
        r = _get(near, "/api/suggestions/", None, headers={"Host": host})
        out[f"redirect with {name} Host"] = {"status": r.status_code, "location": r.headers.get("location")}
    return out


def _start_line(stderr: Path) -> str | None:
    """The server's line about staff access (its JSON log goes to stderr too)."""
    for line in stderr.read_text(encoding="utf-8", errors="replace").splitlines():
        if "staff endpoints" in line:
            return line
    return None


def run_here(env: dict[str, str], server: str, client: str | None, key: str | None, workdir: Path) -> dict[str, Any]:
    """Serve on 0.0.0.0 in this network namespace, probe from `client` to `server`, stop; return the probes."""
    port = _free_port()
    env = {**env, "POLICY_QA_PUBLIC_HOSTS": json.dumps([ALLOWED_HOST])}
    env.pop("POLICY_QA_STAFF_API_KEY", None)
    if key:
        env["POLICY_QA_STAFF_API_KEY"] = key
    stderr = workdir / f"server-{'key' if key else 'nokey'}.stderr"
    with open(stderr, "wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--host", "0.0.0.0", "--port", str(port)],
                                env=env, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=err)
    try:
        t0 = time.monotonic()
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() - t0 > READY_TIMEOUT_S:
                return {"error": f"server did not start: {stderr.read_text(errors='replace')[-1500:]}"}
            time.sleep(0.2)
        out = _probes(server, client, port, key)
    finally:
        stop_process(proc)
    out["start-up line"] = _start_line(stderr)
    out["peer address seen"] = _peer_seen(stderr)
    return out


def _peer_seen(stderr: Path) -> str | None:
    """The client address the server's access log recorded for the far /healthz request."""
    for line in stderr.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if rec.get("path") == "/healthz" and rec.get("client") not in (None, "127.0.0.1"):
            return rec["client"]
    return None


def probe(env: dict[str, str], key: str | None = None) -> dict[str, Any]:
    """The probes of one server (no key, or `key`), in a network namespace when possible."""
    with tempfile.TemporaryDirectory(prefix="pqa-staff-") as tmp:
        work = Path(tmp)
        if netns_available():
            args = [sys.executable, str(Path(__file__).resolve()), "--inside", str(work)] + (["--key", key] if key else [])
            r = subprocess.run(["unshare", "-rn", *args], env=env, cwd=REPO_ROOT, capture_output=True, text=True,
                               timeout=READY_TIMEOUT_S + 120)
            if r.returncode != 0:
                return {"mode": "netns", "error": r.stderr[-2000:]}
            return {"mode": "netns", **json.loads(r.stdout.strip().splitlines()[-1])}
        address = non_loopback_address()
        if address is None:
            return {"mode": "none", "error": "no network namespace and no non-loopback address here"}
        return {"mode": f"host address {address}", **run_here(env, address, address, key, work)}


def _inside(workdir: Path, key: str | None) -> int:
    for cmd in _NETNS_SETUP:
        subprocess.run(cmd, check=True, capture_output=True)
    print(json.dumps(run_here(dict(os.environ), SERVER_ADDR, CLIENT_ADDR, key, workdir), ensure_ascii=False))
    return 0


def main(argv: list[str]) -> int:
    if len(argv) > 2 and argv[1] == "--inside":
        key = argv[argv.index("--key") + 1] if "--key" in argv else None
        return _inside(Path(argv[2]), key)
    env = {k: v for k, v in os.environ.items()}
    env.setdefault("HF_HUB_OFFLINE", "1")
    for key in (None, STAFF_KEY):
        print(json.dumps(probe(env, key), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
