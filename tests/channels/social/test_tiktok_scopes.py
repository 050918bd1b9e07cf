"""TikTok's scopes per endpoint, its daily cap and its token endpoint's errors, over real HTTP
to the sandbox: a user may grant only some of the scopes asked for, an init TikTok refuses posts
nothing, a post failed on the daily cap waits for the next day, and a refused token request
answers in the OAuth error struct."""

from __future__ import annotations

import pytest

from app.errors import ValidationFailed
from app.platforms import errors
from app.platforms.base import Part
from app.platforms.registry import get_publisher
from tests.media.conftest import jpeg

PHOTO = {"media_type": "PHOTO", "post_mode": "DIRECT_POST",
         "post_info": {"privacy_level": "SELF_ONLY"},
         "source_info": {"source": "PULL_FROM_URL", "photo_cover_index": 0,
                         "photo_images": ["https://example.com/a.jpg"]}}


def call(p, path: str, body: dict | None = None):
    return p.http.post(f"{p.sandbox.url}/tiktok/v2{path}", json=body or {},
                       headers={"Authorization": f"Bearer {p.credentials['access_token']}"})


def grant_only(p, scopes: str) -> None:
    p.sandbox.state.account("tiktok", p.settings["account_id"])["scopes"] = scopes


def test_posting_endpoints_refuse_a_token_without_their_scope(social):
    p = social("tiktok")
    grant_only(p, "user.info.basic,video.upload")  # no video.publish
    for path, body in (("/post/publish/creator_info/query/", None),
                       ("/post/publish/content/init/", PHOTO)):
        refused = call(p, path, body)
        assert refused.status_code == 401, path
        assert refused.json()["error"]["code"] == "scope_not_authorized"
        assert set(refused.json()["error"]) == {"code", "message", "log_id"}
    grant_only(p, "user.info.basic,video.publish")  # no video.upload: no drafts
    draft = call(p, "/post/publish/inbox/video/init/",
                 {"source_info": {"source": "FILE_UPLOAD", "video_size": 10,
                                  "chunk_size": 10, "total_chunk_count": 1}})
    assert draft.status_code == 401 and draft.json()["error"]["code"] == "scope_not_authorized"
    assert call(p, "/post/publish/creator_info/query/").status_code == 200


def test_a_post_without_the_publish_scope_disconnects_nothing_is_posted(social, stored):
    p = social("tiktok")
    grant_only(p, "user.info.basic")
    with pytest.raises(errors.AuthRevoked):
        p.run("No scope", [stored(jpeg(1080, 1080), "a.jpg")])
    assert p.posts() == []


def test_drafts_are_refused_before_scheduling_when_video_upload_was_not_granted():
    publisher = get_publisher("tiktok", None)
    image = {"id": "i", "content_type": "image/jpeg", "width": 1080, "height": 1080}
    settings = {"privacy_level_options": ["SELF_ONLY"],
                "scopes": ["user.info.basic", "video.publish"]}
    with pytest.raises(ValidationFailed) as caught:
        publisher.validate([Part("Draft", [image])], settings, {"post_mode": "MEDIA_UPLOAD"})
    assert caught.value.field == "options.post_mode" and "video.upload" in caught.value.message
    publisher.validate([Part("Direct", [image])], settings, {"privacy_level": "SELF_ONLY"})


def test_an_init_tiktok_refuses_does_not_count_against_the_daily_cap(social, stored):
    p = social("tiktok")
    p.configure(daily_posts=1)
    bad = call(p, "/post/publish/video/init/", {
        "post_info": {"privacy_level": "SELF_ONLY", "title": "x"},
        "source_info": {"source": "FILE_UPLOAD", "video_size": 10, "chunk_size": 3,
                        "total_chunk_count": 4}})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_params"
    p.run("The only post today", [stored(jpeg(1080, 1080), "a.jpg")])
    assert len(p.posts()) == 1


@pytest.mark.parametrize(("fault", "error"), [("5xx", "server_error"),
                                               ("429", "temporarily_unavailable")])
def test_the_token_endpoint_refuses_in_the_oauth_error_struct(social, fault, error):
    p = social("tiktok")
    p.fault("token", fault, reset_in=120)
    answer = p.http.post(f"{p.sandbox.url}/tiktok/v2/oauth/token/",
                         data={"grant_type": "refresh_token",
                               "refresh_token": p.credentials["refresh_token"]})
    assert answer.status_code >= 429
    assert set(answer.json()) == {"error", "error_description", "log_id"}
    assert answer.json()["error"] == error
    spent = p.http.post(f"{p.sandbox.url}/tiktok/v2/oauth/token/",
                        data={"grant_type": "refresh_token", "refresh_token": "unknown"})
    assert spent.status_code == 400 and spent.json()["error"] == "invalid_grant"


def test_a_post_failed_by_a_daily_cap_waits_and_then_posts_once(social, stored):
    from datetime import UTC, datetime, timedelta

    from tests.channels.jobs import Recorder

    p = social("tiktok")
    publishes = p.sandbox.state.bucket("tiktok", "publishes")

    def capped(pub):  # TikTok accepts the init, then fails the post on its daily cap
        real = pub.poller.until

        def until(check, what, *args):
            for item in publishes.values():
                item.update(status="FAILED", fail_reason="spam_risk_too_many_posts")
            pub.poller.until = real
            return real(check, what, *args)
        pub.poller.until = until

    media, recorder = [stored(jpeg(1080, 1080), "a.jpg")], Recorder()
    with pytest.raises(errors.RateLimited) as caught:
        p.run("Capped", media, recorder=recorder, tweak=capped)
    assert caught.value.retry_at > datetime.now(UTC) + timedelta(hours=23)
    assert p.posts() == []
    p.run("Capped", media, recorder=recorder, attempt=2)  # the next day: a new post, once
    assert len(p.posts()) == 1 and len(publishes) == 2
