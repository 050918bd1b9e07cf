"""post.metrics is opt-in per endpoint: an endpoint that names it gets one event per
measurement; an endpoint taking every event does not."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.analytics.service import collect_due_metrics
from app.outbox.models import OutboxMessage
from app.webhooks import delivery, service
from app.webhooks.models import WebhookDelivery
from tests.analytics.world import channel_for, publish


def test_post_metrics_reaches_only_the_endpoints_that_ask_for_it(db, workspace, platforms):
    workspace_id = workspace[0]
    everything, _ = service.create_endpoint(db, workspace_id, "test",
                                            url="https://hooks.example/all")
    metrics, _ = service.create_endpoint(db, workspace_id, "test",
                                         url="https://hooks.example/metrics",
                                         events=["post.metrics"])
    account = platforms("mastodon")
    post = publish(db, channel_for(db, workspace_id, account), account, "hooked")
    assert collect_due_metrics(post.published_at + timedelta(hours=1, minutes=1)) == 1
    (row,) = db.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.event_type == "post.metrics", OutboxMessage.workspace_id == workspace_id))
    assert row.payload["metrics"]["post_id"] == str(post.id)
    assert row.payload["metrics"]["stage"] == "1h" and row.payload["metrics"]["metrics"]["likes"]
    delivery.fan_out(db, now=row.next_attempt_at + timedelta(seconds=1))
    sent = set(db.scalars(sa.select(WebhookDelivery.endpoint_id).where(
        WebhookDelivery.event_type == "post.metrics")))
    assert sent == {metrics.id} and everything.id not in sent


def test_no_endpoint_asking_means_no_event(db, workspace, platforms):
    workspace_id = workspace[0]
    service.create_endpoint(db, workspace_id, "test", url="https://hooks.example/all")
    account = platforms("mastodon")
    post = publish(db, channel_for(db, workspace_id, account), account, "quiet")
    collect_due_metrics(post.published_at + timedelta(hours=1, minutes=1))
    assert not db.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.event_type == "post.metrics", OutboxMessage.workspace_id == workspace_id))
