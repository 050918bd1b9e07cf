"""Connecting a TikTok account: Login Kit with PKCE, the granted scopes checked, the creator
named from creator_info (https://developers.tiktok.com/doc/login-kit-web,
https://developers.tiktok.com/doc/oauth-user-access-token-management)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx

from app.platforms.http import lifetime, send
from app.platforms.signin import Verified, consent_page, env, reply
from app.platforms.tiktok.api import api_url
from app.platforms.tiktok.publisher import granted_scopes

# video.list lets app/platforms/tiktok/metrics.py read video.query.
SCOPES = "user.info.basic,video.publish,video.upload,video.list"
PKCE = True
CLIENT_PARAM = "client_key"  # TikTok names the app's client id so


def authorize_url() -> str:
    return consent_page("tiktok", "https://www.tiktok.com", "/v2/auth/authorize/")


def finish(client: httpx.Client, pending: dict, code: str) -> Verified:
    root = api_url()
    tokens = reply(send(client, "POST", f"{root}/v2/oauth/token/", platform="tiktok",
                        data={"client_key": env("tiktok", "CLIENT_ID"),
                              "client_secret": env("tiktok", "CLIENT_SECRET"), "code": code,
                              "grant_type": "authorization_code",
                              "redirect_uri": pending["redirect_uri"],
                              "code_verifier": pending["verifier"]}), "tiktok")
    scopes = granted_scopes(tokens)
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    # creator_info (scope video.publish) names the creator; /v2/user/info/ would need
    # user.info.profile for `username`, a scope OpenPost does not ask for.
    info = reply(send(client, "POST", f"{root}/v2/post/publish/creator_info/query/",
                      platform="tiktok", headers=auth, json={}), "tiktok")["data"]
    now = int(time.time())
    expires = now + lifetime(tokens.get("expires_in"), 86_400)
    return Verified(credentials={"access_token": tokens["access_token"],
                                 "refresh_token": tokens["refresh_token"], "expires_at": expires,
                                 "refresh_expires_at": now + lifetime(tokens.get("refresh_expires_in"), 0)},
                    settings={"account_id": tokens["open_id"], "scopes": scopes,
                              "privacy_level_options": info.get("privacy_level_options", [])},
                    handle=info.get("creator_username", ""),
                    display_name=info.get("creator_nickname", ""),
                    token_expires_at=datetime.fromtimestamp(expires, UTC))
