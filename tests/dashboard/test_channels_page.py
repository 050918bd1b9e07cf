"""The channel list page: timezone, disconnect (and its banner on every page), delete, sandbox."""

from __future__ import annotations

import re

from app.channels.models import Channel
from tests.conftest import login
from tests.dashboard.conftest import Session


def test_empty_workspace_offers_the_sandbox(signed_in):
    for path in ("/channels", "/"):
        html = signed_in.get(path).get_data(as_text=True)
        assert re.search(r'<a class="button" href="/channels/connect/sandbox">Try the sandbox</a>', html)


def test_list_and_timezone_edit(signed_in, db, make_channel):
    channel = make_channel(signed_in.workspace_id)
    html = signed_in.get("/channels").get_data(as_text=True)
    assert f'id="channel-{channel.id}"' in html and "connected" in html
    answer = signed_in.post(f"/channels/{channel.id}/timezone", {"timezone": "Asia/Kolkata"})
    assert answer.status_code == 200 and 'value="Asia/Kolkata"' in answer.get_data(as_text=True)
    bad = signed_in.post(f"/channels/{channel.id}/timezone", {"timezone": "Moon/Base"})
    assert bad.status_code == 422
    assert re.search(rf'id="tz-{channel.id}-error"[^>]*>unknown timezone', bad.get_data(as_text=True))
    db.expire_all()
    assert db.get(Channel, channel.id).timezone == "Asia/Kolkata"


def test_a_disconnected_channel_shows_a_banner_on_every_page(signed_in, db, make_channel):
    channel = make_channel(signed_in.workspace_id)
    answer = signed_in.post(f"/channels/{channel.id}/disconnect")
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert f'href="/channels/connect/mastodon?channel={channel.id}">Reconnect' in html
    assert re.search(r'<div id="banners" hx-swap-oob="true">.*Disconnected', html, re.S)
    for path in ("/", "/calendar", "/compose", "/channels", "/notifications", "/settings/members"):
        page = signed_in.get(path).get_data(as_text=True)
        assert re.search(r'class="banner banner-bad" role="alert">\s*<strong>Disconnected:</strong> '
                         rf'mastodon {channel.handle}', page), path
    assert f"mastodon channel {channel.handle} disconnected" in signed_in.get(
        "/notifications").get_data(as_text=True)
    # Fixed (reconnected): the banner goes away.
    db.expire_all()
    fixed = db.get(Channel, channel.id)
    fixed.status, fixed.status_reason = "connected", None
    db.commit()
    assert "banner-bad" not in signed_in.get("/").get_data(as_text=True)


def test_delete_refuses_while_posts_are_scheduled(signed_in, db, make_channel, make_post):
    channel = make_channel(signed_in.workspace_id)
    post = make_post(channel)
    answer = signed_in.post(f"/channels/{channel.id}/delete")
    assert answer.status_code == 409 and "scheduled or publishing" in answer.get_data(as_text=True)
    signed_in.post(f"/posts/{post.id}/cancel")
    done = signed_in.post(f"/channels/{channel.id}/delete")
    assert done.status_code == 200 and "Channel deleted" in done.get_data(as_text=True)
    db.expire_all()
    assert db.get(Channel, channel.id) is None


def test_members_cannot_change_channels(client, db, make_user, make_channel, workspace):
    workspace_id, owner = workspace
    channel = make_channel(workspace_id)
    member = make_user(workspace=owner.memberships[0].workspace.name, role="member")
    login(client, member.email)
    session = Session(client, member, workspace_id)
    assert session.post(f"/channels/{channel.id}/disconnect").status_code == 403
    assert session.post(f"/channels/{channel.id}/delete").status_code == 403
    assert session.post(f"/channels/{channel.id}/timezone", {"timezone": "UTC"}).status_code == 403
    db.expire_all()
    assert db.get(Channel, channel.id).status == "connected"


def test_another_workspaces_channel_is_not_found(signed_in, db, make_user, make_channel):
    other = make_channel(make_user().memberships[0].workspace_id)
    for action in ("disconnect", "delete", "timezone"):
        assert signed_in.post(f"/channels/{other.id}/{action}", {"timezone": "UTC"}
                              ).status_code == 404
    db.expire_all()
    assert db.get(Channel, other.id).status == "connected"


def test_channel_actions_need_the_csrf_token(signed_in, db, make_channel):
    channel = make_channel(signed_in.workspace_id)
    assert signed_in.post(f"/channels/{channel.id}/disconnect", csrf=False).status_code == 400
    db.expire_all()
    assert db.get(Channel, channel.id).status == "connected"


def test_try_the_sandbox_link_leads_to_a_connected_channel(client, workspace, db):
    import re

    from app.channels.models import Channel
    from tests.conftest import login

    login(client, workspace[1].email)
    listing = client.get("/channels").get_data(as_text=True)
    link = re.search(r'href="([^"]+)">Try the sandbox', listing).group(1)
    page = client.get(link)
    assert page.status_code == 200 and "Connect a sandbox Mastodon channel" in page.get_data(
        as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    done = client.post("/channels/connect/sandbox", data={"csrf_token": token,
                                                           "platform": "mastodon"})
    assert done.status_code == 303
    channel = db.query(Channel).filter_by(workspace_id=workspace[0]).one()
    assert channel.platform == "mastodon" and channel.status == "connected"
