"""An edit racing a worker's claim of the same post, with real commits on PostgreSQL: the claim
wins (the edit is refused and saves nothing) or the edit wins (the worker publishes the edited
post), never a mix. The interleavings are forced with events, not timing."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.errors import Conflict
from app.posts import edit, lifecycle, service
from app.posts.compose import Draft
from tests.engine.conftest import wait_until

WAIT = 20  # seconds a test may wait for the other side before it fails


def _claim(engine) -> list:
    """One claim pass of a worker, committed, as jobs/ runs it."""
    with Session(engine) as sess:
        rows = lifecycle.claim_due(sess, f"race-{uuid.uuid4().hex[:6]}", 10, 60)
        sess.commit()
    return rows


def _later(engine) -> str:
    with Session(engine) as sess:
        return (service.db_now(sess) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")


def _draft(space, channel_id, text: str) -> Draft:
    return Draft(channel_ids=[str(channel_id)], parts=[text], schedule_at=_later(space.engine),
                 timezone="UTC")


def test_the_claim_commits_first_and_the_edit_is_refused(space, platform):
    channel = space.channel(platform.base_url)
    [post_id] = space.posts([channel])
    opened = space.post(post_id)
    assert [r.id for r in _claim(space.engine)] == [post_id]
    with Session(space.engine) as sess, pytest.raises(Conflict) as refused:
        edit.save(sess, space.workspace_id, "user:editor", post_id, opened.version,
                  _draft(space, channel, "edited too late"), "save")
    assert refused.value.message == "this post started publishing; your edit was not saved"
    post = space.post(post_id)
    assert (post.state, post.text) == ("publishing", opened.text)


def test_the_claim_holds_the_row_and_the_edit_waiting_for_it_is_refused(space, platform, pg):
    """The edit reads the post (scheduled) and then waits on the claim's lock: once the claim
    commits, the edit sees publishing and saves nothing."""
    channel = space.channel(platform.base_url)
    [post_id] = space.posts([channel])
    opened = space.post(post_id)
    outcome: dict = {}

    def editor():
        with Session(space.engine) as sess:
            try:
                edit.save(sess, space.workspace_id, "user:editor", post_id, opened.version,
                          _draft(space, channel, "edited while claimed"), "save")
                outcome["saved"] = True
            except Conflict as exc:
                outcome["refused"] = exc.message

    with Session(space.engine) as worker:
        rows = lifecycle.claim_due(worker, "race-holder", 10, 60)
        assert [r.id for r in rows] == [post_id]
        thread = threading.Thread(target=editor)
        thread.start()
        wait_until(lambda: _waiting_on_a_lock(pg), WAIT)  # the edit is blocked on the row
        worker.commit()
    thread.join(WAIT)
    assert outcome == {"refused": "this post started publishing; your edit was not saved"}
    post = space.post(post_id)
    assert (post.state, post.text) == ("publishing", rows[0].text)


def test_the_edit_holds_the_row_and_the_claim_passes_it_by_then_publishes_the_edit(
        space, platform, database_url):
    """The worker's claim comes while the edit holds the row (FOR UPDATE): the claim skips it,
    the edit commits, and the next claim takes the edited text."""
    from app import db

    channel = space.channel(platform.base_url)
    [post_id] = space.posts([channel])
    opened = space.post(post_id)
    locked, release = threading.Event(), threading.Event()
    editor_engine = db.make_engine(database_url, pool_size=1, max_overflow=0)

    @sa.event.listens_for(editor_engine, "after_cursor_execute")
    def pause_after_lock(conn, cursor, statement, *args):
        if "FOR UPDATE" in statement and not locked.is_set():
            locked.set()
            release.wait(WAIT)

    errors: list = []

    def editor():
        try:
            with Session(editor_engine) as sess:
                service.update_post(sess, space.workspace_id, post_id, "user:editor",
                                    text="edited in time", expect_version=opened.version)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    thread = threading.Thread(target=editor)
    thread.start()
    try:
        assert locked.wait(WAIT)
        assert _claim(space.engine) == []  # the locked row is passed by, not waited for
    finally:
        release.set()
        thread.join(WAIT)
        editor_engine.dispose()
    assert errors == []
    assert [(r.id, r.text) for r in _claim(space.engine)] == [(post_id, "edited in time")]
    assert space.post(post_id).state == "publishing"


def _waiting_on_a_lock(engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.scalar(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'")))
