"""Connecting an X account: OAuth 2.0 authorization code with PKCE, then the user's id and
username (https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/authorization-code)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx

from app import config
from app.platforms.http import check, lifetime, send
from app.platforms.signin import Verified, client_id, consent_page
from app.platforms.x.api import api_url, message_of

SCOPES = "tweet.read tweet.write users.read offline.access media.write"
PKCE = True


def authorize_url() -> str:
    return consent_page("x", "https://x.com", "/i/oauth2/authorize")


def finish(client: httpx.Client, pending: dict, code: str) -> Verified:
    secret = config.settings().platform("x").client_secret
    app_id = client_id("x")
    response = send(client, "POST", f"{api_url()}/2/oauth2/token", platform="x",
                    data={"grant_type": "authorization_code", "code": code, "client_id": app_id,
                          "redirect_uri": pending["redirect_uri"],
                          "code_verifier": pending["verifier"]},
                    auth=(app_id, secret) if secret else None)
    tokens = check(response, "x", message_of, ok=(200,)).json()
    me = send(client, "GET", f"{api_url()}/2/users/me", platform="x",
              headers={"Authorization": f"Bearer {tokens['access_token']}"})
    user = check(me, "x", message_of, ok=(200,)).json()["data"]
    expires = int(time.time()) + lifetime(tokens.get("expires_in"), 7200)
    return Verified(credentials={"access_token": tokens["access_token"],
                                 "refresh_token": tokens.get("refresh_token"), "expires_at": expires},
                    settings={"account_id": user["id"]}, handle=user["username"],
                    display_name=user.get("name", ""),
                    token_expires_at=datetime.fromtimestamp(expires, UTC))
