"""The LinkedIn fake's members and tokens: 401 bodies for missing, revoked and expired tokens,
the versioned-API headers, refresh tokens with a fixed lifetime, and each token's scopes."""

from __future__ import annotations

import re
import secrets
import time

from flask import request

from app.sandbox.core import bearer, json_response, state
from app.sandbox.versions import linkedin_active, today

ACCESS_LIFETIME, REFRESH_LIFETIME = 60 * 86_400, 365 * 86_400
MEMBER_SCOPES = "openid,profile,w_member_social"


def error(status: int, message: str, code: str | None = None, service: int | None = None,
          headers=None):
    body: dict = {"status": status, "message": message}
    if code:
        body["code"] = code
    if service:
        body["serviceErrorCode"] = service
    return json_response(body, status, headers)


# A 429 carries no Retry-After or rate-limit header: daily limits "reset at midnight UTC every
# day" (https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/rate-limits). The
# page documents no body; this one is as LinkedIn answers it (3p, observed:
# github.com/Automattic/wp-calypso/issues/32007).
ERRORS = {
    "5xx": lambda f: error(500, "Internal Server Error"),
    "429": lambda f: error(429, "Resource level throttle limit for calls to this resource is "
                                "reached.", service=101),
}


def token():
    return state().token("linkedin", bearer())


def scopes() -> set[str]:
    """What the member granted the request's token."""
    granted = state().bucket("linkedin", "scopes").get(bearer() or "", MEMBER_SCOPES)
    return set(filter(None, re.split(r"[ ,]+", granted)))


def member():
    """The member behind the bearer token, or LinkedIn's 401 for revoked/expired/invalid."""
    found = token()
    if found is None:
        return None, error(401, "Invalid access token", "INVALID_ACCESS_TOKEN", 65600)
    if found.revoked:
        return None, error(401, "The token used in the request has been revoked by the user",
                           "REVOKED_ACCESS_TOKEN", 65601)
    if found.expires_at and found.expires_at < time.time():
        return None, error(401, "The token used in the request has expired",
                           "EXPIRED_ACCESS_TOKEN", 65602)
    return state().account("linkedin", found.account), None


def rest():
    """Every versioned call needs both headers, as LinkedIn enforces, and an active version."""
    found, problem = member()
    if problem:
        return None, problem
    version = request.headers.get("LinkedIn-Version", "")
    if not version:
        return None, error(400, "A version must be present. Please specify a version by adding "
                                "the LinkedIn-Version header.", "VERSION_MISSING")
    if not linkedin_active(version, today("linkedin")):
        return None, inactive(version)
    if request.headers.get("X-Restli-Protocol-Version") != "2.0.0":
        return None, error(400, "X-Restli-Protocol-Version 2.0.0 is required")
    return found, None


def inactive(version: str):
    """A sunset (or never released) version: 426 NONEXISTENT_VERSION. Sunset versions are
    refused (https://learn.microsoft.com/en-us/linkedin/marketing/versioning, "Deprecation
    Notice ... has been sunset"); the body as LinkedIn answers it (3p, observed:
    github.com/n8n-io/n8n/issues/28600, github.com/ComposioHQ/composio/issues/3468)."""
    shown = f"{version}01" if len(version) == 6 else version
    return error(426, f"Requested version {shown} is not active", "NONEXISTENT_VERSION")


def new_member(name: str = "Sandbox Member") -> dict:
    member_id = secrets.token_urlsafe(8).replace("-", "a").replace("_", "b")
    return state().add_account("linkedin", member_id, name=name, urn=f"urn:li:person:{member_id}",
                               roles=[])


def issue(member_id: str, refresh: str | None = None, scope: str = MEMBER_SCOPES) -> dict:
    """Tokens; a refresh keeps the refresh token's original end date (fixed TTL) and scopes."""
    granted = state().bucket("linkedin", "scopes")
    if refresh is None:
        refresh = state().mint("linkedin", member_id, "refresh", lifetime=REFRESH_LIFETIME)
        granted[refresh] = scope
    scope = granted.get(refresh, scope)
    access = state().mint("linkedin", member_id, lifetime=ACCESS_LIFETIME)
    granted[access] = scope
    return {"access_token": access, "expires_in": ACCESS_LIFETIME, "scope": scope,
            "refresh_token": refresh,
            "refresh_token_expires_in": int(state().tokens[refresh].expires_at - time.time())}
