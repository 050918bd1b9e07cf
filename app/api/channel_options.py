"""/api/v1/channels/{id}/post-options: what a post on this channel may set in `options`."""

from __future__ import annotations

import uuid

from flask import g, jsonify

from app import db
from app.api import blueprint
from app.channels import service
from app.channels.compose_options import post_options


@blueprint.get("/channels/<uuid:channel_id>/post-options")
def channel_post_options(channel_id: uuid.UUID):
    channel = service.get_channel(db.session, g.workspace_id, channel_id)
    return jsonify({"platform": channel.platform,
                    "options": post_options(channel.platform, channel.settings or {})})
