"""Fake Facebook Graph API for Pages: Meta login with page tokens and the Instagram accounts
linked to the pages, feed posts with attached unpublished photos, the Resumable Upload API
(sessions, file_offset) and page videos (also uploaded in upload_phase chunks, facebook_video)."""

from __future__ import annotations

import json
import re
import secrets
import time

from flask import Blueprint, request

from app.platforms.facebook import fake_video as facebook_video
from app.platforms.instagram import fake as instagram
from app.platforms.threads.fake import ERRORS, graph_error
from app.sandbox.core import code_grant, faulty, json_response, signed_in, state
from app.sandbox.guard import back_to, callback, media_upload
from app.sandbox.pull import settings
from app.sandbox.versions import graph_versioned

bp = Blueprint("sandbox_facebook", __name__, url_prefix="/facebook")
V = "/<graph_version:version>"
APP_ID = "1234567890"
# What Meta login grants in the sandbox unless a test sets {"consent_pages": [...]}: two pages,
# each linked to an Instagram professional account.
CONSENT_PAGES = ({"name": "Sandbox Page 1", "instagram": "sandbox_ig_one"},
                 {"name": "Sandbox Page 2", "instagram": "sandbox_ig_two"})
PAGE_FIELDS = "id,name,access_token,category,tasks"
graph_versioned(bp, "facebook")


def _value(name: str) -> str | None:
    return request.values.get(name)


def _number(name: str, default: int) -> int:
    try:
        return int(_value(name) or default)
    except ValueError:
        return default


def _token_value() -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("OAuth "):
        return header[6:].strip()
    return _value("access_token")


def _token():
    return state().token("facebook", _token_value())


def _who():
    """The page (or user) behind the token, or Graph's 190."""
    token = _token()
    if token is None or token.revoked:
        return None, graph_error("Error validating access token: The session has been "
                                 "invalidated because the user changed their password.", 190,
                                 subcode=460)
    if token.expires_at and token.expires_at < time.time():
        return None, graph_error("Error validating access token: Session has expired.", 190,
                                 subcode=463)
    return state().account("facebook", token.account), None


def new_page(name: str = "Sandbox Page") -> tuple[dict, str]:
    """A page and its page token (page tokens from a long-lived user token never expire)."""
    page = state().add_account("facebook", state().next_id(), name=name, kind="page")
    return page, state().mint("facebook", page["id"])


def link_instagram(page: dict, username: str) -> dict:
    """An Instagram professional account linked to the page."""
    account = state().add_account("instagram", state().next_id(), username=username)
    page["instagram"] = account["id"]
    return account


def control_account(body: dict) -> dict:
    page, token = new_page(body.get("name") or "Sandbox Page")
    user = state().add_account("facebook", state().next_id(), name="Sandbox User", kind="user",
                               pages=[page["id"]])
    return {"access_token": token, "account_id": page["id"], "page_id": page["id"],
            "username": page["name"], "app_id": APP_ID,
            "user_access_token": state().mint("facebook", user["id"], lifetime=60 * 86_400)}


def control_instagram(body: dict) -> dict:
    """An Instagram account as Facebook Login connects it: through its page, with the page's
    token."""
    made = control_account({"name": body.get("name")})
    account = link_instagram(state().account("facebook", made["page_id"]),
                             body.get("username") or "sandbox_ig")
    return {**made, "account_id": account["id"], "username": account["username"],
            "login": "facebook"}


@bp.get("/dialog/oauth")
def authorize():
    back = callback(request.args.get("redirect_uri"), "facebook", "instagram")
    user = state().add_account("facebook", state().next_id(), name="Sandbox User", kind="user")
    user["pages"] = []
    for wanted in settings("facebook").get("consent_pages") or CONSENT_PAGES:
        page = new_page(wanted["name"])[0]
        if wanted.get("instagram"):
            link_instagram(page, wanted["instagram"])
        user["pages"].append(page["id"])
    # The tokens carry the permissions the person granted: here, every one asked for
    # (https://developers.facebook.com/docs/facebook-login/guides/permissions/request-revoke).
    asked = (request.args.get("scope") or "").replace(",", " ").split()
    code = secrets.token_urlsafe(16)
    state().codes[code] = {"account": user["id"], "redirect_uri": request.args.get("redirect_uri"),
                           "scope": " ".join(asked)}
    return back_to(back, {"code": code, "state": request.args.get("state", "")})


@bp.get(f"{V}/oauth/access_token")
def access_token():
    if _value("grant_type") == "fb_exchange_token":
        token = state().token("facebook", _value("fb_exchange_token"))
        if token is None or token.revoked:
            return graph_error("Error validating access token.", 190)
        return json_response({"access_token": state().mint("facebook", token.account,
                                                           lifetime=60 * 86_400,
                                                           scopes=token.granted()),
                              "token_type": "bearer", "expires_in": 60 * 86_400})
    grant = code_grant(_value("code"), _value("redirect_uri"))
    if grant is None:
        return graph_error("Invalid verification code format.", 100)
    return json_response({"access_token": state().mint("facebook", grant["account"], lifetime=3600,
                                                       scopes=grant.get("scope") or None),
                          "token_type": "bearer", "expires_in": 3600})


def _fields() -> dict[str, list[str]]:
    """`fields`, with nested ones: "id,instagram_business_account{id,username}"."""
    raw = _value("fields") or PAGE_FIELDS
    return {m[1]: (m[2] or "id").split(",") for m in re.finditer(r"(\w+)(?:\{([^}]*)\})?", raw)}


def _page_entry(page: dict, fields: dict[str, list[str]], scopes: str | None = None) -> dict:
    # A Page token holds the permissions the person granted the app (Pages API overview,
    # https://developers.facebook.com/docs/pages-api/overview "Page access tokens").
    entry = {"id": page["id"], "name": page["name"], "category": "Brand",
             "access_token": state().mint("facebook", page["id"], scopes=scopes),
             "tasks": ["CREATE_CONTENT", "MANAGE"]}
    linked = state().account("instagram", page.get("instagram") or "")
    if linked:
        entry["instagram_business_account"] = {k: linked[k] for k in
                                               fields.get("instagram_business_account", ["id"])
                                               if k in linked}
    return {k: v for k, v in entry.items() if k in fields or k == "id"}


@bp.get(f"{V}/me/accounts")
@signed_in(_who)
def my_pages(user):
    fields, scopes = _fields(), _token().granted()
    return json_response({"data": [_page_entry(state().account("facebook", p), fields, scopes)
                                   for p in user.get("pages", [])]})


def _page(page_id: str):
    page, error = _who()
    if error:
        return None, error
    if page["id"] != page_id:
        return None, graph_error("(#200) The page token does not belong to this page", 200,
                                 403, kind="OAuthException")
    return page, None


# Publishing on a Page needs pages_manage_posts and pages_read_engagement
# (https://developers.facebook.com/docs/pages-api/posts "Before you start";
# https://developers.facebook.com/docs/video-api/guides/publishing "Requirements").
PUBLISH_SCOPES = frozenset({"pages_manage_posts", "pages_read_engagement"})
NOT_ALLOWED_TO_POST = ("(#200) If posting to a page, requires both pages_read_engagement and "
                       "pages_manage_posts as an admin with sufficient administrative permission")


def _publishing(page_id: str):
    page, error = _page(page_id)
    if error:
        return None, error
    token = _token()
    if not token.holds(*PUBLISH_SCOPES):
        return None, graph_error(NOT_ALLOWED_TO_POST, 200, 403, kind="OAuthException")
    return page, None


@bp.post(f"{V}/<page_id>/photos")
@media_upload
@faulty("facebook", "photo", ERRORS, _token)
def photo(page_id: str):
    _page_, error = _publishing(page_id)
    if error:
        return error
    upload = request.files.get("source")
    if upload is None and not _value("url"):
        return graph_error("(#324) Requires upload file", 324)
    photo_id = state().next_id()
    data = upload.read() if upload else b""
    state().bucket("facebook", "photos")[photo_id] = {
        "page": page_id, "published": _value("published") != "false", "bytes": len(data),
        "content_type": upload.mimetype if upload else None, "url": _value("url"), "used": False}
    return json_response({"id": photo_id})


def _attached(page_id: str) -> tuple[list[str], str | None]:
    raw = _value("attached_media")
    if not raw:
        return [], None
    try:
        ids = [str(item["media_fbid"]) for item in json.loads(raw)]
    except (ValueError, KeyError, TypeError):
        return [], "(#100) attached_media must be a JSON array of {media_fbid}"
    photos = state().bucket("facebook", "photos")
    for photo_id in ids:
        found = photos.get(photo_id)
        if not found or found["page"] != page_id or found["published"] or found["used"]:
            return [], f"(#100) media_fbid {photo_id} is not an unpublished photo of this page"
    return ids, None


@bp.post(f"{V}/<page_id>/feed")
@faulty("facebook", "feed", ERRORS, _token)
def feed(page_id: str):
    _page_, error = _publishing(page_id)
    if error:
        return error
    ids, problem = _attached(page_id)
    if problem:
        return graph_error(problem, 100)
    message = _value("message") or ""
    if not message and not ids and not _value("link"):
        return graph_error("(#100) Missing message or attachment", 100)
    post_id = f"{page_id}_{state().next_id()}"
    for photo_id in ids:
        state().bucket("facebook", "photos")[photo_id]["used"] = True
    state().record("facebook", {"id": post_id, "account": page_id, "message": message,
                                "photos": ids, "link": _value("link"), "kind": "feed",
                                "created": int(time.time()), "from": page_id,
                                "permalink": f"https://www.facebook.com/{post_id}"})
    return json_response({"id": post_id})


@bp.get(f"{V}/<page_id>/feed")
@faulty("facebook", "read_feed", ERRORS, _token)
def read_feed(page_id: str):
    """The Page's feed, newest first, posts made at or after `since` (unix time)
    (https://developers.facebook.com/docs/graph-api/reference/page/feed/ "Reading";
    https://developers.facebook.com/docs/graph-api/results "Time-based Pagination"). As the
    docs say, the feed holds the Page's own posts and visitors' posts on the Page; each entry
    carries only the `fields` asked (id always; without `fields`: id, message, created_time)."""
    _page_, error = _page(page_id)
    if error:
        return error
    since, limit = _number("since", 0), min(_number("limit", 25), 100)
    asked = set(_fields()) if _value("fields") else {"id", "message", "created_time"}
    found = [p for p in state().posts.get("facebook", []) if p["account"] == page_id
             and p["kind"] == "feed" and p["created"] >= since][::-1][:limit]
    return json_response({"data": [_feed_entry(p, asked | {"id"}) for p in found]})


def _feed_entry(post: dict, asked: set[str]) -> dict:
    author = post.get("from", post["account"])
    entry = {"id": post["id"], "message": post["message"],
             "created_time": time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(post["created"])),
             "from": {"id": author, "name": (state().account("facebook", author) or {}).get(
                 "name", post.get("from_name", "Visitor"))}}
    return {k: v for k, v in entry.items() if k in asked and v not in (None, "")}


@bp.post(f"{V}/<app_id>/uploads")
@faulty("facebook", "session", ERRORS, _token)
@signed_in(_who)
def start_upload(who, app_id: str):
    if who.get("kind") != "user":
        return graph_error("(#200) Uploads need a user access token of an app user", 200, 403)
    length = _value("file_length") or ""
    if app_id != APP_ID or not length.isdigit() or not _value("file_type"):
        return graph_error("(#100) file_length, file_type and a valid app id are required", 100)
    session = f"upload:{secrets.token_urlsafe(12)}"
    state().bucket("facebook", "uploads")[session] = {"length": int(length), "received": 0,
                                                      "type": _value("file_type")}
    return json_response({"id": session})


@bp.post(f"{V}/<session_id>")
@media_upload
@faulty("facebook", "transfer", ERRORS, _token)
@signed_in(_who)
def transfer(_who_, session_id: str):
    upload = state().bucket("facebook", "uploads").get(session_id)
    if upload is None:
        return graph_error("(#100) Invalid upload session", 100)
    offset = request.environ.get("sandbox.raw_headers", {}).get("file_offset", "")
    with state().lock:
        if not offset.isdigit() or int(offset) != upload["received"]:
            return graph_error(f"(#100) file_offset must be {upload['received']}", 100)
        upload["received"] += len(request.get_data())  # only the count is kept
        if upload["received"] > upload["length"]:
            return graph_error("(#100) more bytes than file_length", 100)
        if upload["received"] < upload["length"]:
            return json_response({"file_offset": upload["received"]})
        upload["handle"] = upload.get("handle") or f"2:{secrets.token_urlsafe(24)}"
    return json_response({"h": upload["handle"]})


@bp.post(f"{V}/<page_id>/videos")
@media_upload
@faulty("facebook", "video", ERRORS, _token)
def video(page_id: str):
    _page_, error = _publishing(page_id)  # a Page access token of this Page, nothing else
    if error:
        return error
    if _value("upload_phase"):
        return facebook_video.phase(page_id)
    handle = _value("fbuploader_video_file_chunk")
    upload = next((u for u in state().bucket("facebook", "uploads").values()
                   if handle and u.get("handle") == handle), None)
    if upload is None:
        return graph_error("(#100) fbuploader_video_file_chunk is not a finished upload", 100)
    video_id = state().next_id()
    state().record("facebook", {"id": video_id, "account": page_id, "kind": "video",
                                "message": _value("description") or "", "title": _value("title"),
                                "bytes": upload["received"],
                                "permalink": f"https://www.facebook.com/{page_id}/videos/{video_id}"})
    return json_response({"id": video_id})


@bp.get(f"{V}/<object_id>")
@signed_in(_who)
def get_object(_who_, object_id: str):
    upload = state().bucket("facebook", "uploads").get(object_id)
    if upload is not None:
        return json_response({"id": object_id, "file_offset": upload["received"]})
    post = next((p for p in state().posts.get("facebook", []) if p["id"] == object_id), None)
    if post is None:
        return instagram.describe(object_id) or graph_error(
            f"Unsupported get request. Object with ID '{object_id}' does not exist", 100,
            kind="GraphMethodException")
    return json_response({"id": object_id, "permalink_url": post["permalink"],
                          "message": post["message"]})
