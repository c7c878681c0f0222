"""`policy-qa serve`: the HTTP service on one uvicorn process (registered by api/cli.py)."""

from __future__ import annotations

import logging
import sys

import click

__all__ = ["serve_command"]


@click.command("serve")
@click.option("--host", default=None, help="监听地址（默认 127.0.0.1，见 POLICY_QA_HOST）")
@click.option("--port", type=int, default=None, help="端口（默认 8000，见 POLICY_QA_PORT）")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default="info", show_default=True)
def serve_command(host: str | None, port: int | None, log_level: str) -> None:
    """启动问答服务：演示页 /、工作台 /console、接口 /api、OpenAI 兼容接口 /v1。"""
    import uvicorn
    from rich.console import Console

    from api.app import create_app
    from api.cli import _settings
    from api.logs import configure_logging

    settings = _settings(host=host, port=port)
    sys.setswitchinterval(settings.switch_interval_s)
    configure_logging(getattr(logging, log_level.upper()), settings.log_path)
    app = create_app(settings)
    base = f"http://{settings.host}:{settings.port}"
    console = Console(stderr=True, soft_wrap=True)
    console.print(f"[bold]policy-qa[/bold] 正在启动（模型与索引在后台加载，就绪检查 {base}/readyz）")
    console.print(f"  演示页（问答组件）  {base}/")
    console.print(f"  工作台（12333）     {base}/console")
    console.print(f"  接口文档            {base}/docs")
    console.print(f"  OpenAI 兼容         {base}/v1")
    config = uvicorn.Config(
        app,
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
    uvicorn.Server(config).run()
