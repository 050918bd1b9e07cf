"""Members fixtures: a workspace with an owner and a member, signed-in browsers, audit actions."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import login
from tests.dashboard.conftest import Session
from tests.webhooks.test_alert_email import smtp  # noqa: F401  (a real SMTP server, fixture)


@pytest.fixture
def browse(app, db):
    """browse(user) -> a fresh browser signed in as the user (its own session)."""
    def signed_in(user, password="correct horse battery"):
        from app.auth.models import User

        user = db.get(User, sa.inspect(user).identity[0])  # fresh, even if a request detached it
        workspace_id, email = user.memberships[0].workspace_id, user.email
        client = app.test_client()
        assert login(client, email, password).status_code == 302
        return Session(client, user, workspace_id)
    return signed_in


@pytest.fixture
def team(make_user):
    """(workspace id, owner, member) of one workspace."""
    owner = make_user()
    workspace = owner.memberships[0].workspace
    member = make_user(workspace=workspace.name, role="member")
    return workspace.id, owner, member


def actions(db, workspace_id) -> list[str]:
    from app.audit.models import AuditEntry

    db.expire_all()
    return list(db.scalars(sa.select(AuditEntry.action).where(
        AuditEntry.workspace_id == workspace_id).order_by(AuditEntry.id)))


def signed_out(session) -> bool:
    answer = session.client.get("/")
    return answer.status_code == 302 and "/login" in answer.headers["Location"]


def form_post(session, path, data=None):
    """A plain (non-htmx) form post from a signed-in browser, CSRF token included."""
    return session.post(path, data or {}, htmx=False)
