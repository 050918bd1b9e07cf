"""Dashboard fixtures: a signed-in browser session with its CSRF token, and post factories."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import login


class Session:
    """A signed-in test client that sends the CSRF token the page gave it, as htmx does."""

    def __init__(self, client, user, workspace_id):
        self.client = client
        self.user = user
        self.workspace_id = workspace_id
        page = client.get("/").get_data(as_text=True)
        self.token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)

    def get(self, path, htmx=False, **kw):
        return self.client.get(path, headers={"HX-Request": "true"} if htmx else {}, **kw)

    def post(self, path, data=None, htmx=True, csrf=True):
        headers = {"X-CSRFToken": self.token} if csrf else {}
        if htmx:
            headers["HX-Request"] = "true"
        return self.client.post(path, data=data or {}, headers=headers)


@pytest.fixture
def signed_in(client, workspace):
    workspace_id, user = workspace
    assert login(client, user.email).status_code == 302
    return Session(client, user, workspace_id)


@pytest.fixture
def make_post(db):
    """A post of the channel's workspace in any state, reached through the real lifecycle."""
    from app.posts import service
    from app.posts.lifecycle import transition

    def make(channel, state="scheduled", text="hello world", when=None, error=None):
        when = when or datetime.now(UTC) + timedelta(days=1)
        post = service.create_post(db, channel.workspace_id, "test", channel_id=channel.id,
                                   text=text, schedule_at=None if state == "draft" else when)
        path = {"publishing": ["publishing"], "published": ["publishing", "published"],
                "failed": ["publishing", "failed"], "canceled": ["canceled"]}.get(state, [])
        for step in path:
            transition(db, post, step, actor="test",
                       error=error or ("platform_error", "the platform said no")
                       if step == "failed" else None)
            if step == "published":
                post.live_url = f"https://m.example/@me/{post.id.hex[:8]}"
        db.commit()
        return post
    return make
