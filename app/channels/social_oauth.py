"""Browser sign-in for Instagram (professional accounts), Facebook Pages (Meta login, then the
chosen page's token), LinkedIn and TikTok (with PKCE): authorize URLs and token exchanges."""

from __future__ import annotations

import os
import secrets
import time
from datetime import UTC, datetime
from urllib.parse import urlencode

import httpx

from app.channels import graph, linkedin, tiktok
from app.channels.connect import Verified
from app.channels.errors import PlatformRejected
from app.channels.http import json_or_empty, send
from app.config import platform_api_url
from app.errors import ValidationFailed

PLATFORMS = ("instagram", "facebook", "linkedin", "tiktok")
SCOPES = {"instagram": "instagram_business_basic,instagram_business_content_publish",
          "facebook": "pages_show_list,pages_read_engagement,pages_manage_posts",
          "linkedin": "openid profile w_member_social",
          "tiktok": "user.info.basic,video.publish"}
AUTHORIZE = {"instagram": ("https://www.instagram.com", "/oauth/authorize"),
             "facebook": ("https://www.facebook.com", f"/{graph.VERSION}/dialog/oauth"),
             "linkedin": ("https://www.linkedin.com", "/oauth/v2/authorization"),
             "tiktok": ("https://www.tiktok.com", "/v2/auth/authorize/")}


def _env(platform: str, name: str) -> str:
    return os.environ.get(f"OPENPOST_{platform.upper()}_{name}", "")


def _authorize_url(platform: str) -> str:
    """The consent page; beside the API when the API URL is overridden (sandbox)."""
    host, path = AUTHORIZE[platform]
    override = _env(platform, "API_URL")
    if override:
        return override.rstrip("/") + (path if platform != "facebook" else "/dialog/oauth")
    return host + path


def start(platform: str, redirect_uri: str, challenge: str | None) -> tuple[str, dict]:
    from app.channels.oauth import _client_id, pkce_pair

    state = secrets.token_urlsafe(24)
    pending: dict = {"platform": platform, "state": state, "redirect_uri": redirect_uri}
    query = {"response_type": "code", "redirect_uri": redirect_uri, "state": state,
             "scope": SCOPES[platform],
             "client_key" if platform == "tiktok" else "client_id": _client_id(platform)}
    if platform == "tiktok":
        verifier, challenge = pkce_pair()
        pending["verifier"] = verifier
        query |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    return f"{_authorize_url(platform)}?{urlencode(query)}", pending


def _json(response: httpx.Response, platform: str) -> dict:
    body = json_or_empty(response)
    if response.status_code != 200 or not body:
        error = body.get("error")
        message = (error.get("message") if isinstance(error, dict) else None) \
            or body.get("error_description") or error or response.text[:200]
        raise PlatformRejected(f"{platform}: {message}", status=response.status_code)
    return body


def finish(client: httpx.Client, platform: str, pending: dict, code: str) -> Verified:
    return {"instagram": _instagram, "facebook": _facebook, "linkedin": _linkedin,
            "tiktok": _tiktok}[platform](client, pending, code)


def _instagram(client: httpx.Client, pending: dict, code: str) -> Verified:
    root = platform_api_url("instagram", "https://graph.instagram.com")
    token_root = platform_api_url("instagram", "https://api.instagram.com")
    secret = _env("instagram", "CLIENT_SECRET")
    short = _json(send(client, "POST", f"{token_root}/oauth/access_token", platform="instagram",
                       data={"client_id": _env("instagram", "CLIENT_ID"), "client_secret": secret,
                             "grant_type": "authorization_code", "code": code,
                             "redirect_uri": pending["redirect_uri"]}), "instagram")
    long = _json(send(client, "GET", f"{root}/access_token", platform="instagram",
                      params={"grant_type": "ig_exchange_token", "client_secret": secret,
                              "access_token": short["access_token"]}), "instagram")
    me = _json(send(client, "GET", f"{root}/{graph.VERSION}/me", platform="instagram",
                    params={"fields": "user_id,username", "access_token": long["access_token"]}),
               "instagram")
    expires = int(time.time()) + int(long.get("expires_in", 5_184_000))
    return Verified(credentials={"access_token": long["access_token"], "expires_at": expires},
                    settings={"account_id": str(me.get("user_id") or me["id"])},
                    handle=me.get("username", ""),
                    token_expires_at=datetime.fromtimestamp(expires, UTC))


def _facebook(client: httpx.Client, pending: dict, code: str) -> Verified:
    """The user's pages, each with its page token; the first is used unless one is chosen."""
    root = f"{platform_api_url('facebook', 'https://graph.facebook.com')}/{graph.VERSION}"
    app_id, secret = _env("facebook", "CLIENT_ID"), _env("facebook", "CLIENT_SECRET")
    short = _json(send(client, "GET", f"{root}/oauth/access_token", platform="facebook",
                       params={"client_id": app_id, "client_secret": secret, "code": code,
                               "redirect_uri": pending["redirect_uri"]}), "facebook")
    # Page tokens derived from a long-lived user token do not expire.
    long = _json(send(client, "GET", f"{root}/oauth/access_token", platform="facebook",
                      params={"grant_type": "fb_exchange_token", "client_id": app_id,
                              "client_secret": secret,
                              "fb_exchange_token": short["access_token"]}), "facebook")
    pages = _json(send(client, "GET", f"{root}/me/accounts", platform="facebook",
                       params={"access_token": long["access_token"]}), "facebook").get("data", [])
    pages = [p for p in pages if "CREATE_CONTENT" in (p.get("tasks") or ["CREATE_CONTENT"])]
    if not pages:
        raise ValidationFailed("this Facebook account manages no page OpenPost may post to",
                               field="code")
    offered = [{"id": p["id"], "name": p.get("name", p["id"]), "access_token": p["access_token"]}
               for p in pages]
    verified = page_channel(offered[0], long["access_token"], app_id)
    verified.extra["pages"] = offered
    verified.extra["user_token"] = long["access_token"]
    return verified


def page_channel(page: dict, user_token: str, app_id: str = "") -> Verified:
    return Verified(credentials={"access_token": page["access_token"],
                                 "user_access_token": user_token},
                    settings={"page_id": page["id"], "account_id": page["id"],
                              **({"app_id": app_id} if app_id else {})},
                    handle=page["name"], display_name=page["name"])


def _linkedin(client: httpx.Client, pending: dict, code: str) -> Verified:
    tokens = _json(send(client, "POST", f"{linkedin.oauth_url()}/oauth/v2/accessToken",
                        platform="linkedin",
                        data={"grant_type": "authorization_code", "code": code,
                              "redirect_uri": pending["redirect_uri"],
                              "client_id": _env("linkedin", "CLIENT_ID"),
                              "client_secret": _env("linkedin", "CLIENT_SECRET")}), "linkedin")
    me = _json(send(client, "GET", f"{linkedin.api_url()}/v2/userinfo", platform="linkedin",
                    headers={"Authorization": f"Bearer {tokens['access_token']}"}), "linkedin")
    now = int(time.time())
    creds = {"access_token": tokens["access_token"],
             "expires_at": now + int(tokens.get("expires_in", 5_184_000))}
    if tokens.get("refresh_token"):
        creds["refresh_token"] = tokens["refresh_token"]
        creds["refresh_expires_at"] = now + int(tokens.get("refresh_token_expires_in", 0))
    return Verified(credentials=creds,
                    settings={"account_id": me["sub"], "author_urn": f"urn:li:person:{me['sub']}"},
                    handle=me.get("name", me["sub"]), display_name=me.get("name", ""),
                    token_expires_at=datetime.fromtimestamp(creds["expires_at"], UTC))


def _tiktok(client: httpx.Client, pending: dict, code: str) -> Verified:
    root = tiktok.api_url()
    tokens = _json(send(client, "POST", f"{root}/v2/oauth/token/", platform="tiktok",
                        data={"client_key": _env("tiktok", "CLIENT_ID"),
                              "client_secret": _env("tiktok", "CLIENT_SECRET"), "code": code,
                              "grant_type": "authorization_code",
                              "redirect_uri": pending["redirect_uri"],
                              "code_verifier": pending["verifier"]}), "tiktok")
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    user = _json(send(client, "GET", f"{root}/v2/user/info/", platform="tiktok", headers=auth,
                      params={"fields": "open_id,username,display_name"}), "tiktok")["data"]["user"]
    info = _json(send(client, "POST", f"{root}/v2/post/publish/creator_info/query/",
                      platform="tiktok", headers=auth, json={}), "tiktok")["data"]
    now = int(time.time())
    expires = now + int(tokens.get("expires_in", 86_400))
    return Verified(credentials={"access_token": tokens["access_token"],
                                 "refresh_token": tokens["refresh_token"], "expires_at": expires,
                                 "refresh_expires_at": now + int(tokens.get("refresh_expires_in", 0))},
                    settings={"account_id": tokens.get("open_id") or user["open_id"],
                              "privacy_level_options": info.get("privacy_level_options", [])},
                    handle=user.get("username", ""), display_name=user.get("display_name", ""),
                    token_expires_at=datetime.fromtimestamp(expires, UTC))
