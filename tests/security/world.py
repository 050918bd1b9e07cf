"""Two workspaces full of objects, and what each route's URL arguments refer to."""

from __future__ import annotations

import datetime
import json
import re
import uuid

import sqlalchemy as sa

# URL argument name → kind of object it names. A route with an argument missing here fails the
# authorization and CSRF walks until a line is added.
ARG_OBJECTS = {
    "post_id": "post", "channel_id": "channel", "key_id": "api_key", "api_key_id": "api_key",
    "notification_id": "notification", "webhook_id": "webhook", "endpoint_id": "webhook",
    "media_id": "media", "entry_id": "audit", "audit_id": "audit", "group_id": "group",
    "delivery_id": "delivery", "user_id": "user", "member_id": "user", "invite_id": "invite",
    "workspace_id": "workspace", "rule_id": "rule", "slot_id": "slot",
}


def make_world(db, make_user, tag: str) -> dict:
    """A workspace with one object of every kind, each marked with `tag` where it has text."""
    from app import crypto
    from app.audit.models import AuditEntry
    from app.auth import invites
    from app.auth import service as auth
    from app.channels import service as channels
    from app.media.models import Media
    from app.notifications import service as notifications
    from app.notifications.models import Notification
    from app.posts import service as posts
    from app.recurring.models import PostingSlot, RecurringRule
    from app.webhooks.models import WebhookDelivery, WebhookEndpoint

    user = make_user(email=f"{tag.lower()}-{uuid.uuid4().hex[:6]}@example.com")
    ws = user.memberships[0].workspace_id
    channel = channels.connect(db, ws, "test", platform="mastodon", handle=f"@{tag}-handle",
                               credentials={"access_token": f"{tag}-token-secret"},
                               settings={"instance_url": "https://m.example"})
    post = posts.create_post(db, ws, "test", channel_id=channel.id, text=f"{tag} post text",
                             schedule_at="2099-01-01T00:00:00Z")
    key, token = auth.create_api_key(db, ws, "test", name=f"{tag} key")
    media = Media(workspace_id=ws, filename=f"{tag}.png", content_type="image/png",
                  size_bytes=1, sha256="0" * 64, storage_key=f"{tag}/k", alt_text=f"{tag} alt")
    endpoint = WebhookEndpoint(id=uuid.uuid4(), workspace_id=ws, url="http://127.0.0.1:9/h",
                               description=f"{tag} hook", events=[])
    endpoint.secrets_enc = crypto.encrypt(json.dumps(["whsec_x"]).encode(), endpoint._aad())
    rule = RecurringRule(id=uuid.uuid4(), workspace_id=ws, name=f"{tag} rule",
                         channel_ids=[str(channel.id)], text=f"{tag} rule text", timezone="UTC",
                         cron={"hour": 9, "minute": 0}, starts_at=posts.db_now(db),
                         not_before=posts.db_now(db), paused=False, created_by="test")
    slot = PostingSlot(id=uuid.uuid4(), workspace_id=ws, channel_id=channel.id, weekday=1,
                       time=datetime.time(12, 30))
    db.add_all([media, endpoint, rule, slot])
    db.flush()
    delivery = WebhookDelivery(workspace_id=ws, endpoint_id=endpoint.id, event_id=uuid.uuid4(),
                               event_type="post.scheduled", payload={"tag": tag})
    db.add(delivery)
    notifications.notify(db, ws, "test", f"{tag} notification")
    invite = invites.create(db, ws, user.memberships[0], email=f"{tag.lower()}-invitee@example.com",
                            role="member").invite
    db.commit()
    return {
        "user": user, "workspace_id": ws, "token": token, "tag": tag,
        "post": post.id, "channel": channel.id, "api_key": key.id, "media": media.id,
        "webhook": endpoint.id, "delivery": delivery.id, "group": post.group_id,
        "user_id": user.id, "invite": invite.id, "workspace": ws, "rule": rule.id,
        "slot": slot.id,
        "notification": db.scalar(sa.select(Notification.id).where(
            Notification.workspace_id == ws)),
        "audit": db.scalar(sa.select(sa.func.max(AuditEntry.id)).where(
            AuditEntry.workspace_id == ws)),
    }


# URL arguments that name no object, with a value the walks use.
PLAIN_ARGS = {"platform": "mastodon", "fmt": "csv", "token": "not-a-link-token"}


def object_for(world: dict, arg: str):
    kind = ARG_OBJECTS.get(arg)
    if kind is None:
        return PLAIN_ARGS.get(arg)
    return world["user_id"] if kind == "user" else world[kind]


def snapshot(db, workspace_id) -> dict:
    """Everything about a workspace that a request could change."""
    db.expire_all()
    queries = {
        "posts": "SELECT id, state, text, parts, schedule_at, version FROM posts",
        "channels": "SELECT id, status, display_name, timezone, credentials_enc FROM channels",
        "api_keys": "SELECT id, revoked_at, name FROM api_keys",
        "notifications": "SELECT id, read_at FROM notifications",
        "media": "SELECT id, alt_text, filename, renditions FROM media",
        "webhooks": "SELECT id, url, enabled, events, secrets_enc FROM webhook_endpoints",
        "deliveries": "SELECT id, status, attempts FROM webhook_deliveries",
        "audit": "SELECT count(*) FROM audit_log",
        "outbox": "SELECT count(*) FROM outbox",
        "members": "SELECT user_id, role FROM memberships",
        "invites": "SELECT id, revoked_at, accepted_at FROM invites",
        "resets": "SELECT id, used_at FROM password_resets",
        "rules": "SELECT id, name, channel_ids, text, cron, paused, ends_at, count, not_before "
                 "FROM recurring_rules",
        "slots": "SELECT id, channel_id, weekday, time FROM posting_slots",
    }
    return {name: sorted(map(tuple, db.execute(sa.text(f"{sql} WHERE workspace_id = :w"),
                                               {"w": workspace_id})), key=repr)
            for name, sql in queries.items()}


def csrf_token(client) -> str:
    page = client.get("/").get_data(as_text=True)
    return re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)


def routes(app):
    """(rule, method) for every route, HEAD and OPTIONS aside."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method
