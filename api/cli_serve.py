"""`policy-qa serve`: the HTTP service, on one uvicorn process or several (registered by api/cli.py).

With `--workers N` uvicorn's supervisor starts N processes on one socket; each opens the model and the
index itself (`app_from_environment`) and they share what every replica shares (the conversation store,
the index directory's ACTIVE). Embedding threads are split between them so they do not oversubscribe the
cores; rate limits are per process unless `DATABASE_URL` is PostgreSQL (see README, Several replicas).
"""

from __future__ import annotations

import logging
import os
import sys

import click

__all__ = ["serve_command"]


@click.command("serve")
@click.option("--host", default=None, help="监听地址（默认 127.0.0.1，见 POLICY_QA_HOST）")
@click.option("--port", type=int, default=None, help="端口（默认 8000，见 POLICY_QA_PORT）")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default="info", show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="服务进程数：多个进程共用一个端口，各自加载模型与索引（每个约 0.8 GB 内存）")
def serve_command(host: str | None, port: int | None, log_level: str, workers: int) -> None:
    """启动问答服务：演示页 /、工作台 /console、接口 /api、OpenAI 兼容接口 /v1。"""
    import uvicorn
    from rich.console import Console

    from api.app import create_app
    from api.cli import _settings

    settings = _settings(host=host, port=port)
    _prepare_process(settings, log_level)
    app = create_app(settings) if workers == 1 else None
    base = f"http://{settings.host}:{settings.port}"
    console = Console(stderr=True, soft_wrap=True)
    console.print(f"[bold]policy-qa[/bold] 正在启动（模型与索引在后台加载，就绪检查 {base}/readyz）")
    console.print(f"  演示页（问答组件）  {base}/")
    console.print(f"  工作台（12333）     {base}/console")
    console.print(f"  接口文档            {base}/docs")
    console.print(f"  OpenAI 兼容         {base}/v1")
    if workers > 1:
        # the workers read their settings from the environment: pass on what the options changed, and split
        # the cores' embedding threads between them unless a number was set
        os.environ["POLICY_QA_HOST"], os.environ["POLICY_QA_PORT"] = settings.host, str(settings.port)
        os.environ["POLICY_QA_WORKER_LOG_LEVEL"] = log_level
        if not settings.embedding_threads:
            os.environ["POLICY_QA_EMBEDDING_THREADS"] = str(max(1, (os.cpu_count() or 1) // workers))
        if not settings.answer_workers:
            os.environ["POLICY_QA_ANSWER_WORKERS"] = str(max(1, (os.cpu_count() or 1) // workers))
        console.print(f"  进程数              {workers}")
    config = uvicorn.Config(
        app if app is not None else "api.cli_serve:app_from_environment",
        factory=app is None,
        workers=workers if workers > 1 else None,
        host=settings.host,
        port=settings.port,
        log_config=None,  # our JSON, PII-masking handlers on the root logger carry uvicorn's records too
        access_log=False,  # guards.RequestContext writes one structured access line per request
        # rate limits and slot shares key on the client address: the socket peer, or, for requests from a
        # listed proxy only, the address that proxy put in X-Forwarded-For (anyone else could forge one)
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies),
        timeout_keep_alive=settings.keep_alive_s,
        timeout_graceful_shutdown=5,
    )
    if workers > 1:
        from uvicorn.supervisors import Multiprocess

        sock = config.bind_socket()
        Multiprocess(config, sockets=[sock]).run()
    else:
        uvicorn.Server(config).run()


def _prepare_process(settings, log_level: str) -> None:
    """What every serving process sets before its app: the GIL switch interval and the JSON log."""
    from api.logs import configure_logging

    sys.setswitchinterval(settings.switch_interval_s)
    configure_logging(getattr(logging, log_level.upper(), logging.INFO), settings.log_path)


def app_from_environment():
    """One worker's app (`serve --workers N`): settings from the environment the supervisor passed on."""
    from api.app import create_app
    from api.cli import _settings

    settings = _settings()
    _prepare_process(settings, os.environ.get("POLICY_QA_WORKER_LOG_LEVEL", "info"))
    return create_app(settings)
