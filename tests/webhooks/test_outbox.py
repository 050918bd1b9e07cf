"""Outbox rows exist exactly when their state change does: same transaction, same fate."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.channels import service as channels
from app.errors import InvalidTransition
from app.outbox.models import OutboxMessage
from app.posts import service as posts
from app.posts.lifecycle import PostState, transition


@pytest.fixture
def workspace(workspace, db):
    """A workspace with an enabled webhook endpoint (webhook rows are written only then)."""
    from app.webhooks import service as webhooks

    webhooks.create_endpoint(db, workspace[0], "test", url="https://hooks.example.com/openpost")
    return workspace


def events(db, workspace_id):
    return list(db.scalars(sa.select(OutboxMessage.event_type).where(
        OutboxMessage.workspace_id == workspace_id, OutboxMessage.kind == "webhook")
        .order_by(OutboxMessage.id)))


def test_each_state_change_writes_its_webhook_event(db, workspace, make_channel):
    ws, _ = workspace
    channel = make_channel(ws)
    post = posts.create_post(db, ws, "test", channel_id=channel.id, text="hi")
    posts.cancel(db, ws, post.id, "test")
    assert events(db, ws) == ["post.draft", "post.canceled"]


def test_rolled_back_change_leaves_no_outbox_row(db, workspace, make_channel):
    ws, _ = workspace
    post = posts.create_post(db, ws, "test", channel_id=make_channel(ws).id, text="hi")
    savepoint = db.begin_nested()
    transition(db, post, PostState.CANCELED, actor="test")
    assert events(db, ws) == ["post.draft", "post.canceled"]
    savepoint.rollback()
    assert events(db, ws) == ["post.draft"]


def test_refused_transition_writes_nothing(db, workspace, make_channel):
    ws, _ = workspace
    post = posts.create_post(db, ws, "test", channel_id=make_channel(ws).id, text="hi")
    with pytest.raises(InvalidTransition):
        transition(db, post, PostState.PUBLISHED, actor="test")
    db.rollback()
    assert events(db, ws) == ["post.draft"]


def test_disconnected_channel_announces_once_with_an_email(db, workspace, make_channel):
    ws, owner = workspace
    channel = make_channel(ws)
    channels.mark_disconnected(db, channel, "token revoked")
    channels.mark_disconnected(db, channel, "token revoked")
    db.commit()
    assert events(db, ws) == ["channel.disconnected"]
    mail = db.scalar(sa.select(OutboxMessage).where(OutboxMessage.workspace_id == ws,
                                                    OutboxMessage.kind == "email"))
    assert mail.payload["to"] == [owner.email] and mail.payload["body"] == "token revoked"
