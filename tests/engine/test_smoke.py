def test_due_post_is_published_once(space, platform, loopback, workers):
    channel = space.channel(platform.base_url)
    ids = space.posts([channel], n=5)
    workers(1)
    assert space.wait_terminal(ids) == {"published": 5}
    assert sorted(platform.created_counts().values()) == [1] * 5
