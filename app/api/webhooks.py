"""/api/v1/webhooks: endpoints, their deliveries, resend, enable and secret rotation."""

from __future__ import annotations

import uuid

from flask import g, jsonify, request

from app import db
from app.api import blueprint, paging, parse
from app.api.schemas import WebhookCreate
from app.errors import ValidationFailed
from app.webhooks import service

STATUSES = ("pending", "succeeded", "failed")


@blueprint.get("/webhooks")
def list_webhooks():
    size = paging.limit(100)
    after = request.args.get("cursor")
    try:
        after_id = uuid.UUID(after) if after else None
    except ValueError as exc:
        raise ValidationFailed("cursor is not one this API gave out", field="cursor") from exc
    endpoints = service.list_endpoints(db.session, g.workspace_id, after=after_id, limit=size)
    return jsonify({"data": [service.endpoint_json(e) for e in endpoints],
                    "next_cursor": str(endpoints[-1].id) if len(endpoints) == size else None})


@blueprint.post("/webhooks")
def create_webhook():
    body = parse(WebhookCreate)
    endpoint, secret = service.create_endpoint(db.session, g.workspace_id, g.actor,
                                               url=body.url, events=list(body.events),
                                               description=body.description)
    return jsonify(dict(service.endpoint_json(endpoint), secret=secret)), 201


@blueprint.get("/webhooks/<uuid:endpoint_id>")
def get_webhook(endpoint_id: uuid.UUID):
    return jsonify(service.endpoint_json(service.get_endpoint(db.session, g.workspace_id,
                                                              endpoint_id)))


@blueprint.delete("/webhooks/<uuid:endpoint_id>")
def delete_webhook(endpoint_id: uuid.UUID):
    service.delete_endpoint(db.session, g.workspace_id, endpoint_id, g.actor)
    return "", 204


@blueprint.post("/webhooks/<uuid:endpoint_id>/enable")
def enable_webhook(endpoint_id: uuid.UUID):
    return jsonify(service.endpoint_json(service.enable_endpoint(db.session, g.workspace_id,
                                                                 endpoint_id, g.actor)))


@blueprint.post("/webhooks/<uuid:endpoint_id>/rotate-secret")
def rotate_webhook_secret(endpoint_id: uuid.UUID):
    secret = service.rotate_secret(db.session, g.workspace_id, endpoint_id, g.actor)
    endpoint = service.get_endpoint(db.session, g.workspace_id, endpoint_id)
    return jsonify(dict(service.endpoint_json(endpoint), secret=secret))


@blueprint.get("/webhooks/<uuid:endpoint_id>/deliveries")
def list_deliveries(endpoint_id: uuid.UUID):
    status = request.args.get("status")
    if status and status not in STATUSES:
        raise ValidationFailed(f"status must be one of {', '.join(STATUSES)}", field="status")
    size = paging.limit()
    rows = service.list_deliveries(db.session, g.workspace_id, endpoint_id, status=status,
                                   after=paging.decode(), limit=size)
    return jsonify(paging.page(rows, size, service.delivery_json))


@blueprint.post("/webhooks/<uuid:endpoint_id>/deliveries/<uuid:delivery_id>/resend")
def resend_delivery(endpoint_id: uuid.UUID, delivery_id: uuid.UUID):
    delivery = service.resend(db.session, g.workspace_id, endpoint_id, delivery_id, g.actor)
    return jsonify(service.delivery_json(delivery)), 202
