"""The services of a scaled-out deployment, started on this machine without Docker, for tests and benchmarks.

- `PostgresCluster`: `initdb` into a temporary folder and `postgres -h 127.0.0.1 -p <free port> -k <that
  folder>`, trust authentication on loopback only. As root it runs as the `postgres` user (PostgreSQL
  refuses to run as root).
- `ChromaServer`: `chroma run --path <dir> --host 127.0.0.1 --port <free port>` from the venv.
- `Nginx`: a config written to a temporary prefix, `nginx -p <prefix> -c nginx.conf` in the foreground
  (`daemon off`), listening on 127.0.0.1, its pid and logs under the prefix, upstream the given replicas.

Each is a context manager that stops its process and removes its folder. A service that cannot run here
(binary missing) raises `ServiceUnavailable` with one line saying what is missing and how to get it.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

__all__ = ["ServiceUnavailable", "PostgresCluster", "ChromaServer", "Nginx", "free_port", "postgres_bin_dir",
           "nginx_binary", "stop"]

START_TIMEOUT_S = 60.0
# PostgreSQL's own superuser in the test cluster; trust authentication, loopback only
PG_USER = "policy_qa"


class ServiceUnavailable(RuntimeError):
    """A service this machine cannot run; the message is the one line a skip prints."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, grace_s: float = 15) -> None:
    """`sig`, then SIGKILL if the process has not exited within `grace_s`."""
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _wait_port(port: int, proc: subprocess.Popen, what: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}: {log.read_text(errors='replace')[-1500:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {START_TIMEOUT_S:.0f} s")
        time.sleep(0.1)


# ---------------------------------------------------------------- PostgreSQL
def postgres_bin_dir() -> Path | None:
    """The newest /usr/lib/postgresql/<major>/bin holding `postgres` and `initdb` (Debian's layout)."""
    found = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/postgres") if Path(p).with_name("initdb").exists()]
    return max(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0) if found else None


@dataclass
class PostgresCluster:
    root: Path
    port: int
    proc: subprocess.Popen

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{PG_USER}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        """A fresh, empty database; returns its URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def checkpoint(self) -> None:
        """Write every dirty page to the data files (what a test reading the files needs)."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute("CHECKPOINT")

    @classmethod
    @contextlib.contextmanager
    def running(cls) -> Iterator[PostgresCluster]:
        bindir = postgres_bin_dir()
        if bindir is None:
            raise ServiceUnavailable("PostgreSQL server not installed (apt-get install postgresql; "
                                     "scripts/ensure-sysdeps.sh does it)")
        user = None
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                raise ServiceUnavailable("running as root and no 'postgres' user to run PostgreSQL as") from None
        # under /tmp, not pytest's tmp_path: the postgres user must be able to reach the folder
        root = Path(tempfile.mkdtemp(prefix="pqa-pg-"))
        os.chmod(root, 0o755)
        run_as: dict = {}
        if user is not None:
            os.chown(root, user.pw_uid, user.pw_gid)
            run_as = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
        log = root / "postgres.log"
        try:
            subprocess.run(
                [str(bindir / "initdb"), "-D", str(root / "data"), "-U", PG_USER, "--auth=trust",
                 "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"],
                check=True, capture_output=True, cwd=root, **run_as,
            )
            port = free_port()
            with open(log, "wb") as out:
                proc = subprocess.Popen(
                    [str(bindir / "postgres"), "-D", str(root / "data"), "-h", "127.0.0.1", "-p", str(port),
                     "-k", str(root), "-c", "max_connections=200", "-c", "shared_buffers=32MB"],
                    stdout=out, stderr=subprocess.STDOUT, cwd=root, **run_as,
                )
        except subprocess.CalledProcessError as exc:
            shutil.rmtree(root, ignore_errors=True)
            raise RuntimeError(f"initdb failed: {exc.stderr.decode(errors='replace')[-1500:]}") from exc
        try:
            cls._wait_ready(port, proc, log)
            yield cls(root, port, proc)
        finally:
            stop(proc, signal.SIGINT)  # SIGINT = fast shutdown: sessions cut, a clean checkpoint written
            shutil.rmtree(root, ignore_errors=True)

    @staticmethod
    def _wait_ready(port: int, proc: subprocess.Popen, log: Path) -> None:
        import psycopg

        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"postgres exited with {proc.returncode}: {log.read_text(errors='replace')[-1500:]}")
            try:
                with psycopg.connect(f"postgresql://{PG_USER}@127.0.0.1:{port}/postgres", connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)


# ---------------------------------------------------------------- Chroma
@dataclass
class ChromaServer:
    url: str
    proc: subprocess.Popen

    @classmethod
    @contextlib.contextmanager
    def running(cls, path: Path, log: Path) -> Iterator[ChromaServer]:
        chroma = Path(sys.executable).with_name("chroma")
        if not chroma.exists():
            raise ServiceUnavailable(f"chroma CLI not found next to {sys.executable} (pip install chromadb)")
        port = free_port()
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
        with open(log, "wb") as out:
            proc = subprocess.Popen([str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                                    stdout=out, stderr=subprocess.STDOUT, env=env)
        try:
            _wait_port(port, proc, "chroma", log)
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:  # listening is not answering: wait for the heartbeat
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(url + "/api/v2/heartbeat", timeout=2).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError("chroma did not answer its heartbeat")
                time.sleep(0.2)
            yield cls(url, proc)
        finally:
            stop(proc)


# ---------------------------------------------------------------- nginx
def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)


NGINX_CONF = """\
# written by benchmarks/local_services.py: foreground, loopback only, everything under the prefix
daemon off;
master_process on;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
{user_line}
events {{ worker_connections 512; }}

http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;

{upstream}
    server {{
        listen 127.0.0.1:{port};
{locations}
    }}
}}
"""


@dataclass
class Nginx:
    url: str
    proc: subprocess.Popen
    prefix: Path

    @classmethod
    @contextlib.contextmanager
    def running(cls, upstream_block: str, locations: str, prefix: Path) -> Iterator[Nginx]:
        """nginx with `upstream_block` (the `upstream … { … }` text) and the server's `locations`."""
        binary = nginx_binary()
        if binary is None:
            raise ServiceUnavailable("nginx not installed (apt-get install nginx-light; scripts/ensure-sysdeps.sh does it)")
        prefix.mkdir(parents=True, exist_ok=True)
        port = free_port()
        # as root nginx's workers would switch to "nobody", who may not write the temp folders under prefix
        user_line = "user root;" if os.geteuid() == 0 else ""
        conf = prefix / "nginx.conf"
        conf.write_text(NGINX_CONF.format(prefix=prefix, port=port, upstream=upstream_block, locations=locations,
                                          user_line=user_line), encoding="utf-8")
        # -e: nginx opens its error log before reading the config; the built-in path is outside the prefix
        args = ["-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
        check = subprocess.run([binary, "-t", *args], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"nginx config rejected: {check.stderr[-1500:]}")
        log = prefix / "stderr.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen([binary, *args], stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_port(port, proc, "nginx", log)
            yield cls(f"http://127.0.0.1:{port}", proc, prefix)
        finally:
            stop(proc, signal.SIGQUIT)  # graceful: the master waits for its worker to finish
