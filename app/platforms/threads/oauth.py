"""Connecting a Threads account: the authorization code traded for a short-lived token, then
for a 60-day one (https://developers.facebook.com/docs/threads/get-started/get-access-tokens-and-permissions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from app import config
from app.config import platform_api_url
from app.platforms.http import lifetime, send
from app.platforms.signin import Verified, client_id, consent_page
from app.platforms.threads import publisher as threads

# threads_read_replies lets a reply whose publish answer was lost be found among the replies.
SCOPES = ("threads_basic,threads_content_publish,threads_read_replies,"
          "threads_manage_insights")
PKCE = False


def authorize_url() -> str:
    return consent_page("threads", "https://threads.net", "/oauth/authorize")


def finish(client: httpx.Client, pending: dict, code: str) -> Verified:
    root = platform_api_url("threads", "https://graph.threads.net")
    secret = config.settings().platform("threads").client_secret
    short = send(client, "POST", f"{root}/oauth/access_token", platform="threads",
                 data={"client_id": client_id("threads"), "client_secret": secret, "code": code,
                       "grant_type": "authorization_code", "redirect_uri": pending["redirect_uri"]})
    if short.status_code != 200:
        raise threads.graph_error(short)
    long = send(client, "GET", f"{root}/access_token", platform="threads",
                params={"grant_type": "th_exchange_token", "client_secret": secret,
                        "access_token": short.json()["access_token"]})
    if long.status_code != 200:
        raise threads.graph_error(long)
    body = long.json()
    me = send(client, "GET", f"{root}/{threads.VERSION}/me", platform="threads",
              params={"fields": "id,username", "access_token": body["access_token"]})
    if me.status_code != 200:
        raise threads.graph_error(me)
    user = me.json()
    expires = datetime.now(UTC) + timedelta(seconds=lifetime(body.get("expires_in"), 5_184_000))
    return Verified(credentials={"access_token": body["access_token"],
                                 "expires_at": int(expires.timestamp())},
                    settings={"account_id": str(user["id"])}, handle=user.get("username", ""),
                    token_expires_at=expires)
