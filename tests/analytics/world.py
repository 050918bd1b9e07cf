"""Published posts on sandbox accounts, as the engine leaves them, for the analytics tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from app.analytics import service as analytics
from app.channels import registry
from app.channels import service as channels
from app.posts import service as posts
from app.posts.lifecycle import transition
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
    post = posts.create_post(db, channel.workspace_id, "test", channel_id=channel.id, text=text,
                             schedule_at=datetime.now(UTC) + timedelta(minutes=5))
    transition(db, post, "publishing", actor="test")
    transition(db, post, "published", actor="test")
    post.provider_post_id, post.live_url = result.provider_post_id, result.live_url
    post.results = [{"index": p.index, "provider_post_id": p.provider_post_id,
                     "live_url": p.live_url, "extra": p.extra} for p in result.parts]
    post.published_at = published_at or datetime.now(UTC)
    db.flush()
    analytics.schedule_published(db, [post.id])
    db.commit()
    return post
