"""A token that expires under two workers at once is refreshed once: the second worker waits
for the channel's row lock and takes the rotated token instead of spending the old one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from app.channels import service as channels
from app.channels.models import Channel
from app.sandbox.core import mask


def test_two_workers_meeting_one_expired_x_token_refresh_it_once(space, platforms, workers):
    p = platforms("x")
    # The platform has expired the token although its stored expiry looks fine, so no
    # refresh happens before the call: each publish meets a 401 and refreshes inside publish.
    p.token_action("expire")
    later = datetime.now(UTC) + timedelta(hours=1)
    with Session(space.engine) as sess:
        channel_id = channels.connect(
            sess, space.workspace_id, "test", platform="x", handle=p.handle, timezone="UTC",
            credentials={**p.credentials, "expires_at": later.timestamp()},
            settings=p.settings, token_expires_at=later).id
    # The first refresh rotates the pair at once but answers a second late: long enough for
    # the other worker to meet its own 401 and want a refresh too.
    p.fault("token", "lost", delay=1.0)
    ids = space.posts([channel_id], n=2)
    workers(2, batch=1)
    assert space.wait_terminal(ids) == {"published": 2}
    assert len(p.requests("token")) == 1, "the single-use refresh token was spent once"
    assert len(p.posts()) == 2
    with Session(space.engine) as sess:
        channel = sess.get(Channel, channel_id)
        assert channel.status == "connected"
        assert channel.credentials["refresh_token"] != p.credentials["refresh_token"]
        assert channel.credentials["access_token"] != p.credentials["access_token"]
    assert all(r["headers"]["authorization"] != f"Bearer {mask(p.credentials['access_token'])}"
               for r in p.requests("create")[-2:]), "both posts went out with the new token"
