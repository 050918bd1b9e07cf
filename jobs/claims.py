"""Claimed posts and their channels, as the publish threads see them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app import crypto
from app.channels.compose import build_parts, describe_media, media_ids_of
from app.channels.models import Channel, credentials_aad
from app.platforms.base import Part


@dataclass
class Claim:
    id: uuid.UUID
    token: uuid.UUID
    source: str                     # 'due', 'retry' or 'expired' (a lost attempt: reconcile)
    attempts: int
    channel_id: uuid.UUID
    schedule_at: datetime | None
    idempotency_key: str
    options: dict[str, Any]
    results: list[dict[str, Any]]
    parts: list[Part] = field(default_factory=list)

    @classmethod
    def from_row(cls, row: sa.Row[Any], media: dict[str, dict[str, Any]]) -> Claim:
        parts = build_parts(row, media)  # as the schedule-time check built them
        return cls(id=row.id, token=row.claim_token, source=row.source, attempts=row.attempts,
                   channel_id=row.channel_id, schedule_at=row.schedule_at,
                   idempotency_key=row.idempotency_key, options=row.options or {},
                   results=list(row.results or []), parts=parts)


@dataclass
class ChannelInfo:
    id: uuid.UUID
    workspace_id: uuid.UUID
    platform: str
    handle: str
    status: str
    settings: dict[str, Any]
    credentials: dict[str, Any]
    needs_refresh: bool


# (channel id, ciphertext) -> decrypted credentials
_plain: dict[tuple[uuid.UUID, bytes], dict[str, Any]] = {}


def load_channels(sess: Session, ids: set[uuid.UUID], refresh_margin: float) -> dict[uuid.UUID, ChannelInfo]:
    """The claimed posts' channels, credentials decrypted (once per ciphertext), with "token
    expires soon" computed on the database clock."""
    if not ids:
        return {}
    soon = Channel.token_expires_at < sa.func.now() + sa.func.make_interval(
        0, 0, 0, 0, 0, 0, refresh_margin)
    rows = sess.execute(sa.select(Channel.id, Channel.workspace_id, Channel.platform,
                                  Channel.handle, Channel.status, Channel.settings,
                                  Channel.credentials_enc, sa.func.coalesce(soon, False))
                        .where(Channel.id.in_(list(ids)))).all()
    found = {}
    for cid, workspace_id, platform, handle, status, settings, blob, near in rows:
        key = (cid, bytes(blob or b""))
        creds = _plain.get(key)
        if creds is None:
            if len(_plain) > 10_000:
                _plain.clear()
            creds = json.loads(crypto.decrypt(blob, credentials_aad(workspace_id, cid))
                               ) if blob else {}
            _plain[key] = creds
        found[cid] = ChannelInfo(id=cid, workspace_id=workspace_id, platform=platform,
                                 handle=handle, status=status, settings=settings or {},
                                 credentials=dict(creds), needs_refresh=bool(near))
    return found


def load_media(sess: Session, rows: Sequence[sa.Row[Any]]) -> dict[str, dict[str, Any]]:
    """Media descriptions of every media id the claimed posts use."""
    return describe_media(sess, media_ids_of(rows))
