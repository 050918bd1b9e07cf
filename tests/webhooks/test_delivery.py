"""Delivery from the outbox over real HTTP: signed, retried on schedule, disabled when gone."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook

from app import db
from app.audit.models import AuditEntry
from app.notifications.models import Notification
from app.outbox.models import OutboxMessage
from app.webhooks import delivery
from app.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.webhooks.conftest import db_now

pytestmark = pytest.mark.concurrency


def rows(model, *where):
    try:
        return list(db.session().scalars(sa.select(model).where(*where)))
    finally:
        db.session.remove()


def test_event_is_delivered_signed_with_the_outbox_event_id(committed, receiver, make_endpoint,
                                                           new_draft):
    ws, _owner = committed
    server = receiver()
    _endpoint, secret = make_endpoint(ws, f"{server.url}/hook")
    post = new_draft(ws, "hello webhooks")
    assert delivery.deliver_due() == 1
    [req] = server.requests
    event = Webhook(secret).verify(req["body"], req["headers"])
    assert event["type"] == "post.draft" and event["data"]["post"]["id"] == str(post.id)
    [outbox] = rows(OutboxMessage, OutboxMessage.workspace_id == ws,
                    OutboxMessage.kind == "webhook")
    assert req["headers"]["webhook-id"] == str(outbox.event_id) == event["id"]
    [sent] = rows(WebhookDelivery, WebhookDelivery.workspace_id == ws)
    assert (sent.status, sent.last_status_code, sent.attempts) == ("succeeded", 200, 1)
    assert delivery.deliver_due() == 0  # nothing is delivered twice


def test_event_filter_picks_the_endpoints(committed, receiver, make_endpoint, new_draft):
    ws, _ = committed
    only_failures, everything = receiver(), receiver()
    make_endpoint(ws, only_failures.url, events=["post.failed"])
    make_endpoint(ws, everything.url)
    new_draft(ws)
    delivery.deliver_due()
    assert only_failures.requests == [] and len(everything.requests) == 1


def test_retries_follow_the_schedule_then_give_up(committed, receiver, make_endpoint,
                                                  new_draft):
    ws, _ = committed
    server = receiver()
    server.respond = lambda req: (503, {}, b"down")
    make_endpoint(ws, server.url)
    new_draft(ws)
    now = db_now() + timedelta(seconds=1)
    assert delivery.deliver_due(now) == 1  # immediately
    for wait in (5, 300, 1800, 7200, 18000, 36000, 36000):
        assert delivery.deliver_due(now + timedelta(seconds=wait - 1)) == 0  # not yet
        now += timedelta(seconds=wait)
        assert delivery.deliver_due(now) == 1
    assert delivery.deliver_due(now + timedelta(hours=20)) == 0
    [failed] = rows(WebhookDelivery, WebhookDelivery.workspace_id == ws)
    assert (failed.status, failed.attempts, failed.last_status_code) == ("failed", 8, 503)
    assert len({r["headers"]["webhook-id"] for r in server.requests}) == 1
    assert len(server.requests) == 8


def test_endpoint_failing_for_three_days_is_disabled_and_owner_notified(
        committed, receiver, make_endpoint, new_draft):
    ws, owner = committed
    server = receiver()
    server.respond = lambda req: (500, {}, b"")
    make_endpoint(ws, server.url)
    new_draft(ws)
    start = db_now() + timedelta(seconds=1)
    delivery.deliver_due(start)
    new_draft(ws, "a later post")
    delivery.deliver_due(start + timedelta(days=3))
    [endpoint] = rows(WebhookEndpoint, WebhookEndpoint.workspace_id == ws)
    assert not endpoint.enabled and "failing since" in endpoint.disabled_reason
    [note] = rows(Notification, Notification.workspace_id == ws,
                  Notification.kind == "webhook_disabled")
    assert note.user_id == owner.id
    [mail] = rows(OutboxMessage, OutboxMessage.workspace_id == ws, OutboxMessage.kind == "email")
    assert mail.payload["to"] == [owner.email]
    count = len(server.requests)
    new_draft(ws, "after disabling")
    delivery.deliver_due(start + timedelta(days=4))
    assert len(server.requests) == count  # a disabled endpoint gets nothing more


def test_410_disables_at_once(committed, receiver, make_endpoint, new_draft):
    ws, _ = committed
    server = receiver()
    server.respond = lambda req: (410, {}, b"gone")
    make_endpoint(ws, server.url)
    new_draft(ws)
    delivery.deliver_due()
    [endpoint] = rows(WebhookEndpoint, WebhookEndpoint.workspace_id == ws)
    assert not endpoint.enabled and "410" in endpoint.disabled_reason
    assert rows(Notification, Notification.workspace_id == ws,
                Notification.kind == "webhook_disabled")
    [audited] = rows(AuditEntry, AuditEntry.workspace_id == ws,
                     AuditEntry.action == "webhook.disabled")
    assert audited.before["enabled"] is True and audited.after["enabled"] is False


def test_success_after_failures_clears_the_failing_clock(committed, receiver, make_endpoint,
                                                        new_draft):
    ws, _ = committed
    server = receiver()
    answers = iter([500, 200])
    server.respond = lambda req: (next(answers), {}, b"")
    make_endpoint(ws, server.url)
    new_draft(ws)
    now = db_now() + timedelta(seconds=1)
    delivery.deliver_due(now)
    assert rows(WebhookEndpoint, WebhookEndpoint.workspace_id == ws)[0].failing_since
    delivery.deliver_due(now + timedelta(seconds=5))
    [endpoint] = rows(WebhookEndpoint, WebhookEndpoint.workspace_id == ws)
    assert endpoint.enabled and endpoint.failing_since is None
    assert rows(WebhookDelivery, WebhookDelivery.workspace_id == ws)[0].status == "succeeded"


def test_redirect_is_a_failure_and_its_target_is_never_contacted(committed, receiver,
                                                                 make_endpoint, new_draft):
    ws, _ = committed
    internal, hook = receiver(), receiver()
    hook.respond = lambda req: (307, {"Location": f"{internal.url}/admin"}, b"")
    make_endpoint(ws, hook.url)
    new_draft(ws)
    delivery.deliver_due()
    [attempt] = rows(WebhookDelivery, WebhookDelivery.workspace_id == ws)
    assert attempt.status == "pending" and attempt.last_status_code == 307
    assert "redirects are not followed" in attempt.last_error
    assert internal.requests == []


def test_one_slow_endpoint_never_delays_the_others(committed, receiver, make_endpoint,
                                                   new_draft):
    ws, _ = committed
    slow, fast = receiver(), receiver()
    fast_done = threading.Event()
    slow_saw_fast_done = []

    def slow_answer(req):
        slow_saw_fast_done.append(fast_done.wait(timeout=8))
        return 200, {}, b""

    def fast_answer(req):
        if len(fast.requests) == 3:
            fast_done.set()
        return 200, {}, b""
    slow.respond, fast.respond = slow_answer, fast_answer
    make_endpoint(ws, slow.url)
    make_endpoint(ws, fast.url)
    for i in range(3):
        new_draft(ws, f"post {i}")
    delivery.deliver_due()
    # The fast endpoint got all three while the slow one was still busy with its first.
    assert slow_saw_fast_done[0] is True
    assert len(fast.requests) == 3 and len(slow.requests) == 3


def test_concurrent_workers_deliver_each_event_once_per_endpoint(committed, receiver,
                                                                 make_endpoint, new_draft):
    ws, _ = committed
    servers = [receiver() for _ in range(3)]
    in_flight = {id(s): 0 for s in servers}
    overlap = []
    lock = threading.Lock()

    def answer_for(server):
        def answer(req):
            with lock:
                in_flight[id(server)] += 1
                overlap.append(in_flight[id(server)])
            threading.Event().wait(0.01)
            with lock:
                in_flight[id(server)] -= 1
            return 200, {}, b""
        return answer
    for server in servers:
        server.respond = answer_for(server)
        make_endpoint(ws, server.url)
    for i in range(10):
        new_draft(ws, f"post {i}")
    workers = [threading.Thread(target=delivery.deliver_due, kwargs={"threads": 4})
               for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    for server in servers:
        ids = [r["headers"]["webhook-id"] for r in server.requests]
        assert len(ids) == 10 and len(set(ids)) == 10
    assert max(overlap) == 1  # never two requests at once to one endpoint


def test_resend_posts_the_same_event_again(committed, receiver, make_endpoint, new_draft):
    from app.webhooks import service

    ws, _ = committed
    server = receiver()
    endpoint, _secret = make_endpoint(ws, server.url)
    new_draft(ws)
    delivery.deliver_due()
    [sent] = rows(WebhookDelivery, WebhookDelivery.workspace_id == ws)
    service.resend(db.session(), ws, endpoint.id, sent.id, "test")
    db.session.remove()
    delivery.deliver_due()
    assert len(server.requests) == 2
    first, second = (json.loads(r["body"]) for r in server.requests)
    assert first == second
    assert server.requests[0]["headers"]["webhook-id"] == server.requests[1]["headers"]["webhook-id"]


def test_destination_now_internal_is_refused_and_retried_later(committed, receiver,
                                                               make_endpoint, new_draft,
                                                               monkeypatch):
    ws, _ = committed
    server = receiver()
    make_endpoint(ws, server.url)  # accepted while private hosts were allowed
    new_draft(ws)
    monkeypatch.delenv("OPENPOST_ALLOW_PRIVATE_HOSTS")
    delivery.deliver_due()
    [attempt] = rows(WebhookDelivery, WebhookDelivery.workspace_id == ws)
    assert attempt.status == "pending" and attempt.last_status_code is None
    assert attempt.last_error.startswith("refused:") and "loopback" in attempt.last_error
    assert server.requests == []
