"""The channels API: connect with direct credentials, never echo a secret, edit, delete."""

import httpx
import pytest
import sqlalchemy as sa

from app.channels.models import Channel


def test_connect_mastodon_and_read_without_secrets(api, db, sandbox):
    made = httpx.post(f"{sandbox.url}/_control/accounts", json={"platform": "mastodon"}).json()
    token = made["access_token"]
    answer = api.post("/channels", json={"platform": "mastodon", "instance_url":
                                         f"{sandbox.url}/mastodon/", "access_token": token,
                                         "timezone": "Asia/Tokyo"})
    assert answer.status_code == 201
    body = answer.get_json()
    assert set(body) >= {"id", "platform", "handle", "display_name", "timezone", "status",
                         "status_reason"}
    assert token not in answer.get_data(as_text=True)
    listed = api.get("/channels").get_data(as_text=True)
    assert body["id"] in listed and token not in listed
    assert body["handle"].startswith("@sandbox@127.0.0.1")
    stored = db.scalars(sa.select(Channel).where(Channel.id == body["id"])).one()
    assert token.encode() not in stored.credentials_enc
    assert stored.credentials == {"access_token": token}
    assert stored.settings["instance_url"] == f"{sandbox.url}/mastodon"
    assert stored.settings["max_characters"] == 500


def test_bluesky_defaults_to_public_pds():
    from app.channels.service import split_credentials

    _creds, settings, _ = split_credentials("bluesky", {"handle": "me.bsky.social",
                                                        "app_password": "abcd-efgh-ijkl-mnop"})
    assert settings["pds_url"] == "https://bsky.social"


@pytest.mark.parametrize("body,field", [
    ({"platform": "myspace", "access_token": "x"}, "platform"),
    ({"platform": "bluesky", "handle": "me"}, "app_password"),
    ({"platform": "mastodon", "access_token": "x"}, "instance_url"),
    ({"platform": "x"}, "access_token"),
    ({"platform": "x", "access_token": "t", "timezone": "Moon/Base"}, "timezone"),
    ({"platform": "x", "access_token": "t", "password": "p"}, "password"),
])
def test_bad_connect_names_the_field_and_stores_nothing(api, db, body, field):
    answer = api.post("/channels", json=body)
    assert answer.status_code == 422
    assert answer.get_json()["error"]["field"] == field
    assert db.scalar(sa.select(sa.func.count()).select_from(Channel)) == 0


def test_ciphertext_moved_to_another_row_does_not_decrypt(api, db):
    from app.crypto import DecryptionFailed

    one = api.post("/channels", json={"platform": "x", "access_token": "a"}).get_json()
    two = api.post("/channels", json={"platform": "x", "access_token": "b"}).get_json()
    first, second = (db.scalars(sa.select(Channel).where(Channel.id == i)).one()
                     for i in (one["id"], two["id"]))
    second.credentials_enc = first.credentials_enc
    with pytest.raises(DecryptionFailed):
        _ = second.credentials


def test_patch_timezone_and_delete(api):
    body = api.post("/channels", json={"platform": "x", "access_token": "a"}).get_json()
    patched = api.patch(f"/channels/{body['id']}", json={"timezone": "America/Chicago"})
    assert patched.get_json()["timezone"] == "America/Chicago"
    bad = api.patch(f"/channels/{body['id']}", json={"timezone": "Chicago"})
    assert bad.status_code == 422
    assert api.get(f"/channels/{body['id']}").get_json()["timezone"] == "America/Chicago"
    assert api.delete(f"/channels/{body['id']}").status_code == 204
    assert api.get(f"/channels/{body['id']}").status_code == 404


def test_channel_with_scheduled_posts_cannot_be_deleted(api):
    from datetime import UTC, datetime, timedelta

    ch = api.post("/channels", json={"platform": "x", "access_token": "a"}).get_json()
    api.post("/posts", json={"channel_id": ch["id"], "text": "t", "schedule_at":
                             (datetime.now(UTC) + timedelta(hours=1)).isoformat()})
    answer = api.delete(f"/channels/{ch['id']}")
    assert answer.status_code == 409
    assert api.get(f"/channels/{ch['id']}").status_code == 200
