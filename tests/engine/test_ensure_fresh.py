"""One token-refresh path: the sweep keeps each platform's tokens fresh in that platform's own
window, LinkedIn's and TikTok's included (before, only X and the Meta tokens were refreshed
ahead; the others waited for a publish to find them expiring)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from app.channels import service as channels
from app.channels import tokens
from app.channels.models import Channel
from tests.engine.conftest import sweep_once


def _channel(space, social, name: str, seconds_left: float):
    """A connected channel whose access token expires in `seconds_left`."""
    p = social(name)
    expires = time.time() + seconds_left
    with Session(space.engine) as sess:
        channel = channels.connect(
            sess, space.workspace_id, "test", platform=name, handle=p.handle, timezone="UTC",
            credentials={**p.credentials, "expires_at": expires}, settings=p.settings,
            token_expires_at=datetime.fromtimestamp(expires, UTC))
        return p, channel.id


@pytest.mark.parametrize(("name", "seconds_left"), [("tiktok", 200), ("linkedin", 12 * 3600)])
def test_the_sweep_refreshes_a_token_inside_its_platforms_window(space, social, pg, name,
                                                                 seconds_left):
    p, channel_id = _channel(space, social, name, seconds_left)
    sweep_once(pg)
    with Session(space.engine) as sess:
        stored = sess.get(Channel, channel_id)
        assert stored.status == "connected"
        assert stored.credentials["access_token"] != p.credentials["access_token"]
        assert stored.token_expires_at.timestamp() > time.time() + seconds_left + 600
    assert len(p.requests("token")) == 1


@pytest.mark.parametrize(("name", "seconds_left"), [("tiktok", 3600), ("linkedin", 3 * 86_400)])
def test_a_token_outside_its_window_is_left_alone(space, social, pg, name, seconds_left):
    p, channel_id = _channel(space, social, name, seconds_left)
    sweep_once(pg)
    with Session(space.engine) as sess:
        assert sess.get(Channel, channel_id).credentials["access_token"] == p.credentials["access_token"]
    assert p.requests("token") == []


def test_a_worker_that_waited_on_the_lock_uses_the_refreshed_tokens_without_spending_its_own(
        space, social, pg):
    """The in-publish path (stale credentials) and the ahead-of-time path are one function: a
    refresh done meanwhile is taken over, the rotating TikTok refresh token is not sent twice."""
    p, channel_id = _channel(space, social, "tiktok", 200)
    stale = {**p.credentials}
    sweep_once(pg)  # refreshes under the lock
    spent = []
    creds = tokens.ensure_fresh(pg, channel_id, stale=stale,
                                exchange=lambda c: spent.append(c) or c)
    assert spent == []
    assert creds["access_token"] != stale["access_token"]
    assert len(p.requests("token")) == 1
