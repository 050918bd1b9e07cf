"""Members: roles change, removal takes access away at once (sessions and keys), the last owner
stays, and only owners and admins manage anyone."""

from __future__ import annotations

import sqlalchemy as sa

from app.audit.models import AuditEntry
from app.auth import service
from app.auth.models import ApiKey, Membership, User
from tests.auth.conftest import actions, form_post, signed_out


def _role(db, user_id, ws):
    db.expire_all()
    membership = db.get(Membership, (user_id, ws))
    return membership.role if membership else None


def test_owner_changes_a_members_role_and_it_is_audited(browse, team, db):
    ws, owner, member = team
    session = browse(owner)
    answer = form_post(session, f"/settings/members/{member.id}/role", {"role": "admin"})
    assert answer.status_code == 302
    assert "is now admin" in session.get("/settings/members").get_data(as_text=True)
    assert _role(db, member.id, ws) == "admin"
    entry = db.scalar(sa.select(AuditEntry).where(AuditEntry.workspace_id == ws,
                                                  AuditEntry.action == "member.role_changed"))
    assert entry.before == {"role": "member"} and entry.after == {"role": "admin"}
    assert entry.actor == f"user:{owner.id}"


def test_the_last_owner_cannot_be_demoted_or_removed(browse, team, db, make_user):
    ws, owner, _member = team
    session = browse(owner)
    demote = form_post(session, f"/settings/members/{owner.id}/role", {"role": "admin"})
    assert demote.status_code == 409 and "last owner" in demote.get_data(as_text=True)
    remove = form_post(session, f"/settings/members/{owner.id}/remove")
    assert remove.status_code == 409 and "last owner" in remove.get_data(as_text=True)
    assert _role(db, owner.id, ws) == "owner"
    second = make_user(workspace=db.get(Membership, (owner.id, ws)).workspace.name, role="owner")
    assert form_post(session, f"/settings/members/{owner.id}/role",
                     {"role": "admin"}).status_code == 302
    assert _role(db, owner.id, ws) == "admin" and _role(db, second.id, ws) == "owner"


def test_removing_a_member_ends_their_sessions_and_keys_at_once(app, browse, team, db, client):
    ws, owner, member = team
    laptop, phone = browse(member), browse(member)
    _key, member_token = service.create_api_key(db, ws, "test", "member's", created_by=member.id)
    _key, owner_token = service.create_api_key(db, ws, "test", "owner's", created_by=owner.id)
    session = browse(owner)
    answer = form_post(session, f"/settings/members/{member.id}/remove")
    assert answer.status_code == 302
    notice = session.get("/settings/members").get_data(as_text=True)
    assert "signed out everywhere" in notice and "the API key they created here was revoked" in notice
    assert signed_out(laptop) and signed_out(phone)
    api = "/api/v1/posts"
    assert client.get(api, headers={"Authorization": f"Bearer {member_token}"}).status_code == 401
    assert client.get(api, headers={"Authorization": f"Bearer {owner_token}"}).status_code == 200
    db.expire_all()
    assert db.get(User, member.id) is None  # no workspace left: the account goes
    entry = db.scalar(sa.select(AuditEntry).where(AuditEntry.workspace_id == ws,
                                                  AuditEntry.action == "member.removed"))
    assert entry.after["sessions_ended"] == 2 and len(entry.after["api_keys_revoked"]) == 1
    assert actions(db, ws).count("apikey.revoked") == 1
    assert db.scalar(sa.select(sa.func.count()).select_from(ApiKey).where(
        ApiKey.workspace_id == ws, ApiKey.revoked_at.is_(None))) == 1


def test_a_member_of_two_workspaces_keeps_the_other(browse, team, make_user, db):
    ws, owner, _member = team
    elsewhere = make_user()
    other_ws = elsewhere.memberships[0].workspace_id
    db.add(Membership(user_id=elsewhere.id, workspace_id=ws, role="member"))
    db.commit()
    form_post(browse(owner), f"/settings/members/{elsewhere.id}/remove")
    assert _role(db, elsewhere.id, ws) is None and _role(db, elsewhere.id, other_ws) == "owner"


def test_admins_manage_members_only(browse, team, make_user, db):
    ws, owner, member = team
    admin = make_user(workspace=db.get(Membership, (owner.id, ws)).workspace.name, role="admin")
    session = browse(admin)
    page = session.get("/settings/members").get_data(as_text=True)
    assert f"/settings/members/{member.id}/remove" in page
    assert f"/settings/members/{owner.id}/remove" not in page
    assert form_post(session, f"/settings/members/{owner.id}/remove").status_code == 403
    assert form_post(session, f"/settings/members/{owner.id}/role",
                     {"role": "member"}).status_code == 403
    assert form_post(session, f"/settings/members/{member.id}/role",
                     {"role": "admin"}).status_code == 403
    assert _role(db, owner.id, ws) == "owner" and _role(db, member.id, ws) == "member"
    assert form_post(session, f"/settings/members/{member.id}/remove").status_code == 302
    assert _role(db, member.id, ws) is None


def test_a_member_sees_no_buttons_and_a_forged_post_is_403(browse, team, db):
    ws, owner, member = team
    session = browse(member)
    page = session.get("/settings/members").get_data(as_text=True)
    assert "Change role" not in page and "Remove" not in page and "Reset link" not in page
    before = actions(db, ws)
    for path, data in ((f"/settings/members/{owner.id}/role", {"role": "member"}),
                       (f"/settings/members/{owner.id}/remove", {}),
                       (f"/settings/members/{owner.id}/reset-link", {}),
                       (f"/settings/members/{member.id}/role", {"role": "owner"}),
                       ("/settings/invites", {"email": "x@y.test", "role": "member"})):
        assert form_post(session, path, data).status_code == 403, path
    assert _role(db, owner.id, ws) == "owner" and _role(db, member.id, ws) == "member"
    assert actions(db, ws) == before


def test_another_workspaces_member_is_404(browse, team, make_user, db):
    _ws, owner, _member = team
    stranger = make_user()
    stranger_ws = stranger.memberships[0].workspace_id
    session = browse(owner)
    for path in (f"/settings/members/{stranger.id}/role", f"/settings/members/{stranger.id}/remove",
                 f"/settings/members/{stranger.id}/reset-link"):
        assert form_post(session, path, {"role": "member"}).status_code == 404, path
    assert _role(db, stranger.id, stranger_ws) == "owner"


def test_an_unknown_role_is_refused(browse, team, db):
    ws, owner, member = team
    answer = form_post(browse(owner), f"/settings/members/{member.id}/role", {"role": "god"})
    assert answer.status_code == 422 and "role must be one of" in answer.get_data(as_text=True)
    assert _role(db, member.id, ws) == "member"


def test_an_account_in_two_workspaces_switches_between_them(browse, team, make_user, db):
    ws, _owner, _member = team
    elsewhere = make_user()
    home_ws = elsewhere.memberships[0].workspace
    home_name = home_ws.name
    team_name = db.get(Membership, (_owner.id, ws)).workspace.name
    db.add(Membership(user_id=elsewhere.id, workspace_id=ws, role="member"))
    db.commit()
    session = browse(elsewhere)
    assert form_post(session, "/settings/account/workspace",
                     {"workspace_id": str(ws)}).status_code == 302
    assert f'<span class="workspace">{team_name}</span>' in session.get("/").get_data(as_text=True)
    assert f"Work in {home_name}" in session.get("/settings/account").get_data(as_text=True)
    assert form_post(session, "/settings/account/workspace",
                     {"workspace_id": str(home_ws.id)}).status_code == 302
    assert f'<span class="workspace">{home_name}</span>' in session.get("/").get_data(as_text=True)
    stranger_ws = make_user().memberships[0].workspace_id
    assert form_post(session, "/settings/account/workspace",
                     {"workspace_id": str(stranger_ws)}).status_code == 404
    assert f'<span class="workspace">{home_name}</span>' in session.get("/").get_data(as_text=True)
