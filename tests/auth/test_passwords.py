"""Passwords: change your own (other sessions end, this one stays) and owner-issued reset links."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.auth.models import Membership, PasswordReset
from app.auth.service import hash_key
from tests.auth.conftest import actions, form_post, signed_out
from tests.conftest import login


def test_changing_your_password_ends_your_other_sessions_only(app, browse, make_user, db):
    user = make_user()
    here, elsewhere = browse(user), browse(user)
    wrong = form_post(here, "/settings/account/password",
                      {"current": "not my password", "password": "a brand new password"})
    assert wrong.status_code == 422 and 'id="current-error"' in wrong.get_data(as_text=True)
    short = form_post(here, "/settings/account/password",
                      {"current": "correct horse battery", "password": "short"})
    assert short.status_code == 422 and 'id="new-password-error"' in short.get_data(as_text=True)
    assert elsewhere.client.get("/").status_code == 200  # nothing changed yet
    done = form_post(here, "/settings/account/password",
                     {"current": "correct horse battery", "password": "a brand new password"})
    assert done.status_code == 302
    assert "1 other session ended" in here.get("/settings/account").get_data(as_text=True)
    assert here.client.get("/").status_code == 200 and signed_out(elsewhere)
    assert login(app.test_client(), user.email, "a brand new password").status_code == 302
    assert "password.changed" in actions(db, here.workspace_id)


def _reset_link(session, member_id):
    answer = form_post(session, f"/settings/members/{member_id}/reset-link")
    match = re.search(r'id="issued-link" class="mono" readonly value="([^"]+)"',
                      answer.get_data(as_text=True))
    return answer, match.group(1) if match else None


def _use(app, link, password="the member's new pw"):
    guest = app.test_client()
    path = "/" + link.split("/", 3)[3]
    page = guest.get(path)
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      guest.get("/login").get_data(as_text=True)).group(1)
    return page, guest.post(path, data={"csrf_token": token, "password": password})


def test_owner_reset_link_works_once_and_ends_the_members_sessions(app, browse, team, db):
    ws, owner, member = team
    members_browser = browse(member)
    answer, link = _reset_link(browse(owner), member.id)
    assert answer.status_code == 200 and "/reset/" in link and "24 hours" in answer.get_data(
        as_text=True)
    reset = db.scalar(sa.select(PasswordReset).where(PasswordReset.user_id == member.id))
    assert reset.token_hash == hash_key(link.rsplit("/", 1)[1])
    assert members_browser.client.get("/").status_code == 200  # issuing alone changes nothing
    page, used = _use(app, link)
    assert page.status_code == 200 and "Set a new password" in page.get_data(as_text=True)
    assert used.status_code == 302 and used.headers["Location"].endswith("/login")
    assert signed_out(members_browser)
    assert login(app.test_client(), member.email, "the member's new pw").status_code == 302
    again, _ = _use(app, link, "yet another password")
    assert again.status_code == 410 and "already been used" in again.get_data(as_text=True)
    assert {"password.reset_issued", "password.reset_used"} <= set(actions(db, ws))


def test_an_expired_reset_link_gives_a_clear_page(app, browse, team, db):
    _ws, owner, member = team
    _answer, link = _reset_link(browse(owner), member.id)
    db.execute(sa.update(PasswordReset).values(expires_at=sa.func.now() - timedelta(seconds=1)))
    db.commit()
    page, used = _use(app, link)
    assert page.status_code == 410 and "expired" in page.get_data(as_text=True)
    assert used.status_code == 410
    assert login(app.test_client(), member.email).status_code == 302  # old password still works


def test_only_owners_issue_reset_links_and_only_for_accounts_they_fully_own(browse, team,
                                                                             make_user, db):
    ws, owner, member = team
    admin = make_user(workspace=db.get(Membership, (owner.id, ws)).workspace.name, role="admin")
    assert form_post(browse(admin), f"/settings/members/{member.id}/reset-link").status_code == 403
    elsewhere = make_user()  # owns a workspace of its own, where this owner is nobody
    db.add(Membership(user_id=elsewhere.id, workspace_id=ws, role="member"))
    db.commit()
    refused, link = _reset_link(browse(owner), elsewhere.id)
    assert refused.status_code == 403 and link is None
    assert db.scalar(sa.select(sa.func.count()).select_from(PasswordReset)) == 0


@pytest.mark.usefixtures("smtp")
def test_the_reset_link_is_emailed_to_the_member(browse, team, smtp):  # noqa: F811
    _ws, owner, member = team
    answer, link = _reset_link(browse(owner), member.id)
    [(rcpt, msg)] = smtp.inbox.messages
    assert rcpt == [member.email] and link in msg.get_body(("plain",)).get_content()
