"""Choosing which account to connect when a sign-in offers several: a Facebook Page, the
Instagram account linked to one, or LinkedIn as the member or an organization they administer.
The offer, tokens included, waits encrypted in the signed session until the user picks one."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

from flask import session

from app import crypto
from app.errors import ValidationFailed
from app.platforms.signin import Verified, apply

KEY = "channel_choice"


def _aad(workspace_id) -> str:
    return f"channel-choice:{workspace_id}"


def offer(platform: str, verified: Verified, workspace_id) -> list[dict]:
    """Keep the choices; return what the page lists (ids and labels only)."""
    base: Verified = verified.extra["base"]
    expires = base.token_expires_at.timestamp() if base.token_expires_at else None
    payload = json.dumps({"platform": platform, "credentials": base.credentials,
                          "settings": base.settings, "handle": base.handle,
                          "display_name": base.display_name, "expires": expires,
                          "choices": verified.extra["choices"]}).encode()
    session[KEY] = base64.b64encode(crypto.encrypt(payload, _aad(workspace_id))).decode()
    return [{"id": c["id"], "label": c["label"]} for c in verified.extra["choices"]]


def choose(workspace_id, choice_id: str) -> tuple[str, Verified]:
    """(platform, the chosen account as a channel to store); the offer is used up."""
    stored = session.pop(KEY, None)
    if not stored:
        raise ValidationFailed("no account choice is waiting; connect the channel again",
                               field="choice")
    try:
        offered = json.loads(crypto.decrypt(base64.b64decode(stored), _aad(workspace_id)))
    except (crypto.DecryptionFailed, ValueError) as exc:
        raise ValidationFailed("the account choice is not valid; connect the channel again",
                               field="choice") from exc
    choice = next((c for c in offered["choices"] if c["id"] == choice_id), None)
    if choice is None:
        raise ValidationFailed("choose one of the accounts offered", field="choice")
    expires = offered["expires"]
    base = Verified(credentials=offered["credentials"], settings=offered["settings"],
                    handle=offered["handle"], display_name=offered["display_name"],
                    token_expires_at=datetime.fromtimestamp(expires, UTC) if expires else None)
    return offered["platform"], apply(base, choice)
