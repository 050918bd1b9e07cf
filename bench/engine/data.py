"""Workspaces, loopback channels and scheduled posts for the benchmark and the engine tests."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.auth.models import Workspace
from app.channels import service as channels
from app.posts import lifecycle


def make_workspace(sess: Session, name: str | None = None) -> uuid.UUID:
    workspace = Workspace(name=name or f"bench-{uuid.uuid4().hex[:10]}", timezone="UTC")
    sess.add(workspace)
    sess.commit()
    return workspace.id


def make_channel(sess: Session, workspace_id: uuid.UUID, base_url: str, *,
                 credentials: dict | None = None, token_expires_at: datetime | None = None
                 ) -> uuid.UUID:
    """A mastodon channel whose instance is the loopback platform at base_url. With
    `token_expires_at`, the credentials carry the expiry too, as stored credentials do
    (`tokens.store`), so the platform's refresh rule sees it."""
    credentials = dict(credentials or {"access_token": "bench-token"})
    if token_expires_at is not None:
        credentials.setdefault("expires_at", token_expires_at.timestamp())
    channel = channels.connect(sess, workspace_id, "bench", platform="mastodon",
                               handle=f"@bench{uuid.uuid4().hex[:6]}", timezone="UTC",
                               credentials=credentials,
                               settings={"instance_url": base_url},
                               token_expires_at=token_expires_at)
    return channel.id


def make_posts(sess: Session, workspace_id: uuid.UUID, channel_ids: list[uuid.UUID],
               times: list[datetime], prefix: str = "post", parts: int = 1) -> list[uuid.UUID]:
    """One scheduled post per time, spread over the channels; texts are unique, so the
    platform can count duplicates. Committed."""
    rows = []
    for i, when in enumerate(times):
        pid = uuid.uuid4()
        texts = [f"{prefix} {i} {pid.hex[:8]}" + (f" ({n + 1}/{parts})" if parts > 1 else "")
                 for n in range(parts)]
        rows.append({"id": pid, "workspace_id": workspace_id,
                     "channel_id": channel_ids[i % len(channel_ids)], "group_id": uuid.uuid4(),
                     "schedule_at": when, "timezone": "UTC",
                     "text": texts[0] if parts == 1 else None,
                     "parts": None if parts == 1 else [{"text": t, "media_ids": []} for t in texts],
                     "media_ids": [], "options": {}, "results": [], "warnings": [],
                     "attempts": 0, "version": 1, "created_by": "bench"})
    for start in range(0, len(rows), 2000):
        lifecycle.create_many(sess, rows[start:start + 2000], lifecycle.PostState.SCHEDULED,
                              actor="bench")
    sess.commit()
    return [r["id"] for r in rows]


def drop_workspace(sess: Session, workspace_id: uuid.UUID) -> None:
    sess.execute(sa.delete(Workspace).where(Workspace.id == workspace_id))
    sess.commit()
