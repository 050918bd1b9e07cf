"""The S3 backend against a real S3-compatible server (moto in server mode) on loopback."""

import io
import socket

import pytest

from tests.media.conftest import jpeg


@pytest.fixture(scope="module")
def s3_endpoint():
    server_mod = pytest.importorskip("moto.server", reason="moto[server] is a dev dependency")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint, monkeypatch):
    import boto3

    from app.media import storage

    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    bucket = f"openpost-{id(client)}"
    client.create_bucket(Bucket=bucket)
    backend = storage.S3Storage(bucket, client=client)
    storage.use(backend)
    yield backend
    storage.use(None)


def test_upload_and_signed_link_through_s3(api, client, s3):
    from urllib.parse import urlsplit

    data = jpeg(300, 200)
    body = api.post("/media", data={"file": (io.BytesIO(data), "a.jpg")},
                    content_type="multipart/form-data").get_json()
    key = f"{api.workspace_id}/{body['id']}"
    head = s3.client.head_object(Bucket=s3.bucket, Key=key)
    assert head["ServerSideEncryption"] == "AES256"
    url = urlsplit(body["url"])
    assert client.get(f"{url.path}?{url.query}").data == data
    assert api.delete(f"/media/{body['id']}").status_code == 204
    listed = s3.client.list_objects_v2(Bucket=s3.bucket).get("KeyCount", 0)
    assert listed == 0


def test_backend_from_configuration(s3_endpoint, monkeypatch):
    from app.media import storage

    monkeypatch.setenv("OPENPOST_MEDIA_BACKEND", "s3")
    monkeypatch.setenv("OPENPOST_S3_BUCKET", "configured")
    monkeypatch.setenv("OPENPOST_S3_ENDPOINT_URL", s3_endpoint)
    storage.use(None)
    try:
        chosen = storage.storage()
        assert isinstance(chosen, storage.S3Storage) and chosen.bucket == "configured"
    finally:
        storage.use(None)


def test_key_rotation_leaves_s3_media_readable(api, client, db, s3, monkeypatch):
    """S3 objects are encrypted by the provider: OPENPOST_ENCRYPTION_KEYS never covered them."""
    import base64
    import secrets
    from urllib.parse import urlsplit

    from app.ops import keys

    old, new = (base64.urlsafe_b64encode(secrets.token_bytes(32)).decode() for _ in range(2))
    monkeypatch.setenv("OPENPOST_ENCRYPTION_KEYS", old)
    data = jpeg(300, 200)
    url = urlsplit(api.post("/media", data={"file": (io.BytesIO(data), "a.jpg")},
                            content_type="multipart/form-data").get_json()["url"])
    monkeypatch.setenv("OPENPOST_ENCRYPTION_KEYS", f"{new},{old}")
    assert keys.rotate(db)["media_files"] == 0 and keys.pending(db)["media_files"] == 0
    monkeypatch.setenv("OPENPOST_ENCRYPTION_KEYS", new)
    answer = client.get(f"{url.path}?{url.query}")
    assert answer.status_code == 200 and answer.data == data


def test_a_rendition_is_stored_from_its_file(s3):
    """Video renditions are written to a temporary file and stored from there."""
    data = b"\x00rendition bytes" * 50_000
    s3.put_file("ws", "m.tiktok", io.BytesIO(data))
    assert s3.get("ws", "m.tiktok") == data
    head = s3.client.head_object(Bucket=s3.bucket, Key="ws/m.tiktok")
    assert head["ServerSideEncryption"] == "AES256"
