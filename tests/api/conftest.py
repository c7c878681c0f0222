"""A real uvicorn on 127.0.0.1 in a thread, serving the app built from the session `settings` and
`assistant` fixtures (the model loads once per test session). `serve(app)` starts more servers with
other settings (tiny rate limits, one request at a time) for the guard tests."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

# Generous enough that the schema, bad-input and browser tests never meet the guards by accident.
UNLIMITED = {"rate_limit_per_minute": 1_000_000, "rate_limit_burst": 1_000_000, "max_concurrent_requests": 64,
             "max_client_share": 1.0}


@dataclass
class LiveServer:
    url: str
    app: object
    settings: object

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])


@contextlib.contextmanager
def serve(app, settings) -> Iterator[LiveServer]:
    """Run `app` on a free loopback port until the block ends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name=f"uvicorn-{port}")
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", app, settings)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture(scope="session")
def log_file(tmp_path_factory) -> Iterator[Path]:
    """The JSON log of the live servers (configured as `policy-qa serve` does); handlers restored after."""
    from api.logs import configure_logging

    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    path = tmp_path_factory.mktemp("logs") / "policy_qa.log"
    configure_logging(logging.INFO, path)
    yield path
    for h in list(root.handlers):
        root.removeHandler(h)
        h.close()
    for h in saved[0]:
        root.addHandler(h)
    root.setLevel(saved[1])


@pytest.fixture(scope="session")
def api_settings(settings, log_file, tmp_path_factory):
    db = tmp_path_factory.mktemp("api-db") / "policy_qa.sqlite3"
    return settings.model_copy(update={**UNLIMITED, "db_path": db, "log_path": log_file})


@pytest.fixture(scope="session")
def live_server(api_settings, assistant) -> Iterator[LiveServer]:
    from api.app import create_app

    with serve(create_app(api_settings, assistant), api_settings) as live:
        yield live


@pytest.fixture()
def client(live_server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, timeout=30) as c:
        yield c
