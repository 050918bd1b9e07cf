"""Fake Threads Graph API: containers then publish, container status, permalinks, long-lived
tokens (exchange and refresh), Graph error bodies (190 auth, 4/17/32/613 throttling)."""

from __future__ import annotations

import secrets
import time

from flask import Blueprint, request

from app.platforms.threads.rules import threads_length, unique_links
from app.sandbox.core import code_grant, faulty, json_response, signed_in, state
from app.sandbox.guard import back_to, callback

bp = Blueprint("sandbox_threads", __name__, url_prefix="/threads")
SHORT_LIFETIME, LONG_LIFETIME = 3600, 60 * 86_400
IMAGE_POLLS = 1
# What a token may do; one minted by the control API (no consent screen) has them all.
# https://developers.facebook.com/documentation/threads/retrieve-and-manage-replies
# (Permissions: threads_read_replies is required for GET calls to reply endpoints)
ALL_SCOPES = "threads_basic,threads_content_publish,threads_read_replies"
MAX_LINKS = 5


def graph_error(message: str, code: int, status: int = 400, subcode: int | None = None,
                kind: str = "OAuthException"):
    error = {"message": message, "type": kind, "code": code, "fbtrace_id": secrets.token_hex(8)}
    if subcode:
        error["error_subcode"] = subcode
    return json_response({"error": error}, status)


ERRORS = {
    "5xx": lambda f: graph_error("An unexpected error has occurred. Please retry your request "
                                 "later.", 2, 500, kind="OAuthException"),
    "429": lambda f: graph_error("Application request limit reached", 4, 400),
}


def _param(name: str) -> str | None:
    return request.values.get(name)


# Meta's Graph fakes (Threads, Instagram) share how tokens, accounts and sign-in behave.

def graph_token(platform: str):
    return state().token(platform, _param("access_token"))


def graph_user(platform: str):
    """(account, None) for the request's access token, or (None, Graph error 190)."""
    token = graph_token(platform)
    if token is None or token.revoked:
        return None, graph_error("Error validating access token: The user has not authorized "
                                 "application.", 190, subcode=458)
    if token.expires_at and token.expires_at < time.time():
        return None, graph_error("Error validating access token: Session has expired.", 190,
                                 subcode=463)
    return state().account(platform, token.account), None


def graph_new_account(platform: str, username: str) -> tuple[dict, str]:
    account = state().add_account(platform, state().next_id(), username=username)
    return account, state().mint(platform, account["id"], lifetime=LONG_LIFETIME)


def graph_authorize(platform: str):
    """The consent screen, always granted: back to redirect_uri with a code and the state."""
    back = callback(request.args.get("redirect_uri"), platform)
    code = secrets.token_urlsafe(16)
    account, _ = graph_new_account(platform, "sandbox")
    state().codes[code] = {"account": account["id"], "redirect_uri": request.args.get("redirect_uri"),
                           "scope": request.args.get("scope", "")}
    return back_to(back, {"code": code, "state": request.args.get("state", "")})


def graph_sign_in(bp: Blueprint, platform: str, exchange) -> None:
    """The consent screen (graph_authorize) and the code exchange of a Graph sign-in: a code
    taken once, for the redirect_uri it was issued with, or Graph's error 100; then
    `exchange(grant)` answers with the platform's short-lived token."""
    def code():
        grant = code_grant(request.form.get("code"), request.form.get("redirect_uri"))
        return (grant, None) if grant else (None, graph_error("Invalid verification code "
                                                              "format.", 100))

    bp.get("/oauth/authorize", endpoint="authorize")(lambda: graph_authorize(platform))
    bp.post("/oauth/access_token", endpoint="access_token")(signed_in(code)(exchange))


def graph_refresh_refused(platform: str, grant_type: str, young_ok: bool = False):
    """Graph's refusal of a long-lived token refresh, or None: Instagram and Threads both ask for
    their own grant_type and a token "at least 24 hours old" (an expired one never gets here:
    graph_user refuses it with 190, subcode 463)."""
    if _param("grant_type") != grant_type:
        return graph_error(f"grant_type must be {grant_type}", 100)
    token = graph_token(platform)
    if token is not None and time.time() - token.issued_at < 86_400 and not young_ok:
        return graph_error("The access token must be at least 24 hours old to be refreshed.", 190)
    return None


def graph_long_lived(access_token: str):
    """A long-lived token as Graph answers the exchange and the refresh (60 days)."""
    return json_response({"access_token": access_token, "token_type": "bearer",
                          "expires_in": LONG_LIFETIME})


def _token():
    return graph_token("threads")


def _grant(token: str, scope: str) -> str:
    state().bucket("threads", "scopes")[token] = scope
    return token


def _scopes() -> set[str]:
    value = state().bucket("threads", "scopes").get(_param("access_token") or "", ALL_SCOPES)
    return set(value.split(","))


def _user():
    return graph_user("threads")


def new_account(username: str = "sandbox") -> tuple[dict, str]:
    return graph_new_account("threads", username)


def _exchange_code(grant: dict):
    short = state().mint("threads", grant["account"], lifetime=SHORT_LIFETIME)
    return json_response({"access_token": _grant(short, grant["scope"]),
                          "user_id": int(grant["account"])})


graph_sign_in(bp, "threads", _exchange_code)


@bp.get("/access_token")
@signed_in(_user)
def exchange(user):
    long = state().mint("threads", user["id"], lifetime=LONG_LIFETIME)
    return graph_long_lived(_grant(long, ",".join(sorted(_scopes()))))


@bp.get("/refresh_access_token")
@faulty("threads", "refresh", ERRORS, _token)
@signed_in(_user)
def refresh(user):
    # "Refresh a long-lived token that is at least 24 hours old but has not expired" with
    # grant_type=th_refresh_token; an expired token is refused by _user (190, subcode 463).
    # https://developers.facebook.com/docs/threads/get-started/long-lived-tokens ("Refresh a
    # Long-Lived Token")
    refused = graph_refresh_refused("threads", "th_refresh_token",
                                    young_ok=state().settings("threads").get("allow_young_refresh"))
    if refused:
        return refused
    long = state().mint("threads", user["id"], lifetime=LONG_LIFETIME)
    return graph_long_lived(_grant(long, ",".join(sorted(_scopes()))))


@bp.get("/v1.0/me")
def me():
    user, error = _user()
    return error or json_response({"id": user["id"], "username": user["username"]})


def _publish_refused():
    """Graph's permission error when the token lacks threads_content_publish, else None:
    "threads_content_publish — Required for Threads publishing endpoints" (POST /threads and
    /threads_publish). https://developers.facebook.com/docs/threads/create-posts (Permissions);
    the refusal is Graph's #10, with 403 as list_replies answers it."""
    if "threads_content_publish" in _scopes():
        return None
    return graph_error("(#10) Application does not have permission for this action", 10, 403)


@bp.post("/v1.0/<uid>/threads")
@faulty("threads", "container", ERRORS, _token)
@signed_in(_user)
def create_container(user, uid: str):
    if (refused := _publish_refused()) is not None:
        return refused
    if user["id"] != uid:
        return graph_error("Unsupported post request.", 100, kind="GraphMethodException")
    kind, text = _param("media_type"), _param("text") or ""
    if kind not in ("TEXT", "IMAGE", "CAROUSEL", "VIDEO"):
        return graph_error("The parameter media_type is required.", 100)
    if threads_length(text) > 500:
        return graph_error("Param text must be at most 500 characters long.", 100)
    # https://developers.facebook.com/documentation/threads/create-posts/text-attachments
    # (Limitations: more than 5 links fail at the media creation step with
    # THREADS_API__LINK_LIMIT_EXCEEDED; every unique URL in the text counts)
    if unique_links(text) > MAX_LINKS:
        return graph_error("THREADS_API__LINK_LIMIT_EXCEEDED: A post can contain at most 5 "
                           "links.", 100)
    if kind == "IMAGE" and not (_param("image_url") or "").startswith(("http://", "https://")):
        return graph_error("The parameter image_url is required.", 100)
    container = {"id": state().next_id(), "owner": uid, "media_type": kind, "text": text,
                 "reply_to": _param("reply_to_id"), "children": _param("children"),
                 "image_url": _param("image_url"), "carousel_item": _param("is_carousel_item"),
                 "polls_left": IMAGE_POLLS if kind != "TEXT" else 0, "status": "IN_PROGRESS"
                 if kind != "TEXT" else "FINISHED"}
    state().bucket("threads", "containers")[container["id"]] = container
    return json_response({"id": container["id"]})


@bp.post("/v1.0/<uid>/threads_publish")
@faulty("threads", "publish", ERRORS, _token)
@signed_in(_user)
def publish(user, uid: str):
    if (refused := _publish_refused()) is not None:
        return refused
    container = state().bucket("threads", "containers").get(_param("creation_id") or "")
    if container is None or container["owner"] != uid:
        return graph_error("Invalid parameter", 100, subcode=4279009)
    with state().lock:
        if container["status"] == "PUBLISHED":
            return graph_error("The media has already been published.", 100, subcode=2207008)
        if container["status"] != "FINISHED":
            return graph_error("The media is not ready for publishing, please wait for a "
                               "moment", 9007, subcode=2207027)
        media_id = state().next_id()
        container["status"], container["media_id"] = "PUBLISHED", media_id
    state().record("threads", {"id": media_id, "account": uid, "text": container["text"],
                               "reply_to": container["reply_to"], "container": container["id"],
                               "permalink": f"https://www.threads.net/@{user['username']}/post/{media_id}"})
    return json_response({"id": media_id})


def _listed(uid: str, replies: bool) -> list[dict]:
    mine = [p for p in state().posts.get("threads", []) if p["account"] == uid
            and bool(p["reply_to"]) == replies]
    return [{"id": p["id"], "text": p["text"], "permalink": p["permalink"],
             **({"replied_to": {"id": p["reply_to"]}} if replies else {})}
            for p in reversed(mine)][: int(_param("limit") or 25)]


@bp.get("/v1.0/<uid>/threads")
def list_threads(uid: str):
    """The user's own threads; their replies are listed apart, under /replies.
    https://developers.facebook.com/documentation/threads/reference/reply-management"""
    _user_, error = _user()
    return error or json_response({"data": _listed(uid, replies=False)})


@bp.get("/v1.0/<uid>/replies")
@signed_in(_user)
def list_replies(_user_, uid: str):
    """The user's replies, with the post each replies to; a GET on a reply endpoint needs
    threads_read_replies (retrieve-and-manage-replies, Permissions), else Graph error 10."""
    if "threads_read_replies" not in _scopes():
        # A permission error comes as 403, as the Facebook fake answers Graph's #200.
        return graph_error("(#10) Application does not have permission for this action", 10, 403)
    return json_response({"data": _listed(uid, replies=True)})


@bp.get("/v1.0/<object_id>")
@faulty("threads", "status", ERRORS, _token)
@signed_in(_user)
def get_object(_user_, object_id: str):
    container = state().bucket("threads", "containers").get(object_id)
    if container is not None:
        if container["status"] == "IN_PROGRESS":
            container["polls_left"] -= 1
            if container["polls_left"] < 0:
                container["status"] = "FINISHED"
        return json_response({"id": object_id, "status": container["status"]})
    post = next((p for p in state().posts.get("threads", []) if p["id"] == object_id), None)
    if post is None:
        return graph_error(f"Unsupported get request. Object with ID '{object_id}' does not exist",
                           100, kind="GraphMethodException")
    return json_response({"id": object_id, "permalink": post["permalink"], "text": post["text"]})


def control_account(body: dict) -> dict:
    """A ready account for /_control/accounts, with a long-lived token."""
    account, token = new_account(body.get("username") or "sandbox")
    return {"access_token": token, "account_id": account["id"], "username": account["username"],
            "expires_at": int(time.time()) + LONG_LIFETIME}
