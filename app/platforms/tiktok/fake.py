"""Fake TikTok Content Posting API: OAuth with rotating refresh tokens, creator_info, video init
with in-order chunked PUTs, PHOTO posts pulled from URLs, publish status, TikTok error bodies."""

from __future__ import annotations

import re
import secrets
import time

from flask import Blueprint, request

from app.platforms.tiktok.fake_rules import (
    DRAFT,
    EITHER,
    GRANTED,
    PUBLISH,
    TOKEN_ERRORS,
    count_post,
    daily_cap,
    fields_problem,
    grant,
    oauth_error,
    scope_problem,
    text_problem,
)
from app.sandbox.core import (
    bearer,
    faulty,
    json_response,
    oauth_token,
    rate_reset,
    signed_in,
    state,
)
from app.sandbox.guard import back_to, callback, media_upload
from app.sandbox.pull import pull, settings, step

bp = Blueprint("sandbox_tiktok", __name__, url_prefix="/tiktok")
ACCESS_LIFETIME, REFRESH_LIFETIME = 2 * 3600, 180 * 86_400
MIN_CHUNK, MAX_CHUNK = 5 * 1024 * 1024, 64 * 1024 * 1024
RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")
PRIVACY = ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]
INIT_PER_MINUTE = 6
# What creator_info says the creator turned off (a control account may say otherwise).
DISABLED = {"comment_disabled": False, "duet_disabled": False, "stitch_disabled": True}
INTERACTION_AND_DISCLOSURE = ("disable_comment", "disable_duet", "disable_stitch",
                              "brand_organic_toggle", "brand_content_toggle")


def reply(data: dict | None = None, code: str = "ok", message: str = "", status: int = 200,
          headers=None):
    return json_response({"data": data or {}, "error": {"code": code, "message": message,
                                                         "log_id": secrets.token_hex(10)}},
                         status, headers)


ERRORS = {
    "5xx": lambda f: reply(code="internal_error", message="Something went wrong. Please try "
                                                          "again later.", status=500),
    "429": lambda f: reply(code="rate_limit_exceeded", message="API rate limit exceeded",
                           status=429, headers={"x-ratelimit-reset": str(rate_reset(f))}),
}


def _token():
    return state().token("tiktok", bearer())


def _user():
    token = _token()
    if token is None or token.revoked or (token.expires_at and token.expires_at < time.time()):
        return None, reply(code="access_token_invalid", status=401,
                           message="The access token is invalid or not found in the request.")
    return state().account("tiktok", token.account), None


def new_user(username: str = "sandbox", scopes: str = GRANTED) -> dict:
    return state().add_account("tiktok", "open-" + secrets.token_hex(8), username=username,
                               nickname="Sandbox", privacy=list(PRIVACY), max_duration=600,
                               scopes=scopes)


def issue(open_id: str) -> dict:
    account = state().account("tiktok", open_id) or {}
    return {"access_token": state().mint("tiktok", open_id, lifetime=ACCESS_LIFETIME),
            "expires_in": ACCESS_LIFETIME, "open_id": open_id,
            "refresh_token": state().mint("tiktok", open_id, "refresh", lifetime=REFRESH_LIFETIME),
            "refresh_expires_in": REFRESH_LIFETIME,
            "scope": account.get("scopes", GRANTED), "token_type": "Bearer"}


def control_account(body: dict) -> dict:
    user = new_user(body.get("username") or "sandbox")
    if body.get("privacy_level_options"):
        user["privacy"] = list(body["privacy_level_options"])
    if body.get("max_video_post_duration_sec"):
        user["max_duration"] = int(body["max_video_post_duration_sec"])
    for name in DISABLED:
        if name in body:
            user[name] = bool(body[name])
    return {**issue(user["id"]), "account_id": user["id"], "username": user["username"],
            "privacy_level_options": user["privacy"],
            "expires_at": int(time.time()) + ACCESS_LIFETIME}


@bp.get("/v2/auth/authorize/")
def authorize():
    back = callback(request.args.get("redirect_uri"), "tiktok")
    code = secrets.token_urlsafe(16)
    # The user grants the scopes the app asked for (and no others), or a subset of them.
    scopes = grant(request.args.get("scope", ""))
    state().codes[code] = {"account": new_user(scopes=scopes)["id"],
                           "redirect_uri": request.args.get("redirect_uri"),
                           "challenge": request.args.get("code_challenge")}
    return back_to(back, {"code": code, "state": request.args.get("state", ""),
                          "scopes": scopes})


@bp.post("/v2/oauth/token/")
@faulty("tiktok", "token", TOKEN_ERRORS)
def token():
    return oauth_token(
        "tiktok", code=lambda grant: json_response(issue(grant["account"])),
        refresh=_refresh_grant,
        bad_code=lambda: oauth_error("invalid_grant", "Authorization code is expired."),
        unsupported=lambda: oauth_error("unsupported_grant_type",
                                        "The grant type is not supported."))


def _refresh_grant(old):
    if old is None or old.revoked or old.used_at or (old.expires_at and old.expires_at < time.time()):
        return oauth_error("invalid_grant", "Refresh token is invalid or expired.")
    old.used_at = time.time()  # rotating: the old refresh token is spent
    return json_response(issue(old.account))


@bp.get("/v2/user/info/")
@signed_in(_user)
def user_info(user):
    """Only the fields the token's scopes cover (see tiktok_rules.fields_problem)."""
    fields = [f for f in request.args.get("fields", "").split(",") if f]
    refused = fields_problem(user, fields)
    if refused:
        return reply(code=refused[1], message=refused[2], status=refused[0])
    known = {"open_id": user["id"], "union_id": "union-" + user["id"], "username": user["username"],
             "display_name": user["nickname"],
             "avatar_url": "https://p16.tiktokcdn.com/avatar.jpeg"}
    return reply({"user": {f: known.get(f) for f in fields}})


def _user_with(any_of: tuple[str, ...]):
    """The caller (for signed_in), refused as TikTok does when its token lacks the scopes."""
    def who():
        user, problem = _user()
        return user, problem or _scope_refused(user, any_of)
    return who


def _scope_refused(user: dict, any_of: tuple[str, ...]):
    refused = scope_problem(user, any_of)
    return refused and reply(code=refused[1], message=refused[2], status=refused[0])


@bp.post("/v2/post/publish/creator_info/query/")
@faulty("tiktok", "creator_info", ERRORS, _token)
@signed_in(_user_with(PUBLISH))
def creator_info(user):
    return reply({"creator_username": user["username"], "creator_nickname": user["nickname"],
                  "creator_avatar_url": "https://p16.tiktokcdn.com/avatar.jpeg",
                  "privacy_level_options": user["privacy"],
                  **{name: user.get(name, default) for name, default in DISABLED.items()},
                  "max_video_post_duration_sec": user["max_duration"]})


def _post_info_problem(user: dict, info: dict, photo: bool) -> tuple[str, str] | None:
    if info.get("privacy_level") not in user["privacy"]:
        return "privacy_level_option_mismatch", "privacy_level is not one of the creator's options"
    return text_problem(info, photo) or daily_cap(user)


def _chunk_problem(source: dict) -> str | None:
    size, chunk, count = (int(source.get(k) or 0) for k in
                          ("video_size", "chunk_size", "total_chunk_count"))
    low = int(settings("tiktok").get("min_chunk", MIN_CHUNK))
    if size <= 0 or chunk <= 0:
        return "video_size and chunk_size must be positive"
    if size < low and (chunk != size or count != 1):
        return "a file smaller than the minimum chunk goes in one chunk"
    if size >= low and not low <= chunk <= MAX_CHUNK:
        return f"chunk_size must be between {low} and {MAX_CHUNK} bytes"
    if count != max(1, size // chunk) or not 1 <= count <= 1000:
        return "total_chunk_count must be video_size / chunk_size rounded down"
    return None


def _init_limited():
    """TikTok allows 6 init calls a minute per access token."""
    now = time.time()
    with state().lock:
        calls = state().bucket("tiktok", "init_calls").setdefault(bearer() or "", [])
        calls[:] = [t for t in calls if t > now - 60] + [now]
        if len(calls) <= INIT_PER_MINUTE:
            return None
    return reply(code="rate_limit_exceeded", status=429, message="API rate limit exceeded",
                 headers={"x-ratelimit-reset": str(int(min(calls)) + 60)})


def _new_publish(user: dict, kind: str, body: dict, **extra) -> dict:
    publish_id = f"{kind}_pub_{'file' if kind == 'v' else 'url'}~v2-1.{state().next_id()}"
    item = {"id": publish_id, "owner": user["id"], "status": "PROCESSING_UPLOAD", "received": 0,
            "post_info": body.get("post_info") or {}, "fail_reason": "", "post_id": None,
            "polls_left": int(settings("tiktok").get("polls", 1)), **extra}
    state().bucket("tiktok", "publishes")[publish_id] = item
    if extra.get("mode") == "direct":
        count_post(user)
    return item


def _init_request(direct: bool = True, photo: bool = False):
    """What every init call checks first: the token, the init rate limit, a direct post's
    post_info. (user, body, source_info, None), or (..., the error answer)."""
    body = request.get_json(silent=True) or {}
    source = body.get("source_info") or {}
    user, problem = _user()
    if problem:
        return None, body, source, problem
    refused = _scope_refused(user, PUBLISH if direct else EITHER if photo else DRAFT)
    if refused:
        return user, body, source, refused
    limited = _init_limited()
    if limited:
        return user, body, source, limited
    info = body.get("post_info") or {}
    bad = _post_info_problem(user, info, photo) if direct else text_problem(info, photo)
    if bad:
        status = 403 if bad[0].startswith("spam_risk") else 400
        return user, body, source, reply(code=bad[0], message=bad[1], status=status)
    return user, body, source, None


def _video_init(inbox: bool):
    user, body, source, problem = _init_request(direct=not inbox)
    if problem:
        return problem
    if source.get("source") != "FILE_UPLOAD":
        return reply(code="url_ownership_unverified", status=403,
                     message="PULL_FROM_URL needs a verified domain")
    problem = _chunk_problem(source)
    if problem:
        return reply(code="invalid_params", message=problem, status=400)
    item = _new_publish(user, "v", {} if inbox else body, size=int(source["video_size"]),
                        chunk=int(source["chunk_size"]), chunks=int(source["total_chunk_count"]),
                        mode="inbox" if inbox else "direct")
    return reply({"publish_id": item["id"],
                  "upload_url": f"{request.url_root}tiktok/upload/{item['id']}"})


@bp.post("/v2/post/publish/video/init/")
@faulty("tiktok", "init", ERRORS, _token)
def video_init():
    return _video_init(inbox=False)


@bp.post("/v2/post/publish/inbox/video/init/")
@faulty("tiktok", "init", ERRORS, _token)
def inbox_video_init():
    """Upload a draft: the creator gets an inbox notification and finishes it in the app."""
    return _video_init(inbox=True)


@bp.put("/upload/<publish_id>")
@media_upload
@faulty("tiktok", "upload", ERRORS)
def upload(publish_id: str):
    item = state().bucket("tiktok", "publishes").get(publish_id)
    if item is None or item["status"] != "PROCESSING_UPLOAD" or "size" not in item \
            or item.get("complete"):
        return reply(code="invalid_params", message="upload URL not found or expired", status=404)
    match = RANGE.match(request.headers.get("Content-Range", ""))
    data = request.get_data()
    with state().lock:
        if not match or int(match.group(1)) != item["received"] \
                or int(match.group(3)) != item["size"] \
                or int(match.group(2)) - int(match.group(1)) + 1 != len(data):
            return reply(code="invalid_params", status=416,
                         message=f"chunks go in order; the next starts at byte {item['received']}")
        item["received"] += len(data)
        if item["received"] < item["size"]:
            return json_response({}, 206)
        item["complete"] = True  # still PROCESSING_UPLOAD until TikTok has processed it
    return json_response({}, 201)


@bp.post("/v2/post/publish/content/init/")
@faulty("tiktok", "photo_init", ERRORS, _token)
def content_init():
    inbox = (request.get_json(silent=True) or {}).get("post_mode") == "MEDIA_UPLOAD"
    user, body, source, problem = _init_request(direct=not inbox, photo=True)
    if problem:
        return problem
    images = source.get("photo_images") or []
    if body.get("media_type") != "PHOTO" or source.get("source") != "PULL_FROM_URL" \
            or not 1 <= len(images) <= 35 \
            or not 0 <= int(source.get("photo_cover_index") or 0) < len(images):
        return reply(code="invalid_params", status=400,
                     message="a PHOTO post pulls 1 to 35 photo_images with a valid cover index")
    failed = next((p for p in (pull("tiktok", url) for url in images) if p), None)
    item = _new_publish(user, "p", body, images=images, mode="inbox" if inbox else "direct")
    item["status"] = "FAILED" if failed else "PROCESSING_DOWNLOAD"
    item["fail_reason"] = "photo_pull_failed" if failed else ""
    item["complete"] = True
    return reply({"publish_id": item["id"]})


def _advance(item: dict) -> None:
    """Processing finishes after a few polls; then the post (or the inbox draft) exists,
    exactly once."""
    if not item.get("complete") or item["status"] not in ("PROCESSING_UPLOAD", "PROCESSING_DOWNLOAD") \
            or step(item, "DONE") != "DONE":
        return
    info = item["post_info"]
    inbox = item.get("mode") == "inbox"
    with state().lock:
        item["post_id"] = state().next_id()
        item["status"] = "SEND_TO_USER_INBOX" if inbox else "PUBLISH_COMPLETE"
        item["public"] = not inbox and info.get("privacy_level") == "PUBLIC_TO_EVERYONE"
    state().record("tiktok", {"id": item["post_id"], "account": item["owner"],
                              "publish_id": item["id"], "kind": "video" if "size" in item
                              else "photo", "mode": item.get("mode", "direct"),
                              "title": info.get("title", ""),
                              "description": info.get("description", ""),
                              "privacy_level": info.get("privacy_level"),
                              **{k: info.get(k) for k in INTERACTION_AND_DISCLOSURE},
                              "bytes": item.get("received"), "images": item.get("images")})


@bp.post("/v2/post/publish/status/fetch/")
@faulty("tiktok", "status", ERRORS, _token)
@signed_in(_user_with(EITHER))
def status_fetch(user):
    publish_id = (request.get_json(silent=True) or {}).get("publish_id", "")
    item = state().bucket("tiktok", "publishes").get(publish_id)
    if item is None or item["owner"] != user["id"]:
        return reply(code="invalid_publish_id", message="publish_id not found", status=400)
    _advance(item)
    data = {"status": item["status"], "fail_reason": item["fail_reason"],
            "uploaded_bytes": item.get("received", 0)}
    if item["status"] == "PUBLISH_COMPLETE" and item.get("public"):
        data["publicaly_available_post_id"] = [int(item["post_id"])]
    return reply(data)
