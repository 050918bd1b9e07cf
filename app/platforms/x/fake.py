"""Fake X API v2: OAuth 2 with PKCE and rotating refresh tokens, POST /2/tweets, media upload."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time

from flask import Blueprint, request
from twitter_text import parse_tweet

from app.sandbox.core import bearer, faulty, json_response, oauth_token, rate_reset, signed_in, state
from app.sandbox.guard import back_to, callback, media_upload

bp = Blueprint("sandbox_x", __name__, url_prefix="/x")
ACCESS_LIFETIME = 7200
WINDOW_LIMIT = 100


def problem(status: int, title: str, detail: str, kind: str = "about:blank", headers=None):
    return json_response({"title": title, "detail": detail, "type": kind, "status": status},
                         status, headers)


def _rate_headers(reset: int | None = None, remaining: int = WINDOW_LIMIT - 1) -> dict:
    return {"x-rate-limit-limit": str(WINDOW_LIMIT), "x-rate-limit-remaining": str(remaining),
            "x-rate-limit-reset": str(reset or int(time.time()) + 900)}


ERRORS = {
    "5xx": lambda f: problem(503, "Service Unavailable", "Service Unavailable"),
    "429": lambda f: json_response({"title": "Too Many Requests", "detail": "Too Many Requests",
                                    "type": "about:blank", "status": 429}, 429,
                                   _rate_headers(rate_reset(f), 0)),
}


def _token():
    return state().token("x", bearer())


def _user():
    """The account behind a valid token, or the 401 X gives (expired and revoked alike)."""
    token = _token()
    if token is None or token.revoked or (token.expires_at and token.expires_at < time.time()):
        return None, problem(401, "Unauthorized", "Unauthorized")
    return state().account("x", token.account), None


def new_account(username: str = "sandbox_user") -> dict:
    return state().add_account("x", state().next_id(), username=username, name="Sandbox User")


def issue_pair(account_id: str, scope: str | None = None) -> dict:
    """Tokens holding the scopes the app asked for at consent (None: every scope)."""
    return {"token_type": "bearer", "expires_in": ACCESS_LIFETIME,
            "access_token": state().mint("x", account_id, lifetime=ACCESS_LIFETIME, scopes=scope),
            "refresh_token": state().mint("x", account_id, "refresh", scopes=scope),
            "scope": scope or "tweet.read tweet.write users.read offline.access media.write"}


def missing_scopes(*needed: str):
    """The 403 X gives a token lacking one of the endpoint's OAuth 2 scopes, else None.
    The scopes per operation are the OpenAPI's security (OAuth2UserToken) of each path:
    POST /2/tweets tweet.read tweet.write users.read, every /2/media/upload* and
    /2/media/metadata media.write; https://docs.x.com/fundamentals/authentication/oauth-2-0/
    authorization-code (Scopes): a token without the endpoint's scopes is refused with 403."""
    token = _token()
    if token is None or token.holds(*needed):
        return None
    return problem(403, "Forbidden", f"Missing required OAuth scope: {' '.join(needed)}",
                   "https://api.x.com/2/problems/client-forbidden")


@bp.get("/i/oauth2/authorize")
def authorize():
    """Consent is automatic in the sandbox: straight back to the app with a code."""
    args = request.args
    back = callback(args.get("redirect_uri"), "x")
    if args.get("code_challenge_method") != "S256" or not args.get("code_challenge"):
        return problem(400, "Invalid Request", "PKCE with S256 is required")
    code = secrets.token_urlsafe(16)
    state().codes[code] = {"platform": "x", "challenge": args["code_challenge"],
                           "redirect_uri": args.get("redirect_uri"),
                           "account": new_account()["id"],
                           # https://docs.x.com/fundamentals/authentication/oauth-2-0/
                           # authorization-code (Scopes): the token holds the scopes asked for.
                           "scope": args.get("scope") or None}
    return back_to(back, {"code": code, "state": args.get("state", "")})


@bp.post("/2/oauth2/token")
@faulty("x", "token", ERRORS)
def token():
    return oauth_token("x", code=_code_grant, refresh=_refresh_grant, bad_code=_bad_code,
                       unsupported=lambda: json_response({"error": "unsupported_grant_type"}, 400))


def _bad_code():
    return json_response({"error": "invalid_request",
                          "error_description": "Value passed for the authorization code "
                                               "was invalid."}, 400)


def _code_grant(grant: dict):
    verifier = request.form.get("code_verifier", "")
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    if grant["challenge"] != digest.decode():
        return _bad_code()
    return json_response(issue_pair(grant["account"], grant.get("scope")))


def _refresh_grant(old):
    if old is None or old.revoked or old.used_at:
        return json_response({"error": "invalid_request",
                              "error_description": "Value passed for the token was invalid."}, 400)
    old.used_at = time.time()  # single use: X rotates on every refresh
    return json_response(issue_pair(old.account, old.granted()))


@bp.get("/2/users/me")
@signed_in(_user)
def me(user):
    return json_response({"data": {"id": user["id"], "name": user["name"],
                                   "username": user["username"]}})


@bp.post("/2/tweets")
@faulty("x", "create", ERRORS, _token)
@signed_in(_user)
def create_tweet(user):
    if (refused := missing_scopes("tweet.read", "tweet.write", "users.read")) is not None:
        return refused
    body = request.get_json(silent=True) or {}
    text = body.get("text", "")
    if not parse_tweet(text).valid and not (text == "" and body.get("media")):
        return json_response({"errors": [{"message": "Text is too long or empty"}],
                              "title": "Invalid Request", "status": 400,
                              "detail": "One or more parameters to your request was invalid.",
                              "type": "https://api.twitter.com/2/problems/invalid-request"}, 400)
    mine = [p for p in state().posts.get("x", []) if p["account"] == user["id"]]
    if any(p["text"] == text for p in mine):
        return problem(403, "Forbidden",
                       "You are not allowed to create a Tweet with duplicate content.")
    reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
    tweet_id = state().next_id()
    state().record("x", {"id": tweet_id, "account": user["id"], "text": text,
                         "reply_to": reply_to,
                         "media_ids": (body.get("media") or {}).get("media_ids", [])})
    return json_response({"data": {"id": tweet_id, "text": text, "edit_history_tweet_ids": [tweet_id],
                                   "edit_history_post_ids": [tweet_id]}}, 201, _rate_headers())


@bp.post("/2/media/upload")
@media_upload
@faulty("x", "upload", ERRORS, _token)
@signed_in(_user)
def upload(_user_):
    if (refused := missing_scopes("media.write")) is not None:
        return refused
    media = request.files.get("media")
    if media is None or not request.form.get("media_category"):
        return problem(400, "Invalid Request", "media and media_category are required")
    # The simple upload takes images only; GIFs and videos go through the chunked upload.
    # https://docs.x.com/x-api/media (Creation: "the recommended chunked upload
    # (images/GIF/video), or the older simple upload (images only)"); the XDK's one-shot
    # schema (docs.x.com/xdks/typescript/reference/interfaces/Schemas.MediaUploadRequestOneShot)
    # lists no image/gif media type. The OpenAPI's MediaUploadRequest enum still names
    # tweet_gif and tweet_video; the docs are followed here.
    if request.form["media_category"] != "tweet_image" or media.mimetype == "image/gif":
        return problem(400, "Invalid Request", "The simple upload takes images only "
                                               "(media_category tweet_image); send GIFs and "
                                               "videos with the chunked upload.")
    data = media.read()
    if len(data) > 5 * 1024 * 1024:
        return problem(400, "Invalid Request", "File size exceeds 5242880 bytes.")
    media_id = state().next_id()
    state().bucket("x", "media")[media_id] = {"size": len(data), "type": media.mimetype}
    return json_response({"data": {"id": media_id, "media_key": f"3_{media_id}",
                                   "size": len(data), "expires_after_secs": 86400}})


@bp.post("/2/media/metadata")
@faulty("x", "metadata", ERRORS, _token)
@signed_in(_user)
def metadata(_user_):
    if (refused := missing_scopes("media.write")) is not None:
        return refused
    body = request.get_json(silent=True) or {}
    # Alt text applies to media from either upload (simple or chunked).
    found = state().bucket("x", "media").get(body.get("id")) \
        or state().bucket("x", "uploads").get(body.get("id"))
    if found is None:
        return problem(400, "Invalid Request", "unknown media id")
    found["metadata"] = body.get("metadata")
    return json_response({"data": {"id": body["id"], "associated_metadata": body.get("metadata")}})


def control_account(body: dict) -> dict:
    """A ready account for /_control/accounts, with an access and refresh token pair."""
    account = new_account(body.get("username") or "sandbox_user")
    return {**issue_pair(account["id"]), "account_id": account["id"],
            "username": account["username"], "expires_at": int(time.time()) + ACCESS_LIFETIME}
