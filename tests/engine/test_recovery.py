"""Lost attempts: reconciliation, outcome_unknown, stuck posts, tokens, dropped connections."""

import logging
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.channels.models import Channel
from app.notifications.models import Notification
from app.outbox.models import OutboxMessage
from app.platforms.errors import OutcomeUnknown
from app.platforms.registry import PUBLISHERS
from app.posts import lifecycle
from app.posts.models import Post
from bench.engine.publisher import LoopbackPublisher
from jobs.attempt import AttemptRunner
from jobs.claims import Claim, load_channels
from jobs.config import EngineConfig
from tests.engine.conftest import leases_pass, sweep_once, wait_until


class NoIdempotencyPublisher(LoopbackPublisher):
    """A platform that can neither dedupe a repeat nor look a post up."""

    def reconcile(self, job):
        raise OutcomeUnknown("the platform cannot say whether the post was made")


def _crash_mid_publish(space, post_id, *, reach_platform: bool):
    """A worker claims the post, maybe posts it, and dies before settling; its lease runs out."""
    with Session(space.engine) as sess:
        [row] = lifecycle.claim_due(sess, "doomed", 5, 600)
        channels = load_channels(sess, {row.channel_id}, 300)
        sess.commit()
    if reach_platform:
        runner = AttemptRunner(space.engine, EngineConfig())
        claim = Claim.from_row(row, {})
        job = runner._job(claim, channels[row.channel_id])
        runner.publisher("mastodon").publish(job)
    leases_pass(space.engine, [post_id])


def test_an_idempotent_platform_settles_a_lost_attempt_without_a_duplicate(
        space, platform, loopback, workers):
    channel = space.channel(platform.base_url)
    [post_id] = space.posts([channel])
    _crash_mid_publish(space, post_id, reach_platform=True)
    workers(1)
    assert space.wait_terminal([post_id]) == {"published": 1}
    assert len(platform.records) == 1
    assert space.post(post_id).provider_post_id == platform.records[0][2]


def test_without_idempotency_a_lost_attempt_fails_loudly_as_outcome_unknown(
        space, platform, monkeypatch, workers):
    monkeypatch.setitem(PUBLISHERS, "mastodon", NoIdempotencyPublisher)
    from app.auth import service as auth
    from app.auth.models import User, Workspace

    with Session(space.engine) as sess:
        name = sess.get(Workspace, space.workspace_id).name
        user = auth.create_user(sess, f"owner-{name}@example.com", "correct horse battery", name)
        user_id = user.id
    try:
        channel = space.channel(platform.base_url)
        [post_id] = space.posts([channel])
        _crash_mid_publish(space, post_id, reach_platform=True)
        workers(1)
        assert space.wait_terminal([post_id]) == {"failed": 1}
        post = space.post(post_id)
        assert post.error_code == "outcome_unknown"
        assert len(platform.records) == 1  # never re-posted blindly
        with Session(space.engine) as sess:
            alert = sess.scalars(sa.select(Notification).where(
                Notification.post_id == post_id)).one()
            emails = sess.scalars(sa.select(OutboxMessage.payload).where(
                OutboxMessage.kind == "email",
                OutboxMessage.workspace_id == space.workspace_id)).all()
        assert alert.kind == "post_failed" and "outcome_unknown" in alert.body
        assert [e["to"] for e in emails] == [[f"owner-{name}@example.com"]]
    finally:
        with Session(space.engine) as sess:
            sess.execute(sa.delete(User).where(User.id == user_id))
            sess.commit()


def test_a_lost_attempt_that_never_reached_the_platform_is_published(space, platform,
                                                                     loopback, workers):
    channel = space.channel(platform.base_url)
    [post_id] = space.posts([channel])
    _crash_mid_publish(space, post_id, reach_platform=False)
    workers(1)
    assert space.wait_terminal([post_id]) == {"published": 1}
    assert len(platform.records) == 1


def test_a_thread_resumes_after_its_last_published_part(space, platform, loopback, workers):
    channel = space.channel(platform.base_url)
    [post_id] = space.posts([channel], parts=3)
    platform.script.extend(["ok", "503", "ok", "ok"])  # part 2 fails once
    workers(1, retry_base_seconds=0.1)
    assert space.wait_terminal([post_id]) == {"published": 1}
    post = space.post(post_id)
    texts = [r[0] for r in platform.records]
    assert len(texts) == 3 and len(set(texts)) == 3
    assert [r["index"] for r in post.results] == [0, 1, 2]
    assert [r["provider_post_id"] for r in post.results] == [r[2] for r in platform.records]
    replies = [platform.statuses[r[2]]["in_reply_to_id"] for r in platform.records]
    assert replies == [None, platform.records[0][2], platform.records[1][2]]


def test_a_stuck_publishing_post_is_always_resolved(space, platform, loopback, workers, pg):
    channel = space.channel(platform.base_url)
    ids = space.posts([channel], n=2)
    with Session(space.engine) as sess:
        lifecycle.claim_due(sess, "gone", 5, 600)
        # one lease that would last ten minutes, one post with no lease and no next attempt
        sess.execute(sa.update(Post).where(Post.id == ids[0]).values(
            lease_until=sa.func.now() - timedelta(seconds=1)))
        sess.execute(sa.update(Post).where(Post.id == ids[1]).values(
            lease_until=None, claim_token=None, next_attempt_at=None))
        sess.commit()
    workers(1)
    assert space.wait_terminal(ids) == {"published": 2}
    assert sorted(platform.created_counts().values()) == [1, 1]


def _publish_and_see_stored_credentials(space, platform, channel, workers):
    """Publish one post; return the token the platform received and the credentials that
    were committed in the database at that very moment."""
    seen = []

    def stored_at_use(status, token):
        with Session(space.engine) as sess:
            seen.append((token, sess.get(Channel, channel).credentials))

    platform.on_create = stored_at_use
    [post_id] = space.posts([channel])
    workers(1)
    assert space.wait_terminal([post_id]) == {"published": 1}
    [(token, stored)] = seen
    return token, stored


def test_a_rotated_refresh_token_is_committed_before_it_is_used(space, platform, loopback,
                                                               workers):
    platform.refresh_tokens["r-old"] = "acct"
    channel = space.channel(platform.base_url,
                            credentials={"access_token": "a-old", "refresh_token": "r-old"},
                            token_expires_at=datetime.now(UTC) + timedelta(seconds=60))
    token, stored = _publish_and_see_stored_credentials(space, platform, channel, workers)
    assert token == stored["access_token"] != "a-old"
    assert stored["refresh_token"] in platform.refresh_tokens
    assert "r-old" not in platform.refresh_tokens
    with Session(space.engine) as sess:
        assert sess.get(Channel, channel).token_expires_at > datetime.now(UTC) + timedelta(hours=1)


def test_a_refused_refresh_disconnects_the_channel(space, platform, loopback, workers):
    channel = space.channel(platform.base_url,
                            credentials={"access_token": "a-old", "refresh_token": "r-dead"},
                            token_expires_at=datetime.now(UTC) + timedelta(seconds=60))
    [post_id] = space.posts([channel])
    workers(1)
    assert space.wait_terminal([post_id]) == {"failed": 1}
    assert space.post(post_id).error_code == "channel_disconnected"
    assert platform.records == []
    with Session(space.engine) as sess:
        assert sess.get(Channel, channel).status == "disconnected"


def test_dropped_database_connections_lose_nothing(space, platform, loopback, workers, pg,
                                                   caplog):
    platform.paused = True  # the calls stay inside the platform while the connections drop
    channel = space.channel(platform.base_url)
    ids = space.posts([channel], n=60)
    caplog.set_level(logging.INFO)
    workers(2, concurrency=4, http_timeout_seconds=600)
    wait_until(lambda: len(platform.in_flight()) >= 3, 30)  # in the middle of publishing
    with pg.connect() as conn:   # what a server restart does to every open connection
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                             "datname = current_database() AND pid <> pg_backend_pid()"))
        conn.commit()
    platform.paused = False
    assert space.wait_terminal(ids) == {"published": 60}
    assert set(platform.created_counts().values()) == {1}
    assert any("database unavailable" in r.getMessage() or "LISTEN connection lost"
               in r.getMessage() for r in caplog.records)


def test_the_elected_sweep_refreshes_tokens_before_any_post_needs_them(space, platform,
                                                                      loopback, pg):
    platform.refresh_tokens["r-1"] = "acct"
    channel = space.channel(platform.base_url,
                            credentials={"access_token": "a-1", "refresh_token": "r-1"},
                            token_expires_at=datetime.now(UTC) + timedelta(minutes=8))
    sweep_once(pg)
    with Session(space.engine) as sess:
        stored = sess.get(Channel, channel)
        assert stored.credentials["refresh_token"] in platform.refresh_tokens
        assert stored.credentials["access_token"] != "a-1"
        assert stored.token_expires_at > datetime.now(UTC) + timedelta(hours=1)


class RotatingPublisher(LoopbackPublisher):
    """Refreshes in the middle of publishing (as after an expired access token) and saves at once."""

    def publish(self, job):
        fresh = self.refresh(job.credentials, job.settings)
        job.save_credentials(fresh)
        job.credentials = fresh
        return super().publish(job)


def test_credentials_saved_during_a_publish_are_committed_before_use(space, platform,
                                                                     monkeypatch, workers):
    monkeypatch.setitem(PUBLISHERS, "mastodon", RotatingPublisher)
    platform.refresh_tokens["r-9"] = "acct"
    channel = space.channel(platform.base_url,
                            credentials={"access_token": "a-9", "refresh_token": "r-9"})
    token, stored = _publish_and_see_stored_credentials(space, platform, channel, workers)
    assert token == stored["access_token"] != "a-9"
    assert stored["refresh_token"] in platform.refresh_tokens


def test_a_post_whose_attempts_keep_dying_gives_up_loudly(space, platform, loopback, workers):
    channel = space.channel(platform.base_url)
    [post_id] = space.posts([channel])
    for _ in range(6):  # six workers in a row die holding it
        with Session(space.engine) as sess:
            assert len(lifecycle.claim_due(sess, "doomed", 5, 600)) == 1
            sess.commit()
        leases_pass(space.engine, [post_id])
    workers(1)
    assert space.wait_terminal([post_id]) == {"failed": 1}
    post = space.post(post_id)
    assert post.error_code == "outcome_unknown" and "interrupted 6 times" in post.error_message
    assert platform.requests == 0
