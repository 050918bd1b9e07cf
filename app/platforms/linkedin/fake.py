"""Fake LinkedIn versioned REST API: OAuth with fixed-lifetime refresh tokens, Posts API with
x-restli-id for the member or an organization they administer, image uploads, multipart video
uploads with ETags and processing, 401 bodies."""

from __future__ import annotations

import hashlib
import secrets
import time
from urllib.parse import unquote

from flask import Blueprint, request

from app.platforms.linkedin.fake_auth import (
    ACCESS_LIFETIME,
    ERRORS,
    MEMBER_SCOPES,
    error,
    issue,
    new_member,
    rest,
    token,
)
from app.platforms.linkedin.fake_auth import member as _member
from app.platforms.linkedin.fake_orgs import grant as grant_role
from app.platforms.linkedin.fake_orgs import may_act_as
from app.sandbox.core import faulty, json_response, oauth_token, signed_in, state
from app.sandbox.guard import back_to, callback, media_upload
from app.sandbox.pull import settings, step

bp = Blueprint("sandbox_linkedin", __name__, url_prefix="/linkedin")
PART_BYTES = 4 * 1024 * 1024
ORG_SCOPES = "w_organization_social,r_organization_admin,r_organization_social"
# The member's roles the consent page hands out, unless a test sets "consent_organizations".
CONSENT_ORGANIZATIONS = (("Sandbox Co", "ADMINISTRATOR", "APPROVED"),
                         ("Sandbox Labs", "ADMINISTRATOR", "APPROVED"),
                         ("Sandbox Partners", "ANALYST", "APPROVED"),
                         ("Sandbox Pending", "ADMINISTRATOR", "REQUESTED"))


def control_account(body: dict) -> dict:
    """A member; with {"organization": true}, one that administers an organization and posts
    as it (the token has the organization scopes)."""
    member = new_member(body.get("name") or "Sandbox Member")
    made = {"account_id": member["id"], "author_urn": member["urn"], "username": member["name"],
            "expires_at": int(time.time()) + ACCESS_LIFETIME}
    if body.get("organization"):
        made["author_urn"] = grant_role(member, body.get("organization_name") or "Sandbox Co")
        return {**issue(member["id"], scope=f"{MEMBER_SCOPES},{ORG_SCOPES}"), **made}
    return {**issue(member["id"]), **made}


# The 3-legged OAuth flow: https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow
@bp.get("/oauth/v2/authorization")
def authorize():
    back = callback(request.args.get("redirect_uri"), "linkedin")
    code = secrets.token_urlsafe(16)
    member = new_member()
    for name, role, status in settings("linkedin").get("consent_organizations", CONSENT_ORGANIZATIONS):
        grant_role(member, name, role, status)
    state().codes[code] = {"account": member["id"], "redirect_uri": request.args.get("redirect_uri"),
                           "scope": request.args.get("scope") or MEMBER_SCOPES}
    return back_to(back, {"code": code, "state": request.args.get("state", "")})


# Code exchange and refresh (refresh tokens keep their first expiry):
# https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow (step 3) and
# https://learn.microsoft.com/en-us/linkedin/shared/authentication/programmatic-refresh-tokens
@bp.post("/oauth/v2/accessToken")
@faulty("linkedin", "token", ERRORS)
def access_token():
    return oauth_token(
        "linkedin", code=lambda grant: json_response(issue(grant["account"], scope=grant["scope"])),
        refresh=_refresh_grant,
        bad_code=lambda: json_response({"error": "invalid_request", "error_description":
                                        "Unable to retrieve access token: authorization code "
                                        "not found"}, 400),
        unsupported=lambda: json_response({"error": "unsupported_grant_type"}, 400))


def _refresh_grant(old):
    if old is None or old.revoked or (old.expires_at and old.expires_at < time.time()):
        return json_response({"error": "invalid_grant", "error_description":
                              "The provided authorization grant or refresh token is invalid, "
                              "expired or revoked"}, 400)
    return json_response(issue(old.account, request.form.get("refresh_token")))


# OpenID Connect userinfo: https://learn.microsoft.com/en-us/linkedin/consumer/integrations/self-serve/sign-in-with-linkedin-v2
@bp.get("/v2/userinfo")
def userinfo():
    member, problem = _member()
    return problem or json_response({"sub": member["id"], "name": member["name"],
                                     "email_verified": True})


def _asset(urn: str) -> dict | None:
    return state().bucket("linkedin", "assets").get(urn)


def _check_content(author: str, content: dict | None) -> str | None:
    if not content:
        return None
    if "multiImage" in content:
        images = content["multiImage"].get("images") or []
        if not 2 <= len(images) <= 20:
            return "multiImage needs between 2 and 20 images"
        urns = [i.get("id") for i in images]
    elif "media" in content:
        urns = [content["media"].get("id")]
    else:
        return "unsupported content"
    for urn in urns:
        asset = _asset(urn or "")
        if not asset or asset["owner"] != author or asset["status"] != "AVAILABLE":
            return f"{urn} is not an available asset of the author"
    return None


# Posts API (author, commentary, content; the new post's URN in x-restli-id):
# https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api
@bp.post("/rest/posts")
@faulty("linkedin", "post", ERRORS, token)
@signed_in(rest)
def create_post(member):
    body = request.get_json(silent=True) or {}
    problem = may_act_as(member, str(body.get("author") or ""))
    if problem:
        return problem
    if len(body.get("commentary", "")) > 3000 or body.get("lifecycleState") != "PUBLISHED":
        return error(422, "/commentary is longer than 3000 characters or lifecycleState is not "
                          "PUBLISHED", "UNPROCESSABLE_ENTITY")
    problem = _check_content(body["author"], body.get("content"))
    if problem:
        return error(422, problem, "UNPROCESSABLE_ENTITY")
    earlier = _duplicate_of(body)
    if earlier:
        return duplicate(earlier)
    urn = f"urn:li:share:{state().next_id()}"
    state().record("linkedin", {"id": urn, "account": member["id"], "author": body["author"],
                                "commentary": body.get("commentary", ""),
                                "content": body.get("content"), "visibility": body.get("visibility"),
                                "version": request.headers.get("LinkedIn-Version")})
    return json_response({}, 201, {"x-restli-id": urn})


def _duplicate_of(body: dict) -> str | None:
    """The author's earlier post with the same commentary and content, if any."""
    return next((p["id"] for p in state().posts.get("linkedin", [])
                 if p["author"] == body["author"] and p["commentary"] == body.get("commentary", "")
                 and p["content"] == body.get("content")), None)


def duplicate(urn: str):
    """LinkedIn refuses a post repeating the author's earlier one with 422 DUPLICATE_POST and
    names the earlier post; the body as LinkedIn answers it (3p, observed:
    github.com/Arisamiga/Linkedin-RSS/issues/5; the Posts API page documents no body)."""
    return json_response({
        "errorDetailType": "com.linkedin.common.error.BadRequest",
        "message": "com.linkedin.content.common.exception.BadRequestResponseException: Content "
                   f"is a duplicate of {urn}",
        "errorDetails": {"inputErrors": [{"description": "Duplicate post is detected",
                                          "input": {}, "code": "DUPLICATE_POST"}]},
        "status": 422}, 422)


def _init(kind: str, member: dict) -> dict:
    body = (request.get_json(silent=True) or {}).get("initializeUploadRequest") or {}
    asset_id = secrets.token_urlsafe(9).replace("-", "a").replace("_", "b")
    urn = f"urn:li:{kind}:{asset_id}"
    asset = {"owner": body.get("owner"), "status": "WAITING_UPLOAD", "kind": kind, "parts": {},
             "size": int(body.get("fileSizeBytes") or 0), "token": secrets.token_hex(8)}
    state().bucket("linkedin", "assets")[urn] = asset
    return asset | {"urn": urn, "id": asset_id}


# Images API, action=initializeUpload: https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/images-api
@bp.post("/rest/images")
@faulty("linkedin", "image_init", ERRORS, token)
@signed_in(rest)
def images(member):
    if request.args.get("action") != "initializeUpload":
        return error(400, "action must be initializeUpload")
    asset = _init("image", member)
    problem = may_act_as(member, asset["owner"] or "")
    if problem:
        return problem
    return json_response({"value": {"uploadUrlExpiresAt": int(time.time() * 1000) + 86_400_000,
                                    "uploadUrl": f"{request.url_root}linkedin/upload/{asset['urn']}/0",
                                    "image": asset["urn"]}})


# Videos API, initializeUpload / finalizeUpload with the parts' ETags:
# https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/videos-api
@bp.post("/rest/videos")
@faulty("linkedin", "video", ERRORS, token)
@signed_in(rest)
def videos(member):
    action = request.args.get("action")
    if action == "initializeUpload":
        return _video_init(member)
    if action == "finalizeUpload":
        return _video_finalize(member)
    return error(400, "action must be initializeUpload or finalizeUpload")


def _video_init(member: dict):
    asset = _init("video", member)
    problem = may_act_as(member, asset["owner"] or "")
    if problem or asset["size"] <= 0:
        return problem or error(422, "fileSizeBytes must be positive")
    part = int(settings("linkedin").get("part_bytes", PART_BYTES))
    count = max(1, -(-asset["size"] // part))
    base = f"{request.url_root}linkedin/upload/{asset['urn']}"
    return json_response({"value": {
        "video": asset["urn"], "uploadToken": asset["token"],
        "uploadUrlsExpireAt": int(time.time() * 1000) + 86_400_000,
        "uploadInstructions": [{"uploadUrl": f"{base}/{i}", "firstByte": i * part,
                                "lastByte": min(asset["size"], (i + 1) * part) - 1}
                               for i in range(count)]}})


def _video_finalize(member: dict):
    body = (request.get_json(silent=True) or {}).get("finalizeUploadRequest") or {}
    asset = _asset(body.get("video") or "")
    if not asset or may_act_as(member, asset["owner"]) is not None \
            or body.get("uploadToken") != asset["token"]:
        return error(400, "unknown video or upload token")
    etags = [asset["parts"][i]["etag"] for i in sorted(asset["parts"])]
    received = sum(p["bytes"] for p in asset["parts"].values())
    if body.get("uploadedPartIds") != etags or received != asset["size"]:
        return error(400, "uploadedPartIds do not match the uploaded parts")
    asset["status"] = "PROCESSING"
    asset["polls_left"] = int(settings("linkedin").get("video_polls", 1))
    return json_response({})


@bp.put("/upload/<urn>/<int:index>")
@media_upload
@faulty("linkedin", "upload", ERRORS, token)
@signed_in(_member)
def upload(member, urn: str, index: int):
    asset = _asset(unquote(urn))
    if asset is None or may_act_as(member, asset["owner"] or "") is not None:
        return error(404, "upload URL not found")
    data = request.get_data()
    etag = hashlib.md5(data).hexdigest()  # noqa: S324 - an ETag, not a security hash
    asset["parts"][index] = {"bytes": len(data), "etag": etag}
    if asset["kind"] == "image":
        asset["status"] = "AVAILABLE"
        return json_response({}, 201)
    return json_response({}, 200, {"ETag": etag})


# A video's status (PROCESSING, AVAILABLE): https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/videos-api
@bp.get("/rest/videos/<path:urn>")
@faulty("linkedin", "video_status", ERRORS, token)
@signed_in(rest)
def video_status(_member_, urn: str):
    asset = _asset(unquote(urn))
    if asset is None:
        return error(404, f"Not found: {urn}")
    status = step(asset, "AVAILABLE") if asset["status"] == "PROCESSING" else asset["status"]
    return json_response({"id": unquote(urn), "status": status,
                          "owner": asset["owner"]})
