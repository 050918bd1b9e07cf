"""/api/v1/media: upload (multipart), list, read, describe, delete."""

from __future__ import annotations

import uuid

from flask import g, jsonify, request

from app import db
from app.api import blueprint, parse
from app.api.schemas import MediaUpdate
from app.errors import ValidationFailed
from app.media import service
from app.media.signing import signed_url


def _json(media):
    return service.media_json(media, signed_url(media.workspace_id, media.id))


@blueprint.post("/media")
def upload_media():
    file = request.files.get("file")
    if file is None:
        raise ValidationFailed("send the file as multipart/form-data field 'file'", field="file")
    media = service.upload(db.session, g.workspace_id, g.actor, file.filename or "",
                           file.read(), alt_text=request.form.get("alt_text", ""))
    return jsonify(_json(media)), 201


@blueprint.get("/media")
def list_media():
    return jsonify({"data": [_json(m) for m in service.list_media(db.session, g.workspace_id)]})


@blueprint.get("/media/<uuid:media_id>")
def get_media(media_id: uuid.UUID):
    return jsonify(_json(service.get_media(db.session, g.workspace_id, media_id)))


@blueprint.patch("/media/<uuid:media_id>")
def describe_media(media_id: uuid.UUID):
    body = parse(MediaUpdate)
    return jsonify(_json(service.set_alt_text(db.session, g.workspace_id, media_id, g.actor,
                                              body.alt_text)))


@blueprint.delete("/media/<uuid:media_id>")
def delete_media(media_id: uuid.UUID):
    service.delete_media(db.session, g.workspace_id, media_id, g.actor)
    return "", 204
