"""What every platform's sign-in shares: the verified account a connect flow ends with, the
public-URL check for instance and PDS addresses, PKCE, the app's client ids, consent-page
addresses and token answers. Each platform's own steps are in its package's oauth.py (and
connect.py where it can be connected without a browser)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from app import config, net
from app.config import allow_private_hosts
from app.errors import ValidationFailed
from app.platforms.errors import PlatformRejected
from app.platforms.http import json_or_empty, lifetime, platform_message


@dataclass
class Verified:
    credentials: dict
    settings: dict
    handle: str
    display_name: str = ""
    token_expires_at: object = None
    extra: dict = field(default_factory=dict)


def check_public_url(url: str, field_name: str) -> str:
    """An instance or PDS URL must be https on a public host (any host when private hosts are
    allowed). This is the early, friendly check: every later connection is vetted again."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValidationFailed(f"{field_name} must be an https:// URL", field=field_name)
    if allow_private_hosts():
        return url.rstrip("/")
    if parts.scheme != "https":
        raise ValidationFailed(f"{field_name} must use https", field=field_name)
    try:
        net.check_url(url)
    except net.Unresolvable as exc:
        raise ValidationFailed(f"{field_name}: {parts.hostname} could not be resolved",
                               field=field_name) from exc
    except net.UnsafeDestination as exc:
        raise ValidationFailed(f"{field_name} points at a private address: {exc} (OpenPost "
                               "connects only to public hosts)", field=field_name) from exc
    return url.rstrip("/")


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def env(platform: str, name: str) -> str:
    """The platform's CLIENT_ID, CLIENT_SECRET or API_URL setting ("" when unset)."""
    return getattr(config.settings().platform(platform), name.lower())


def client_id(platform: str) -> str:
    value = config.settings().platform(platform).client_id
    if not value:
        raise ValidationFailed(f"set OPENPOST_{platform.upper()}_CLIENT_ID (and _SECRET) to "
                               f"connect {platform} channels", field="platform")
    return value


def consent_page(platform: str, host: str, path: str, sandbox_path: str | None = None) -> str:
    """The platform's consent page; beside the API when the API URL is overridden (sandbox)."""
    override = env(platform, "API_URL")
    if override:
        return override.rstrip("/") + (sandbox_path or path)
    return host + path


def reply(response: httpx.Response, platform: str) -> dict:
    body = json_or_empty(response)
    if response.status_code != 200 or not body:
        error = body.get("error")
        message = platform_message(response, error.get("message") if isinstance(error, dict)
                                   else None, body.get("error_description"), error)
        raise PlatformRejected(f"{platform}: {message}", status=response.status_code)
    return body


def offering(base: Verified, choices: list[dict]) -> Verified:
    """`base` (what every choice shares) as the first choice, carrying all of them. A choice is
    {"id", "label", "handle", "display_name", "credentials", "settings"}: the last two are
    laid over the base's."""
    verified = apply(base, choices[0])
    verified.extra["choices"] = choices
    verified.extra["base"] = base
    return verified


def apply(base: Verified, choice: dict) -> Verified:
    return Verified(credentials={**base.credentials, **choice.get("credentials", {})},
                    settings={**base.settings, **choice.get("settings", {})},
                    handle=choice.get("handle") or base.handle,
                    display_name=choice.get("display_name") or base.display_name,
                    token_expires_at=base.token_expires_at)


def refreshed(creds: dict, body: dict, default_lifetime: int, refresh_lifetime: str) -> dict:
    """The credentials after a refresh answer `body`: its access token and expiry (its
    `expires_in`, else `default_lifetime` seconds), the refresh token it gives (else the one
    sent) and, where the answer names it in `refresh_lifetime`, when that refresh token ends."""
    now = int(time.time())
    new = {**creds, "access_token": body["access_token"],
           "refresh_token": body.get("refresh_token", creds["refresh_token"]),
           "expires_at": now + lifetime(body.get("expires_in"), default_lifetime)}
    if body.get(refresh_lifetime):
        new["refresh_expires_at"] = now + lifetime(body[refresh_lifetime], 0)
    return new
