"""Checking credentials with the platform before a channel is stored (Bluesky, Mastodon), and
reading what the platform tells about the account and its limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from app import net
from app.config import allow_private_hosts
from app.errors import ValidationFailed
from app.platforms.bluesky import publisher as bluesky
from app.platforms.errors import AuthRevoked, PublishError
from app.platforms.http import check, make_client, send
from app.platforms.mastodon import publisher as mastodon


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


def verify_bluesky(client: httpx.Client, handle: str, app_password: str, pds_url: str) -> Verified:
    pds = check_public_url(pds_url, "pds_url")
    try:
        session = bluesky.create_session(client, pds, handle.lstrip("@"), app_password)
    except AuthRevoked as exc:
        raise ValidationFailed("Bluesky refused this handle and app password "
                               f"({exc.message.split('(', 1)[-1].rstrip(')')})",
                               field="app_password") from exc
    except PublishError as exc:
        raise ValidationFailed(f"the Bluesky server could not be reached: {exc.message}",
                               field="pds_url") from exc
    return Verified(
        credentials={"identifier": session["handle"], "app_password": app_password,
                     "access_jwt": session["accessJwt"], "refresh_jwt": session["refreshJwt"],
                     "did": session["did"]},
        settings={"pds_url": pds, "did": session["did"]}, handle=session["handle"])


def mastodon_limits(client: httpx.Client, instance: str) -> dict:
    """The instance's own limits from GET /api/v2/instance, kept in the channel's settings."""
    response = send(client, "GET", f"{instance}/api/v2/instance", platform="mastodon")
    config = check(response, "mastodon", mastodon.message_of).json().get("configuration", {})
    statuses, media = config.get("statuses", {}), config.get("media_attachments", {})
    limits = {"max_characters": statuses.get("max_characters", 500),
              "max_media_attachments": statuses.get("max_media_attachments", 4),
              "characters_reserved_per_url": statuses.get("characters_reserved_per_url", 23)}
    if media.get("image_size_limit"):
        limits["image_size_limit"] = media["image_size_limit"]
    if media.get("supported_mime_types"):
        limits["supported_mime_types"] = media["supported_mime_types"]
    return limits


def verify_mastodon(client: httpx.Client, instance_url: str, access_token: str) -> Verified:
    instance = check_public_url(instance_url, "instance_url")
    try:
        response = send(client, "GET", f"{instance}/api/v1/accounts/verify_credentials",
                        platform="mastodon", headers={"Authorization": f"Bearer {access_token}"})
        if response.status_code == 401:
            raise ValidationFailed(f"the instance refused this access token "
                                   f"({mastodon.message_of(response)})", field="access_token")
        account = check(response, "mastodon", mastodon.message_of).json()
        limits = mastodon_limits(client, instance)
    except PublishError as exc:
        raise ValidationFailed(f"the Mastodon instance could not be reached: {exc.message}",
                               field="instance_url") from exc
    host = urlsplit(instance).netloc
    return Verified(credentials={"access_token": access_token},
                    settings={"instance_url": instance, "account_id": str(account["id"]), **limits},
                    handle=f"@{account.get('acct') or account.get('username')}@{host}",
                    display_name=account.get("display_name") or account.get("username") or "")


def verify_direct(platform: str, creds: dict, settings: dict) -> Verified | None:
    """Check credentials the REST API was given, where the platform allows it without OAuth."""
    with make_client() as client:
        if platform == "bluesky":
            return verify_bluesky(client, creds["identifier"], creds["app_password"],
                                  settings["pds_url"])
        if platform == "mastodon":
            return verify_mastodon(client, settings["instance_url"], creds["access_token"])
    return None
