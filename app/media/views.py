"""Serving media through expiring signed links (platforms that pull by URL fetch these)."""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, request

from app import db
from app.errors import NotFound
from app.media import service, signing
from app.media.storage import storage

bp = Blueprint("media", __name__)


@bp.get("/m/<uuid:media_id>")
def signed(media_id: uuid.UUID):
    workspace_id, variant = signing.verify(media_id, request.args)
    try:
        media = service.get_media(db.session, uuid.UUID(workspace_id), media_id)
    except ValueError as exc:
        raise NotFound("no such media") from exc
    if variant:
        known = (media.renditions or {}).get(variant) or {}
        if known.get("status") != "ready":
            raise NotFound("that rendition is not ready")
        data, content_type = storage().get(workspace_id, known["key"]), known["content_type"]
    else:
        data, content_type = service.original_bytes(media), media.content_type
    return Response(data, content_type=content_type,
                    headers={"Cache-Control": "private, max-age=300",
                             "Content-Disposition": "inline"})
