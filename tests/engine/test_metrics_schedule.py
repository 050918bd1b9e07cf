"""Publishing schedules the post's measurements, and nothing else: no state, event or audit
row of its own."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.analytics.models import MetricDue
from app.posts.models import Post, PostEvent
from jobs import outbox, schedule_store
from tests.engine.conftest import wait_until


def test_a_published_post_gets_its_four_measurements(space, platform, loopback, workers):
    channel = space.channel(platform.base_url)
    ids = space.posts([channel], n=2)
    workers(1)
    assert space.wait_terminal(ids) == {"published": 2}
    with Session(space.engine) as sess:
        for post_id in ids:
            post = sess.get(Post, post_id)
            due = dict(sess.execute(sa.select(MetricDue.stage, MetricDue.due_at)
                                    .where(MetricDue.post_id == post_id)).all())
            assert due == {"1h": post.published_at + timedelta(hours=1),
                           "24h": post.published_at + timedelta(hours=24),
                           "7d": post.published_at + timedelta(days=7),
                           "30d": post.published_at + timedelta(days=30)}
            events = sess.scalars(sa.select(PostEvent.to_state).where(
                PostEvent.post_id == post_id).order_by(PostEvent.id)).all()
            assert events == ["scheduled", "publishing", "published"]
            assert post.state == "published"


def test_measuring_is_a_job_of_the_deployments_durable_schedule(space, platform, loopback,
                                                                 workers):
    """The holder of the scheduler runs the collection every few seconds, as a job of the job
    store in PostgreSQL that `openpost jobs` lists, not as a timer of each process."""
    workers(1)

    def collected():
        job = {j.id: j for j in schedule_store.list_jobs(space.engine)}.get("metrics_collection")
        return job if job is not None and job.last_run_at is not None else None

    job = wait_until(collected, 30)
    assert job is not None and job.func == "jobs.duties:metrics_collection"
    assert job.last_outcome == "ok" and job.next_run_at is not None
    assert "metrics_collected" not in outbox.EVERY_WORKER + tuple(n for n, _ in outbox.DUTIES)
