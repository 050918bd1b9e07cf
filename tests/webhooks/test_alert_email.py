"""Alert emails through a real SMTP server on 127.0.0.1: content, digests, an outage survived."""

from __future__ import annotations

import email
import socket
from datetime import timedelta
from email import policy

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from app import db
from app.auth import service as auth
from app.auth.models import Workspace
from app.notifications import alerts
from app.outbox.models import OutboxMessage
from app.posts.lifecycle import PostState, transition
from app.posts.models import Post
from tests.webhooks.conftest import db_now

pytestmark = pytest.mark.concurrency


class Inbox:
    def __init__(self):
        self.messages = []
        self.logins = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's naming)
        self.messages.append((envelope.rcpt_tos,
                              email.message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(monkeypatch):
    """A real SMTP server requiring a login; `start()` / `stop()` simulate an outage."""
    inbox = Inbox()
    port = free_port()

    def authenticator(server, session, envelope, mechanism, auth_data):
        inbox.logins.append(auth_data.login.decode())
        return AuthResult(success=auth_data.password == b"mail-pass")

    class Server:
        controller = None

        def start(self):
            self.controller = Controller(inbox, hostname="127.0.0.1", port=port,
                                         authenticator=authenticator, auth_require_tls=False)
            self.controller.start()

        def stop(self):
            if self.controller:
                self.controller.stop()
                self.controller = None
    server = Server()
    server.inbox = inbox
    monkeypatch.setenv("SMTP_URL", f"smtp://alerts:mail-pass@127.0.0.1:{port}?from=op@example.com")
    monkeypatch.setenv("OPENPOST_PUBLIC_URL", "https://openpost.example.com")
    server.start()
    yield server
    server.stop()


def fail_posts(workspace_id, drafts):
    sess = db.session()
    for draft in drafts:
        post = sess.get(Post, draft.id)
        post.schedule_at = sa.func.now()
        transition(sess, post, PostState.SCHEDULED, actor="test")
        transition(sess, post, PostState.PUBLISHING, actor="worker")
        transition(sess, post, PostState.FAILED, actor="worker",
                   error=("platform_error", "the platform said no"))
    sess.commit()
    db.session.remove()


def add_member(workspace_id, role):
    sess = db.session()
    name = sess.get(Workspace, workspace_id).name
    user = auth.create_user(sess, f"{role}-{name}@example.com", "correct horse battery", name,
                            role=role)
    db.session.remove()
    return user


def pending_emails(workspace_id):
    try:
        return list(db.session().scalars(sa.select(OutboxMessage).where(
            OutboxMessage.workspace_id == workspace_id, OutboxMessage.kind == "email",
            OutboxMessage.processed_at.is_(None))))
    finally:
        db.session.remove()


def test_failed_post_emails_owners_and_admins_with_a_link(committed, smtp, new_draft):
    ws, owner = committed
    admin = add_member(ws, "admin")
    member = add_member(ws, "member")
    draft = new_draft(ws)
    fail_posts(ws, [draft])
    assert alerts.send_due() == 1
    [(rcpts, msg)] = smtp.inbox.messages
    assert sorted(rcpts) == sorted([owner.email, admin.email]) and member.email not in rcpts
    assert smtp.inbox.logins == ["alerts"]
    assert msg["From"] == "op@example.com" and "failed" in msg["Subject"]
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    link = f"https://openpost.example.com/posts/{draft.id}"
    assert "the platform said no" in text and link in text and link in html
    assert pending_emails(ws) == []


def test_many_failures_at_once_become_one_digest(committed, smtp, new_draft):
    ws, _ = committed
    drafts = [new_draft(ws, f"post {i}") for i in range(7)]
    fail_posts(ws, drafts)
    assert alerts.send_due() == 1
    [(_rcpts, msg)] = smtp.inbox.messages
    assert "7 alerts" in msg["Subject"]
    text = msg.get_body(("plain",)).get_content()
    assert all(f"/posts/{d.id}" in text for d in drafts)


def test_a_few_failures_are_one_email_each(committed, smtp, new_draft):
    ws, _ = committed
    fail_posts(ws, [new_draft(ws, f"post {i}") for i in range(3)])
    assert alerts.send_due() == 3
    assert len(smtp.inbox.messages) == 3


def test_mail_server_outage_delays_alerts_and_loses_none(committed, smtp, new_draft):
    ws, _ = committed
    smtp.stop()
    drafts = [new_draft(ws, f"post {i}") for i in range(2)]
    fail_posts(ws, drafts)
    now = db_now() + timedelta(seconds=1)
    assert alerts.send_due(now) == 0
    waiting = pending_emails(ws)
    assert len(waiting) == 2 and all(r.attempts == 1 and r.last_error for r in waiting)
    assert alerts.send_due(now + timedelta(seconds=40)) == 0  # still down: backing off
    smtp.start()
    assert alerts.send_due(now + timedelta(seconds=41)) == 0  # not yet due again
    assert alerts.send_due(now + timedelta(minutes=5)) == 2
    assert pending_emails(ws) == []
    sent = {m.get_body(("plain",)).get_content() for _r, m in smtp.inbox.messages}
    assert all(any(str(d.id) in body for body in sent) for d in drafts)
    assert alerts.send_due(now + timedelta(hours=2)) == 0  # and nothing twice


def test_disconnected_channel_emails_with_a_link_to_the_channel(committed, smtp, new_draft):
    from app.channels import service as channels
    from app.channels.models import Channel

    ws, owner = committed
    new_draft(ws)
    sess = db.session()
    channel = sess.scalar(sa.select(Channel).where(Channel.workspace_id == ws))
    channels.mark_disconnected(sess, channel, "the token was revoked")
    sess.commit()
    db.session.remove()
    assert alerts.send_due() == 1
    [(rcpts, msg)] = smtp.inbox.messages
    assert rcpts == [owner.email] and "disconnected" in msg["Subject"]
    text = msg.get_body(("plain",)).get_content()
    assert "the token was revoked" in text
    assert f"https://openpost.example.com/channels#channel-{channel.id}" in text
