"""What the Meta sign-ins with Facebook Login share: the user's Pages and their tokens, for a
Facebook Page channel or for the Instagram account linked to a Page
(https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived)."""

from __future__ import annotations

import httpx

from app.config import platform_api_url
from app.platforms import graph
from app.platforms.http import send
from app.platforms.signin import Verified, env, reply


def _root() -> str:
    return f"{platform_api_url('facebook', 'https://graph.facebook.com')}/{graph.VERSION}"


def pages(client: httpx.Client, pending: dict, code: str, fields: str) -> tuple[Verified, list]:
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
    found = reply(send(client, "GET", f"{_root()}/me/accounts", platform="facebook",
                       params={"fields": fields, "access_token": long["access_token"]}),
                  "facebook").get("data", [])
    base = Verified(credentials={},
                    settings={"app_id": app_id} if app_id else {}, handle="")
    return base, [p for p in found if "CREATE_CONTENT" in (p.get("tasks") or ["CREATE_CONTENT"])]
