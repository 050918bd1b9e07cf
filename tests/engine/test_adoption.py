"""The engine tells a publisher which platform posts other posts of the channel already hold,
so a look-up after a lost answer never settles two OpenPost posts on one platform post."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.platforms.base import Part
from app.posts.models import Post
from jobs.attempt import AttemptRunner
from jobs.claims import ChannelInfo, Claim
from jobs.config import EngineConfig


def _job(pg, space, channel_id, post_id):
    claim = Claim(id=post_id, token=uuid.uuid4(), source="retry", attempts=2,
                  channel_id=channel_id, schedule_at=None, idempotency_key="k", options={},
                  results=[], parts=[Part("text")])
    info = ChannelInfo(id=channel_id, workspace_id=space.workspace_id, platform="mastodon",
                       handle="h", status="connected", settings={}, credentials={},
                       needs_refresh=False)
    return AttemptRunner(pg, EngineConfig())._job(claim, info)


def test_a_job_knows_the_platform_posts_the_channels_other_posts_hold(pg, space):
    channel, other_channel = space.channel("http://127.0.0.1:9"), space.channel("http://127.0.0.1:9")
    first, second, third = space.posts([channel], n=3)
    [elsewhere] = space.posts([other_channel])
    with Session(pg) as sess, sess.begin():
        sess.execute(sa.update(Post).where(Post.id == first).values(
            provider_post_id="fb_1", results=[{"index": 0, "provider_post_id": "fb_1"}]))
        sess.execute(sa.update(Post).where(Post.id == second).values(
            results=[{"index": 0, "provider_post_id": "thread_1"},
                     {"index": 1, "provider_post_id": ""}]))
        sess.execute(sa.update(Post).where(Post.id == elsewhere).values(provider_post_id="fb_9"))
    job = _job(pg, space, channel, third)
    assert job.holds_elsewhere("fb_1") and job.holds_elsewhere("thread_1")
    assert not job.holds_elsewhere("fb_9"), "another channel's post is no match"
    assert not job.holds_elsewhere("fb_2")
    assert not _job(pg, space, channel, first).holds_elsewhere("fb_1"), "its own post"
