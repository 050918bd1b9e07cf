"""Choosing which Facebook Page to connect after Meta login: the offered pages (with their
tokens) wait encrypted in the signed session until the user picks one."""

from __future__ import annotations

import base64
import json

from flask import session

from app import crypto
from app.channels.connect import Verified
from app.channels.social_oauth import page_channel
from app.errors import ValidationFailed

KEY = "channel_pages"


def _aad(workspace_id) -> str:
    return f"facebook-pages:{workspace_id}"


def offer(verified: Verified, workspace_id) -> list[dict]:
    """Keep the pages for the choice; return what the page lists (names and ids only)."""
    pages = verified.extra["pages"]
    payload = json.dumps({"pages": pages, "user_token": verified.extra["user_token"],
                          "app_id": verified.settings.get("app_id", "")}).encode()
    session[KEY] = base64.b64encode(crypto.encrypt(payload, _aad(workspace_id))).decode()
    return [{"id": p["id"], "name": p["name"]} for p in pages]


def choose(workspace_id, page_id: str) -> Verified:
    """The chosen page as a channel to store; the offer is used up."""
    stored = session.pop(KEY, None)
    if not stored:
        raise ValidationFailed("no page choice is waiting; connect Facebook again", field="page_id")
    try:
        offered = json.loads(crypto.decrypt(base64.b64decode(stored), _aad(workspace_id)))
    except (crypto.DecryptionFailed, ValueError) as exc:
        raise ValidationFailed("the page choice is not valid; connect Facebook again",
                               field="page_id") from exc
    page = next((p for p in offered["pages"] if p["id"] == page_id), None)
    if page is None:
        raise ValidationFailed("choose one of the pages offered", field="page_id")
    return page_channel(page, offered["user_token"], offered.get("app_id", ""))
