"""What each publisher sends, checked against the official specs, end to end over real HTTP:
a two-part thread with an image on every platform."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image

from app.media.service import describe, upload
from app.platforms.registry import get_publisher
from tests.channels.jobs import client, make_job
from tests.sandbox.specs import lexicon_errors, openapi_errors

TEXTS = ["A picture and a link https://example.com #openpost", "And a reply."]


@pytest.fixture
def photo(db, workspace):
    image = Image.new("RGB", (1200, 800), (30, 120, 200))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    media = upload(db, workspace[0], "test", "photo.jpg", buffer.getvalue(),
                   alt_text="A blue field")
    return describe(media)


def publish(p, photo):
    job, _ = make_job(p.name, p.settings, p.credentials, TEXTS, handle=p.handle, media=[photo])
    with client() as http:
        return get_publisher(p.name, http).publish(job)


def test_x_requests_follow_the_openapi_spec(platforms, photo):
    p = platforms("x")
    result = publish(p, photo)
    tweets = p.requests("create")
    assert len(tweets) == 2
    for request in tweets:
        assert openapi_errors("x-openapi.json", "/components/schemas/CreatePostsRequest",
                              request["json"]) == []
    assert tweets[0]["json"]["media"]["media_ids"]
    assert tweets[1]["json"]["reply"]["in_reply_to_tweet_id"] == result.parts[0].provider_post_id
    upload = p.requests("upload")[0]
    fields = {**upload["form"], **{name: "binary" for name in upload["files"]}}
    assert openapi_errors("x-openapi.json", "/components/schemas/MediaUploadRequest", fields) == []
    assert p.requests("metadata")[0]["json"]["metadata"]["alt_text"]["text"] == "A blue field"


def test_mastodon_requests_follow_the_openapi_spec(platforms, photo):
    p = platforms("mastodon")
    publish(p, photo)
    statuses = p.requests("create")
    assert len(statuses) == 2
    for request in statuses:
        # The spec's oneOf (text, media, poll) overlaps for a status with text and media, so
        # a body is valid when it matches one of the shapes.
        shapes = [openapi_errors("mastodon-openapi.json", f"/components/schemas/{shape}",
                                 request["json"]) for shape in ("TextStatus", "MediaStatus")]
        assert [] in shapes, shapes
        assert request["headers"]["idempotency-key"]
    keys = [r["headers"]["idempotency-key"] for r in statuses]
    assert len(set(keys)) == 2
    assert p.posts()[0]["media_ids"] and p.posts()[1]["reply_to"] == p.posts()[0]["id"]


def test_bluesky_records_follow_the_lexicons(platforms, photo):
    p = platforms("bluesky")
    publish(p, photo)
    creates = p.requests("create")
    assert len(creates) == 2
    for request in creates:
        body = request["json"]
        assert lexicon_errors("com.atproto.repo.createRecord", body) == []
        assert lexicon_errors("app.bsky.feed.post", body["record"]) == []
    first = creates[0]["json"]["record"]
    assert first["embed"]["images"][0]["alt"] == "A blue field"
    assert first["embed"]["images"][0]["aspectRatio"] == {"width": 1200, "height": 800}
    kinds = sorted(f["features"][0]["$type"] for f in first["facets"])
    assert kinds == ["app.bsky.richtext.facet#link", "app.bsky.richtext.facet#tag"]
    assert creates[1]["json"]["record"]["reply"]["root"]["uri"] == p.posts()[0]["id"]


def test_threads_publishes_an_image_container_from_a_signed_link(platforms, photo, monkeypatch):
    monkeypatch.setenv("OPENPOST_PUBLIC_URL", "https://openpost.example")
    p = platforms("threads")
    result = publish(p, photo)
    first = p.requests("container")[0]["form"]
    assert first["media_type"] == "IMAGE"
    assert first["image_url"].startswith(f"https://openpost.example/m/{photo['id']}?")
    assert first["alt_text"] == "A blue field"
    assert p.requests("container")[1]["form"]["reply_to_id"] == result.parts[0].provider_post_id


def test_the_signed_media_link_serves_the_file_and_refuses_a_forged_one(client, photo):
    from app.media.signing import signed_url

    url = signed_url(photo["workspace_id"], photo["id"])
    path = url.split("://", 1)[1].split("/", 1)[1]
    served = client.get("/" + path)
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert client.get("/" + path[:-3] + "abc").status_code == 403


def test_sandbox_answers_follow_the_specs(platforms, photo, sandbox):
    """The fakes answer with the shapes the official specs document."""
    x = platforms("x")
    answer = httpx.post(f"{sandbox.url}/x/2/tweets", json={"text": "shape"},
                        headers={"Authorization": f"Bearer {x.token}"})
    assert answer.status_code == 201
    assert openapi_errors("x-openapi.json", "/components/schemas/CreatePostsResponse",
                          answer.json()) == []

    m = platforms("mastodon")
    auth = {"Authorization": f"Bearer {m.token}"}
    status = httpx.post(f"{sandbox.url}/mastodon/api/v1/statuses", json={"status": "shape"},
                        headers=auth).json()
    assert openapi_errors("mastodon-openapi.json", "/components/schemas/Status", status) == []
    upload = httpx.post(f"{sandbox.url}/mastodon/api/v2/media", headers=auth,
                        files={"file": ("a.png", _png(), "image/png")}).json()
    assert openapi_errors("mastodon-openapi.json", "/components/schemas/MediaAttachment",
                          upload) == []

    b = platforms("bluesky")
    created = httpx.post(f"{sandbox.url}/bluesky/xrpc/com.atproto.repo.createRecord",
                         headers={"Authorization": f"Bearer {b.token}"},
                         json={"repo": b.account["did"], "collection": "app.bsky.feed.post",
                               "record": {"$type": "app.bsky.feed.post", "text": "shape",
                                          "createdAt": "2026-01-01T00:00:00Z"}}).json()
    assert {"uri", "cid"} <= set(created)
    session = httpx.post(f"{sandbox.url}/bluesky/xrpc/com.atproto.server.createSession",
                         json={"identifier": b.handle, "password": b.account["password"]}).json()
    required = _lexicon_output("com/atproto/server/createSession")["required"]
    assert set(required) <= set(session)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "PNG")
    return buffer.getvalue()


def _lexicon_output(path: str) -> dict:
    import json

    from tests.sandbox.specs import require

    return json.loads(require(f"bluesky-lexicons/{path}.json").read_text())["defs"]["main"][
        "output"]["schema"]
