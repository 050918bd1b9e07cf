"""/api/v1/channels: connect with direct credentials, list, read, edit, delete."""

from __future__ import annotations

import uuid

from flask import g, jsonify, request

from app import db
from app.api import blueprint, parse
from app.api.schemas import ChannelCreate, ChannelUpdate
from app.channels import service
from app.channels.connect import verify_direct
from app.config import PLATFORMS
from app.errors import ValidationFailed


@blueprint.get("/channels")
def list_channels():
    """Every channel of the workspace (a handful: no paging), optionally by platform or status."""
    platform, status = request.args.get("platform"), request.args.get("status")
    if platform and platform not in PLATFORMS:
        raise ValidationFailed(f"platform must be one of {', '.join(PLATFORMS)}", field="platform")
    if status and status not in ("connected", "disconnected"):
        raise ValidationFailed("status must be connected or disconnected", field="status")
    channels = [c for c in service.list_channels(db.session, g.workspace_id)
                if (not platform or c.platform == platform) and (not status or c.status == status)]
    return jsonify({"data": [service.channel_json(c) for c in channels]})


@blueprint.post("/channels")
def create_channel():
    body = parse(ChannelCreate)
    creds, settings, expires = service.split_credentials(body.platform, body.model_dump())
    handle, display_name = body.handle or body.account_id or "", body.display_name or ""
    verified = verify_direct(body.platform, creds, settings)
    if verified is not None:
        creds, settings = verified.credentials, verified.settings
        handle, display_name = verified.handle, display_name or verified.display_name
    # An account the workspace already has is repaired in place (same id, history and posts).
    channel, repaired = service.connect_or_repair(
        db.session, g.workspace_id, g.actor, platform=body.platform, handle=handle,
        display_name=display_name, timezone=body.timezone, credentials=creds, settings=settings,
        token_expires_at=expires)
    return jsonify(service.channel_json(channel)), 200 if repaired else 201


@blueprint.get("/channels/<uuid:channel_id>")
def get_channel(channel_id: uuid.UUID):
    return jsonify(service.channel_json(service.get_channel(db.session, g.workspace_id,
                                                            channel_id)))


@blueprint.patch("/channels/<uuid:channel_id>")
def update_channel(channel_id: uuid.UUID):
    body = parse(ChannelUpdate)
    channel = service.update_channel(db.session, g.workspace_id, channel_id, g.actor,
                                     timezone=body.timezone, display_name=body.display_name)
    return jsonify(service.channel_json(channel))


@blueprint.delete("/channels/<uuid:channel_id>")
def delete_channel(channel_id: uuid.UUID):
    service.delete_channel(db.session, g.workspace_id, channel_id, g.actor)
    return "", 204
