"""The retry policy: platform response -> outcome, over real HTTP to the loopback platform."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.channels.models import Channel
from app.platforms import errors
from app.posts.models import Post, PostEvent
from jobs.config import EngineConfig
from jobs.retry import backoff, decide
from tests.engine.conftest import MovedClock, wait_until

# (answers of the platform, in order) -> (final state, error code, attempts, statuses made)
TABLE = [
    (["ok"], ("published", None, 1, 1)),
    (["503", "ok"], ("published", None, 2, 1)),
    (["500", "503", "503", "ok"], ("published", None, 4, 1)),
    (["503", "503", "503", "503"], ("failed", "platform_error", 4, 0)),
    (["timeout", "ok"], ("published", None, 2, 1)),     # it had acted: the key dedupes
    (["cut", "ok"], ("published", None, 2, 1)),         # likewise after a cut connection
    (["422"], ("failed", "validation_error", 1, 0)),
    (["401"], ("failed", "channel_disconnected", 1, 0)),
    (["429", "ok"], ("published", None, 1, 1)),         # waiting for a reset spends nothing
    (["429", "503", "429", "ok"], ("published", None, 2, 1)),
]


@pytest.mark.parametrize("answers,expected", TABLE, ids=["-".join(a) for a, _e in TABLE])
def test_platform_answer_decides_the_outcome(space, platform, loopback, workers, answers,
                                             expected):
    # A timeout: the platform acts, then answers long after the engine has given up.
    platform.faults = {"reset_seconds": 0.3, "hang_seconds": 300}
    platform.script.extend(answers)
    channel = space.channel(platform.base_url)
    [post_id] = space.posts([channel])
    workers(1, http_timeout_seconds=3.0, retry_base_seconds=0.1)
    space.wait_terminal([post_id])
    post = space.post(post_id)
    state, code, attempts, made = expected
    assert (post.state, post.error_code, post.attempts) == (state, code, attempts)
    assert len(platform.records) == made
    if state == "published":
        assert post.provider_post_id == platform.records[0][2]
        assert post.live_url.endswith(f"/@bench/{post.provider_post_id}")


def test_failure_carries_the_platform_message_and_disconnects_on_revoked_token(
        space, platform, loopback, workers):
    platform.script.extend(["422"])
    channel = space.channel(platform.base_url)
    other = space.channel(platform.base_url)
    [invalid] = space.posts([other])
    workers(1)
    space.wait_terminal([invalid])
    assert space.post(invalid).error_message == "Validation failed: Text can't be blank"
    platform.script.extend(["401"])
    [revoked] = space.posts([channel])
    space.wait_terminal([revoked])
    post = space.post(revoked)
    assert (post.error_code, post.error_message) == ("channel_disconnected",
                                                     "The access token was revoked")
    with Session(space.engine) as sess:
        assert sess.get(Channel, channel).status == "disconnected"
        assert sess.get(Channel, other).status == "connected"


def test_while_retrying_the_post_stays_publishing_with_its_attempts_visible(
        space, platform, loopback, workers):
    platform.script.extend(["503"])
    channel = space.channel(platform.base_url)
    [post_id] = space.posts([channel])
    workers(1, retry_base_seconds=20)
    post = wait_until(lambda: (p := space.post(post_id)).attempts >= 1
                      and p.next_attempt_at is not None and p, 30)
    assert (post.state, post.attempts, post.lease_until, post.claim_token) == (
        "publishing", 1, None, None)
    assert post.error_code == "platform_error"
    assert post.next_attempt_at > datetime.now(UTC) + timedelta(seconds=5)
    with Session(space.engine) as sess:
        detail = sess.scalars(sa.select(PostEvent.detail).where(
            PostEvent.post_id == post_id, PostEvent.to_state == "publishing",
            PostEvent.from_state == "publishing")).one()
    assert detail["released"] == "platform_error" and detail["attempts"] == 1


def test_a_rate_limit_reset_beyond_the_window_fails_the_post(space, platform, loopback,
                                                             workers):
    platform.faults = {"reset_seconds": 7200}
    platform.script.extend(["429"])
    channel = space.channel(platform.base_url)
    [post_id] = space.posts([channel])
    workers(1)
    space.wait_terminal([post_id])
    post = space.post(post_id)
    assert (post.state, post.error_code) == ("failed", "rate_limited")
    assert "Too many requests" in post.error_message


CFG = EngineConfig(max_retries=3, retry_base_seconds=2, rate_limit_window_seconds=3600)
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("error,attempts,retry,code", [
    (errors.PlatformUnavailable("down"), 1, True, "platform_error"),
    (errors.NetworkError("reset"), 3, True, "network_error"),
    (errors.NetworkError("reset"), 4, False, "network_error"),
    (errors.InvalidContent("too long"), 1, False, "validation_error"),
    (errors.MediaRejected("bad gif"), 1, False, "media_error"),
    (errors.PlatformRejected("forbidden"), 1, False, "platform_error"),
    (errors.AuthRevoked("revoked"), 1, False, "channel_disconnected"),
    (errors.OutcomeUnknown("?"), 1, False, "outcome_unknown"),
    (errors.RateLimited("slow", retry_at=NOW + timedelta(minutes=5)), 9, True, "rate_limited"),
    (errors.RateLimited("slow", retry_at=NOW + timedelta(hours=2)), 1, False, "rate_limited"),
])
def test_decision_table(error, attempts, retry, code):
    decision = decide(error, attempts, NOW, CFG)
    assert (decision.retry, decision.code) == (retry, code)
    assert error.message in decision.message
    if isinstance(error, errors.RateLimited) and retry:
        assert decision.at == error.retry_at and decision.refund


def test_backoff_grows_exponentially_with_jitter():
    for attempt, ceiling in [(1, 2), (2, 4), (3, 8)]:
        delays = {backoff(attempt, 2) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1


def _given_back(space, ids) -> int:
    """Posts released to wait for a later attempt: no claim, a next attempt set."""
    with Session(space.engine) as sess:
        return sess.scalar(sa.select(sa.func.count()).select_from(Post).where(
            Post.id.in_(ids), Post.state == "publishing", Post.claim_token.is_(None),
            Post.next_attempt_at.is_not(None)))


def test_a_rate_limited_channel_waits_without_holding_up_the_others(space, platform, loopback,
                                                                    workers):
    platform.limited["limited-token"] = datetime.now(UTC) + timedelta(minutes=10)
    limited = space.channel(platform.base_url, credentials={"access_token": "limited-token"})
    free = space.channel(platform.base_url, credentials={"access_token": "free-token"})
    slow = space.posts([limited], n=5, prefix="limited")
    fast = space.posts([free], n=5, prefix="free")
    clock = MovedClock()
    workers(1, clock=clock, channel_limit=1)
    assert space.wait_terminal(fast) == {"published": 5}
    wait_until(lambda: _given_back(space, slow) == 5, 30)
    assert space.states(slow) == {"publishing": 5}   # waiting for the reset, not failed
    assert platform.calls["limited-token"] == 1      # one 429, then no call before the reset
    # The reset comes, for the platform, the worker's clock and the posts' next attempts.
    del platform.limited["limited-token"]
    clock.advance(601)
    with Session(space.engine) as sess, sess.begin():
        sess.execute(sa.update(Post).where(Post.id.in_(slow)).values(
            next_attempt_at=sa.func.now()))
    assert space.wait_terminal(slow) == {"published": 5}
    assert platform.calls["limited-token"] == 1 + 5
    first_free = min(r[1] for r in platform.records if r[0].startswith("free"))
    first_limited = min(r[1] for r in platform.records if r[0].startswith("limited"))
    assert first_free < first_limited
    assert max(space.post(p).attempts for p in slow) == 1
