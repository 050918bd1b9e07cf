"""The workspace export: everything a team would want to keep, and not one secret."""

import csv
import io
import json
import re
import uuid
import zipfile

from app import crypto
from app.auth import service as auth
from app.exports import service
from app.media.models import Media
from app.posts import service as posts
from app.webhooks.models import WebhookEndpoint
from tests.conftest import login

TOKENS = ["tok-live-7Hq2Jx9Lm4", "ref-live-Pz8Wn3Kd6", "bsky-app-pass-2yq4", "whsec_ZXhwb3J0LXRlc3Q="]


def _fill(db, ws, make_channel, tmp_path):
    from app.channels import service as channels

    x = channels.connect(db, ws, "test", platform="x", handle="@acme",
                         credentials={"access_token": TOKENS[0], "refresh_token": TOKENS[1]},
                         settings={"account_id": "42"})
    bsky = channels.connect(db, ws, "test", platform="bluesky", handle="acme.bsky.social",
                            credentials={"identifier": "acme.bsky.social",
                                         "app_password": TOKENS[2]},
                            settings={"pds_url": "https://bsky.social"})
    endpoint = WebhookEndpoint(id=uuid.uuid4(), workspace_id=ws, url="http://127.0.0.1:9/h")
    endpoint.secrets_enc = crypto.encrypt(json.dumps([TOKENS[3]]).encode(), endpoint._aad())
    db.add(endpoint)
    media = Media(workspace_id=ws, filename="cat photo.png", content_type="image/png",
                  size_bytes=4, sha256="0" * 64, storage_key="k/cat")
    db.add(media)
    db.commit()
    (tmp_path / "k").mkdir()
    (tmp_path / "k" / "cat").write_bytes(b"\x89PNG")
    first = posts.create_post(db, ws, "test", channel_id=x.id, text="launch day, with \"quotes\"",
                              schedule_at="2099-05-01T09:00:00+02:00")
    posts.create_post(db, ws, "test", channel_id=bsky.id, parts=[{"text": "one"},
                                                                  {"text": "two"}])
    return first, media


def _read_storage(tmp_path):
    return lambda media: (tmp_path / media.storage_key).read_bytes()


def test_export_holds_everything_and_no_secret(db, workspace, make_channel, make_user, tmp_path):
    ws, owner = workspace
    first, media = _fill(db, ws, make_channel, tmp_path)
    _key, api_token = auth.create_api_key(db, ws, "test")
    theirs = make_user()
    posts.create_post(db, theirs.memberships[0].workspace_id, "test",
                      channel_id=make_channel(theirs.memberships[0].workspace_id).id,
                      text="another workspace's draft")
    out = io.BytesIO()
    manifest = service.write_export(db, ws, out, actor="test", read_media=_read_storage(tmp_path))
    archive = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    names = set(archive.namelist())
    for dataset in ("posts", "channels", "media", "audit_log"):
        assert {f"{dataset}.json", f"{dataset}.csv"} <= names
    assert f"media/{media.id}-catphoto.png" in names
    assert archive.read(f"media/{media.id}-catphoto.png") == b"\x89PNG"
    assert manifest["counts"]["posts"] == 2 and manifest["media_files"] == 1
    exported = json.loads(archive.read("posts.json"))
    launch = next(p for p in exported if p["id"] == str(first.id))
    assert launch["state"] == "scheduled" and launch["schedule_at"] == "2099-05-01T07:00:00Z"
    assert launch["events"][0]["to"] == "scheduled"
    rows = list(csv.DictReader(io.StringIO(archive.read("posts.csv").decode())))
    assert {r["text"] for r in rows} >= {'launch day, with "quotes"'}
    channels = json.loads(archive.read("channels.json"))
    assert {c["handle"] for c in channels} == {"@acme", "acme.bsky.social"}
    actions = {e["action"] for e in json.loads(archive.read("audit_log.json"))}
    assert {"channel.connected", "apikey.created", "user.created"} <= actions
    everything = b"".join(archive.read(n) for n in names)
    for secret in [*TOKENS, api_token, owner.password_hash]:
        assert secret.encode() not in everything, secret
    assert b"another workspace" not in everything


def test_settings_page_downloads_the_zip(client, db, workspace, make_channel, make_user):
    ws, owner = workspace
    posts.create_post(db, ws, "test", channel_id=make_channel(ws).id, text="exported post")
    login(client, owner.email)
    page = client.get("/settings/export").get_data(as_text=True)
    assert "Download the export" in page
    assert client.post("/settings/export").status_code == 400  # no CSRF token
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post("/settings/export", data={"csrf_token": token})
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    assert "attachment" in answer.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(answer.data))
    assert json.loads(archive.read("posts.json"))[0]["text"] == "exported post"


def test_members_cannot_export(client, db, workspace, make_user):
    _ws, owner = workspace
    member = make_user(workspace=owner.memberships[0].workspace.name, role="member")
    login(client, member.email)
    assert client.get("/settings/export").status_code == 403
