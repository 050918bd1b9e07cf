"""Webhook delivery: outbox rows fan out to per-endpoint deliveries, posted signed with retries.

Each endpoint has at most one delivery in flight (a lease on the endpoint row, claimed with
FOR UPDATE SKIP LOCKED, so any number of workers and threads can share the work), and a
bounded thread pool serves many endpoints at once, so one slow endpoint holds one thread and
never the others. No transaction stays open across an HTTP call: claim, commit, post, record.
"""

from __future__ import annotations

import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app import db, net
from app.audit import service as audit
from app.notifications import service as notifications
from app.outbox.models import OutboxMessage
from app.webhooks import signing
from app.webhooks.models import WebhookDelivery, WebhookEndpoint
from app.webhooks.service import OPT_IN, active_secrets, endpoint_json, redacted_url

log = logging.getLogger(__name__)

# Delay before each retry (Standard Webhooks' schedule): 8 attempts in all.
BACKOFF = tuple(timedelta(seconds=s) for s in (5, 300, 1800, 7200, 18000, 36000, 36000))
MAX_ATTEMPTS = len(BACKOFF) + 1
TIMEOUT = 10.0
LEASE = timedelta(seconds=60)
DISABLE_AFTER = timedelta(days=3)


@dataclass(frozen=True)
class Job:
    delivery_id: uuid.UUID
    endpoint_id: uuid.UUID
    url: str
    event_id: str
    body: bytes
    headers: dict


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    response: str | None
    duration_ms: int


def current_time(sess: Session, now: datetime | None) -> datetime:
    return now or sess.scalar(sa.select(sa.func.now()))


def fan_out(sess: Session, now: datetime | None = None, limit: int = 500) -> int:
    """Turn due webhook outbox rows into one delivery per matching enabled endpoint."""
    now = current_time(sess, now)
    rows = list(sess.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.kind == "webhook", OutboxMessage.processed_at.is_(None),
        OutboxMessage.next_attempt_at <= now).order_by(OutboxMessage.id).limit(limit)
        .with_for_update(skip_locked=True)))
    endpoints: dict[uuid.UUID, list[WebhookEndpoint]] = {}
    for ws in {r.workspace_id for r in rows}:
        endpoints[ws] = list(sess.scalars(sa.select(WebhookEndpoint).where(
            WebhookEndpoint.workspace_id == ws, WebhookEndpoint.enabled.is_(True))))
    values = [{"id": uuid.uuid4(), "workspace_id": r.workspace_id, "endpoint_id": e.id,
               "event_id": r.event_id, "event_type": r.event_type,
               "payload": signing_payload(r), "status": "pending", "attempts": 0,
               "next_attempt_at": now}
              for r in rows for e in endpoints[r.workspace_id]
              if r.event_type in e.events or (not e.events and r.event_type not in OPT_IN)]
    if values:
        sess.execute(insert(WebhookDelivery).values(values).on_conflict_do_nothing(
            constraint="uq_delivery_endpoint_event"))
    for row in rows:
        row.processed_at = now
    sess.commit()
    return len(values)


def signing_payload(row: OutboxMessage) -> dict:
    """What a delivery keeps: the event's data and its creation time (the body's timestamp)."""
    return {"data": row.payload, "created_at": row.created_at.isoformat()}


def claim(sess: Session, now: datetime | None = None) -> Job | None:
    """Lease one idle endpoint (least recently served first) and its oldest due delivery;
    commit before any HTTP."""
    now = current_time(sess, now)
    due = sa.select(WebhookDelivery.id).where(
        WebhookDelivery.endpoint_id == WebhookEndpoint.id, WebhookDelivery.status == "pending",
        WebhookDelivery.next_attempt_at <= now)
    endpoint = sess.scalar(sa.select(WebhookEndpoint).where(
        WebhookEndpoint.enabled.is_(True),
        sa.or_(WebhookEndpoint.busy_until.is_(None), WebhookEndpoint.busy_until <= now),
        due.exists()).order_by(WebhookEndpoint.busy_until.asc().nulls_first()).limit(1)
        .with_for_update(skip_locked=True))
    if endpoint is None:
        sess.rollback()
        return None
    delivery = sess.scalar(sa.select(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == "pending",
        WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.created_at).limit(1)
        .with_for_update(skip_locked=True))
    if delivery is None:
        sess.rollback()
        return None
    endpoint.busy_until = delivery.next_attempt_at = now + LEASE
    delivery.attempts += 1
    delivery.last_attempt_at = now
    job = _job(endpoint, delivery, now)
    sess.commit()
    return job


def _job(endpoint: WebhookEndpoint, delivery: WebhookDelivery, now: datetime) -> Job:
    event_id = str(delivery.event_id)
    created = datetime.fromisoformat(delivery.payload["created_at"])
    body = signing.body_bytes(event_id, delivery.event_type, created, delivery.payload["data"])
    return Job(delivery_id=delivery.id, endpoint_id=endpoint.id, url=endpoint.url,
               event_id=event_id, body=body,
               headers=signing.headers(event_id, body, active_secrets(endpoint, now), now))


def post(client: httpx.Client, job: Job) -> Outcome:
    """One signed POST to the pinned, vetted address; never raises for the endpoint's sake."""
    started = time.monotonic()
    try:
        response = net.send(client, "POST", job.url, headers=job.headers, content=job.body,
                            timeout=TIMEOUT)
    except net.UnsafeDestination as exc:
        return Outcome(None, f"refused: {exc}", None, _ms(started))
    except httpx.TimeoutException:
        return Outcome(None, f"no answer within {TIMEOUT:.0f} s", None, _ms(started))
    except httpx.HTTPError as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}", None, _ms(started))
    error = None if response.is_success else f"answered {response.status_code}"
    if response.is_redirect:
        error = f"answered {response.status_code} (redirects are not followed)"
    return Outcome(response.status_code, error, response.text[:1000], _ms(started))


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def record(sess: Session, job: Job, outcome: Outcome, now: datetime | None = None) -> None:
    """Store the attempt's result, schedule the retry, disable a gone or long-failing endpoint."""
    now = current_time(sess, now)
    endpoint = sess.get(WebhookEndpoint, job.endpoint_id, with_for_update=True)
    delivery = sess.get(WebhookDelivery, job.delivery_id, with_for_update=True)
    if endpoint is None or delivery is None:
        sess.rollback()
        return
    endpoint.busy_until = now  # free again; also orders endpoints least recently served first
    delivery.last_status_code, delivery.last_error = outcome.status_code, outcome.error
    delivery.last_response, delivery.duration_ms = outcome.response, outcome.duration_ms
    if outcome.error is None:
        delivery.status, delivery.delivered_at = "succeeded", now
        endpoint.failing_since = None
    elif outcome.status_code == 410:
        delivery.status = "failed"
        _disable(sess, endpoint, "the endpoint answered 410 Gone")
    else:
        endpoint.failing_since = endpoint.failing_since or now
        if now - endpoint.failing_since >= DISABLE_AFTER:
            delivery.status = "failed"
            _disable(sess, endpoint, f"failing since {endpoint.failing_since:%Y-%m-%d %H:%M} UTC")
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = "failed"
        else:
            delivery.next_attempt_at = now + BACKOFF[delivery.attempts - 1]
    sess.commit()


def _disable(sess: Session, endpoint: WebhookEndpoint, reason: str) -> None:
    before = endpoint_json(endpoint)
    endpoint.enabled, endpoint.disabled_reason = False, reason
    audit.record(sess, endpoint.workspace_id, "system", "webhook.disabled",
                 target_type="webhook", target_id=endpoint.id, before=before,
                 after=endpoint_json(endpoint))
    notifications.notify(sess, endpoint.workspace_id, "webhook_disabled",
                         f"Webhook to {redacted_url(endpoint.url)} disabled", reason,
                         email=True)
    log.warning("webhook endpoint %s disabled: %s", endpoint.id, reason)


def _work(client: httpx.Client, now: datetime | None, deadline: float) -> int:
    """One pool thread: claim, post, record, until nothing is due or time is up."""
    done = 0
    try:
        while time.monotonic() < deadline:
            job = claim(db.session(), now)
            if job is None:
                # Other threads' claims may have held the rows for a moment (SKIP LOCKED):
                # stop only when no idle endpoint has work left.
                if not claimable(db.session(), now):
                    break
                time.sleep(0.01)
                continue
            record(db.session(), job, post(client, job), now)
            done += 1
    finally:
        db.session.remove()
    return done


def claimable(sess: Session, now: datetime | None) -> bool:
    """Whether some enabled endpoint that is not busy has a delivery due."""
    now = current_time(sess, now)
    found = sess.scalar(sa.select(sa.exists().where(
        WebhookDelivery.endpoint_id == WebhookEndpoint.id, WebhookDelivery.status == "pending",
        WebhookDelivery.next_attempt_at <= now, WebhookEndpoint.enabled.is_(True),
        sa.or_(WebhookEndpoint.busy_until.is_(None), WebhookEndpoint.busy_until <= now))))
    sess.rollback()
    return bool(found)


def endpoints_due(sess: Session, now: datetime | None, most: int) -> int:
    """How many endpoints (up to `most`) have a delivery due: that many threads are useful."""
    now = current_time(sess, now)
    due = sa.select(WebhookDelivery.endpoint_id).where(
        WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now) \
        .distinct().limit(most).subquery()
    return sess.scalar(sa.select(sa.func.count()).select_from(due)) or 0


def deliver_due(now: datetime | None = None, *, threads: int = 8, budget: float = 30.0,
                client: httpx.Client | None = None) -> int:
    """Fan out, then deliver what is due with a bounded pool; returns attempts made."""
    try:
        fan_out(db.session(), now)
        busy = endpoints_due(db.session(), now, threads)
    finally:
        db.session.remove()
    if not busy:
        return 0
    threads = min(threads, busy)
    own = client is None
    client = client or net.client()
    deadline = time.monotonic() + budget
    try:
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="webhook") as pool:
            futures = [pool.submit(_work, client, now, deadline) for _ in range(threads)]
            return sum(f.result() for f in futures)
    finally:
        if own:
            client.close()
