"""Fake Mastodon instance: app registration and OAuth (PKCE) with scopes, statuses with
Idempotency-Key, media that processes (202, then 206 until ready), instance limits, ISO 8601
rate-limit resets."""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import time
from datetime import UTC, datetime

from flask import Blueprint, request

from app.platforms.mastodon.rules import mastodon_length
from app.sandbox.core import bearer, faulty, json_response, rate_reset, signed_in, state
from app.sandbox.guard import back_to, callback, media_upload

bp = Blueprint("sandbox_mastodon", __name__, url_prefix="/mastodon")
MAX_CHARACTERS = 500
# How many GETs of a processing upload answer 206 before it is ready.
PROCESSING_POLLS = 2
# What a default instance takes ("Images (PNG, JPG, HEIF, WEBP, AVIF) up to 16MB ... Videos
# (MP4, M4V, MOV, WebM) up to 99MB ... framerate of 120fps. Only one video can be attached, per
# post": https://docs.joinmastodon.org/user/posting/#media), announced in GET /api/v2/instance
# as configuration.media_attachments (https://docs.joinmastodon.org/entities/Instance/
# #media_attachments). `configure(video_size_limit=...)` lowers the video limit.
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
VIDEO_TYPES = ("video/mp4", "video/quicktime", "video/webm", "video/x-m4v")
IMAGE_SIZE_LIMIT = 16 * 1024 * 1024
VIDEO_SIZE_LIMIT = 99 * 1024 * 1024


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _rate_headers(reset: float, remaining: int = 299) -> dict:
    return {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": _iso(reset)}


ERRORS = {
    "5xx": lambda f: json_response({"error": "Service Unavailable"}, 503),
    "429": lambda f: json_response({"error": "Too many requests"}, 429,
                                   _rate_headers(rate_reset(f), 0)),
}


def base_url() -> str:
    return request.url_root.rstrip("/") + bp.url_prefix


def new_account(username: str = "sandbox", scopes: str | None = None) -> tuple[dict, str]:
    account = state().add_account("mastodon", state().next_id(), username=username)
    return account, state().mint("mastodon", account["id"], scopes=scopes)


def _token():
    return state().token("mastodon", bearer())


def _account():
    token = _token()
    if token is None:
        return None, json_response({"error": "The access token is invalid"}, 401)
    if token.revoked:
        return None, json_response({"error": "The access token was revoked"}, 401)
    return state().account("mastodon", token.account), None


def _outside_scopes(*allowed: str):
    """None when the token holds one of the `allowed` scopes (a parent such as `read` covers
    `read:statuses`), else Mastodon's answer. Doorkeeper's forbidden response, rendered by
    Api::BaseController#doorkeeper_forbidden_render_options: 403 {"error": "This action is
    outside the authorized scopes"}. https://docs.joinmastodon.org/api/oauth-scopes/; each
    endpoint's scope is the `security` of the official Mastodon OpenAPI (GET
    /api/v1/accounts/{id}/statuses: read:statuses, https://docs.joinmastodon.org/methods/
    accounts/#statuses; the controller checks a token only when one is sent,
    Api::BaseController#authorize_if_got_token!)."""
    token = _token()
    if token is None or token.scopes is None or token.scopes & set(allowed):
        return None
    return json_response({"error": "This action is outside the authorized scopes"}, 403)


def _account_json(account: dict) -> dict:
    """An Account with every field the API documents as always present."""
    name, url = account["username"], f"{base_url()}/@{account['username']}"
    avatar = f"{base_url()}/avatars/original/missing.png"
    return {"id": account["id"], "username": name, "acct": name, "display_name": name.title(),
            "url": url, "uri": f"{base_url()}/users/{name}", "locked": False, "bot": False,
            "group": False, "indexable": False, "created_at": "2026-01-01T00:00:00.000Z",
            "note": "", "avatar": avatar, "avatar_static": avatar, "header": avatar,
            "header_static": avatar, "followers_count": 0, "following_count": 0,
            "statuses_count": len([s for s in state().posts.get("mastodon", [])
                                   if s["account"] == account["id"]]),
            "emojis": [], "fields": []}


@bp.post("/api/v1/apps")
def register_app():
    form = request.get_json(silent=True) or request.form.to_dict()
    if not form.get("client_name") or not form.get("redirect_uris"):
        return json_response({"error": "Validation failed: Application name can't be blank"}, 422)
    # https://docs.joinmastodon.org/methods/apps/#create: `scopes` defaults to "read".
    app = {"client_id": secrets.token_urlsafe(16), "client_secret": secrets.token_urlsafe(24),
           "redirect_uri": form["redirect_uris"], "name": form["client_name"],
           "scopes": form.get("scopes") or "read"}
    state().bucket("mastodon", "apps")[app["client_id"]] = app
    return json_response({"id": state().next_id(), "name": app["name"], "website": None,
                          "redirect_uri": app["redirect_uri"], "client_id": app["client_id"],
                          "client_secret": app["client_secret"], "vapid_key": ""})


@bp.get("/oauth/authorize")
def authorize():
    args = request.args
    app = state().bucket("mastodon", "apps").get(args.get("client_id", ""))
    if app is None or args.get("redirect_uri") != app["redirect_uri"]:
        return json_response({"error": "invalid_client"}, 401)
    back = callback(app["redirect_uri"], "mastodon")
    # https://docs.joinmastodon.org/methods/oauth/#authorize: `scope` must be a subset of the
    # app's scopes (default "read"); the token is granted exactly those. Doorkeeper sends an
    # invalid scope back to the redirect URI (RFC 6749, 4.1.2.1).
    scope = args.get("scope") or "read"
    if not set(scope.split()) <= set(app["scopes"].split()):
        return back_to(back, {"error": "invalid_scope", "state": args.get("state", ""),
                              "error_description": "The requested scope is invalid, unknown, "
                              "or malformed."})
    code = secrets.token_urlsafe(16)
    account, _ = new_account()
    state().codes[code] = {"challenge": args.get("code_challenge"), "account": account["id"],
                           "client_id": app["client_id"], "redirect_uri": app["redirect_uri"],
                           "scope": scope}
    return back_to(back, {"code": code, "state": args.get("state", "")})


@bp.post("/oauth/token")
def oauth_token():
    form = request.get_json(silent=True) or request.form.to_dict()
    grant = state().codes.pop(form.get("code", ""), None)
    app = state().bucket("mastodon", "apps").get(form.get("client_id", ""))
    if not grant or not app or app["client_secret"] != form.get("client_secret") \
            or grant["redirect_uri"] != form.get("redirect_uri"):
        return json_response({"error": "invalid_grant", "error_description": "The provided "
                              "authorization grant is invalid, expired, revoked, does not match "
                              "the redirection URI used in the authorization request, or was "
                              "issued to another client."}, 400)
    if grant["challenge"]:
        digest = base64.urlsafe_b64encode(hashlib.sha256(
            form.get("code_verifier", "").encode()).digest()).rstrip(b"=").decode()
        if digest != grant["challenge"]:
            return json_response({"error": "invalid_grant"}, 400)
    return json_response({"access_token": state().mint("mastodon", grant["account"],
                                                       scopes=grant["scope"]),
                          "token_type": "Bearer", "scope": grant["scope"],
                          "created_at": int(time.time())})


@bp.get("/api/v1/accounts/verify_credentials")
@faulty("mastodon", "verify", ERRORS, _token)
@signed_in(_account)
def verify_credentials(account):
    # OAuth "profile" or "read:accounts" (Mastodon OpenAPI, GET /api/v1/accounts/verify_credentials
    # security; https://docs.joinmastodon.org/methods/accounts/#verify_credentials).
    if (outside := _outside_scopes("read", "read:accounts", "profile")) is not None:
        return outside
    return json_response(_account_json(account))


def _video_size_limit() -> int:
    return int(state().settings("mastodon").get("video_size_limit") or VIDEO_SIZE_LIMIT)


@bp.get("/api/v2/instance")
def instance():
    return json_response({
        "domain": request.host, "title": "OpenPost sandbox", "version": "4.3.0",
        "configuration": {
            "urls": {"streaming": None},
            "statuses": {"max_characters": MAX_CHARACTERS, "max_media_attachments": 4,
                         "characters_reserved_per_url": 23},
            "media_attachments": {"supported_mime_types": [*IMAGE_TYPES, *VIDEO_TYPES],
                                  "image_size_limit": IMAGE_SIZE_LIMIT,
                                  "image_matrix_limit": 33177600,
                                  "video_size_limit": _video_size_limit(),
                                  "video_frame_rate_limit": 120,
                                  "video_matrix_limit": 8294400}}})


def _media_json(media_id: str, ready: bool = True) -> dict:
    media = state().bucket("mastodon", "media").get(media_id, {})
    return {"id": media_id, "type": media.get("type", "image"),
            "description": media.get("description"),
            "url": f"{base_url()}/media/{media_id}" if ready else None,
            "preview_url": f"{base_url()}/media/{media_id}/small" if ready else None,
            "remote_url": None, "blurhash": None, "meta": {}}


def _status_json(status: dict) -> dict:
    """A Status with every field the API documents as always present."""
    return {"id": status["id"], "created_at": status["created_at"],
            "in_reply_to_id": status["reply_to"], "in_reply_to_account_id":
                status["account"] if status["reply_to"] else None,
            "visibility": status["visibility"], "sensitive": bool(status.get("sensitive")),
            "uri": f"{base_url()}/users/{status['username']}/statuses/{status['id']}",
            "url": f"{base_url()}/@{status['username']}/{status['id']}",
            "content": f"<p>{html.escape(status['text'])}</p>", "spoiler_text": status["spoiler"],
            "media_attachments": [_media_json(m) for m in status["media_ids"]],
            "account": _account_json(state().account("mastodon", status["account"])),
            "mentions": [], "tags": [], "emojis": [], "reblogs_count": 0,
            "favourites_count": 0, "replies_count": 0, "language": status.get("language")}


@bp.post("/api/v1/statuses")
@faulty("mastodon", "create", ERRORS, _token)
@signed_in(_account)
def create_status(account):
    if (outside := _outside_scopes("write", "write:statuses")) is not None:
        return outside
    body = request.get_json(silent=True) or request.form.to_dict()
    text, spoiler = body.get("status") or "", body.get("spoiler_text") or ""
    # "Idempotency keys are stored for up to 1 hour" (https://docs.joinmastodon.org/methods/
    # statuses/#create, Headers): PostStatusService answers a known key of this account with the
    # status it made, and stores the key when it makes one (`redis.setex(idempotency_key, 3_600,
    # @status.id)`), so the hour runs from the status's creation and a repeat does not extend it.
    key = request.headers.get("Idempotency-Key")
    seen = state().bucket("mastodon", "idempotency")
    with state().lock:
        earlier = seen.get((account["id"], key)) if key else None
        if earlier and earlier["at"] > time.time() - 3600:
            return json_response(_status_json(earlier["status"]), headers=_rate_headers(time.time() + 300))
        if mastodon_length(text) + mastodon_length(spoiler) > MAX_CHARACTERS:
            return json_response({"error": f"Validation failed: Text character limit of "
                                           f"{MAX_CHARACTERS} exceeded"}, 422)
        if not text and not body.get("media_ids"):
            return json_response({"error": "Validation failed: Text can't be blank"}, 422)
        if (refused := _media_refusal(account, body.get("media_ids") or [])) is not None:
            return refused
        status = {"id": state().next_id(), "account": account["id"], "username": account["username"],
                  "text": text, "spoiler": spoiler, "reply_to": body.get("in_reply_to_id"),
                  "visibility": body.get("visibility", "public"),
                  "media_ids": body.get("media_ids") or [], "idempotency_key": key,
                  "sensitive": body.get("sensitive"), "language": body.get("language"),
                  "created_at": _iso(time.time())}
        state().record("mastodon", status)
        if key:
            seen[(account["id"], key)] = {"status": status, "at": time.time()}
    return json_response(_status_json(status), headers=_rate_headers(time.time() + 300))


def _media_refusal(account: dict, media_ids: list):
    """The 422 Mastodon answers a status whose attachments cannot be posted
    (https://docs.joinmastodon.org/methods/statuses/#create, 422: Unprocessable entity), in
    the order PostStatusService#validate_media! checks them: more than 4; not this account's
    or already attached; a video with anything else ("Only one video can be attached, per
    post": https://docs.joinmastodon.org/user/posting/#media); one still processing (a 202
    upload is not ready until GET /api/v1/media/:id answers 200:
    https://docs.joinmastodon.org/methods/media/#get)."""
    if len(media_ids) > 4:
        return json_response({"error": "Cannot attach more than 4 files"}, 422)
    uploads = state().bucket("mastodon", "media")
    attached = {m for s in state().posts.get("mastodon", []) for m in s["media_ids"]}
    missing = [str(m) for m in media_ids if str(m) not in uploads or str(m) in attached
               or uploads[str(m)].get("account") not in (None, account["id"])]
    if missing:
        return json_response({"error": f"Media {', '.join(missing)} not found or already "
                                       "attached to another post"}, 422)
    media = [uploads[str(m)] for m in media_ids]
    if len(media) > 1 and any(m.get("type") == "video" for m in media):
        return json_response({"error": "Cannot attach a video to a post that already contains "
                                       "images"}, 422)
    if any(m["polls_left"] > 0 for m in media):
        return json_response({"error": "Cannot attach files that have not finished processing. "
                                       "Try again in a moment!"}, 422)
    return None


@bp.get("/api/v1/accounts/<account_id>/statuses")
@signed_in(_account)
def account_statuses(_account_, account_id: str):
    if (outside := _outside_scopes("read", "read:statuses")) is not None:
        return outside
    mine = [s for s in state().posts.get("mastodon", []) if s["account"] == account_id]
    return json_response([_status_json(s) for s in reversed(mine)][: int(request.args.get("limit", 20))])


@bp.post("/api/v2/media")
@media_upload
@faulty("mastodon", "upload", ERRORS, _token)
@signed_in(_account)
def upload_media(account):
    """https://docs.joinmastodon.org/methods/media/#v2: a type the instance does not list in
    supported_mime_types, or a file over its image_size_limit / video_size_limit
    (https://docs.joinmastodon.org/entities/Instance/#media_attachments), is refused with 422
    ("File or file type is unsupported or invalid"). Images are processed at once (200; 202
    when `configure(processing=True)`); "Larger media formats (video, gifv, audio) will continue
    to be processed asynchronously and return 202", with `url` null until GET
    /api/v1/media/:id answers 200 (206 while processing: https://docs.joinmastodon.org/methods/
    media/#get)."""
    if (outside := _outside_scopes("write", "write:media")) is not None:
        return outside
    upload = request.files.get("file")
    if upload is None:
        return json_response({"error": "Validation failed: File can't be blank"}, 422)
    if upload.mimetype not in (*IMAGE_TYPES, *VIDEO_TYPES):
        return json_response({"error": "Validation failed: File content type is invalid, File "
                                       "is invalid"}, 422)
    video = upload.mimetype in VIDEO_TYPES
    limit = _video_size_limit() if video else IMAGE_SIZE_LIMIT
    size = len(upload.read())
    if size > limit:
        return json_response({"error": f"Validation failed: File file size must be less than "
                                       f"{limit // (1024 * 1024)} MB"}, 422)
    media_id = state().next_id()
    slow = video or state().settings("mastodon").get("processing", False)
    state().bucket("mastodon", "media")[media_id] = {
        "polls_left": PROCESSING_POLLS if slow else 0, "account": account["id"],
        "type": "video" if video else "image", "description": request.form.get("description")}
    return json_response(_media_json(media_id, ready=not slow), 202 if slow else 200)


@bp.get("/api/v1/media/<media_id>")
@faulty("mastodon", "media_status", ERRORS, _token)
@signed_in(_account)
def get_media(_account_, media_id: str):
    # A user token with write:media (Mastodon OpenAPI, GET /api/v1/media/{id} security;
    # https://docs.joinmastodon.org/methods/media/#get).
    if (outside := _outside_scopes("write", "write:media")) is not None:
        return outside
    media = state().bucket("mastodon", "media").get(media_id)
    if media is None:
        return json_response({"error": "Record not found"}, 404)
    if media["polls_left"] > 0:
        media["polls_left"] -= 1
        return json_response(_media_json(media_id, ready=False), 206)
    return json_response(_media_json(media_id))


def control_account(body: dict) -> dict:
    """A ready account for /_control/accounts, with an access token of the scopes asked."""
    account, token = new_account(body.get("username") or "sandbox", scopes=body.get("scopes"))
    return {"access_token": token, "account_id": account["id"], "username": account["username"],
            "max_characters": MAX_CHARACTERS}
