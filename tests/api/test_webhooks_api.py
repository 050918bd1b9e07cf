"""The webhooks API: create (secret once), list with cursors, deliveries, resend, delete."""

from __future__ import annotations

import sqlalchemy as sa

from app.webhooks import delivery as delivery_job
from app.webhooks.models import WebhookDelivery, WebhookEndpoint


def test_create_shows_the_secret_once_and_never_again(api, db):
    created = api.post("/webhooks", json={"url": "https://hooks.example.com/in?token=abc",
                                          "events": ["post.failed", "post.published"],
                                          "description": "ops"})
    assert created.status_code == 201
    body = created.get_json()
    assert body["secret"].startswith("whsec_")
    assert body["events"] == ["post.published", "post.failed"]
    assert body["url"] == "https://hooks.example.com/in?token=…"
    listed = api.get("/webhooks").get_json()["data"]
    assert [e["id"] for e in listed] == [body["id"]]
    assert "secret" not in listed[0] and body["secret"] not in str(listed)
    assert "secret" not in api.get(f"/webhooks/{body['id']}").get_json()
    stored = db.get(WebhookEndpoint, body["id"])
    assert body["secret"].encode() not in bytes(stored.secrets_enc)


def test_bad_input_is_refused_and_changes_nothing(api, db, monkeypatch):
    monkeypatch.delenv("OPENPOST_ALLOW_PRIVATE_HOSTS")
    cases = [({"url": "http://169.254.169.254/latest"}, "metadata"),
             ({"url": "http://[::ffff:10.0.0.1]/"}, "IPv6 form of 10.0.0.1"),
             ({"url": "ftp://example.com/"}, "http"),
             ({"url": "https://93.184.216.34/", "events": ["post.exploded"]}, "events"),
             ({"url": "https://93.184.216.34/", "secret": "mine"}, "unknown field")]
    for payload, words in cases:
        answer = api.post("/webhooks", json=payload)
        assert answer.status_code == 422, payload
        assert words in answer.get_json()["error"]["message"]
    assert db.scalar(sa.select(sa.func.count()).select_from(WebhookEndpoint)) == 0


def test_list_pages_with_a_cursor(api):
    ids = {api.post("/webhooks", json={"url": f"https://93.184.216.34/{i}"}).get_json()["id"]
           for i in range(3)}
    first = api.get("/webhooks?limit=2").get_json()
    second = api.get(f"/webhooks?limit=2&cursor={first['next_cursor']}").get_json()
    assert {e["id"] for e in first["data"] + second["data"]} == ids
    assert second["next_cursor"] is None
    assert api.get("/webhooks?limit=0").status_code == 422
    assert api.get("/webhooks?cursor=nonsense").status_code == 422


def test_delete_and_other_workspaces_endpoints_are_not_found(api, make_user, make_api_key,
                                                             client):
    hook = api.post("/webhooks", json={"url": "https://93.184.216.34/"}).get_json()
    other = make_api_key(make_user().memberships[0].workspace_id)
    assert client.get(f"/api/v1/webhooks/{hook['id']}", headers=other).status_code == 404
    assert client.delete(f"/api/v1/webhooks/{hook['id']}", headers=other).status_code == 404
    assert api.delete(f"/webhooks/{hook['id']}").status_code == 204
    assert api.get(f"/webhooks/{hook['id']}").status_code == 404


def test_deliveries_log_and_resend(api, db, make_channel):
    hook = api.post("/webhooks", json={"url": "https://93.184.216.34/"}).get_json()
    api.post("/posts", json={"channel_id": str(make_channel(api.workspace_id).id), "text": "x"})
    delivery_job.fan_out(db)
    log = api.get(f"/webhooks/{hook['id']}/deliveries").get_json()
    [row] = log["data"]
    assert row["event_type"] == "post.draft" and row["status"] == "pending"
    stored = db.get(WebhookDelivery, row["id"])
    stored.status, stored.attempts, stored.last_status_code = "failed", 8, 500
    db.commit()
    failed = api.get(f"/webhooks/{hook['id']}/deliveries?status=failed").get_json()["data"]
    assert failed[0]["response_status"] == 500
    resent = api.post(f"/webhooks/{hook['id']}/deliveries/{row['id']}/resend")
    assert resent.status_code == 202
    assert resent.get_json()["status"] == "pending" and resent.get_json()["attempts"] == 0
    assert resent.get_json()["event_id"] == row["event_id"]
    assert api.get(f"/webhooks/{hook['id']}/deliveries?status=lost").status_code == 422


def test_rotation_returns_a_new_secret(api):
    hook = api.post("/webhooks", json={"url": "https://93.184.216.34/"}).get_json()
    rotated = api.post(f"/webhooks/{hook['id']}/rotate-secret").get_json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != hook["secret"]


def test_channels_filter_by_platform_and_status(api, db, make_channel):
    from app.channels import service as channels

    kept = make_channel(api.workspace_id)
    gone = make_channel(api.workspace_id)
    channels.mark_disconnected(db, gone, "revoked")
    db.commit()
    connected = api.get("/channels?status=connected&platform=mastodon").get_json()["data"]
    assert [c["id"] for c in connected] == [str(kept.id)]
    assert api.get("/channels?platform=myspace").status_code == 422
    assert api.get("/audit-log?action=%00").status_code == 422


def test_disabled_endpoint_refuses_resend_until_enabled(api, db, make_channel):
    hook = api.post("/webhooks", json={"url": "https://93.184.216.34/"}).get_json()
    api.post("/posts", json={"channel_id": str(make_channel(api.workspace_id).id), "text": "x"})
    delivery_job.fan_out(db)
    [row] = api.get(f"/webhooks/{hook['id']}/deliveries").get_json()["data"]
    endpoint = db.get(WebhookEndpoint, hook["id"])
    endpoint.enabled, endpoint.disabled_reason = False, "the endpoint answered 410 Gone"
    db.commit()
    refused = api.post(f"/webhooks/{hook['id']}/deliveries/{row['id']}/resend")
    assert refused.status_code == 409 and "enable" in refused.get_json()["error"]["message"]
    enabled = api.post(f"/webhooks/{hook['id']}/enable").get_json()
    assert enabled["enabled"] is True and enabled["disabled_reason"] is None
    assert api.post(f"/webhooks/{hook['id']}/deliveries/{row['id']}/resend").status_code == 202


def test_old_secret_stops_signing_a_day_after_rotation(api, db):
    from datetime import UTC, datetime, timedelta

    from app.webhooks import service

    hook = api.post("/webhooks", json={"url": "https://93.184.216.34/"}).get_json()
    new = api.post(f"/webhooks/{hook['id']}/rotate-secret").get_json()["secret"]
    endpoint = db.get(WebhookEndpoint, hook["id"])
    now = datetime.now(UTC)
    assert service.active_secrets(endpoint, now) == [new, hook["secret"]]
    assert service.active_secrets(endpoint, now + timedelta(hours=25)) == [new]
