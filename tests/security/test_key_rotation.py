"""Secrets at rest: rotate to a new key, drop the old one, everything still decrypts."""

import base64
import json
import secrets
import uuid

import pytest

from app import crypto
from app.channels.models import Channel
from app.ops import keys
from app.webhooks.models import WebhookEndpoint


def _new_key():
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _endpoint(db, workspace_id, secret):
    endpoint = WebhookEndpoint(id=uuid.uuid4(), workspace_id=workspace_id,
                               url="http://127.0.0.1:9/hook", events=[])
    endpoint.secrets_enc = crypto.encrypt(json.dumps([secret]).encode(), endpoint._aad())
    db.add(endpoint)
    db.commit()
    return endpoint


def test_rotate_then_drop_the_old_key(db, workspace, make_channel, monkeypatch):
    old, new = _new_key(), _new_key()
    monkeypatch.setenv("OPENPOST_ENCRYPTION_KEYS", old)
    ws, _ = workspace
    channels = [make_channel(ws) for _ in range(3)]
    endpoint = _endpoint(db, ws, "whsec_c2VjcmV0LXNpZ25pbmcta2V5")
    monkeypatch.setenv("OPENPOST_ENCRYPTION_KEYS", f"{new},{old}")
    assert keys.pending(db) == {"channels": 3, "webhook_endpoints": 1}
    assert keys.rotate(db) == {"channels": 3, "webhook_endpoints": 1}
    assert keys.rotate(db) == {"channels": 0, "webhook_endpoints": 0}  # idempotent
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
