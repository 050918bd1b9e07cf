"""A platform that answers with a hostile live URL: the post is published, the link dropped."""

import pytest


@pytest.mark.parametrize("status_url", ["javascript:alert(document.cookie)",
                                        "https://evil.example/@bench/1"])
def test_a_hostile_live_url_is_dropped_with_a_warning(space, platform, loopback, workers,
                                                      status_url):
    platform.faults = {"status_url": status_url}
    channel = space.channel(platform.base_url)
    [post_id] = space.posts([channel], parts=2)
    workers(1)
    space.wait_terminal([post_id])
    post = space.post(post_id)
    assert post.state == "published" and post.provider_post_id
    assert post.live_url is None
    assert [r["live_url"] for r in post.results] == [None, None]
    assert any("dropped" in str(w) for w in post.warnings)
