"""Expiring signed URLs for media, scoped to their workspace, for platforms that pull by URL.

No Flask context needed: workers sign links too."""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlencode

from app import config
from app.errors import Forbidden

DEFAULT_TTL = 3600


def _signature(workspace_id: str, media_id: str, expires: int, variant: str) -> str:
    key = config.secret_key().encode()
    message = f"media|{workspace_id}|{media_id}|{expires}|{variant}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def signed_path(workspace_id, media_id, variant: str = "", ttl: int = DEFAULT_TTL,
                now: float | None = None) -> str:
    """The link's path and query (for pages this server shows itself)."""
    expires = int((now or time.time()) + ttl)
    query = {"w": str(workspace_id), "e": expires, "s": _signature(str(workspace_id),
                                                                  str(media_id), expires, variant)}
    if variant:
        query["v"] = variant
    return f"/m/{media_id}?{urlencode(query)}"


def signed_url(workspace_id, media_id, variant: str = "", ttl: int = DEFAULT_TTL,
               now: float | None = None) -> str:
    """The full link, on OPENPOST_PUBLIC_URL, for platforms that fetch media themselves."""
    return config.public_url() + signed_path(workspace_id, media_id, variant, ttl, now)


def verify(media_id, args, now: float | None = None) -> tuple[str, str]:
    """(workspace id, variant) of a valid link, else Forbidden (expired or tampered)."""
    workspace_id, variant = args.get("w", ""), args.get("v", "")
    try:
        expires = int(args.get("e", ""))
    except ValueError as exc:
        raise Forbidden("this media link is not valid") from exc
    expected = _signature(workspace_id, str(media_id), expires, variant)
    if not hmac.compare_digest(expected.encode(), args.get("s", "").encode()):
        raise Forbidden("this media link is not valid")
    if expires < (now or time.time()):
        raise Forbidden("this media link has expired")
    return workspace_id, variant
