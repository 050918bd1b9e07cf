"""Cursor pagination for list endpoints: opaque cursors over (created_at, id) or an integer id."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime

from flask import request

from app.errors import ValidationFailed
from app.inputs import whole_number


def limit(default: int = 50, most: int = 200) -> int:
    return whole_number(request.args.get("limit", str(default)), "limit", 1, most)


def encode(created_at: datetime, ident) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{ident}".encode()).decode()


def decode() -> tuple[datetime, uuid.UUID] | None:
    value = request.args.get("cursor")
    if not value:
        return None
    try:
        stamp, _, ident = base64.urlsafe_b64decode(value.encode()).decode().partition("|")
        return datetime.fromisoformat(stamp), uuid.UUID(ident)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed("cursor is not one this API gave out", field="cursor") from exc


def page(rows: list, size: int, serialize) -> dict:
    """{"data": [...], "next_cursor": ...}; a cursor only when the page came back full."""
    last = rows[-1] if len(rows) == size else None
    return {"data": [serialize(r) for r in rows],
            "next_cursor": encode(last.created_at, last.id) if last else None}
