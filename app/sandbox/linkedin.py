"""Fake LinkedIn versioned REST API: OAuth with fixed-lifetime refresh tokens, Posts API with
x-restli-id, image uploads, multipart video uploads with ETags and processing, 401 bodies."""

from __future__ import annotations

import hashlib
import secrets
import time
from urllib.parse import unquote, urlencode

from flask import Blueprint, redirect, request

from app.sandbox.core import bearer, faulty, json_response, rate_reset, state
from app.sandbox.pull import settings, step

bp = Blueprint("sandbox_linkedin", __name__, url_prefix="/linkedin")
ACCESS_LIFETIME, REFRESH_LIFETIME = 60 * 86_400, 365 * 86_400
PART_BYTES = 4 * 1024 * 1024


def error(status: int, message: str, code: str | None = None, service: int | None = None,
          headers=None):
    body: dict = {"status": status, "message": message}
    if code:
        body["code"] = code
    if service:
        body["serviceErrorCode"] = service
    return json_response(body, status, headers)


ERRORS = {
    "5xx": lambda f: error(500, "Internal Server Error"),
    "429": lambda f: error(429, "Resource level throttle APPLICATION DAY limit for calls to this "
                                "resource is reached.", "TOO_MANY_REQUESTS", 101,
                           {"Retry-After": str(rate_reset(f) - int(time.time()))}),
}


def _token():
    return state().token("linkedin", bearer())


def _member():
    """The member behind the bearer token, or LinkedIn's 401 for revoked/expired/invalid."""
    token = _token()
    if token is None:
        return None, error(401, "Invalid access token", "INVALID_ACCESS_TOKEN", 65600)
    if token.revoked:
        return None, error(401, "The token used in the request has been revoked by the user",
                           "REVOKED_ACCESS_TOKEN", 65601)
    if token.expires_at and token.expires_at < time.time():
        return None, error(401, "The token used in the request has expired",
                           "EXPIRED_ACCESS_TOKEN", 65602)
    return state().account("linkedin", token.account), None


def _rest():
    """Every versioned call needs both headers, as LinkedIn enforces."""
    member, problem = _member()
    if problem:
        return None, problem
    if not request.headers.get("LinkedIn-Version", "").isdigit():
        return None, error(400, "A version must be present. Please specify a version by adding "
                                "the LinkedIn-Version header.", "VERSION_MISSING")
    if request.headers.get("X-Restli-Protocol-Version") != "2.0.0":
        return None, error(400, "X-Restli-Protocol-Version 2.0.0 is required")
    return member, None


def new_member(name: str = "Sandbox Member") -> dict:
    member_id = secrets.token_urlsafe(8).replace("-", "a").replace("_", "b")
    return state().add_account("linkedin", member_id, name=name, urn=f"urn:li:person:{member_id}")


def issue(member_id: str, refresh: str | None = None) -> dict:
    """Tokens; a refresh keeps the refresh token's original end date (fixed TTL)."""
    pair = {"access_token": state().mint("linkedin", member_id, lifetime=ACCESS_LIFETIME),
            "expires_in": ACCESS_LIFETIME, "scope": "openid,profile,w_member_social"}
    if refresh is None:
        refresh = state().mint("linkedin", member_id, "refresh", lifetime=REFRESH_LIFETIME)
    pair["refresh_token"] = refresh
    pair["refresh_token_expires_in"] = int(state().tokens[refresh].expires_at - time.time())
    return pair


def control_account(body: dict) -> dict:
    member = new_member(body.get("name") or "Sandbox Member")
    return {**issue(member["id"]), "account_id": member["id"], "author_urn": member["urn"],
            "username": member["name"], "expires_at": int(time.time()) + ACCESS_LIFETIME}


@bp.get("/oauth/v2/authorization")
def authorize():
    code = secrets.token_urlsafe(16)
    state().codes[code] = {"account": new_member()["id"],
                           "redirect_uri": request.args.get("redirect_uri")}
    query = urlencode({"code": code, "state": request.args.get("state", "")})
    return redirect(f"{request.args.get('redirect_uri')}?{query}")


@bp.post("/oauth/v2/accessToken")
@faulty("linkedin", "token", ERRORS)
def access_token():
    form = request.form
    if form.get("grant_type") == "authorization_code":
        grant = state().codes.pop(form.get("code", ""), None)
        if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
            return json_response({"error": "invalid_request", "error_description":
                                  "Unable to retrieve access token: authorization code not found"}, 400)
        return json_response(issue(grant["account"]))
    if form.get("grant_type") == "refresh_token":
        old = state().token("linkedin", form.get("refresh_token"), "refresh")
        if old is None or old.revoked or (old.expires_at and old.expires_at < time.time()):
            return json_response({"error": "invalid_grant", "error_description":
                                  "The provided authorization grant or refresh token is invalid, "
                                  "expired or revoked"}, 400)
        return json_response(issue(old.account, form.get("refresh_token")))
    return json_response({"error": "unsupported_grant_type"}, 400)


@bp.get("/v2/userinfo")
def userinfo():
    member, problem = _member()
    return problem or json_response({"sub": member["id"], "name": member["name"],
                                     "email_verified": True})


def _asset(urn: str) -> dict | None:
    return state().bucket("linkedin", "assets").get(urn)


def _check_content(member: dict, content: dict | None) -> str | None:
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
        if not asset or asset["owner"] != member["urn"] or asset["status"] != "AVAILABLE":
            return f"{urn} is not an available asset of the author"
    return None


@bp.post("/rest/posts")
@faulty("linkedin", "post", ERRORS, _token)
def create_post():
    member, problem = _rest()
    if problem:
        return problem
    body = request.get_json(silent=True) or {}
    if body.get("author") != member["urn"]:
        return error(403, f"Not enough permissions to post as {body.get('author')}",
                     "ACCESS_DENIED", 100)
    if len(body.get("commentary", "")) > 3000 or body.get("lifecycleState") != "PUBLISHED":
        return error(422, "/commentary is longer than 3000 characters or lifecycleState is not "
                          "PUBLISHED", "UNPROCESSABLE_ENTITY")
    problem = _check_content(member, body.get("content"))
    if problem:
        return error(422, problem, "UNPROCESSABLE_ENTITY")
    urn = f"urn:li:share:{state().next_id()}"
    state().record("linkedin", {"id": urn, "account": member["id"],
                                "commentary": body.get("commentary", ""),
                                "content": body.get("content"), "visibility": body.get("visibility"),
                                "version": request.headers.get("LinkedIn-Version")})
    response = json_response({}, 201, {"x-restli-id": urn})
    return response


def _init(kind: str, member: dict) -> dict:
    body = (request.get_json(silent=True) or {}).get("initializeUploadRequest") or {}
    asset_id = secrets.token_urlsafe(9).replace("-", "a").replace("_", "b")
    urn = f"urn:li:{kind}:{asset_id}"
    asset = {"owner": body.get("owner"), "status": "WAITING_UPLOAD", "kind": kind, "parts": {},
             "size": int(body.get("fileSizeBytes") or 0), "token": secrets.token_hex(8)}
    state().bucket("linkedin", "assets")[urn] = asset
    return asset | {"urn": urn, "id": asset_id}


@bp.post("/rest/images")
@faulty("linkedin", "image_init", ERRORS, _token)
def images():
    member, problem = _rest()
    if problem:
        return problem
    if request.args.get("action") != "initializeUpload":
        return error(400, "action must be initializeUpload")
    asset = _init("image", member)
    if asset["owner"] != member["urn"]:
        return error(403, "owner must be the authenticated member", "ACCESS_DENIED")
    return json_response({"value": {"uploadUrlExpiresAt": int(time.time() * 1000) + 86_400_000,
                                    "uploadUrl": f"{request.url_root}linkedin/upload/{asset['urn']}/0",
                                    "image": asset["urn"]}})


@bp.post("/rest/videos")
@faulty("linkedin", "video", ERRORS, _token)
def videos():
    member, problem = _rest()
    if problem:
        return problem
    action = request.args.get("action")
    if action == "initializeUpload":
        return _video_init(member)
    if action == "finalizeUpload":
        return _video_finalize(member)
    return error(400, "action must be initializeUpload or finalizeUpload")


def _video_init(member: dict):
    asset = _init("video", member)
    if asset["owner"] != member["urn"] or asset["size"] <= 0:
        return error(422, "owner must be the member and fileSizeBytes positive")
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
    if not asset or asset["owner"] != member["urn"] or body.get("uploadToken") != asset["token"]:
        return error(400, "unknown video or upload token")
    etags = [asset["parts"][i]["etag"] for i in sorted(asset["parts"])]
    received = sum(p["bytes"] for p in asset["parts"].values())
    if body.get("uploadedPartIds") != etags or received != asset["size"]:
        return error(400, "uploadedPartIds do not match the uploaded parts")
    asset["status"] = "PROCESSING"
    asset["polls_left"] = int(settings("linkedin").get("video_polls", 1))
    return json_response({})


@bp.put("/upload/<urn>/<int:index>")
@faulty("linkedin", "upload", ERRORS, _token)
def upload(urn: str, index: int):
    member, problem = _member()
    if problem:
        return problem
    asset = _asset(unquote(urn))
    if asset is None or asset["owner"] != member["urn"]:
        return error(404, "upload URL not found")
    data = request.get_data()
    etag = hashlib.md5(data).hexdigest()  # noqa: S324 - an ETag, not a security hash
    asset["parts"][index] = {"bytes": len(data), "etag": etag}
    if asset["kind"] == "image":
        asset["status"] = "AVAILABLE"
        return json_response({}, 201)
    return json_response({}, 200, {"ETag": etag})


@bp.get("/rest/videos/<path:urn>")
@faulty("linkedin", "video_status", ERRORS, _token)
def video_status(urn: str):
    _member_, problem = _rest()
    if problem:
        return problem
    asset = _asset(unquote(urn))
    if asset is None:
        return error(404, f"Not found: {urn}")
    status = step(asset, "AVAILABLE") if asset["status"] == "PROCESSING" else asset["status"]
    return json_response({"id": unquote(urn), "status": status,
                          "owner": asset["owner"]})
