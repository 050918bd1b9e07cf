"""Settings → Webhooks in the dashboard: add (secret once), deliveries log, resend, delete."""

from __future__ import annotations

import re

import sqlalchemy as sa

from app.webhooks import delivery as delivery_job
from app.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.conftest import login


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_add_endpoint_shows_secret_once_then_resend_and_delete(client, db, workspace,
                                                               make_channel):
    ws, owner = workspace
    login(client, owner.email)
    page = client.get("/settings/webhooks").get_data(as_text=True)
    assert "No endpoints yet" in page
    created = client.post("/settings/webhooks", data={
        "csrf_token": csrf(page), "url": "https://93.184.216.34/hook?key=QUERYSECRET",
        "events": ["post.draft", "post.failed"], "description": "ops"},
        headers={"HX-Request": "true"})
    html = created.get_data(as_text=True)
    secret = re.search(r"(whsec_[A-Za-z0-9+/=]+)", html).group(1)
    assert html.startswith('<section id="webhook-endpoints">')
    endpoint = db.scalar(sa.select(WebhookEndpoint).where(WebhookEndpoint.workspace_id == ws))
    assert endpoint.events == ["post.draft", "post.failed"]
    again = client.get("/settings/webhooks").get_data(as_text=True)
    assert secret not in again and "key=…" in again and "QUERYSECRET" not in again

    from app.posts import service as posts
    posts.create_post(db, ws, "test", channel_id=make_channel(ws).id, text="x")
    delivery_job.fan_out(db)
    row = db.scalar(sa.select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    row.status, row.last_status_code, row.attempts = "failed", 500, 8
    db.commit()
    log = client.get(f"/settings/webhooks/{endpoint.id}").get_data(as_text=True)
    assert "post.draft" in log and "500" in log and "Resend" in log
    resent = client.post(f"/settings/webhooks/{endpoint.id}/deliveries/{row.id}/resend",
                         data={"csrf_token": csrf(log)}, headers={"HX-Request": "true"})
    assert resent.get_data(as_text=True).startswith(f'<tr id="delivery-{row.id}">')
    row = db.get(WebhookDelivery, row.id, populate_existing=True)
    assert row.status == "pending" and row.attempts == 0

    gone = client.post(f"/settings/webhooks/{endpoint.id}/delete", data={"csrf_token": csrf(log)},
                       headers={"HX-Request": "true"})
    assert gone.status_code == 200 and "No endpoints yet" in gone.get_data(as_text=True)


def test_internal_url_is_refused_with_the_reason(client, workspace, monkeypatch):
    monkeypatch.delenv("OPENPOST_ALLOW_PRIVATE_HOSTS")
    _ws, owner = workspace
    login(client, owner.email)
    page = client.get("/settings/webhooks").get_data(as_text=True)
    answer = client.post("/settings/webhooks", data={"csrf_token": csrf(page),
                                                     "url": "http://10.0.0.8/hook"})
    assert answer.status_code == 422
    assert "private address" in answer.get_data(as_text=True)


def test_nav_links_for_owners(client, workspace):
    _ws, owner = workspace
    login(client, owner.email)
    settings = client.get("/settings/members").get_data(as_text=True)
    assert 'href="/settings/webhooks"' in settings and 'href="/settings/audit-log"' in settings
