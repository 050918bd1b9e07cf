"""/api/v1/posts/{id}/metrics and /api/v1/analytics: figures, never a post's state."""

from __future__ import annotations

import uuid

from flask import g, jsonify, request

from app import db
from app.analytics import reads
from app.api import blueprint
from app.channels.service import get_channel
from app.posts import service


@blueprint.get("/posts/<uuid:post_id>/metrics")
def post_metrics(post_id: uuid.UUID):
    """The post's latest figures (absent ones null and listed in not_available) and every
    measurement so far."""
    post = service.get_post(db.session, g.workspace_id, post_id)
    channel = get_channel(db.session, g.workspace_id, post.channel_id)
    return jsonify(reads.post_metrics(db.session, post, channel.platform))


@blueprint.get("/analytics")
def analytics():
    """Per channel and per local day of publication: posts, posts measured, and the sums of
    each figure over the posts reporting it."""
    filters = reads.parse_filters(request.args)
    if filters.channel_id is not None:
        get_channel(db.session, g.workspace_id, filters.channel_id)  # 404 when not ours
    items = reads.published(db.session, g.workspace_id, filters)
    return jsonify({"from": filters.start.isoformat(), "to": filters.end.isoformat(),
                    "data": reads.daily(items, filters)})
