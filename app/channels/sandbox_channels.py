"""One-click sandbox channels on all eight platforms: an account made on this server's mounted
sandbox, stored as that platform's connect flow stores a real one (the same credentials and
settings), plus the `sandbox` flag that sends the channel's API calls to the sandbox
(app.config.sandbox_routes) without any OPENPOST_<PLATFORM>_API_URL."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime

from flask import Flask

from app.config import PLATFORMS
from app.errors import ValidationFailed
from app.platforms.registry import display_name
from app.platforms.signin import Verified

OFFERED = PLATFORMS  # every platform has a sandbox fake


def _expiry(made: dict) -> datetime | None:
    return datetime.fromtimestamp(made["expires_at"], UTC) if made.get("expires_at") else None


def verified(sandbox: Flask, base: str, workspace: str, platform: str) -> Verified:
    """A new sandbox account of `platform` for `workspace`, as a connected channel holds it.
    `base` is the sandbox's address (PUBLIC_URL/sandbox)."""
    from app.sandbox.control import make_account

    if platform not in OFFERED:
        raise ValidationFailed(f"the sandbox has no {platform!r}; choose one of "
                               f"{', '.join(OFFERED)}", field="platform")
    suffix = secrets.token_hex(3)
    body = {"platform": platform, "name": f"Sandbox {suffix}",
            "username": "demo" if platform == "mastodon" else f"demo_{suffix}",
            "handle": f"demo-{suffix}.sandbox", "password": secrets.token_urlsafe(12)}
    # The account is this workspace's: its sandbox controls show and reset only it.
    with sandbox.app_context(), sandbox.extensions["sandbox_state"].acting_for(workspace):
        made = make_account(body)
    label = f"Sandbox ({display_name(platform)})"
    if platform == "bluesky":
        return Verified({"identifier": made["handle"], "app_password": made["password"]},
                        {"pds_url": f"{base}/bluesky", "did": made["did"], "sandbox": True,
                         "video_service_url": f"{base}/bluesky-video"},
                        made["handle"], label)
    if platform == "mastodon":
        return Verified({"access_token": made["access_token"]},
                        {"instance_url": f"{base}/mastodon", "account_id": made["account_id"],
                         "max_characters": made["max_characters"], "sandbox": True},
                        f"@{made['username']}@sandbox", label)
    # The others as their sign-in stores them (app/channels/oauth.py, social_oauth.py,
    # meta_oauth.py): the token (and refresh token), the account id, the platform's extras.
    credentials = {k: made[k] for k in ("access_token", "refresh_token", "expires_at",
                                        "refresh_expires_at") if made.get(k)}
    settings = {"account_id": str(made["account_id"]), "sandbox": True}
    if platform == "facebook":
        settings |= {"page_id": made["page_id"], "app_id": made["app_id"]}
    if platform == "linkedin":
        settings["author_urn"] = made["author_urn"]
    if platform == "tiktok":
        from app.platforms.tiktok.publisher import granted_scopes

        settings |= {"privacy_level_options": made["privacy_level_options"],
                     "scopes": granted_scopes(made)}
        if made.get("refresh_expires_in"):
            credentials["refresh_expires_at"] = int(time.time()) + made["refresh_expires_in"]
    return Verified(credentials, settings, made["username"], label,
                    token_expires_at=_expiry(made))
