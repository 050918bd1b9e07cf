"""Every transition of docs/architecture.md (Post lifecycle), legal and illegal, with its rows."""

import itertools
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.errors import InvalidTransition
from app.outbox.models import OutboxMessage
from app.posts.lifecycle import TRANSITIONS, PostState, transition
from app.posts.models import Post, PostEvent

LEGAL = {(a, b) for a, targets in TRANSITIONS.items() if a for b in targets}
ALL = set(itertools.product(list(PostState), list(PostState)))


@pytest.fixture
def post_in(db, workspace, make_channel):
    from app.webhooks import service as webhooks

    ws_id, _user = workspace
    channel = make_channel(ws_id)
    webhooks.create_endpoint(db, ws_id, "test", url="https://hooks.example.com/openpost")

    def make(state: PostState) -> Post:
        post = Post(workspace_id=ws_id, channel_id=channel.id, state=state.value, text="hi",
                    schedule_at=db.scalar(sa.select(sa.func.now())) + timedelta(hours=1),
                    timezone="UTC", options={}, media_ids=[], results=[], warnings=[])
        db.add(post)
        db.flush()
        return post
    return make


def test_contract_table_is_exactly_the_design():
    assert {
        ("draft", "scheduled"), ("draft", "canceled"), ("scheduled", "draft"),
        ("scheduled", "canceled"), ("scheduled", "publishing"), ("publishing", "published"),
        ("publishing", "failed"), ("failed", "scheduled"), ("failed", "canceled")} == LEGAL


@pytest.mark.parametrize("source,target", sorted(LEGAL))
def test_legal_transition_writes_event_and_webhook(db, post_in, source, target):
    post = post_in(PostState(source))
    transition(db, post, target, actor="test", error=("platform_error", "boom"))
    db.flush()
    assert post.state == target
    event = db.scalars(sa.select(PostEvent).where(PostEvent.post_id == post.id)).one()
    assert (event.from_state, event.to_state, event.actor) == (source, target, "test")
    hooks = db.scalars(sa.select(OutboxMessage.event_type).where(
        OutboxMessage.kind == "webhook", OutboxMessage.payload["post"]["id"].astext
        == str(post.id))).all()
    assert hooks == [f"post.{target}"]


def test_no_webhook_rows_without_an_enabled_endpoint(db, workspace, make_channel):
    """A workspace that has no enabled endpoint still gets its events, but no webhook rows."""
    from app.webhooks import service as webhooks

    ws_id, _user = workspace
    endpoint, _secret = webhooks.create_endpoint(db, ws_id, "test",
                                                 url="https://hooks.example.com/openpost")
    endpoint.enabled = False
    post = Post(workspace_id=ws_id, channel_id=make_channel(ws_id).id, state="draft",
                text="hi", timezone="UTC", options={}, media_ids=[], results=[], warnings=[])
    db.add(post)
    db.flush()
    transition(db, post, PostState.CANCELED, actor="test")
    db.flush()
    assert db.scalar(sa.select(sa.func.count()).select_from(PostEvent)
                     .where(PostEvent.post_id == post.id)) == 1
    assert db.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                     .where(OutboxMessage.workspace_id == ws_id,
                            OutboxMessage.kind == "webhook")) == 0


@pytest.mark.parametrize("source,target", sorted(ALL - LEGAL))
def test_illegal_transition_raises_and_changes_nothing(db, post_in, source, target):
    post = post_in(PostState(source))
    with pytest.raises(InvalidTransition):
        transition(db, post, target, actor="test")
    assert post.state == source
    assert db.scalar(sa.select(sa.func.count()).select_from(PostEvent)
                     .where(PostEvent.post_id == post.id)) == 0


def test_failure_records_error_and_alerts_owner(db, post_in, workspace):
    post = post_in(PostState.PUBLISHING)
    transition(db, post, "failed", actor="worker", error=("rate_limited", "Too Many Requests"))
    db.flush()
    assert (post.error_code, post.error_message) == ("rate_limited", "Too Many Requests")
    email = db.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "email")).one()
    assert email.payload["to"] == [workspace[1].email]
    assert "Too Many Requests" in email.payload["body"]


def test_database_refuses_an_unknown_state(db, post_in):
    post = post_in(PostState.DRAFT)
    with pytest.raises(sa.exc.IntegrityError):
        db.execute(sa.update(Post).where(Post.id == post.id).values(state="lost"))
    db.rollback()


def test_retry_after_failure_clears_error_and_attempts(db, post_in):
    post = post_in(PostState.FAILED)
    post.error_code, post.error_message, post.attempts = "network_error", "timeout", 4
    transition(db, post, "scheduled", actor="user")
    assert (post.error_code, post.error_message, post.attempts) == (None, None, 0)
