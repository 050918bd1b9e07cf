"""Browser sign-in for Instagram, Facebook Pages, LinkedIn and TikTok (with PKCE): authorize
URLs and token exchanges. Two platforms offer a choice of sign-in (`variant`): Instagram with
Instagram Login or with Facebook Login; LinkedIn as the member only, or also as the
organizations the member administers."""

from __future__ import annotations

import os
import secrets
import time
from datetime import UTC, datetime
from urllib.parse import urlencode

import httpx

from app.channels import graph, linkedin, tiktok
from app.channels.account_choice import offering
from app.channels.connect import Verified
from app.channels.errors import PlatformRejected
from app.channels.http import json_or_empty, lifetime, platform_message, send
from app.errors import ValidationFailed

PLATFORMS = ("instagram", "facebook", "linkedin", "tiktok")
# Each platform's insights permission is asked for too (app/platforms/<name>/metrics.py):
# LinkedIn's r_member_social is granted to approved partners only, so members are not asked.
SCOPES = {"instagram": "instagram_business_basic,instagram_business_content_publish,"
                       "instagram_business_manage_insights",
          "facebook": "pages_show_list,pages_read_engagement,pages_manage_posts,read_insights",
          "linkedin": "openid profile w_member_social",
          "tiktok": "user.info.basic,video.publish,video.upload,video.list"}
AUTHORIZE = {"instagram": ("https://www.instagram.com", "/oauth/authorize"),
             "facebook": ("https://www.facebook.com", f"/{graph.VERSION}/dialog/oauth"),
             "linkedin": ("https://www.linkedin.com", "/oauth/v2/authorization"),
             "tiktok": ("https://www.tiktok.com", "/v2/auth/authorize/")}
# (platform, variant) -> (whose consent page and app, the scopes asked for); the first
# variant of each platform is its default.
VARIANTS = {
    ("instagram", "instagram"): ("instagram", SCOPES["instagram"]),
    ("instagram", "facebook"): ("facebook", "instagram_basic,instagram_content_publish,"
                                            "instagram_manage_insights,"
                                            "pages_show_list,pages_read_engagement"),
    ("linkedin", "member"): ("linkedin", SCOPES["linkedin"]),
    ("linkedin", "organizations"): ("linkedin", SCOPES["linkedin"] + " w_organization_social "
                                                "r_organization_admin r_organization_social"),
}


def env(platform: str, name: str) -> str:
    return os.environ.get(f"OPENPOST_{platform.upper()}_{name}", "")


def _authorize_url(platform: str) -> str:
    """The consent page; beside the API when the API URL is overridden (sandbox)."""
    host, path = AUTHORIZE[platform]
    override = env(platform, "API_URL")
    if override:
        return override.rstrip("/") + (path if platform != "facebook" else "/dialog/oauth")
    return host + path


def _variant(platform: str, variant: str | None) -> tuple[str | None, str, str]:
    """(the variant, whose consent page, the scopes); an option the platform lacks is refused."""
    offered = [v for p, v in VARIANTS if p == platform]
    if variant and variant not in offered:
        raise ValidationFailed(f"{platform} has no sign-in option {variant!r}"
                               + (f"; choose {' or '.join(offered)}" if offered else ""),
                               field="variant")
    chosen = variant or (offered[0] if offered else None)
    provider, scopes = VARIANTS.get((platform, chosen), (platform, SCOPES[platform]))
    return chosen, provider, scopes


def start(platform: str, redirect_uri: str, variant: str | None = None) -> tuple[str, dict]:
    from app.channels.oauth import _client_id, pkce_pair

    variant, provider, scopes = _variant(platform, variant)
    state = secrets.token_urlsafe(24)
    pending: dict = {"platform": platform, "state": state, "redirect_uri": redirect_uri,
                     "variant": variant}
    query = {"response_type": "code", "redirect_uri": redirect_uri, "state": state,
             "scope": scopes,
             "client_key" if platform == "tiktok" else "client_id": _client_id(provider)}
    if platform == "tiktok":
        verifier, challenge = pkce_pair()
        pending["verifier"] = verifier
        query |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    return f"{_authorize_url(provider)}?{urlencode(query)}", pending


def reply(response: httpx.Response, platform: str) -> dict:
    body = json_or_empty(response)
    if response.status_code != 200 or not body:
        error = body.get("error")
        message = platform_message(response, error.get("message") if isinstance(error, dict)
                                   else None, body.get("error_description"), error)
        raise PlatformRejected(f"{platform}: {message}", status=response.status_code)
    return body


def finish(client: httpx.Client, platform: str, pending: dict, code: str) -> Verified:
    from app.channels import meta_oauth

    if platform == "instagram" and pending.get("variant") == "facebook":
        return meta_oauth.instagram_via_facebook(client, pending, code)
    return {"instagram": meta_oauth.instagram, "facebook": meta_oauth.facebook,
            "linkedin": _linkedin, "tiktok": _tiktok}[platform](client, pending, code)


def _linkedin(client: httpx.Client, pending: dict, code: str) -> Verified:
    tokens = reply(send(client, "POST", f"{linkedin.oauth_url()}/oauth/v2/accessToken",
                        platform="linkedin",
                        data={"grant_type": "authorization_code", "code": code,
                              "redirect_uri": pending["redirect_uri"],
                              "client_id": env("linkedin", "CLIENT_ID"),
                              "client_secret": env("linkedin", "CLIENT_SECRET")}), "linkedin")
    me = reply(send(client, "GET", f"{linkedin.api_url()}/v2/userinfo", platform="linkedin",
                    headers={"Authorization": f"Bearer {tokens['access_token']}"}), "linkedin")
    now = int(time.time())
    creds = {"access_token": tokens["access_token"],
             "expires_at": now + lifetime(tokens.get("expires_in"), 5_184_000)}
    if tokens.get("refresh_token"):
        creds["refresh_token"] = tokens["refresh_token"]
        creds["refresh_expires_at"] = now + lifetime(tokens.get("refresh_token_expires_in"), 0)
    person, name = f"urn:li:person:{me['sub']}", me.get("name", me["sub"])
    member = Verified(credentials=creds, settings={"account_id": me["sub"], "author_urn": person},
                      handle=name, display_name=me.get("name", ""),
                      token_expires_at=datetime.fromtimestamp(creds["expires_at"], UTC))
    if pending.get("variant") != "organizations":
        return member
    organizations = _organizations(client, tokens["access_token"])
    if not organizations:
        raise ValidationFailed("this LinkedIn member is no approved administrator of any "
                               "organization page; connect without the organization option to "
                               "post as yourself", field="code")
    return offering(member, [{"id": person, "label": f"{name} (yourself)",
                              "settings": {"author_urn": person}}] + [
        {"id": urn, "label": f"{org} (organization page)", "handle": org, "display_name": org,
         "settings": {"author_urn": urn}} for urn, org in organizations])


def _organizations(client: httpx.Client, token: str) -> list[tuple[str, str]]:
    """(URN, name) of each organization the member is an approved ADMINISTRATOR of."""
    headers = linkedin.rest_headers(token)
    acls = reply(send(client, "GET", f"{linkedin.api_url()}/rest/organizationAcls",
                      platform="linkedin", headers=headers,
                      params={"q": "roleAssignee", "role": "ADMINISTRATOR", "state": "APPROVED",
                              "count": 100}), "linkedin").get("elements", [])
    found = []
    for acl in acls:
        urn = acl.get("organization") or acl.get("organizationalTarget") or ""
        if acl.get("role") != "ADMINISTRATOR" or acl.get("state") != "APPROVED" \
                or not urn.startswith("urn:li:organization:"):
            continue
        org = reply(send(client, "GET", f"{linkedin.api_url()}/rest/organizations/"
                         f"{urn.rsplit(':', 1)[1]}", platform="linkedin", headers=headers),
                    "linkedin")
        found.append((urn, org.get("localizedName") or urn))
    return found


def _tiktok(client: httpx.Client, pending: dict, code: str) -> Verified:
    root = tiktok.api_url()
    tokens = reply(send(client, "POST", f"{root}/v2/oauth/token/", platform="tiktok",
                        data={"client_key": env("tiktok", "CLIENT_ID"),
                              "client_secret": env("tiktok", "CLIENT_SECRET"), "code": code,
                              "grant_type": "authorization_code",
                              "redirect_uri": pending["redirect_uri"],
                              "code_verifier": pending["verifier"]}), "tiktok")
    scopes = tiktok.granted_scopes(tokens)
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
