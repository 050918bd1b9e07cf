"""Sessions: one per browser. Sign-out ends only this one; "sign out everywhere" ends them all."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from tests.auth.conftest import actions, form_post, signed_out


def test_sign_out_ends_only_this_browsers_session(browse, make_user):
    user = make_user()
    laptop, phone = browse(user), browse(user)
    assert form_post(laptop, "/logout").status_code == 302
    assert signed_out(laptop)
    assert phone.client.get("/").status_code == 200  # the phone stays signed in


def test_sign_out_everywhere_ends_every_session_and_is_audited(browse, make_user, db):
    from app.auth.models import UserSession

    user = make_user()
    laptop, phone = browse(user), browse(user)
    page = laptop.get("/settings/account").get_data(as_text=True)
    assert "Sign out everywhere" in page and 'action="/logout/everywhere"' in page
    answer = form_post(laptop, "/logout/everywhere")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/login")
    assert signed_out(laptop) and signed_out(phone)
    assert "sessions.ended_everywhere" in actions(db, laptop.workspace_id)
    assert db.scalar(sa.select(sa.func.count()).select_from(UserSession).where(
        UserSession.user_id == user.id)) == 0


def test_the_cookie_carries_a_random_token_and_only_its_hash_is_stored(app, browse, make_user, db):
    from app.auth.models import UserSession
    from app.auth.service import hash_key

    user = make_user()
    browser = browse(user)
    cookie = browser.client.get_cookie("openpost_session").value
    serializer = app.session_interface.get_signing_serializer(app)
    token = serializer.loads(cookie)["_user_id"]
    assert str(user.id) not in token and len(token) >= 40
    stored = db.scalars(sa.select(UserSession.id).where(UserSession.user_id == user.id)).all()
    assert stored == [hash_key(token)] and token not in stored


def test_sign_out_without_a_token_changes_nothing(browse, make_user):
    user = make_user()
    laptop = browse(user)
    assert laptop.post("/logout/everywhere", csrf=False).status_code == 400
    assert laptop.client.get("/").status_code == 200



def _age_session(db, user, **ago):
    """Make the user's session rows look as if signed in / last used this long ago."""
    from app.auth.models import UserSession

    db.execute(sa.update(UserSession).where(UserSession.user_id == user.id).values(
        {column: sa.func.now() - delta for column, delta in ago.items()}))
    db.commit()


def _last_seen(db, user):
    from app.auth.models import UserSession

    db.expire_all()
    return db.scalar(sa.select(sa.func.now() - UserSession.last_seen_at).where(
        UserSession.user_id == user.id))


def test_a_session_unused_for_longer_than_the_idle_lifetime_is_signed_out(browse, make_user, db):
    user = make_user()
    idle, recent = browse(user), browse(user)
    _age_session(db, user, last_seen_at=timedelta(days=31))
    assert signed_out(idle) and signed_out(recent)
    fresh = browse(user)
    _age_session(db, user, last_seen_at=timedelta(days=29))
    assert fresh.client.get("/").status_code == 200  # 29 days unused: still signed in


def test_a_session_older_than_the_absolute_lifetime_ends_however_much_it_is_used(
        browse, make_user, db):
    user = make_user()
    browser = browse(user)
    _age_session(db, user, created_at=timedelta(days=91), last_seen_at=timedelta(minutes=1))
    assert signed_out(browser)


def test_last_use_is_written_at_most_once_an_hour(browse, make_user, db):
    user = make_user()
    browser = browse(user)
    _age_session(db, user, last_seen_at=timedelta(minutes=20))
    assert browser.client.get("/").status_code == 200
    assert _last_seen(db, user) > timedelta(minutes=19)  # recent enough: not written again
    _age_session(db, user, last_seen_at=timedelta(hours=2))
    assert browser.client.get("/").status_code == 200
    assert _last_seen(db, user) < timedelta(minutes=1)  # used now: the idle clock restarts
