"""The sandbox's control endpoint: make accounts, queue faults, read what was posted."""

from __future__ import annotations

import time
from datetime import date

from flask import Blueprint, request

from app.sandbox import bluesky, facebook, instagram, linkedin, mastodon, threads, tiktok, x
from app.sandbox.core import json_response, state
from app.sandbox.state import FAULT_KINDS, Fault

bp = Blueprint("sandbox_control", __name__, url_prefix="/_control")
SOCIAL = {"instagram": instagram, "facebook": facebook, "linkedin": linkedin, "tiktok": tiktok}
FAKES = ("x", "bluesky", "mastodon", "threads", *SOCIAL)


def _platform(body: dict) -> str | None:
    platform = body.get("platform") or request.args.get("platform")
    return platform if platform in FAKES else None


@bp.post("/reset")
def reset():
    state().reset()
    return json_response({"ok": True})


@bp.post("/faults")
def add_fault():
    body = request.get_json(silent=True) or {}
    if not _platform(body) or body.get("kind") not in FAULT_KINDS or not body.get("op"):
        return json_response({"error": f"give platform ({', '.join(FAKES)}), op and kind "
                                       f"({', '.join(FAULT_KINDS)})"}, 400)
    state().add_fault(Fault(body["platform"], body["op"], body["kind"], int(body.get("count", 1)),
                            int(body.get("reset_in", 60)), float(body.get("delay", 2.0)),
                            int(body.get("after", 0))))
    return json_response({"ok": True}, 201)


@bp.get("/posts")
def posts():
    platform = _platform({})
    return json_response({"data": state().posts.get(platform, []) if platform else state().posts})


@bp.get("/requests")
def requests_log():
    platform = _platform({})
    return json_response({"data": [r for r in state().requests
                                   if platform is None or r["platform"] == platform]})


@bp.post("/accounts")
def add_account():
    """A ready account with credentials, as a connect flow would have produced them."""
    body = request.get_json(silent=True) or {}
    platform = _platform(body)
    if platform == "bluesky":
        handle = body.get("handle") or "sandbox.bsky.social"
        account = bluesky.new_account(handle, body.get("password") or "sandbox-app-password")
        return json_response({"handle": handle, "password": account["password"],
                              "did": account["did"]}, 201)
    if platform == "mastodon":
        account, token = mastodon.new_account(body.get("username") or "sandbox")
        return json_response({"access_token": token, "account_id": account["id"],
                              "username": account["username"]}, 201)
    if platform == "x":
        account = x.new_account(body.get("username") or "sandbox_user")
        return json_response({**x.issue_pair(account["id"]), "account_id": account["id"],
                              "username": account["username"],
                              "expires_at": int(time.time()) + x.ACCESS_LIFETIME}, 201)
    if platform == "threads":
        account, token = threads.new_account(body.get("username") or "sandbox")
        return json_response({"access_token": token, "account_id": account["id"],
                              "username": account["username"],
                              "expires_at": int(time.time()) + threads.LONG_LIFETIME}, 201)
    if platform == "instagram" and body.get("login") == "facebook":
        return json_response(facebook.control_instagram(body), 201)
    if platform in SOCIAL:
        return json_response(SOCIAL[platform].control_account(body), 201)
    return json_response({"error": f"platform must be one of {', '.join(FAKES)}"}, 400)


@bp.post("/tokens")
def change_token():
    """{"token", "action": "expire" | "revoke" | "age", "seconds"}: time travel for tests."""
    body = request.get_json(silent=True) or {}
    token = state().tokens.get(body.get("token", ""))
    if token is None:
        return json_response({"error": "unknown token"}, 404)
    action = body.get("action")
    if action == "expire":
        token.expires_at = time.time() - 1
    elif action == "revoke":
        state().revoke_account(token.platform, token.account)
    elif action == "age":
        token.issued_at -= float(body.get("seconds", 86_400))
    else:
        return json_response({"error": "action must be expire, revoke or age"}, 400)
    return json_response({"ok": True})


def _is_date(value) -> bool:
    try:
        date.fromisoformat(str(value))
    except ValueError:
        return False
    return True


@bp.post("/settings")
def settings():
    """Per-platform switches, e.g. {"platform": "mastodon", "processing": true}."""
    body = request.get_json(silent=True) or {}
    platform = _platform(body)
    if platform is None:
        return json_response({"error": f"platform must be one of {', '.join(FAKES)}"}, 400)
    if "today" in body and not _is_date(body["today"]):
        return json_response({"error": "today must be a date: YYYY-MM-DD"}, 400)
    state().bucket(platform, "settings").update({k: v for k, v in body.items() if k != "platform"})
    return json_response({"ok": True})
