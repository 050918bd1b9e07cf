"""Webhook endpoints: create (secret shown once), list, delete, rotate, enable, and resend."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app import crypto, net
from app.audit import service as audit
from app.errors import Conflict, NotFound, ValidationFailed
from app.timeutil import iso
from app.webhooks import signing
from app.webhooks.models import WebhookDelivery, WebhookEndpoint

EVENTS = ("post.draft", "post.scheduled", "post.publishing", "post.published", "post.failed",
          "post.canceled", "channel.disconnected", "post.metrics")
# Events an endpoint receives only when it names them (an empty filter means every other one).
OPT_IN = ("post.metrics",)
# An old secret keeps signing beside the new one this long after a rotation.
ROTATION_OVERLAP = timedelta(hours=24)


def _store_secrets(endpoint: WebhookEndpoint, entries: list[dict]) -> None:
    endpoint.secrets_enc = crypto.encrypt(json.dumps(entries).encode(), endpoint._aad())


def _secret_entries(endpoint: WebhookEndpoint) -> list[dict]:
    return json.loads(crypto.decrypt(endpoint.secrets_enc, endpoint._aad()))


def active_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """Newest first: the current secret, plus the previous one during its overlap."""
    entries = _secret_entries(endpoint)
    keep = [entries[0]["secret"]]
    if len(entries) > 1 and now - datetime.fromisoformat(entries[0]["created_at"]) \
            < ROTATION_OVERLAP:
        keep.append(entries[1]["secret"])
    return keep


def redacted_url(url: str) -> str:
    """The URL for display and the audit log: no credentials, no query values (often tokens)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    query = "&".join(f"{pair.split('=')[0]}=…" for pair in parts.query.split("&") if pair)
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def endpoint_json(endpoint: WebhookEndpoint) -> dict:
    return {"id": str(endpoint.id), "url": redacted_url(endpoint.url),
            "description": endpoint.description, "events": list(endpoint.events or []),
            "enabled": endpoint.enabled, "disabled_reason": endpoint.disabled_reason,
            "failing_since": iso(endpoint.failing_since), "created_at": iso(endpoint.created_at)}


def _validated_events(events: list[str] | None) -> list[str]:
    unknown = sorted(set(events or []) - set(EVENTS))
    if unknown:
        raise ValidationFailed(f"unknown event(s) {', '.join(unknown)}; choose from "
                               f"{', '.join(EVENTS)}", field="events")
    return [e for e in EVENTS if e in set(events or [])]


def _validated_url(url: str) -> str:
    url = (url or "").strip()
    try:
        net.check_url(url)
    except net.Unresolvable:
        pass  # may resolve later (new DNS record); every delivery checks again
    except net.UnsafeDestination as exc:
        raise ValidationFailed(str(exc), field="url") from exc
    return url


def create_endpoint(sess: Session, workspace_id: uuid.UUID, actor: str, *, url: str,
                    events: list[str] | None = None, description: str = ""
                    ) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (returned once, stored encrypted)."""
    endpoint = WebhookEndpoint(id=uuid.uuid4(), workspace_id=workspace_id,
                               url=_validated_url(url), events=_validated_events(events),
                               description=(description or "").strip(), enabled=True)
    secret = signing.new_secret()
    _store_secrets(endpoint, [{"secret": secret, "created_at": datetime.now(UTC).isoformat()}])
    sess.add(endpoint)
    sess.flush()
    audit.record(sess, workspace_id, actor, "webhook.created", target_type="webhook",
                 target_id=endpoint.id, after=endpoint_json(endpoint))
    sess.commit()
    return endpoint, secret


def get_endpoint(sess: Session, workspace_id, endpoint_id, *, lock: bool = False
                 ) -> WebhookEndpoint:
    query = sa.select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id,
                                             WebhookEndpoint.workspace_id == workspace_id)
    endpoint = sess.scalar(query.with_for_update() if lock else query)
    if endpoint is None:
        raise NotFound("no such webhook endpoint in this workspace")
    return endpoint


def list_endpoints(sess: Session, workspace_id, *, after: uuid.UUID | None = None,
                   limit: int = 100) -> list[WebhookEndpoint]:
    query = sa.select(WebhookEndpoint).where(WebhookEndpoint.workspace_id == workspace_id)
    if after:
        query = query.where(WebhookEndpoint.id > after)
    return list(sess.scalars(query.order_by(WebhookEndpoint.id).limit(limit)))


def delete_endpoint(sess: Session, workspace_id, endpoint_id, actor: str) -> None:
    endpoint = get_endpoint(sess, workspace_id, endpoint_id, lock=True)
    audit.record(sess, workspace_id, actor, "webhook.deleted", target_type="webhook",
                 target_id=endpoint.id, before=endpoint_json(endpoint))
    sess.delete(endpoint)
    sess.commit()


def rotate_secret(sess: Session, workspace_id, endpoint_id, actor: str) -> str:
    """A new secret; the old one keeps signing beside it for ROTATION_OVERLAP."""
    endpoint = get_endpoint(sess, workspace_id, endpoint_id, lock=True)
    secret = signing.new_secret()
    entries = [{"secret": secret, "created_at": datetime.now(UTC).isoformat()}]
    _store_secrets(endpoint, entries + _secret_entries(endpoint)[:1])
    audit.record(sess, workspace_id, actor, "webhook.secret_rotated", target_type="webhook",
                 target_id=endpoint.id)
    sess.commit()
    return secret


def enable_endpoint(sess: Session, workspace_id, endpoint_id, actor: str) -> WebhookEndpoint:
    endpoint = get_endpoint(sess, workspace_id, endpoint_id, lock=True)
    before = endpoint_json(endpoint)
    endpoint.enabled, endpoint.disabled_reason, endpoint.failing_since = True, None, None
    audit.record(sess, workspace_id, actor, "webhook.enabled", target_type="webhook",
                 target_id=endpoint.id, before=before, after=endpoint_json(endpoint))
    sess.commit()
    return endpoint


def delivery_json(delivery: WebhookDelivery) -> dict:
    return {"id": str(delivery.id), "endpoint_id": str(delivery.endpoint_id),
            "event_id": str(delivery.event_id), "event_type": delivery.event_type,
            "status": delivery.status, "attempts": delivery.attempts,
            "next_attempt_at": iso(delivery.next_attempt_at) if delivery.status == "pending"
            else None,
            "response_status": delivery.last_status_code, "error": delivery.last_error,
            "duration_ms": delivery.duration_ms, "last_attempt_at": iso(delivery.last_attempt_at),
            "delivered_at": iso(delivery.delivered_at), "created_at": iso(delivery.created_at)}


def list_deliveries(sess: Session, workspace_id, endpoint_id, *, status: str | None = None,
                    after: tuple[datetime, uuid.UUID] | None = None, limit: int = 50
                    ) -> list[WebhookDelivery]:
    """Newest first; `after` is the (created_at, id) of the previous page's last row."""
    get_endpoint(sess, workspace_id, endpoint_id)
    query = sa.select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    if status:
        query = query.where(WebhookDelivery.status == status)
    if after:
        query = query.where(sa.tuple_(WebhookDelivery.created_at, WebhookDelivery.id)
                            < sa.tuple_(*after))
    return list(sess.scalars(query.order_by(WebhookDelivery.created_at.desc(),
                                            WebhookDelivery.id.desc()).limit(limit)))


def resend(sess: Session, workspace_id, endpoint_id, delivery_id, actor: str) -> WebhookDelivery:
    """Queue the same event (same webhook-id) again now, with a fresh retry schedule."""
    endpoint = get_endpoint(sess, workspace_id, endpoint_id)
    if not endpoint.enabled:
        raise Conflict("this endpoint is disabled; enable it before resending", field="enabled")
    delivery = sess.scalar(sa.select(WebhookDelivery).where(
        WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint_id == endpoint.id)
        .with_for_update())
    if delivery is None:
        raise NotFound("no such delivery for this endpoint")
    if delivery.status != "pending":
        delivery.status, delivery.attempts = "pending", 0
    delivery.next_attempt_at = sa.func.now()
    audit.record(sess, workspace_id, actor, "webhook.resent", target_type="webhook_delivery",
                 target_id=delivery.id, after={"event_id": str(delivery.event_id)})
    sess.commit()
    sess.refresh(delivery)
    return delivery
