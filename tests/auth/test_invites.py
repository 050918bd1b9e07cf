"""Invite links: created by owners and admins, single use, expiring, only a hash stored."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.auth.models import Invite, Membership, User
from app.auth.service import hash_key
from tests.auth.conftest import actions, form_post
from tests.conftest import login


def _invite(session, email, role="member"):
    answer = form_post(session, "/settings/invites", {"email": email, "role": role})
    match = re.search(r'id="issued-link" class="mono" readonly value="([^"]+)"',
                      answer.get_data(as_text=True))
    return answer, match.group(1) if match else None


def _path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def _join(app, link, name="New Person", password="a fresh long password"):
    guest = app.test_client()
    page = guest.get(_path(link)).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return guest, guest.post(_path(link), data={"csrf_token": token, "name": name,
                                                "password": password})


def test_owner_invites_and_the_invitee_joins_with_the_link(app, browse, team, db):
    ws, owner, _member = team
    answer, link = _invite(browse(owner), "new.person@example.com", "admin")
    assert answer.status_code == 200 and link and "/invite/" in link
    text = answer.get_data(as_text=True)
    assert "works once" in text and "7 days" in text
    assert answer.headers["Cache-Control"] == "no-store"
    invite = db.scalar(sa.select(Invite).where(Invite.workspace_id == ws))
    token = link.rsplit("/", 1)[1]
    assert invite.token_hash == hash_key(token) and token not in invite.token_hash
    assert timedelta(days=6, hours=23) < invite.expires_at - invite.created_at <= timedelta(days=7)
    guest, joined = _join(app, link)
    assert joined.status_code == 302
    home = guest.get("/")
    assert home.status_code == 200 and "you joined" in home.get_data(as_text=True)
    user = db.scalar(sa.select(User).where(User.email == "new.person@example.com"))
    assert user.name == "New Person"
    assert db.get(Membership, (user.id, ws)).role == "admin"
    assert login(app.test_client(), user.email, "a fresh long password").status_code == 302
    done = actions(db, ws)
    assert done.index("invite.created") < done.index("invite.accepted")


def test_the_link_works_once(app, browse, team, db):
    _ws, owner, _member = team
    _answer, link = _invite(browse(owner), "once@example.com")
    assert _join(app, link)[1].status_code == 302
    again = app.test_client().get(_path(link))
    assert again.status_code == 410 and "already been used" in again.get_data(as_text=True)
    _guest, second = _join_without_form(app, link)
    assert second.status_code == 410
    assert db.scalar(sa.select(sa.func.count()).select_from(User).where(
        User.email == "once@example.com")) == 1


def _join_without_form(app, link):
    guest = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      guest.get("/login").get_data(as_text=True)).group(1)
    return guest, guest.post(_path(link), data={"csrf_token": token, "name": "x",
                                                "password": "another long password"})


def test_an_expired_link_gives_a_clear_page(app, browse, team, db):
    ws, owner, _member = team
    _answer, link = _invite(browse(owner), "late@example.com")
    db.execute(sa.update(Invite).where(Invite.workspace_id == ws)
               .values(expires_at=sa.func.now() - timedelta(minutes=1)))
    db.commit()
    page = app.test_client().get(_path(link))
    assert page.status_code == 410 and "expired" in page.get_data(as_text=True)
    assert _join_without_form(app, link)[1].status_code == 410
    assert db.scalar(sa.select(User).where(User.email == "late@example.com")) is None


def test_a_revoked_invite_stops_working_and_is_audited(app, browse, team, db):
    ws, owner, _member = team
    session = browse(owner)
    _answer, link = _invite(session, "revoked@example.com")
    invite = db.scalar(sa.select(Invite).where(Invite.workspace_id == ws))
    assert "revoked@example.com" in session.get("/settings/members").get_data(as_text=True)
    assert form_post(session, f"/settings/invites/{invite.id}/revoke").status_code == 302
    page = app.test_client().get(_path(link))
    assert page.status_code == 410 and "withdrawn" in page.get_data(as_text=True)
    assert "invite.revoked" in actions(db, ws)


def test_an_unknown_link_is_404(client):
    page = client.get("/invite/made-up-token")
    assert page.status_code == 404 and "not valid" in page.get_data(as_text=True)


def test_the_answer_never_says_whether_the_email_has_an_account_elsewhere(browse, team,
                                                                          make_user):
    _ws, owner, _member = team
    elsewhere = make_user(email="taken@example.com")  # an account in another workspace
    session = browse(owner)
    known, _ = _invite(session, elsewhere.email)
    unknown, _ = _invite(session, "nobody@example.com")
    assert known.status_code == unknown.status_code == 200

    def shape(answer, email):
        text = answer.get_data(as_text=True).replace(email, "EMAIL")
        text = re.sub(r'value="[^"]*/invite/[^"]+"', "LINK", text)
        text = re.sub(r'id="invite-[^"]+"|invite_id=[^"]+|/invites/[^/]+/revoke', "ID", text)
        return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d", "WHEN", text)
    known_text, unknown_text = shape(known, elsewhere.email), shape(unknown, "nobody@example.com")
    assert "already exists" not in known_text
    # The second page also lists the first invite: compare the top of each page only.
    assert known_text.split("<table")[0] == unknown_text.split("<table")[0]


def test_an_existing_account_joins_with_its_own_password(app, browse, team, make_user, db):
    ws, owner, _member = team
    elsewhere = make_user(email="both@example.com")
    _answer, link = _invite(browse(owner), elsewhere.email)
    _guest, wrong = _join(app, link, password="not the right password")
    assert wrong.status_code == 422 and db.get(Membership, (elsewhere.id, ws)) is None
    guest, right = _join(app, link, password="correct horse battery")
    assert right.status_code == 302 and db.get(Membership, (elsewhere.id, ws)).role == "member"
    assert "<span class=\"workspace\">" in guest.get("/").get_data(as_text=True)
    assert login(app.test_client(), elsewhere.email).status_code == 302  # password unchanged


def test_invite_form_errors_are_inline(browse, team, db):
    ws, owner, member = team
    session = browse(owner)
    bad = form_post(session, "/settings/invites", {"email": "nope", "role": "member"})
    assert bad.status_code == 422 and 'id="m-email-error"' in bad.get_data(as_text=True)
    owner_role = form_post(session, "/settings/invites", {"email": "a@b.test", "role": "owner"})
    assert owner_role.status_code == 422 and 'id="m-role-error"' in owner_role.get_data(as_text=True)
    already = form_post(session, "/settings/invites", {"email": member.email.upper(),
                                                       "role": "member"})
    assert already.status_code == 409
    assert "already a member of this workspace" in already.get_data(as_text=True)
    assert db.scalar(sa.select(sa.func.count()).select_from(Invite).where(
        Invite.workspace_id == ws)) == 0


def test_only_owners_invite_admins_and_members_invite_nobody(browse, team, make_user, db):
    ws, owner, member = team
    admin = make_user(workspace=owner.memberships[0].workspace.name, role="admin")
    as_admin = browse(admin)
    refused = form_post(as_admin, "/settings/invites", {"email": "x@y.test", "role": "admin"})
    assert refused.status_code == 403 and "only an owner" in refused.get_data(as_text=True)
    assert _invite(as_admin, "m@y.test")[0].status_code == 200
    as_member = browse(member)
    assert form_post(as_member, "/settings/invites", {"email": "z@y.test"}).status_code == 403
    page = as_member.get("/settings/members").get_data(as_text=True)
    assert "/settings/invites" not in page and "Remove" not in page
    assert db.scalars(sa.select(Invite.email).where(Invite.workspace_id == ws)).all() == \
        ["m@y.test"]


@pytest.mark.usefixtures("smtp")
def test_the_link_is_emailed_when_smtp_is_set(browse, team, smtp):  # noqa: F811
    _ws, owner, _member = team
    answer, link = _invite(browse(owner), "mailed@example.com")
    assert "We also emailed the link to mailed@example.com" in answer.get_data(as_text=True)
    [(rcpt, msg)] = smtp.inbox.messages
    assert rcpt == ["mailed@example.com"] and "Join" in msg["Subject"]
    assert link in msg.get_body(("plain",)).get_content()
    assert link.startswith("https://openpost.example.com/invite/")


def test_without_smtp_the_page_says_to_send_the_link_yourself(browse, team, monkeypatch):
    monkeypatch.delenv("SMTP_URL", raising=False)
    _ws, owner, _member = team
    answer, link = _invite(browse(owner), "by-hand@example.com")
    assert link and "send the link yourself" in answer.get_data(as_text=True)


def test_control_characters_are_refused_not_a_500(app, browse, team, db):
    ws, owner, _member = team
    session = browse(owner)
    bad = form_post(session, "/settings/invites", {"email": "nul\x00@example.com"})
    assert bad.status_code == 422
    assert "field &#39;email&#39; must not contain NUL characters" in bad.get_data(as_text=True)
    _answer, link = _invite(session, "named@example.com")
    _guest, joined = _join(app, link, name="Evil\x00Name")
    assert joined.status_code == 422
    assert "field &#39;name&#39; must not contain NUL characters" in joined.get_data(as_text=True)
    assert db.scalar(sa.select(User).where(User.email == "named@example.com")) is None


def test_a_link_in_an_access_log_line_is_masked(browse, team):
    from app.logs import redact

    _ws, owner, _member = team
    _answer, link = _invite(browse(owner), "logged@example.com")
    token = link.rsplit("/", 1)[1]
    assert token not in redact(f'127.0.0.1 "GET /invite/{token} HTTP/1.1" 200 1234')
