"""Meta sign-ins: Instagram professional accounts with Instagram Login, Facebook Pages with
Facebook Login (the chosen page's token), and Instagram accounts with Facebook Login (the
account linked to the chosen page, published to with that page's token)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx

from app.channels.account_choice import offering
from app.channels.connect import Verified
from app.channels.social_oauth import env, reply
from app.config import platform_api_url
from app.errors import ValidationFailed
from app.platforms import graph
from app.platforms.http import lifetime, send


def instagram(client: httpx.Client, pending: dict, code: str) -> Verified:
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


def _root() -> str:
    return f"{platform_api_url('facebook', 'https://graph.facebook.com')}/{graph.VERSION}"


def _pages(client: httpx.Client, pending: dict, code: str, fields: str) -> tuple[Verified, list]:
    """(what every page's channel shares, the pages the user manages with their tokens). Page
    tokens derived from a long-lived user token do not expire; the 60-day user token itself is
    not kept: every Page call, videos included, uses the Page token."""
    app_id, secret = env("facebook", "CLIENT_ID"), env("facebook", "CLIENT_SECRET")
    short = reply(send(client, "GET", f"{_root()}/oauth/access_token", platform="facebook",
                       params={"client_id": app_id, "client_secret": secret, "code": code,
                               "redirect_uri": pending["redirect_uri"]}), "facebook")
    long = reply(send(client, "GET", f"{_root()}/oauth/access_token", platform="facebook",
                      params={"grant_type": "fb_exchange_token", "client_id": app_id,
                              "client_secret": secret,
                              "fb_exchange_token": short["access_token"]}), "facebook")
    pages = reply(send(client, "GET", f"{_root()}/me/accounts", platform="facebook",
                       params={"fields": fields, "access_token": long["access_token"]}),
                  "facebook").get("data", [])
    base = Verified(credentials={},
                    settings={"app_id": app_id} if app_id else {}, handle="")
    return base, [p for p in pages if "CREATE_CONTENT" in (p.get("tasks") or ["CREATE_CONTENT"])]


def facebook(client: httpx.Client, pending: dict, code: str) -> Verified:
    """The user's pages, each with its page token; the first is used unless one is chosen."""
    base, pages = _pages(client, pending, code, "id,name,access_token,tasks")
    if not pages:
        raise ValidationFailed("this Facebook account manages no page OpenPost may post to",
                               field="code")
    return offering(base, [{"id": p["id"], "label": p.get("name", p["id"]),
                            "handle": p.get("name", p["id"]), "display_name": p.get("name", ""),
                            "credentials": {"access_token": p["access_token"]},
                            "settings": {"page_id": p["id"], "account_id": p["id"]}}
                           for p in pages])


def instagram_via_facebook(client: httpx.Client, pending: dict, code: str) -> Verified:
    """The Instagram professional accounts linked to the user's pages; each is published to on
    graph.facebook.com with its page's token."""
    base, pages = _pages(client, pending, code, "id,name,access_token,tasks,"
                                                "instagram_business_account{id,username}")
    linked = [p for p in pages if (p.get("instagram_business_account") or {}).get("id")]
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
