"""Secrets at rest: rotate to a new key, drop the old one, everything still decrypts."""

import base64
import io
import json
import secrets
import uuid
from urllib.parse import urlsplit

import pytest

from app import crypto
from app.channels.models import Channel
from app.ops import keys
from app.webhooks.models import WebhookEndpoint
from tests.media.conftest import jpeg


def _new_key():
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _endpoint(db, workspace_id, secret):
    endpoint = WebhookEndpoint(id=uuid.uuid4(), workspace_id=workspace_id,
                               url="http://127.0.0.1:9/hook", events=[])
    endpoint.secrets_enc = crypto.encrypt(json.dumps([secret]).encode(), endpoint._aad())
    db.add(endpoint)
    db.commit()
    return endpoint


def test_rotate_then_drop_the_old_key(db, workspace, make_channel, monkeypatch, local_storage):
    old, new = _new_key(), _new_key()
    monkeypatch.setenv("OPENPOST_ENCRYPTION_KEYS", old)
    ws, _ = workspace
    channels = [make_channel(ws) for _ in range(3)]
    endpoint = _endpoint(db, ws, "whsec_c2VjcmV0LXNpZ25pbmcta2V5")
    monkeypatch.setenv("OPENPOST_ENCRYPTION_KEYS", f"{new},{old}")
    assert keys.pending(db) == {"channels": 3, "webhook_endpoints": 1, "media_files": 0}
    assert keys.rotate(db) == {"channels": 3, "webhook_endpoints": 1, "media_files": 0,
                               "media_bytes": 0}
    assert keys.rotate(db) == {"channels": 0, "webhook_endpoints": 0, "media_files": 0,
                               "media_bytes": 0}  # idempotent
    monkeypatch.setenv("OPENPOST_ENCRYPTION_KEYS", new)
    db.expire_all()
    for channel in channels:
        assert db.get(Channel, channel.id).credentials == {"access_token": "secret-token"}
    stored = db.get(WebhookEndpoint, endpoint.id)
    assert json.loads(crypto.decrypt(stored.secrets_enc, stored._aad())) == [
        "whsec_c2VjcmV0LXNpZ25pbmcta2V5"]


def test_without_rotation_dropping_the_old_key_loses_the_secrets(db, workspace, make_channel,
                                                                 monkeypatch):
    old, new = _new_key(), _new_key()
    monkeypatch.setenv("OPENPOST_ENCRYPTION_KEYS", old)
    channel = make_channel(workspace[0])
    monkeypatch.setenv("OPENPOST_ENCRYPTION_KEYS", new)
    db.expire_all()
    with pytest.raises(crypto.DecryptionFailed):
        _ = db.get(Channel, channel.id).credentials
    with pytest.raises(keys.RotationFailed, match=str(channel.id)):
        keys.rotate(db)


def test_ciphertext_moved_to_another_channel_does_not_decrypt(db, workspace, make_channel):
    first, second = make_channel(workspace[0]), make_channel(workspace[0])
    second.credentials_enc = first.credentials_enc
    with pytest.raises(crypto.DecryptionFailed):
        _ = second.credentials


def test_api_keys_are_stored_only_as_hashes(db, workspace):
    import sqlalchemy as sa

    from app.auth import service

    _key, token = service.create_api_key(db, workspace[0], "test")
    dump = " ".join(str(v) for row in db.execute(sa.text("SELECT * FROM api_keys")) for v in row)
    assert token not in dump and token[:10] in dump  # only the prefix, to recognise it by
    assert service.api_key_for(db, token) is not None


def _upload(api, data):
    body = api.post("/media", data={"file": (io.BytesIO(data), "a.jpg")},
                    content_type="multipart/form-data").get_json()
    url = urlsplit(body["url"])
    return body, f"{url.path}?{url.query}"


def _stored(local_storage):
    return sorted(p for p in local_storage.root.rglob("*") if p.is_file())


def test_rotation_reencrypts_media_so_the_old_key_can_go(api, client, db, local_storage,
                                                         monkeypatch):
    from sqlalchemy.orm import Session

    from app.media import renditions, signing
    from app.media.models import Media
    from app.media.service import get_media

    old, new = _new_key(), _new_key()
    monkeypatch.setenv("OPENPOST_ENCRYPTION_KEYS", old)
    monkeypatch.setattr(crypto, "CHUNK", 4096)  # many chunks per file
    files = [jpeg(640, 640), jpeg(900, 700, noise=True)]
    uploaded = [_upload(api, data) for data in files]
    media = get_media(db, api.workspace_id, uuid.UUID(uploaded[0][0]["id"]))
    db.commit()  # a worker converts on its own connection, outside any open request
    rendition, _ = renditions.rendition(
        lambda: Session(bind=db.get_bind(), join_transaction_mode="create_savepoint"),
        media, "instagram")
    on_disk = sum(p.stat().st_size for p in _stored(local_storage))
    monkeypatch.setenv("OPENPOST_ENCRYPTION_KEYS", f"{new},{old}")
    assert keys.pending(db)["media_files"] == 3
    done = keys.rotate(db)
    assert (done["media_files"], done["media_bytes"]) == (3, on_disk)
    assert keys.rotate(db)["media_files"] == 0  # nothing left to do
    monkeypatch.setenv("OPENPOST_ENCRYPTION_KEYS", new)
    assert keys.leftovers(db)["media_files"] == {}
    for data, (_body, link) in zip(files, uploaded, strict=True):
        answer = client.get(link)
        assert answer.status_code == 200 and answer.data == data
    db.expire_all()
    ready = db.get(Media, media.id)
    link = signing.signed_path(ready.workspace_id, ready.id, "instagram")
    answer = client.get(link)
    assert answer.status_code == 200 and answer.data == rendition


class Crash(Exception):
    """The process dying mid-file."""


def test_interrupted_rotation_resumes_and_every_file_stays_readable(api, client, db,
                                                                  local_storage, monkeypatch):
    from app.media import storage as storage_module

    old, new = _new_key(), _new_key()
    monkeypatch.setenv("OPENPOST_ENCRYPTION_KEYS", old)
    monkeypatch.setattr(crypto, "CHUNK", 4096)
    files = [jpeg(400 + 50 * i, 300, noise=True) for i in range(3)]
    links = [_upload(api, data)[1] for data in files]
    monkeypatch.setenv("OPENPOST_ENCRYPTION_KEYS", f"{new},{old}")
    real, calls = crypto.reencrypt, []

    def dies_in_the_second_file(src, size, dst, aad):
        calls.append(aad)
        if len(calls) == 2:
            class Dying:
                def write(self, chunk):
                    dst.write(chunk[:100])
                    raise Crash("killed")
            return real(src, size, Dying(), aad)
        return real(src, size, dst, aad)

    monkeypatch.setattr(storage_module.crypto, "reencrypt", dies_in_the_second_file)
    with pytest.raises(Crash):
        keys.rotate(db)
    assert keys.pending(db)["media_files"] == 2  # the first is done, the second untouched
    for data, link in zip(files, links, strict=True):
        assert client.get(link).data == data  # nothing is half-written
    monkeypatch.setattr(storage_module.crypto, "reencrypt", real)
    assert keys.rotate(db)["media_files"] == 2
    assert not [p for p in _stored(local_storage) if p.name.startswith(".")]
    monkeypatch.setenv("OPENPOST_ENCRYPTION_KEYS", new)
    for data, link in zip(files, links, strict=True):
        answer = client.get(link)
        assert answer.status_code == 200 and answer.data == data


def test_leftovers_name_each_kind_and_key_never_the_key(api, db, workspace, make_channel,
                                                        local_storage, monkeypatch):
    from app.ops import doctor

    old, new = _new_key(), _new_key()
    monkeypatch.setenv("OPENPOST_ENCRYPTION_KEYS", old)
    make_channel(workspace[0])
    _upload(api, jpeg())
    _upload(api, jpeg(320, 200))
    monkeypatch.setenv("OPENPOST_ENCRYPTION_KEYS", f"{new},{old}")
    old_id = crypto._key_id(base64.urlsafe_b64decode(old)).hex()
    label = f"key #2 (id {old_id})"
    left = keys.leftovers(db)
    assert left["media_files"] == {label: 2} and left["channels"][label] >= 1
    lines = keys.describe(left)
    assert f"2 media files on {label}" in lines
    report = {"database": "reachable", "migrations_current": True, "workers": [],
              "alarm": {"live_workers": 0, "overdue_posts": 0, "alarming": False},
              "api_versions": [], "older_keys": left, "scheduler": None}
    text = doctor.render(report)
    assert f"2 media files on {label}" in text and old not in text and new not in text
