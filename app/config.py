"""Configuration read from the environment, in one place (docs/architecture.md, Environment).

`settings()` reads every OPENPOST_* variable into a frozen, typed `Settings` at call time, so
a changed environment (a test's monkeypatch.setenv, a CLI command's setdefault) is seen at
once. A value that does not parse stops with an error naming the variable. No other module
reads an OPENPOST_* variable from os.environ (tests/test_settings.py checks it)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from typing import Any

PLATFORMS = ("x", "bluesky", "mastodon", "threads", "instagram", "facebook", "linkedin", "tiktok")

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")


def _var(env: str, meaning: str, default: Any, kind: str = "") -> Any:
    return field(default=default, metadata={"env": env, "meaning": meaning, "kind": kind})


def _parse(env: str, kind: str, raw: str) -> Any:
    """`raw` (never empty) as `kind`; a clear error naming the variable when it does not fit."""
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "rate":
            count, window = (int(x) for x in raw.split("/"))
            return count, window
    except ValueError:
        what = {"int": "a whole number", "float": "a number",
                "rate": "like 600/60 (requests/seconds)"}[kind]
        raise ValueError(f"{env} must be {what}, got {raw!r}") from None
    if kind == "bool":
        if raw.lower() in TRUE:
            return True
        if raw.lower() in FALSE:
            return False
        raise ValueError(f"{env} must be one of 1/true/yes/on or 0/false/no/off, got {raw!r}")
    return raw


@dataclass(frozen=True)
class Platform:
    """One platform's app credentials and API base (OPENPOST_<PLATFORM>_*); "" when unset."""

    client_id: str
    client_secret: str
    api_url: str


@dataclass(frozen=True)
class Settings:
    """Every OPENPOST_* variable: its field's type and default, `env` its name, `meaning` one
    line. An empty value counts as unset. Engine variables are the fields of EngineConfig
    (jobs/config.py), each read as OPENPOST_<FIELD> into `engine`; per-platform ones are read
    through `platform(name)`."""

    instance_path: str = _var("OPENPOST_INSTANCE_PATH", "folder for generated secrets, local "
                              "media and the embedded database (default ./instance)", "")
    secret_key: str = _var("OPENPOST_SECRET_KEY", "signs session cookies (unset: generated "
                           "once under the instance folder)", "")
    encryption_keys: str = _var("OPENPOST_ENCRYPTION_KEYS", "comma-separated keys, newest first, "
                                "for stored credentials and media (unset: generated)", "")
    public_url: str = _var("OPENPOST_PUBLIC_URL", "the address users and platforms reach",
                           "http://127.0.0.1:8000")
    allow_private_hosts: bool = _var("OPENPOST_ALLOW_PRIVATE_HOSTS", "development and tests "
                                     "only: reach loopback and private addresses", False, "bool")
    sandbox: str = _var("OPENPOST_SANDBOX", "the fake platforms under /sandbox: on, off or unset "
                        "(app/sandbox/mount.py)", "")
    max_image_pixels: int = _var("OPENPOST_MAX_IMAGE_PIXELS", "largest image (width × height) "
                                 "accepted", 50_000_000, "int")
    max_body_bytes: int = _var("OPENPOST_MAX_BODY_BYTES", "largest request body",
                               64 * 1024 * 1024, "int")
    max_json_bytes: int = _var("OPENPOST_MAX_JSON_BYTES", "largest JSON request body",
                               1024 * 1024, "int")
    session_idle_days: float = _var("OPENPOST_SESSION_IDLE_DAYS", "a browser session ends after "
                                    "this long unused", 30.0, "float")
    session_max_days: float = _var("OPENPOST_SESSION_MAX_DAYS", "a browser session ends this "
                                   "long after sign-in", 90.0, "float")
    trusted_proxies: int = _var("OPENPOST_TRUSTED_PROXIES", "proxies in front whose "
                                "X-Forwarded-* headers are believed", 0, "int")
    login_rate: tuple[int, int] = _var("OPENPOST_LOGIN_RATE", "sign-in attempts per account "
                                       "(COUNT/SECONDS)", (10, 300), "rate")
    login_ip_rate: tuple[int, int] = _var("OPENPOST_LOGIN_IP_RATE", "sign-in attempts per "
                                          "address (COUNT/SECONDS)", (1000, 300), "rate")
    api_rate: tuple[int, int] = _var("OPENPOST_API_RATE", "REST requests per API key "
                                     "(COUNT/SECONDS)", (1200, 60), "rate")
    api_anon_rate: tuple[int, int] = _var("OPENPOST_API_ANON_RATE", "REST requests per address "
                                          "without a key (COUNT/SECONDS)", (60, 60), "rate")
    metrics_token: str = _var("OPENPOST_METRICS_TOKEN", "bearer token /metrics asks for "
                              "(unset: open)", "")
    worker_metrics_port: int = _var("OPENPOST_WORKER_METRICS_PORT", "port a worker serves its "
                                    "metrics on (0: none)", 0, "int")
    worker_metrics_host: str = _var("OPENPOST_WORKER_METRICS_HOST", "address a worker serves "
                                    "its metrics on", "127.0.0.1")
    media_backend: str = _var("OPENPOST_MEDIA_BACKEND", "where media files live: local or s3",
                              "local")
    s3_bucket: str = _var("OPENPOST_S3_BUCKET", "the bucket, with OPENPOST_MEDIA_BACKEND=s3", "")
    s3_endpoint_url: str = _var("OPENPOST_S3_ENDPOINT_URL", "an S3-compatible endpoint (unset: "
                                "AWS)", "")
    log_format: str = _var("OPENPOST_LOG_FORMAT", "plain or json", "plain")
    log_level: str = _var("OPENPOST_LOG_LEVEL", "the root logger's level", "INFO")
    bluesky_video_url: str = _var("OPENPOST_BLUESKY_VIDEO_URL", "the Bluesky video service "
                                  "(unset: Bluesky's own)", "")
    engine: Mapping[str, Any] = field(default_factory=dict)
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            name = f.metadata.get("env")
            raw = env.get(name, "") if name else ""
            if raw:
                values[f.name] = _parse(name, f.metadata["kind"], raw)
        ours = {k: v for k, v in env.items() if k.startswith("OPENPOST_")}
        return cls(**values, engine=_engine_values(ours), environ=ours)

    def platform(self, platform: str) -> Platform:
        return Platform(self.environ.get(f"OPENPOST_{platform.upper()}_CLIENT_ID", ""),
                        self.environ.get(f"OPENPOST_{platform.upper()}_CLIENT_SECRET", ""),
                        self.environ.get(f"OPENPOST_{platform.upper()}_API_URL", ""))

    def operator_urls(self) -> list[str]:
        """Base URLs the operator configured: every OPENPOST_*_API_URL and *_VIDEO_URL."""
        return [value for name, value in self.environ.items()
                if name.endswith(("_API_URL", "_VIDEO_URL")) and value]

    def is_set(self, env: str) -> bool:
        """Whether the variable `env` (an OPENPOST_* name) has a value."""
        return bool(self.environ.get(env))


def _engine_values(env: Mapping[str, str]) -> dict[str, Any]:
    """The EngineConfig fields set in the environment, parsed by the field's type."""
    from jobs.config import EngineConfig

    values: dict[str, Any] = {}
    for f in fields(EngineConfig):
        name = f"OPENPOST_{f.name.upper()}"
        raw = env.get(name, "")
        if raw:
            kind = {bool: "bool", int: "int", float: "float"}[type(f.default)]
            values[f.name] = _parse(name, kind, raw)
    return values


def settings() -> Settings:
    """The current settings, read from the environment now."""
    return Settings.from_env()


def describe() -> list[tuple[str, str, Any, str]]:
    """(variable, type, default, meaning) for each named variable, in declaration order."""
    return [(f.metadata["env"], str(f.type), f.default, f.metadata["meaning"])
            for f in fields(Settings) if "env" in f.metadata]


def instance_path() -> Path:
    path = Path(settings().instance_path or Path.cwd() / "instance").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _persistent_secret(name: str, value: str, make) -> str:
    """Use the environment's value, else one generated once and kept under instance/."""
    if value:
        return value
    path = instance_path() / name
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def secret_key() -> str:
    return _persistent_secret("secret.key", settings().secret_key, lambda: secrets.token_hex(32))


def encryption_keys() -> list[str]:
    import base64

    raw = _persistent_secret(
        "encryption.keys",
        settings().encryption_keys,
        lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    )
    return [k.strip() for k in raw.split(",") if k.strip()]


def max_image_pixels() -> int:
    """Largest image (width × height) accepted; bigger ones are refused before decoding."""
    return settings().max_image_pixels


def session_lifetimes() -> tuple[timedelta, timedelta]:
    """(idle, absolute): a browser session ends after this long unused, or this long after
    sign-in however much it is used."""
    current = settings()
    idle, absolute = current.session_idle_days, current.session_max_days
    if not (0 < idle <= 3650 and 0 < absolute <= 3650):
        raise ValueError("OPENPOST_SESSION_IDLE_DAYS and OPENPOST_SESSION_MAX_DAYS must be "
                         "between 0 and 3650 days")
    return timedelta(days=idle), timedelta(days=absolute)


# While set, every platform's API is this server's sandbox (a sandbox channel is being served).
_SANDBOX_ROUTE: ContextVar[str | None] = ContextVar("sandbox_route", default=None)


def platform_api_url(platform: str, default: str) -> str:
    """The platform's API: the sandbox's fake for a sandbox channel (sandbox_routes), else
    OPENPOST_<PLATFORM>_API_URL, else the platform's own."""
    routed = _SANDBOX_ROUTE.get()
    if routed:
        return f"{routed}/{platform}"
    return (settings().platform(platform).api_url or default).rstrip("/")


@contextmanager
def sandbox_routes(settings: dict | None):
    """Within it, a channel whose settings say `sandbox` reaches every platform API at this
    server's sandbox (PUBLIC_URL/sandbox), needing no OPENPOST_<PLATFORM>_API_URL. Only the
    connect flow of a mounted sandbox sets that flag; other channels are left as they are."""
    if not (settings or {}).get("sandbox"):
        yield
        return
    token = _SANDBOX_ROUTE.set(f"{public_url()}/sandbox")
    try:
        yield
    finally:
        _SANDBOX_ROUTE.reset(token)


def allow_private_hosts() -> bool:
    return settings().allow_private_hosts


def public_url() -> str:
    return settings().public_url.rstrip("/")


def load() -> dict:
    """The Flask config mapping for create_app."""
    current = settings()
    public_url_ = current.public_url.rstrip("/")
    secure = public_url_.startswith("https://")
    return {
        "SECRET_KEY": secret_key(),
        "PUBLIC_URL": public_url_,
        "SMTP_URL": os.environ.get("SMTP_URL", ""),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        "SESSION_COOKIE_NAME": "openpost_session",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure,
        "MAX_CONTENT_LENGTH": current.max_body_bytes,
        "MAX_JSON_BYTES": current.max_json_bytes,
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": secure,
        "RUN_SCHEDULER": False,
        # The fake platforms under /sandbox (app/sandbox/mount.py): on, off, or unset (on only
        # for `openpost serve` bound to loopback, which sets SANDBOX_SERVE_HOST).
        "SANDBOX": current.sandbox,
        "SANDBOX_SERVE_HOST": None,
        "SESSION_LIFETIMES": session_lifetimes(),  # read here so a bad value stops startup
    }
