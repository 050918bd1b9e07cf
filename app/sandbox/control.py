"""The sandbox's control endpoint: accounts, faults, posts and log, of one workspace at a time."""

from __future__ import annotations

import time
from datetime import date

from flask import Blueprint, request

from app.config import PLATFORMS
from app.platforms import registry
from app.platforms.facebook import fake as facebook
from app.sandbox.core import MAX_DELAY, json_response, state
from app.sandbox.state import FAULT_KINDS, Fault, QueueFull

bp = Blueprint("sandbox_control", __name__, url_prefix="/_control")
FAKES = PLATFORMS
# A fault's numbers: (name, default, lowest, highest).
FAULT_NUMBERS = (("count", 1, 1, 100), ("reset_in", 60, 0, 86_400),
                 ("delay", 2.0, 0.0, MAX_DELAY), ("after", 0, 0, 1000))


def _platform(body: dict) -> str | None:
    platform = body.get("platform") or request.args.get("platform")
    return platform if platform in FAKES else None


def _json() -> dict:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _mine(items) -> list[dict]:
    """The items (posts, logged requests) of the workspace being served."""
    workspace = state().workspace
    return [i for i in items if workspace is None or i.get("workspace") == workspace]


@bp.post("/reset")
def reset():
    """Forget this workspace's sandbox accounts, posts, faults and log (the standalone
    sandbox: everything). Other workspaces' channels keep working."""
    state().reset(state().workspace)
    return json_response({"ok": True})


def _fault_numbers(body: dict) -> list[float] | str:
    """The fault's count, reset_in, delay and after, or what is wrong with one of them."""
    numbers = []
    for name, default, low, high in FAULT_NUMBERS:
        try:
            value = type(default)(body.get(name, default))
        except (TypeError, ValueError):
            return f"{name} must be a number"
        if not low <= value <= high:
            return f"{name} must be between {low} and {high}"
        numbers.append(value)
    return numbers


@bp.post("/faults")
def add_fault():
    body = _json()
    if not _platform(body) or body.get("kind") not in FAULT_KINDS or not body.get("op"):
        return json_response({"error": f"give platform ({', '.join(FAKES)}), op and kind "
                                       f"({', '.join(FAULT_KINDS)})"}, 400)
    numbers = _fault_numbers(body)
    if isinstance(numbers, str):
        return json_response({"error": numbers}, 400)
    count, reset_in, delay, after = numbers
    try:
        state().add_fault(Fault(body["platform"], str(body["op"]), body["kind"], count,
                                reset_in, delay, after))
    except QueueFull as exc:
        return json_response({"error": str(exc)}, 409)
    return json_response({"ok": True}, 201)


@bp.get("/posts")
def posts():
    platform = _platform({})
    if platform:
        return json_response({"data": _mine(state().posts.get(platform, []))})
    return json_response({"data": {name: _mine(found) for name, found in state().posts.items()}})


@bp.get("/requests")
def requests_log():
    platform = _platform({})
    return json_response({"data": [r for r in _mine(state().requests)
                                   if platform is None or r["platform"] == platform]})


@bp.post("/accounts")
def add_account():
    """A ready account with credentials, as a connect flow would have produced them."""
    made = make_account(_json())
    if made is None:
        return json_response({"error": f"platform must be one of {', '.join(FAKES)}"}, 400)
    return json_response(made, 201)


def make_account(body: dict) -> dict | None:
    """A new account of body["platform"] on the sandbox being served (None: no such fake)."""
    platform = _platform(body)
    if platform == "instagram" and body.get("login") == "facebook":
        return facebook.control_instagram(body)
    if platform:
        return registry.module(platform, "fake").control_account(body)
    return None


@bp.post("/tokens")
def change_token():
    """{"token", "action": "expire" | "revoke" | "age", "seconds"}: time travel for tests."""
    body = _json()
    token = state().tokens.get(str(body.get("token", "")))
    if token is None or state().workspace not in (None, token.workspace):
        return json_response({"error": "unknown token"}, 404)
    action = body.get("action")
    if action == "expire":
        token.expires_at = time.time() - 1
    elif action == "revoke":
        state().revoke_account(token.platform, token.account)
    elif action == "age":
        try:
            token.issued_at -= min(float(body.get("seconds", 86_400)), 10 * 365 * 86_400)
        except (TypeError, ValueError):
            return json_response({"error": "seconds must be a number"}, 400)
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
    body = _json()
    platform = _platform(body)
    if platform is None:
        return json_response({"error": f"platform must be one of {', '.join(FAKES)}"}, 400)
    if "today" in body and not _is_date(body["today"]):
        return json_response({"error": "today must be a date: YYYY-MM-DD"}, 400)
    state().settings(platform).update({k: v for k, v in body.items() if k != "platform"})
    return json_response({"ok": True})
