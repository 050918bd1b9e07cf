"""Connecting an Instagram professional account, with Instagram Login
(https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/business-login)
or with Facebook Login through the Page it is linked to (published to on graph.facebook.com
with that Page's token)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx

from app.config import platform_api_url
from app.errors import ValidationFailed
from app.platforms import graph
from app.platforms.http import lifetime, send
from app.platforms.meta_oauth import pages
from app.platforms.signin import Verified, consent_page, env, offering, reply

# The insights permissions let app/platforms/instagram/metrics.py read media insights.
SCOPES = ("instagram_business_basic,instagram_business_content_publish,"
          "instagram_business_manage_insights")
PKCE = False
# variant -> (whose consent page and app, the scopes asked for); the first is the default.
VARIANTS = {"instagram": ("instagram", SCOPES),
            "facebook": ("facebook", "instagram_basic,instagram_content_publish,"
                                     "instagram_manage_insights,"
                                     "pages_show_list,pages_read_engagement")}


def authorize_url() -> str:
    return consent_page("instagram", "https://www.instagram.com", "/oauth/authorize")


def finish(client: httpx.Client, pending: dict, code: str) -> Verified:
    if pending.get("variant") == "facebook":
        return _via_facebook(client, pending, code)
    root = platform_api_url("instagram", "https://graph.instagram.com")
    token_root = platform_api_url("instagram", "https://api.instagram.com")
    secret = env("instagram", "CLIENT_SECRET")
    short = reply(send(client, "POST", f"{token_root}/oauth/access_token", platform="instagram",
                       data={"client_id": env("instagram", "CLIENT_ID"), "client_secret": secret,
                             "grant_type": "authorization_code", "code": code,
                             "redirect_uri": pending["redirect_uri"]}), "instagram")
    long = reply(send(client, "GET", f"{root}/access_token", platform="instagram",
                      params={"grant_type": "ig_exchange_token", "client_secret": secret,
                              "access_token": short["access_token"]}), "instagram")
    me = reply(send(client, "GET", f"{root}/{graph.VERSION}/me", platform="instagram",
                    params={"fields": "user_id,username", "access_token": long["access_token"]}),
               "instagram")
    expires = int(time.time()) + lifetime(long.get("expires_in"), 5_184_000)
    return Verified(credentials={"access_token": long["access_token"], "expires_at": expires},
                    settings={"account_id": str(me.get("user_id") or me["id"])},
                    handle=me.get("username", ""),
                    token_expires_at=datetime.fromtimestamp(expires, UTC))


def _via_facebook(client: httpx.Client, pending: dict, code: str) -> Verified:
    """The Instagram professional accounts linked to the user's pages; each is published to on
    graph.facebook.com with its page's token."""
    base, found = pages(client, pending, code, "id,name,access_token,tasks,"
                                               "instagram_business_account{id,username}")
    linked = [p for p in found if (p.get("instagram_business_account") or {}).get("id")]
    if not linked:
        raise ValidationFailed("none of the Facebook Pages this account manages has an Instagram "
                               "professional account linked to it; link one in the Page's "
                               "settings, or connect with Instagram Login", field="code")
    base.settings["login"] = "facebook"
    choices = []
    for page in linked:
        account = page["instagram_business_account"]
        name = account.get("username") or account["id"]
        choices.append({"id": account["id"], "label": f"@{name} (Page: {page.get('name', '')})",
                        "handle": name, "display_name": name,
                        "credentials": {"access_token": page["access_token"]},
                        "settings": {"account_id": account["id"], "page_id": page["id"]}})
    return offering(base, choices)
