"""TikTok against its documentation, over real HTTP to the sandbox: user-info fields per scope,
which refused refreshes disconnect, daily caps that wait, and text counted in UTF-16 units."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.channels.compose_options import check_options
from app.errors import ValidationFailed
from app.platforms import errors
from app.platforms.base import Part
from app.platforms.registry import get_publisher
from app.platforms.text import preview
from jobs.config import EngineConfig
from jobs.retry import decide
from tests.media.conftest import jpeg

EMOJI = "\U0001F600"  # one grapheme, one code point, two UTF-16 units
LEVELS = {"privacy_level_options": ["PUBLIC_TO_EVERYONE", "SELF_ONLY"]}
IMAGE = {"id": "i", "content_type": "image/jpeg", "width": 1080, "height": 1080}


def user_info(p, fields: str):
    return p.http.get(f"{p.sandbox.url}/tiktok/v2/user/info/", params={"fields": fields},
                      headers={"Authorization": f"Bearer {p.credentials['access_token']}"})


def test_user_info_gives_only_the_fields_the_granted_scopes_cover(social):
    p = social("tiktok")  # granted user.info.basic, video.publish, video.upload
    basic = user_info(p, "open_id,display_name")
    assert basic.status_code == 200
    assert basic.json()["data"]["user"]["open_id"] == p.settings["account_id"]
    for field in ("username", "is_verified", "follower_count"):
        refused = user_info(p, f"open_id,{field}")
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "scope_not_authorized"


@pytest.mark.parametrize("fault", ["429", "5xx"])
def test_a_throttled_or_failing_refresh_waits_without_disconnecting(social, stored, fault):
    p = social("tiktok")
    p.token_action("expire")
    p.fault("token", fault, reset_in=120)
    with pytest.raises(errors.RetryableError) as caught:
        p.run("Later", [stored(jpeg(1080, 1080), "a.jpg")])
    assert not isinstance(caught.value, errors.AuthRevoked)
    assert p.posts() == []
    p.run("Later", [stored(jpeg(1080, 1080), "a.jpg")])  # the refresh token still works
    assert len(p.posts()) == 1


def test_a_dead_refresh_token_still_disconnects(social, stored):
    p = social("tiktok")
    p.token_action("expire")
    p.token_action("expire", token=p.credentials["refresh_token"])
    with pytest.raises(errors.AuthRevoked):
        p.run("Never", [stored(jpeg(1080, 1080), "a.jpg")])


def test_the_daily_post_cap_waits_for_the_next_day(social, stored):
    p = social("tiktok")
    p.configure(daily_posts=1)
    p.run("First today", [stored(jpeg(1080, 1080), "a.jpg")])
    with pytest.raises(errors.RateLimited) as caught:
        p.run("Second today", [stored(jpeg(1080, 1080), "b.jpg")])
    assert "spam_risk_too_many_posts" in caught.value.message
    assert caught.value.retry_at > datetime.now(UTC) + timedelta(hours=23)
    assert len(p.posts()) == 1
    # With the default one-hour window the engine fails the post, saying when the cap lifts.
    decision = decide(caught.value, 1, datetime.now(UTC), EngineConfig())
    assert decision.code == "rate_limited" and not decision.retry
    assert caught.value.retry_at.isoformat() in decision.message


def test_caption_length_is_counted_in_utf16_units():
    caption = EMOJI * 1101  # 1101 graphemes but 2202 UTF-16 units
    with pytest.raises(ValidationFailed) as caught:
        get_publisher("tiktok", None).validate([Part(caption, [IMAGE])], LEVELS,
                                               {"privacy_level": "SELF_ONLY"})
    assert "2202/2200" in caught.value.message
    [shown] = preview("tiktok", LEVELS, caption)
    assert shown["count"] == 2202 and shown["ok"] is False


def test_the_fake_counts_a_caption_in_utf16_units(social, stored):
    p = social("tiktok")
    with pytest.raises(errors.PermanentError) as caught:
        p.run(EMOJI * 2001, [stored(jpeg(1080, 1080), "a.jpg")])  # 4002 units > 4000
    assert "too long" in caught.value.message
    assert p.posts() == []


def test_photo_titles_are_limited_to_90_utf16_units(social, stored):
    with pytest.raises(ValidationFailed) as caught:
        check_options("tiktok", LEVELS, {"title": EMOJI * 46})  # 92 units
    assert caught.value.field == "options.title"
    check_options("tiktok", LEVELS, {"title": EMOJI * 45})
    p = social("tiktok")
    with pytest.raises(errors.PermanentError) as refused:
        p.run("Photos", [stored(jpeg(1080, 1080), "a.jpg")], options={"title": "t" * 91})
    assert "too long" in refused.value.message
    assert p.posts() == []
