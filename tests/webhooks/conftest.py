"""Webhook receivers on 127.0.0.1 and workspaces whose rows are really committed."""

from __future__ import annotations

import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa


class Receiver:
    """A real HTTP server that records each request and answers with `respond(request)`."""

    def __init__(self):
        self.requests: list[dict] = []
        self.respond = lambda req: (200, {}, b"ok")
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                req = {"path": self.path, "headers": dict(self.headers), "body": body}
                receiver.requests.append(req)
                status, headers, payload = receiver.respond(req)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make():
        made.append(Receiver())
        return made[-1]
    yield make
    for r in made:
        r.stop()


@pytest.fixture
def committed(app, engine):
    """A really committed workspace (with an owner) for tests that need several connections;
    erased afterwards with everything in it."""
    from app import db
    from app.auth import service
    from app.auth.models import Workspace

    db.configure_engine(engine)  # whatever an earlier test bound the session to
    name = f"ws-{uuid.uuid4().hex[:8]}"
    user = service.create_user(db.session(), f"owner-{name}@example.com",
                               "correct horse battery", name)
    workspace_id = user.memberships[0].workspace_id
    db.session.remove()
    yield workspace_id, user
    db.session.remove()
    with engine.begin() as conn:
        conn.execute(sa.delete(Workspace).where(Workspace.id == workspace_id))
        conn.execute(sa.text("DELETE FROM users WHERE id = :u"), {"u": user.id})


@pytest.fixture
def new_draft():
    """Create a draft post (committed), which announces post.draft through the outbox."""
    from app import db
    from app.channels import service as channels
    from app.posts import service as posts

    channels_made = {}

    def make(workspace_id, text="hello"):
        sess = db.session()
        if workspace_id not in channels_made:
            channels_made[workspace_id] = channels.connect(
                sess, workspace_id, "test", platform="mastodon", handle="@t",
                credentials={"access_token": "channel-secret-token"},
                settings={"instance_url": "https://m.example"}).id
        post = posts.create_post(sess, workspace_id, "test",
                                 channel_id=channels_made[workspace_id], text=text)
        db.session.remove()
        return post
    return make


@pytest.fixture
def make_endpoint():
    from app import db
    from app.webhooks import service

    def make(workspace_id, url, events=None):
        endpoint, secret = service.create_endpoint(db.session(), workspace_id, "test", url=url,
                                                   events=events)
        db.session.remove()
        return endpoint, secret
    return make


def db_now():
    from app import db

    try:
        return db.session().scalar(sa.select(sa.func.now()))
    finally:
        db.session.remove()
