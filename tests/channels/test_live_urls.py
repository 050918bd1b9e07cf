"""Live URLs from platforms: https on the platform's own host (or the configured instance)."""

import pytest

from app.platforms.base import PartResult, PublishResult
from app.platforms.live_urls import allowed, checked

SANDBOX = {"instance_url": "http://127.0.0.1:5000/sandbox/mastodon"}
INSTANCE = {"instance_url": "https://m.example"}

# (platform, channel settings, URL the platform returned) -> kept?
TABLE = [
    ("x", {}, "https://x.com/me/status/1", True),
    ("x", {}, "https://twitter.com/me/status/1", True),
    ("x", {}, "http://x.com/me/status/1", False),
    ("x", {}, "https://x.com.evil.example/me/status/1", False),
    ("x", {}, "https://evilx.com/me/status/1", False),
    ("x", {}, "https://me@x.com/status/1", False),
    ("x", {}, "javascript:alert(1)//x.com", False),
    ("bluesky", {}, "https://bsky.app/profile/me.bsky.social/post/3k", True),
    ("bluesky", {}, "https://x.com/me/status/1", False),
    ("mastodon", INSTANCE, "https://m.example/@me/1", True),
    ("mastodon", INSTANCE, "https://M.EXAMPLE/@me/1", True),
    ("mastodon", INSTANCE, "https://other.example/@me/1", False),
    ("mastodon", INSTANCE, "http://m.example/@me/1", False),
    ("mastodon", SANDBOX, "http://127.0.0.1:5000/sandbox/mastodon/@me/1", True),
    ("mastodon", SANDBOX, "http://127.0.0.1:5001/@me/1", False),
    ("mastodon", SANDBOX, "javascript:alert(1)", False),
    ("threads", {}, "https://www.threads.net/@me/post/1", True),
    ("threads", {}, "https://www.threads.com/@me/post/1", True),
    ("threads", {}, "data:text/html,<script>alert(1)</script>", False),
    ("instagram", {}, "https://www.instagram.com/p/1/", True),
    ("facebook", {}, "https://www.facebook.com/1/posts/2", True),
    ("facebook", {}, "https://www.facebook.com.evil.example/1", False),
    ("linkedin", {}, "https://www.linkedin.com/feed/update/urn:li:share:1/", True),
    ("tiktok", {}, "https://www.tiktok.com/@me/video/1", True),
    ("tiktok", {}, "https://[::1", False),
]


@pytest.mark.parametrize("platform,settings,url,kept", TABLE)
def test_a_live_url_is_kept_only_on_the_platforms_host(platform, settings, url, kept):
    assert allowed(platform, settings, url) is kept


def test_a_dropped_url_leaves_the_post_published_with_a_warning():
    result = PublishResult("1", "javascript:alert(1)",
                           [PartResult(0, "1", "javascript:alert(1)"),
                            PartResult(1, "2", "https://x.com/me/status/2")])
    kept = checked("x", {}, result)
    assert kept.provider_post_id == "1" and kept.live_url is None
    assert [p.live_url for p in kept.parts] == [None, "https://x.com/me/status/2"]
    assert "dropped" in kept.warnings[0] and "x.com" in kept.warnings[0]


@pytest.mark.parametrize("name", ["x", "bluesky", "mastodon", "threads"])
def test_the_sandboxs_live_urls_are_kept(platforms, name):
    """Publishing to the sandbox (Mastodon's instance is the sandbox itself, on plain http)
    still gives a link."""
    from tests.channels.test_outcomes import publish

    p = platforms(name)
    result, _ = publish(p)
    assert result.live_url and allowed(name, p.settings, result.live_url)


@pytest.mark.parametrize("name", ["facebook", "linkedin"])
def test_the_social_sandboxs_live_urls_are_kept(social, name):
    from app.platforms.registry import get_publisher
    from tests.channels.jobs import client, make_job

    p = social(name)
    job, _ = make_job(name, p.settings, p.credentials, "Hello", handle=p.handle)
    with client() as http:
        result = get_publisher(name, http).publish(job)
    assert result.live_url and allowed(name, p.settings, result.live_url)
