"""Errors are visible: styled 403/404 pages with the navigation, the message htmx turns into a
toast, and no channel buttons a member may not use."""

from __future__ import annotations

import re

import pytest

from tests.conftest import login
from tests.dashboard.conftest import Session

NAV = '<nav aria-label="Main">'


@pytest.fixture
def member(client, db, make_user, make_channel, workspace):
    workspace_id, owner = workspace
    channel = make_channel(workspace_id)
    user = make_user(workspace=owner.memberships[0].workspace.name, role="member")
    assert login(client, user.email).status_code == 302
    session = Session(client, user, workspace_id)
    session.channel = channel
    return session


def test_an_unknown_address_is_a_styled_page_with_the_navigation(signed_in):
    answer = signed_in.get("/no-such-page")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 404
    assert html.lstrip().startswith("<!doctype html>") and NAV in html
    assert "<h1>Page not found</h1>" in html and "app.css" in html
    assert re.search(r'id="error"[^>]*>There is nothing at this address', html)


def test_a_forbidden_page_is_a_styled_page_naming_the_rule(member):
    answer = member.get("/channels/connect/mastodon")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 403
    assert NAV in html and "<h1>Not allowed</h1>" in html
    assert "only an owner or admin of this workspace may do this; you are a member" in html


def test_htmx_gets_the_message_it_shows_as_a_toast(member):
    answer = member.post(f"/channels/{member.channel.id}/disconnect")
    assert answer.status_code == 403
    html = answer.get_data(as_text=True)
    assert "<html" not in html
    assert re.search(r'<div id="error" class="alert alert-error" role="alert">only an owner or '
                     r"admin of this workspace may do this; you are a member</div>", html)


def test_a_member_sees_no_channel_buttons_they_may_not_use(member):
    html = member.get("/channels").get_data(as_text=True)
    assert ">Disconnect</button>" not in html and ">Delete</button>" not in html
    assert "Connect another channel" not in html
    assert "An owner or admin manages this channel." in html


def test_a_member_sees_the_banner_without_a_reconnect_link(client, db, make_user, make_channel,
                                                           workspace):
    from app.channels.service import mark_disconnected

    workspace_id, owner = workspace
    mark_disconnected(db, make_channel(workspace_id), "token revoked")
    db.commit()
    user = make_user(workspace=owner.memberships[0].workspace.name, role="member")
    login(client, user.email)
    page = client.get("/").get_data(as_text=True)
    assert "Disconnected:" in page and "An owner or admin can reconnect it." in page
    assert ">Reconnect</a>" not in page


def test_the_toast_script_is_served_and_loaded(signed_in):
    page = signed_in.get("/").get_data(as_text=True)
    assert '<script src="/static/toast.js" defer></script>' in page
    script = signed_in.get("/static/toast.js").get_data(as_text=True)
    assert "htmx:responseError" in script


def test_a_server_error_is_a_styled_page_with_the_navigation(signed_in, monkeypatch):
    from app.channels import service

    def broken(*_args):
        raise RuntimeError("a bug")

    monkeypatch.setattr(service, "list_channels", broken)
    answer = signed_in.get("/channels")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 500
    assert NAV in html and "<h1>Something went wrong</h1>" in html
    assert answer.headers["x-op-request-id"] in html, "the request id to quote"
    assert "a bug" not in html
