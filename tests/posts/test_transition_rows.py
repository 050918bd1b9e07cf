"""A post moved on its own (transition()) and a batch moved by the engine (claim_due,
finish_many) leave the same post events and the same webhook payloads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.outbox.models import OutboxMessage
from app.posts import service
from app.posts.lifecycle import claim_due, finish_many, transition
from app.posts.models import Post, PostEvent

ERROR = ("rate_limited", "Too Many Requests")


def _trail(db, post_id):
    events = db.scalars(sa.select(PostEvent).where(PostEvent.post_id == post_id)
                        .order_by(PostEvent.id)).all()
    hooks = db.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.kind == "webhook",
        OutboxMessage.payload["post"]["id"].astext == str(post_id))
        .order_by(OutboxMessage.id)).all()
    return ([(e.from_state, e.to_state, e.actor, e.detail) for e in events],
            [(h.event_type, sorted(h.payload["post"]), h.payload["post"]["state"],
              h.payload["post"].get("error")) for h in hooks])


def test_single_and_set_based_transitions_write_the_same_rows(db, workspace, make_channel):
    from app.webhooks import service as webhooks

    ws, _ = workspace
    webhooks.create_endpoint(db, ws, "test", url="https://hooks.example.com/openpost")
    channel = make_channel(ws)
    when = datetime.now(UTC) + timedelta(hours=1)
    one, batch = (service.create_post(db, ws, "worker:w1", channel_id=channel.id, text=t,
                                      schedule_at=when) for t in ("one", "batch"))
    db.execute(sa.update(Post).where(Post.id == batch.id)
               .values(schedule_at=sa.func.now() - timedelta(seconds=1)))  # due by the database clock
    transition(db, one, "publishing", actor="worker:w1")
    transition(db, one, "failed", actor="worker:w1", error=ERROR)
    [row] = [r for r in claim_due(db, "w1", 10, 30) if r.id == batch.id]
    finish_many(db, [{"id": str(row.id), "token": str(row.claim_token), "target": "failed",
                      "error_code": ERROR[0], "error_message": ERROR[1]}], actor="worker:w1")
    events, hooks = _trail(db, one.id)
    assert [e[1] for e in events] == ["scheduled", "publishing", "failed"]
    assert events[-1][3] == {"error": {"code": ERROR[0], "message": ERROR[1]}}
    assert [h[0] for h in hooks] == ["post.scheduled", "post.publishing", "post.failed"]
    assert _trail(db, batch.id) == (events, hooks)
