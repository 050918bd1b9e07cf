"""Settings: who may invite people, and API keys (shown once, revocable). Members in full are
tested in tests/auth."""

from __future__ import annotations

import sqlalchemy as sa

from app.auth.models import ApiKey
from tests.conftest import login
from tests.dashboard.conftest import Session


def test_plain_members_cannot_invite_people_or_see_keys(client, db, make_user, workspace):
    workspace_id, owner = workspace
    member = make_user(workspace=owner.memberships[0].workspace.name, role="member")
    login(client, member.email)
    session = Session(client, member, workspace_id)
    assert session.post("/settings/invites", {"email": "x@y.test",
                                              "role": "member"}).status_code == 403
    assert session.get("/settings/api-keys").status_code == 403
    assert session.post("/settings/api-keys", {"name": "ci"}).status_code == 403
    assert 'action="/settings/invites"' not in session.get("/settings/members").get_data(
        as_text=True)


def test_api_key_is_shown_once_then_listed_by_prefix_and_revoked(signed_in, client, db):
    created = signed_in.post("/settings/api-keys", {"name": "ci"})
    html = created.get_data(as_text=True)
    assert created.headers["Cache-Control"] == "no-store"
    key = db.scalar(sa.select(ApiKey).where(ApiKey.workspace_id == signed_in.workspace_id))
    import re
    token = re.search(r'id="new-key" class="mono" readonly value="([^"]+)"', html).group(1)
    assert token.startswith(key.prefix) and token not in key.key_hash
    listing = signed_in.get("/settings/api-keys").get_data(as_text=True)
    assert token not in listing and f"{key.prefix}…" in listing and "never" in listing
    assert client.get("/api/v1/posts", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert "never" not in signed_in.get("/settings/api-keys").get_data(as_text=True).split(
        f"{key.prefix}…")[1].split("</tr>")[0]
    revoked = signed_in.post(f"/settings/api-keys/{key.id}/revoke")
    assert "revoked" in revoked.get_data(as_text=True)
    assert client.get("/api/v1/posts", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_another_workspaces_key_cannot_be_revoked(signed_in, db, make_user):
    from app.auth import service

    other = make_user().memberships[0].workspace_id
    key, _token = service.create_api_key(db, other, "test")
    assert signed_in.post(f"/settings/api-keys/{key.id}/revoke").status_code == 404
    db.expire_all()
    assert db.get(ApiKey, key.id).revoked_at is None
