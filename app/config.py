"""Configuration read from the environment (docs/architecture.md, Environment)."""

from __future__ import annotations

import os
import secrets
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from pathlib import Path

PLATFORMS = ("x", "bluesky", "mastodon", "threads", "instagram", "facebook", "linkedin", "tiktok")


def instance_path() -> Path:
    path = Path(os.environ.get("OPENPOST_INSTANCE_PATH", Path.cwd() / "instance")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _persistent_secret(name: str, env: str, make) -> str:
    """Use the environment's value, else one generated once and kept under instance/."""
    value = os.environ.get(env)
    if value:
        return value
    path = instance_path() / name
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def secret_key() -> str:
    return _persistent_secret("secret.key", "OPENPOST_SECRET_KEY", lambda: secrets.token_hex(32))


def encryption_keys() -> list[str]:
    import base64

    raw = _persistent_secret(
        "encryption.keys",
        "OPENPOST_ENCRYPTION_KEYS",
        lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    )
    return [k.strip() for k in raw.split(",") if k.strip()]


def max_image_pixels() -> int:
    """Largest image (width × height) accepted; bigger ones are refused before decoding."""
    return int(os.environ.get("OPENPOST_MAX_IMAGE_PIXELS", 50_000_000))


def session_lifetimes() -> tuple[timedelta, timedelta]:
    """(idle, absolute): a browser session ends after this long unused, or this long after
    sign-in however much it is used."""
    idle = float(os.environ.get("OPENPOST_SESSION_IDLE_DAYS") or 30)
    absolute = float(os.environ.get("OPENPOST_SESSION_MAX_DAYS") or 90)
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
    return os.environ.get(f"OPENPOST_{platform.upper()}_API_URL", default).rstrip("/")


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
    return os.environ.get("OPENPOST_ALLOW_PRIVATE_HOSTS", "").lower() in ("1", "true", "yes")


def public_url() -> str:
    return os.environ.get("OPENPOST_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")


def load() -> dict:
    """The Flask config mapping for create_app."""
    public_url_ = public_url()
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
        "MAX_CONTENT_LENGTH": int(os.environ.get("OPENPOST_MAX_BODY_BYTES", 64 * 1024 * 1024)),
        "MAX_JSON_BYTES": int(os.environ.get("OPENPOST_MAX_JSON_BYTES", 1024 * 1024)),
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": secure,
        "RUN_SCHEDULER": False,
        # The fake platforms under /sandbox (app/sandbox/mount.py): on, off, or unset (on only
        # for `openpost serve` bound to loopback, which sets SANDBOX_SERVE_HOST).
        "SANDBOX": os.environ.get("OPENPOST_SANDBOX", ""),
        "SANDBOX_SERVE_HOST": None,
        "SESSION_LIFETIMES": session_lifetimes(),  # read here so a bad value stops startup
    }
