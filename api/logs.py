"""Structured JSON logs with a request id, every line passed through PII redaction first."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import time
from pathlib import Path

from assistant.privacy import redact

__all__ = ["configure_logging", "request_id_var", "JsonFormatter"]

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

# color_message: uvicorn's copy of the message with ANSI colours, useless in JSON
_RESERVED = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            # added here, after RedactingFilter has run: masked here too (RequestContext already
            # replaces a client's id that carries a personal number; this covers any other setter)
            "request_id": redact(str(getattr(record, "request_id", None) or request_id_var.get())),
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and key not in payload and not key.startswith("_"):
                payload[key] = value
        # RedactingFilter has already replaced exc_info by a masked traceback in exc_text
        if record.exc_text:
            payload["exc"] = record.exc_text
        elif record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False, default=str)


def configure_logging(level: int = logging.INFO, log_path: Path | None = None) -> None:
    """Configure the root logger once: JSON lines to stderr (and a file), PII masked in every record."""
    from assistant.privacy import RedactingFilter

    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_path:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_path, encoding="utf-8"))
    for h in handlers:
        h.setFormatter(JsonFormatter())
        h.setLevel(level)  # some libraries (bm25s) set DEBUG on their own loggers
        # a filter on the handler sees records from every logger, including third-party ones
        h.addFilter(RedactingFilter())
        root.addHandler(h)
    root.setLevel(level)
    for noisy in ("httpx", "chromadb", "sentence_transformers", "urllib3", "bm25s", "jieba"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
