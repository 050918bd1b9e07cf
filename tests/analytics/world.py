"""Published posts on sandbox accounts, as the engine leaves them, for the analytics tests."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from app.analytics import service as analytics
from app.channels import service as channels
from app.platforms import registry
from app.platforms.base import PartResult, PublishResult
from app.posts.models import Post
from tests.channels.jobs import make_job


def channel_for(db, workspace_id, account, timezone="UTC"):
    """A connected channel holding the sandbox account's credentials."""
    return channels.connect(db, workspace_id, "test", platform=account.name,
                            handle=account.handle, timezone=timezone,
                            credentials=dict(account.credentials), settings=dict(account.settings))


def publish(db, channel, account, text: str, published_at: datetime | None = None):
    """Publish `text` on the fake (real HTTP) and record the post as the engine does, with
    its measurements scheduled."""
    job, _rec = make_job(account.name, account.settings, account.credentials, text,
                         handle=account.handle)
    with httpx.Client(timeout=5.0) as client:
        result = registry.get_publisher(account.name, client).publish(job)
    return adopt(db, channel, result, text, published_at)


def on_fake(sandbox, platform: str, account: str, **fields) -> PublishResult:
    """A post made on the fake directly (Instagram and TikTok need media to publish)."""
    post_id = sandbox.state.next_id()
    sandbox.state.record(platform, {"id": post_id, "account": account, "text": "", **fields})
    return PublishResult(post_id, None, [PartResult(0, post_id)])


def adopt(db, channel, result: PublishResult, text: str, published_at: datetime | None = None):
    """Record `result` as the engine records a published post, measurements scheduled."""
    # Stored as the engine leaves it (the composer's checks, such as Instagram's media, are
    # not what these tests are about).
    post = Post(workspace_id=channel.workspace_id, channel_id=channel.id, state="published",
                text=text, schedule_at=datetime.now(UTC), timezone=channel.timezone)
    db.add(post)
    post.provider_post_id, post.live_url = result.provider_post_id, result.live_url
    post.results = [{"index": p.index, "provider_post_id": p.provider_post_id,
                     "live_url": p.live_url, "extra": p.extra} for p in result.parts]
    post.published_at = published_at or datetime.now(UTC)
    db.flush()
    analytics.schedule_published(db, [post.id])
    db.commit()
    return post
