"""Connecting LinkedIn: as the member, or also as the organizations the member administers
(https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow,
https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-access-control-by-role)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx

from app.errors import ValidationFailed
from app.platforms.http import lifetime, send
from app.platforms.linkedin.api import api_url, oauth_url, rest_headers
from app.platforms.signin import Verified, consent_page, env, offering, reply

SCOPES = "openid profile w_member_social"
PKCE = False
# variant -> (whose consent page and app, the scopes asked for); the first is the default.
VARIANTS = {"member": ("linkedin", SCOPES),
            "organizations": ("linkedin", SCOPES + " w_organization_social r_organization_admin"
                                          " r_organization_social")}


def authorize_url() -> str:
    return consent_page("linkedin", "https://www.linkedin.com", "/oauth/v2/authorization")


def finish(client: httpx.Client, pending: dict, code: str) -> Verified:
    tokens = reply(send(client, "POST", f"{oauth_url()}/oauth/v2/accessToken",
                        platform="linkedin",
                        data={"grant_type": "authorization_code", "code": code,
                              "redirect_uri": pending["redirect_uri"],
                              "client_id": env("linkedin", "CLIENT_ID"),
                              "client_secret": env("linkedin", "CLIENT_SECRET")}), "linkedin")
    me = reply(send(client, "GET", f"{api_url()}/v2/userinfo", platform="linkedin",
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
    headers = rest_headers(token)
    acls = reply(send(client, "GET", f"{api_url()}/rest/organizationAcls",
                      platform="linkedin", headers=headers,
                      params={"q": "roleAssignee", "role": "ADMINISTRATOR", "state": "APPROVED",
                              "count": 100}), "linkedin").get("elements", [])
    found = []
    for acl in acls:
        urn = acl.get("organization") or acl.get("organizationalTarget") or ""
        if acl.get("role") != "ADMINISTRATOR" or acl.get("state") != "APPROVED" \
                or not urn.startswith("urn:li:organization:"):
            continue
        org = reply(send(client, "GET", f"{api_url()}/rest/organizations/"
                         f"{urn.rsplit(':', 1)[1]}", platform="linkedin", headers=headers),
                    "linkedin")
        found.append((urn, org.get("localizedName") or urn))
    return found
