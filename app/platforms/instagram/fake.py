"""Fake Instagram Graph API: image, REELS, VIDEO and CAROUSEL containers with status_code
processing, media_publish, permalinks, ig_refresh_token, Graph error bodies. The publishing
edges answer on both hosts: graph.instagram.com (Instagram Login) and graph.facebook.com
(Facebook Login, for the account linked to a Page)."""

from __future__ import annotations

import re
import time
from functools import wraps

from flask import Blueprint, request

from app.platforms.threads.fake import (
    ERRORS,
    graph_error,
    graph_long_lived,
    graph_new_account,
    graph_refresh_refused,
    graph_sign_in,
    graph_token,
    graph_user,
)
from app.sandbox.core import faulty, json_response, signed_in, state
from app.sandbox.pull import pull, settings, step
from app.sandbox.versions import graph_versioned

bp = Blueprint("sandbox_instagram", __name__, url_prefix="/instagram")
facebook_bp = Blueprint("sandbox_instagram_facebook", __name__, url_prefix="/facebook")
V = "/<graph_version:version>"
SHORT_LIFETIME, LONG_LIFETIME = 3600, 60 * 86_400
graph_versioned(bp, "instagram")
graph_versioned(facebook_bp, "facebook")
HASHTAG = re.compile(r"(?:^|(?<=\s))#\w+")


def _param(name: str) -> str | None:
    return request.values.get(name)


def _via_facebook() -> bool:
    return request.blueprint == facebook_bp.name


def _token():
    return graph_token("facebook" if _via_facebook() else "instagram")


def _user():
    return graph_user("instagram")


def edge(rule: str, **options):
    """A publishing edge on both hosts."""
    def decorate(view):
        bp.route(rule, **options)(view)
        facebook_bp.route(rule, **options)(view)
        return view
    return decorate


def _acting(uid: str):
    """None when the request's token may act for Instagram user `uid`, else Graph's error. On
    the Facebook host that is the token of the Page linked to the account, or of a user who
    manages that Page."""
    if _via_facebook():
        who, error = graph_user("facebook")
        pages = [] if error else [who] if who.get("kind") == "page" else [
            state().account("facebook", page) for page in who.get("pages", [])]
        allowed = {page.get("instagram") for page in pages if page}
    else:
        who, error = _user()
        allowed = {who["id"]} if who else set()
    if error or uid in allowed:
        return error
    return graph_error(f"Unsupported request. Object with ID '{uid}' does not exist, cannot be "
                       "loaded due to missing permissions, or does not support this operation",
                       100, kind="GraphMethodException")


def acting(view):
    """Answer an edge of user `uid` only for a token that may act for it (_acting), else with
    Graph's error."""
    @wraps(view)
    def wrapper(uid: str, **kwargs):
        return _acting(uid) or view(uid, **kwargs)
    return wrapper


def new_account(username: str = "sandbox") -> tuple[dict, str]:
    return graph_new_account("instagram", username)


def control_account(body: dict) -> dict:
    account, token = new_account(body.get("username") or "sandbox")
    return {"access_token": token, "account_id": account["id"], "username": account["username"],
            "expires_at": int(time.time()) + LONG_LIFETIME}


def _exchange_code(grant: dict):
    # The token holds the permissions asked for at consent, and the answer lists them
    # (https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/
    # business-login, Step 2: "permissions"); no scope asked: every permission.
    asked = (grant.get("scope") or "").replace(",", " ").split()
    return json_response({"access_token": state().mint("instagram", grant["account"],
                                                       lifetime=SHORT_LIFETIME,
                                                       scopes=" ".join(asked) or None),
                          "user_id": grant["account"],
                          "permissions": asked or ["instagram_business_basic"]})


def _granted() -> str | None:
    """The request's token's permissions as mint() takes them, for the tokens it trades for."""
    token = _token()
    return token.granted() if token is not None else None


def _publish_refused():
    """Graph's permission error when the token lacks the publishing permission, else None:
    instagram_business_content_publish with Instagram Login, instagram_content_publish with
    Facebook Login. https://developers.facebook.com/docs/instagram-platform/content-publishing
    (Requirements: "Permissions").
    The refusal is Graph's #10, as the insights edges answer a missing permission."""
    needed = "instagram_content_publish" if _via_facebook() else \
        "instagram_business_content_publish"
    token = _token()
    if token is None or token.holds(needed):
        return None  # a token minted without a consent screen holds every permission
    return graph_error("(#10) Application does not have permission for this action", 10, 403)


graph_sign_in(bp, "instagram", _exchange_code)


@bp.get("/access_token")
@signed_in(_user)
def exchange(user):
    return graph_long_lived(state().mint("instagram", user["id"], lifetime=LONG_LIFETIME,
                                         scopes=_granted()))


@bp.get("/refresh_access_token")
@faulty("instagram", "refresh", ERRORS, _token)
@signed_in(_user)
def refresh(user):
    # "Refresh a long-lived access token that is at least 24 hours old but has not expired.
    # Refreshed tokens are valid for 60 days"; grant_type must be ig_refresh_token; an expired
    # token is refused by _user (190, subcode 463).
    # https://developers.facebook.com/docs/instagram-platform/reference/refresh_access_token
    return graph_refresh_refused("instagram", "ig_refresh_token") or graph_long_lived(
        state().mint("instagram", user["id"], lifetime=LONG_LIFETIME, scopes=_granted()))


@bp.get(f"{V}/me")
def me():
    user, error = _user()
    return error or json_response({"user_id": user["id"], "id": user["id"],
                                   "username": user["username"]})


def _check_container(uid: str) -> str | None:
    """The Graph error message for a container request that Instagram would refuse, or None."""
    kind, caption = _param("media_type") or "IMAGE", _param("caption") or ""
    if len(caption) > 2200 or len(HASHTAG.findall(caption)) > 30:
        return "The caption is too long or has more than 30 hashtags."
    if kind in ("REELS", "VIDEO") and not _param("video_url"):
        return "The parameter video_url is required."
    if kind == "IMAGE" and not _param("image_url"):
        return "The parameter image_url is required."
    if kind == "CAROUSEL":
        children = [c for c in (_param("children") or "").split(",") if c]
        containers = state().bucket("instagram", "containers")
        if not 2 <= len(children) <= 10:
            return "A carousel needs between 2 and 10 children."
        for child in children:
            found = containers.get(child)
            if not found or found["owner"] != uid or not found["carousel_item"] \
                    or found["status"] != "FINISHED":
                return f"Child {child} is not a finished carousel item of this account."
    elif kind not in ("IMAGE", "REELS", "VIDEO"):
        return "Unsupported media_type."
    return None


@edge(f"{V}/<uid>/media", methods=["POST"])
@faulty("instagram", "container", ERRORS, _token)
@acting
def create_container(uid: str):
    if (refused := _publish_refused()) is not None:
        return refused
    problem = _check_container(uid)
    if problem:
        return graph_error(problem, 100)
    kind = _param("media_type") or "IMAGE"
    url = _param("video_url") or _param("image_url")
    fetch_error = pull("instagram", url) if url else None
    video = kind in ("REELS", "VIDEO")
    container = {"id": state().next_id(), "owner": uid, "media_type": kind,
                 "caption": _param("caption") or "", "url": url, "alt_text": _param("alt_text"),
                 "carousel_item": _param("is_carousel_item") == "true",
                 "children": [c for c in (_param("children") or "").split(",") if c],
                 "status": "ERROR" if fetch_error else "IN_PROGRESS", "error": fetch_error,
                 "polls_left": int(settings("instagram").get("video_polls" if video
                                                            else "image_polls", 2 if video else 0))}
    if video and settings("instagram").get("fail_video"):
        container["status"], container["error"] = "ERROR", "Unsupported video format (2207026)"
    state().bucket("instagram", "containers")[container["id"]] = container
    return json_response({"id": container["id"]})


@edge(f"{V}/<uid>/media_publish", methods=["POST"])
@faulty("instagram", "publish", ERRORS, _token)
@acting
def publish(uid: str):
    if (refused := _publish_refused()) is not None:
        return refused
    container = state().bucket("instagram", "containers").get(_param("creation_id") or "")
    if container is None or container["owner"] != uid or container["carousel_item"]:
        return graph_error("Invalid parameter", 100, subcode=4279009)
    with state().lock:
        if container["status"] == "PUBLISHED":
            return graph_error("The media has already been published.", 100, subcode=2207008)
        if container["status"] != "FINISHED":
            return graph_error("Media ID is not available", 9007, subcode=2207027)
        used = sum(1 for p in state().posts.get("instagram", []) if p["account"] == uid
                   and p.get("at", 0) > time.time() - 86_400)
        if used >= int(settings("instagram").get("quota_total", 100)):
            return graph_error("The account has reached its publishing limit.", 9,
                               subcode=2207042, status=400)
        media_id = state().next_id()
        container["status"], container["media_id"] = "PUBLISHED", media_id
    state().record("instagram", {
        "id": media_id, "account": uid, "caption": container["caption"],
        "media_type": container["media_type"], "container": container["id"],
        "children": container["children"], "url": container["url"], "at": time.time(),
        "permalink": f"https://www.instagram.com/p/{media_id}/"})
    return json_response({"id": media_id})


@edge(f"{V}/<uid>/content_publishing_limit")
@acting
def publishing_limit(uid: str):
    day_ago = time.time() - 86_400
    used = sum(1 for p in state().posts.get("instagram", [])
               if p["account"] == uid and p.get("at", 0) > day_ago)
    total = int(settings("instagram").get("quota_total", 100))
    return json_response({"data": [{"quota_usage": used,
                                    "config": {"quota_total": total, "quota_duration": 86_400}}]})


@edge(f"{V}/<uid>/media")
@acting
def list_media(uid: str):
    mine = [p for p in state().posts.get("instagram", []) if p["account"] == uid]
    return json_response({"data": [{"id": p["id"], "caption": p["caption"],
                                    "permalink": p["permalink"]}
                                   for p in reversed(mine)][: int(_param("limit") or 25)]})


@bp.get(f"{V}/<object_id>")
@faulty("instagram", "status", ERRORS, _token)
@signed_in(_user)
def get_object(_user_, object_id: str):
    return describe(object_id) or graph_error(
        f"Unsupported get request. Object with ID '{object_id}' does not exist", 100,
        kind="GraphMethodException")


def describe(object_id: str):
    """A container's status (one processing step per look) or a published media, or None."""
    container = state().bucket("instagram", "containers").get(object_id)
    if container is not None:
        status = step(container, "FINISHED")
        return json_response({"id": object_id, "status_code": status,
                              "status": container.get("error") or status})
    post = next((p for p in state().posts.get("instagram", []) if p["id"] == object_id), None)
    if post is None:
        return None
    return json_response({"id": object_id, "permalink": post["permalink"],
                          "caption": post["caption"]})
