"""Connecting a Mastodon account with an access token: the instance checks it, and tells its
own limits (https://docs.joinmastodon.org/methods/accounts/#verify_credentials,
https://docs.joinmastodon.org/methods/instance/#v2)."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from app.errors import ValidationFailed
from app.platforms.errors import PublishError
from app.platforms.http import check, send
from app.platforms.mastodon.publisher import message_of
from app.platforms.signin import Verified, check_public_url


def mastodon_limits(client: httpx.Client, instance: str) -> dict:
    """The instance's own limits from GET /api/v2/instance, kept in the channel's settings."""
    response = send(client, "GET", f"{instance}/api/v2/instance", platform="mastodon")
    config = check(response, "mastodon", message_of).json().get("configuration", {})
    statuses, media = config.get("statuses", {}), config.get("media_attachments", {})
    limits = {"max_characters": statuses.get("max_characters", 500),
              "max_media_attachments": statuses.get("max_media_attachments", 4),
              "characters_reserved_per_url": statuses.get("characters_reserved_per_url", 23)}
    if media.get("image_size_limit"):
        limits["image_size_limit"] = media["image_size_limit"]
    if media.get("supported_mime_types"):
        limits["supported_mime_types"] = media["supported_mime_types"]
    if media.get("video_size_limit"):
        limits["video_size_limit"] = media["video_size_limit"]
    return limits


def verify_mastodon(client: httpx.Client, instance_url: str, access_token: str) -> Verified:
    instance = check_public_url(instance_url, "instance_url")
    try:
        response = send(client, "GET", f"{instance}/api/v1/accounts/verify_credentials",
                        platform="mastodon", headers={"Authorization": f"Bearer {access_token}"})
        if response.status_code == 401:
            raise ValidationFailed(f"the instance refused this access token "
                                   f"({message_of(response)})", field="access_token")
        account = check(response, "mastodon", message_of).json()
        limits = mastodon_limits(client, instance)
    except PublishError as exc:
        raise ValidationFailed(f"the Mastodon instance could not be reached: {exc.message}",
                               field="instance_url") from exc
    host = urlsplit(instance).netloc
    return Verified(credentials={"access_token": access_token},
                    settings={"instance_url": instance, "account_id": str(account["id"]), **limits},
                    handle=f"@{account.get('acct') or account.get('username')}@{host}",
                    display_name=account.get("display_name") or account.get("username") or "")


def direct(client: httpx.Client, creds: dict, settings: dict) -> Verified:
    """Credentials given to the REST API."""
    return verify_mastodon(client, settings["instance_url"], creds["access_token"])
