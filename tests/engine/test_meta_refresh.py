"""The periodic sweep keeps 60-day Meta tokens (Instagram Login, Threads) alive on idle accounts."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from app.channels import service as channels
from app.channels.models import Channel
from tests.engine.conftest import sweep_once

DAY = 86_400


def _idle_channel(space, platforms, monkeypatch, name: str, days_left: float, age_days: float):
    """A channel whose long-lived token was minted `age_days` ago and expires in `days_left`."""
    p = platforms(name)
    monkeypatch.setenv("OPENPOST_INSTAGRAM_API_URL", f"{p.sandbox.url}/instagram")
    p.token_action("age", seconds=age_days * DAY)
    expires = time.time() + days_left * DAY
    with Session(space.engine) as sess:
        channel = channels.connect(
            sess, space.workspace_id, "test", platform=name, handle=p.handle, timezone="UTC",
            credentials={"access_token": p.token, "expires_at": expires}, settings=p.settings,
            token_expires_at=datetime.fromtimestamp(expires, UTC))
        return p, channel.id


@pytest.mark.parametrize("name", ["instagram", "threads"])
def test_the_sweep_refreshes_an_idle_accounts_token_weeks_before_it_expires(
        space, platforms, monkeypatch, pg, name):
    p, channel_id = _idle_channel(space, platforms, monkeypatch, name, days_left=25, age_days=35)
    sweep_once(pg)
    with Session(space.engine) as sess:
        stored = sess.get(Channel, channel_id)
        assert stored.status == "connected"
        assert stored.credentials["access_token"] != p.token
        assert stored.token_expires_at > datetime.now(UTC) + timedelta(days=59)
    assert len(p.requests("refresh")) == 1


@pytest.mark.parametrize("name", ["instagram", "threads"])
def test_a_token_with_most_of_its_life_left_is_not_refreshed(space, platforms, monkeypatch, pg,
                                                             name):
    p, channel_id = _idle_channel(space, platforms, monkeypatch, name, days_left=50, age_days=10)
    sweep_once(pg)
    with Session(space.engine) as sess:
        assert sess.get(Channel, channel_id).credentials["access_token"] == p.token
    assert p.requests("refresh") == []


@pytest.mark.parametrize("name", ["instagram", "threads"])
def test_a_refused_refresh_waits_instead_of_calling_the_platform_every_sweep(
        space, platforms, monkeypatch, pg, name):
    from jobs.attempt import AttemptRunner
    from jobs.config import EngineConfig
    from jobs.maintenance import Maintenance

    p, channel_id = _idle_channel(space, platforms, monkeypatch, name, days_left=25, age_days=35)
    p.fault("refresh", "5xx")
    p.fault("refresh", "5xx")
    cfg = EngineConfig(refresh_margin_seconds=300)
    sweep = Maintenance(pg, cfg, AttemptRunner(pg, cfg))
    for _ in range(5):  # five sweeps in a row, as the scheduler runs them every few seconds
        sweep.run()
    assert len(p.requests("refresh")) == 1, "the 5xx holds the next try back"
    with Session(space.engine) as sess:
        assert sess.get(Channel, channel_id).status == "connected"
