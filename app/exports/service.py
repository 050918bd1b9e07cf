"""Building a workspace's export zip: JSON and CSV of each dataset, media files, no secret."""

from __future__ import annotations

import csv
import io
import json
import logging
import uuid
import zipfile
from collections.abc import Callable
from typing import BinaryIO

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app import __version__
from app.audit import service as audit
from app.audit.models import AuditEntry
from app.auth.models import Workspace
from app.channels.models import Channel
from app.channels.service import channel_json
from app.media.models import Media
from app.posts.models import Post
from app.posts.reads import post_events
from app.posts.serialize import event_json, post_summary
from app.timeutil import iso

log = logging.getLogger(__name__)
MediaReader = Callable[[Media], bytes]
PAGE = 500


def media_reader() -> MediaReader:
    """The original bytes of a media file, from whichever storage backend is configured."""
    from app.media.service import original_bytes

    return original_bytes


def _posts(sess: Session, workspace_id) -> list[dict]:
    rows, last = [], None
    while True:
        query = sa.select(Post).where(Post.workspace_id == workspace_id).order_by(Post.id)
        page = list(sess.scalars(query.where(Post.id > last).limit(PAGE) if last else
                                 query.limit(PAGE)))
        if not page:
            return rows
        events = post_events(sess, [p.id for p in page])
        rows += [dict(post_summary(p), events=[event_json(e) for e in events[p.id]])
                 for p in page]
        last = page[-1].id


def _channels(sess: Session, workspace_id) -> list[dict]:
    # channel_json is the read shape that never holds a credential; settings are non-secret.
    return [dict(channel_json(c), settings=c.settings or {},
                 token_expires_at=iso(c.token_expires_at))
            for c in sess.scalars(sa.select(Channel).where(Channel.workspace_id == workspace_id)
                                  .order_by(Channel.created_at, Channel.id))]


def _media(sess: Session, workspace_id) -> list[Media]:
    return list(sess.scalars(sa.select(Media).where(Media.workspace_id == workspace_id)
                             .order_by(Media.created_at, Media.id)))


def _media_json(media: Media) -> dict:
    return {"id": str(media.id), "filename": media.filename, "content_type": media.content_type,
            "size_bytes": media.size_bytes, "sha256": media.sha256, "width": media.width,
            "height": media.height, "duration_ms": media.duration_ms, "alt_text": media.alt_text,
            "status": media.status, "created_at": iso(media.created_at)}


def _audit(sess: Session, workspace_id) -> list[dict]:
    return [{"id": e.id, "at": iso(e.created_at), "actor": e.actor, "action": e.action,
             "target_type": e.target_type, "target_id": e.target_id, "request_id": e.request_id,
             "before": e.before, "after": e.after, "hash": e.hash}
            for e in sess.scalars(sa.select(AuditEntry).where(
                AuditEntry.workspace_id == workspace_id).order_by(AuditEntry.id))]


def _metrics(sess: Session, workspace_id) -> list[dict]:
    """Every measurement of the workspace's posts (a figure a platform did not give is absent)."""
    from app.analytics.models import PostMetric
    from app.analytics.service import snapshot_json

    return [snapshot_json(m) for m in sess.scalars(sa.select(PostMetric).where(
        PostMetric.workspace_id == workspace_id).order_by(PostMetric.id))]


def _csv(rows: list[dict]) -> str:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: json.dumps(v) if isinstance(v, dict | list) else v
                             for k, v in row.items()})
    return out.getvalue()


def write_export(sess: Session, workspace_id: uuid.UUID, out: BinaryIO, *, actor: str,
                 read_media: MediaReader | None = None) -> dict:
    """Write the zip to `out`, record the export in the audit log, return the manifest."""
    workspace = sess.get(Workspace, workspace_id)
    media = _media(sess, workspace_id)
    datasets = {"posts": _posts(sess, workspace_id), "channels": _channels(sess, workspace_id),
                "media": [_media_json(m) for m in media], "audit_log": _audit(sess, workspace_id),
                "post_metrics": _metrics(sess, workspace_id)}
    manifest = {"workspace": workspace.name, "workspace_id": str(workspace.id),
                "openpost_version": __version__,
                "exported_at": iso(sess.scalar(sa.select(sa.func.now()))),
                "counts": {name: len(rows) for name, rows in datasets.items()},
                "media_files": 0}
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows in datasets.items():
            archive.writestr(f"{name}.json", json.dumps(rows, indent=1, default=str))
            archive.writestr(f"{name}.csv", _csv(rows))
        manifest["media_files"] = _write_media(archive, media, read_media)
        archive.writestr("manifest.json", json.dumps(manifest, indent=1))
    audit.record(sess, workspace_id, actor, "workspace.exported", target_type="workspace",
                 target_id=workspace_id, after=manifest["counts"])
    sess.commit()
    return manifest


def _write_media(archive: zipfile.ZipFile, media: list[Media], read: MediaReader | None) -> int:
    written = 0
    for item in media if read else []:
        try:
            data = read(item)
        except Exception as exc:  # whatever the storage backend raises: export the rest
            log.warning("export: media %s could not be read: %s", item.id, exc)
            continue
        safe_name = "".join(c for c in item.filename if c.isalnum() or c in "._-")[:100]
        archive.writestr(f"media/{item.id}-{safe_name or 'file'}", data)
        written += 1
    return written
