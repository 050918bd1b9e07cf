"""Audit entries and post events as people read them: who (by name and email, not an id), what
(a sentence-like action), and which fields changed from what to what."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.auth.models import ApiKey, User

# Actors that are no person: what they stand for.
FIXED = {"system": "OpenPost", "cli": "the operator (command line)"}
SHOWN = 80  # a value longer than this is cut in the table; the raw entry has it whole
KNOWN_LIMIT = 200  # at most this many actors and actions in the filter menus


def actor_names(sess: Session, workspace_id, actors) -> dict[str, str]:
    """{actor: readable name} for actor strings as entries store them ("user:<id>",
    "api_key:<prefix>", "worker:<name>", "system", "cli"); anything else is shown as it is."""
    actors = set(actors)
    users, prefixes = {}, {}
    for actor in actors:
        kind, _, ident = actor.partition(":")
        if kind == "user":
            users[actor] = ident
        elif kind == "api_key":
            prefixes[actor] = ident
    names = {a: FIXED.get(a, a) for a in actors}
    ids = [_uuid(i) for i in users.values() if _uuid(i)]
    found = {str(u.id): u for u in sess.scalars(sa.select(User).where(User.id.in_(ids)))} \
        if ids else {}
    for actor, ident in users.items():
        user = found.get(ident)
        names[actor] = (f"{user.name} ({user.email})" if user.name else user.email) if user \
            else "a user no longer here"
    if prefixes:
        keys = {k.prefix: k for k in sess.scalars(sa.select(ApiKey).where(
            ApiKey.workspace_id == workspace_id, ApiKey.prefix.in_(list(prefixes.values()))))}
        for actor, prefix in prefixes.items():
            key = keys.get(prefix)
            names[actor] = f"API key “{key.name or prefix}” ({prefix}…)" if key \
                else f"API key {prefix}…"
    for actor in actors:
        if actor.startswith("worker:"):
            names[actor] = "the publishing engine"
    return names


def _uuid(value: str):
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def action_label(action: str) -> str:
    """"channel.updated" -> "Channel updated"."""
    return action.replace(".", " ").replace("_", " ").capitalize()


@dataclass(frozen=True)
class Change:
    field: str
    old: str | None  # None: the field was not there
    new: str | None


def _shown(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                           sort_keys=True)
    return text if len(text) <= SHOWN else text[:SHOWN - 1] + "…"


def changes(before: dict | None, after: dict | None) -> list[Change]:
    """The fields that differ between before and after, each from → to; a created thing lists
    what it was made with, a removed one what it had."""
    before, after = before or {}, after or {}
    found = []
    for key in list(before) + [k for k in after if k not in before]:
        old, new = before.get(key, _MISSING), after.get(key, _MISSING)
        if old != new:
            found.append(Change(key, None if old is _MISSING else _shown(old),
                                None if new is _MISSING else _shown(new)))
    return found


_MISSING = object()


def known(sess: Session, workspace_id) -> tuple[list[str], list[str]]:
    """(actors, actions) found in the workspace's log, for the filter menus."""
    def distinct(column):
        return list(sess.scalars(sa.select(column).where(AuditEntry.workspace_id == workspace_id)
                                 .distinct().order_by(column).limit(KNOWN_LIMIT)))
    return distinct(AuditEntry.actor), distinct(AuditEntry.action)
