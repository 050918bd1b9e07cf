"""Reading the audit log: the settings page, exports and the API, with no secret in any of it."""

from __future__ import annotations

import csv
import io
import json

import sqlalchemy as sa

from app.audit import service as audit
from app.auth import service as auth
from tests.conftest import login


def test_no_secret_ever_reaches_the_audit_log(api, client, db, workspace, sandbox):
    import httpx

    ws, owner = workspace
    masto = httpx.post(f"{sandbox.url}/_control/accounts", json={"platform": "mastodon"}).json()
    bsky = httpx.post(f"{sandbox.url}/_control/accounts",
                      json={"platform": "bluesky", "password": "SECRET-APP-PASSWORD-321"}).json()
    secrets = [masto["access_token"], bsky["password"], "SECRET-URL-TOKEN-456",
               "WRONG-PASSWORD-789", "correct horse battery"]
    for connect in ({"platform": "mastodon", "instance_url": f"{sandbox.url}/mastodon",
                     "access_token": secrets[0]},
                    {"platform": "bluesky", "handle": bsky["handle"], "app_password": secrets[1],
                     "pds_url": f"{sandbox.url}/bluesky"}):
        assert api.post("/channels", json=connect).status_code == 201
    hook = api.post("/webhooks", json={"url": f"https://hooks.example.com/in?token={secrets[2]}"})
    secrets.append(hook.get_json()["secret"])
    secrets.append(api.post(f"/webhooks/{hook.get_json()['id']}/rotate-secret").get_json()["secret"])
    login(client, owner.email, secrets[3])
    login(client, owner.email)
    _key, token = auth.create_api_key(db, ws, f"user:{owner.id}", name="ci")
    secrets.append(token)
    auth.revoke_api_key(db, ws, _key.id, f"user:{owner.id}")
    from_api = json.dumps(api.get("/audit-log?limit=200").get_json())
    page = client.get("/settings/audit-log").get_data(as_text=True)
    exports = [client.get(f"/settings/audit-log/export.{fmt}").get_data(as_text=True)
               for fmt in ("csv", "json")]
    raw = "\n".join(db.scalars(sa.text("SELECT audit_log::text FROM audit_log")))
    actions = {e["action"] for e in json.loads(from_api)["data"]}
    assert {"channel.connected", "webhook.created", "webhook.secret_rotated", "login.failed",
            "login.succeeded", "apikey.created", "apikey.revoked"} <= actions
    for secret in secrets:
        for text in (from_api, page, raw, *exports):
            assert secret not in text


def test_page_filters_pages_and_exports(client, db, workspace):
    ws, owner = workspace
    for i in range(60):
        audit.record(db, ws, "user:robot", "thing.done", target_type="thing", target_id=i)
    audit.record(db, ws, "system", "other.thing", after={"k": "v"})
    db.commit()
    login(client, owner.email)
    first = client.get("/settings/audit-log?action=thing.done").get_data(as_text=True)
    first = first.split('<section id="audit-entries">')[1]  # after the filter menus
    assert first.count('<tr id="audit-') == 25 and "Other thing" not in first
    assert "Older entries" in first
    older = client.get("/settings/audit-log?action=thing.done&before=999999999999",
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    assert older.startswith('<section id="audit-entries">')
    by_actor = client.get("/settings/audit-log?actor=system").get_data(as_text=True)
    by_actor = by_actor.split('<section id="audit-entries">')[1]
    assert "Other thing" in by_actor and "Thing done" not in by_actor
    rows = list(csv.DictReader(io.StringIO(client.get(
        "/settings/audit-log/export.csv?action=thing.").get_data(as_text=True))))
    assert len(rows) == 60 and rows[0]["actor"] == "user:robot"
    exported = client.get("/settings/audit-log/export.json?action=other.thing").get_json()
    assert [e["action"] for e in exported] == ["other.thing"] and exported[0]["after"] == {"k": "v"}
    assert client.get("/settings/audit-log?from=not-a-date").status_code == 422


def test_members_cannot_read_the_audit_log(client, make_user, workspace):
    ws, owner = workspace
    from app.auth.models import Workspace
    from app.db import session

    name = session.get(Workspace, ws).name
    member = make_user(workspace=name, role="member")
    login(client, member.email)
    assert client.get("/settings/audit-log").status_code == 403
    assert client.get("/settings/webhooks").status_code == 403


def test_api_filters_and_cursor(api, db):
    for i in range(5):
        audit.record(db, api.workspace_id, "system", "thing.done", target_id=i)
    db.commit()
    first = api.get("/audit-log?action=thing.done&limit=3").get_json()
    rest = api.get(f"/audit-log?action=thing.done&limit=3&cursor={first['next_cursor']}")
    ids = [e["id"] for e in first["data"] + rest.get_json()["data"]]
    assert len(ids) == 5 and ids == sorted(ids, reverse=True)
    assert api.get("/audit-log?cursor=abc").status_code == 422
    assert api.get("/audit-log?from=2026-13-45").status_code == 422
