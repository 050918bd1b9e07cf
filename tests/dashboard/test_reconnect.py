"""Reconnecting a channel repairs it in place (same row, history, posts); a Reconnect as another
account is refused; every connect answer is a redirect, so reloading it connects nothing."""

from __future__ import annotations

import re

import sqlalchemy as sa

from app.audit.models import AuditEntry
from app.channels import service
from app.channels.models import Channel
from app.posts.models import Post, PostEvent


def _channels(db) -> list[Channel]:
    db.expire_all()
    return list(db.scalars(sa.select(Channel)))


def _connect(signed_in, account, reconnect=None, follow=False):
    """The Mastodon token form, as a browser submits it."""
    form = {"csrf_token": signed_in.token, "instance_url": account.settings["instance_url"],
            "access_token": account.token}
    if reconnect is not None:
        form["reconnect"] = str(reconnect)
    return signed_in.client.post("/channels/connect/mastodon", data=form,
                                 follow_redirects=follow)


def _reconnect_link(signed_in, channel) -> str:
    """The banner's Reconnect link, read from a page as the user would follow it."""
    page = signed_in.get("/").get_data(as_text=True)
    banner = re.search(r'<div id="banners".*?</div>', page, re.S).group(0)
    return re.search(r'<a href="([^"]+)">Reconnect</a>', banner).group(1).replace("&amp;", "&")


def test_reconnect_repairs_the_same_channel_and_lists_missed_posts(signed_in, db, platforms,
                                                                   make_post):
    account = platforms("mastodon")
    _connect(signed_in, account)
    [channel] = _channels(db)
    waiting = make_post(channel, "scheduled", text="still to come")
    missed = make_post(channel, "failed", text="due while broken",
                       error=("channel_disconnected", "the channel is disconnected"))
    events = db.scalar(sa.select(sa.func.count()).select_from(PostEvent))
    assert signed_in.post(f"/channels/{channel.id}/disconnect").status_code == 200
    link = _reconnect_link(signed_in, channel)
    assert link == f"/channels/connect/mastodon?channel={channel.id}"
    form = signed_in.get(link).get_data(as_text=True)
    assert f'name="reconnect" value="{channel.id}"' in form
    assert account.settings["instance_url"] in form, "the instance is filled in"

    done = _connect(signed_in, account, reconnect=channel.id)
    assert done.status_code == 303
    assert done.location == f"/channels/{channel.id}/connected?reconnected=1"
    [repaired] = _channels(db)
    assert repaired.id == channel.id and repaired.status == "connected"
    assert repaired.status_reason is None
    assert db.scalar(sa.select(sa.func.count()).select_from(PostEvent)) == events
    assert db.get(Post, waiting.id).state == "scheduled"
    entry = db.scalars(sa.select(AuditEntry).where(AuditEntry.action == "channel.reconnected")).one()
    assert entry.target_id == str(channel.id) and entry.actor == f"user:{signed_in.user.id}"
    assert (entry.before["status"], entry.after["status"]) == ("disconnected", "connected")
    page = signed_in.get(done.location).get_data(as_text=True)
    assert "banner-bad" not in page, "the disconnected banner is gone"
    overdue = re.search(r'<section class="card" id="overdue">.*?</section>', page, re.S).group(0)
    assert "1 post missed while the channel was disconnected" in overdue
    assert "due while broken" in overdue and "still to come" not in overdue
    assert f'action="/posts/{missed.id}/retry"' in overdue and "Publish now" in overdue
    assert f'href="/posts/{missed.id}#schedule_at"' in overdue and "Reschedule" in overdue
    # Publish now: the missed post is scheduled again on the repaired channel.
    signed_in.client.post(f"/posts/{missed.id}/retry", data={"csrf_token": signed_in.token})
    db.expire_all()
    assert db.get(Post, missed.id).state == "scheduled"


def test_connecting_an_account_the_workspace_has_repairs_it(signed_in, db, platforms):
    """Even from Connect (not a Reconnect link): the same account never becomes two rows."""
    account = platforms("mastodon")
    _connect(signed_in, account)
    [channel] = _channels(db)
    signed_in.post(f"/channels/{channel.id}/disconnect")
    assert _connect(signed_in, account).location == \
        f"/channels/{channel.id}/connected?reconnected=1"
    [repaired] = _channels(db)
    assert repaired.id == channel.id and repaired.status == "connected"


def test_reconnect_as_another_account_is_refused_and_changes_nothing(signed_in, db, platforms):
    first, other = platforms("mastodon"), platforms("mastodon")
    _connect(signed_in, first)
    [channel] = _channels(db)
    signed_in.post(f"/channels/{channel.id}/disconnect")
    refused = _connect(signed_in, other, reconnect=channel.id)
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    # Both sandbox accounts are called "sandbox": the message tells them apart by account id.
    assert re.search(rf"this Reconnect is for {re.escape(channel.handle)} \(account [^)]*/"
                     rf"{first.settings['account_id']}\), but you signed in as @sandbox@[^ ]+ "
                     rf"\(account [^)]*/{other.settings['account_id']}\)", text)
    assert "Nothing was changed." in text
    [kept] = _channels(db)
    assert kept.status == "disconnected" and kept.credentials["access_token"] == first.token


def test_reloading_the_connected_page_connects_nothing_again(signed_in, db, platforms):
    account = platforms("mastodon")
    done = _connect(signed_in, account)
    assert done.status_code == 303, "POST-redirect-GET"
    [channel] = _channels(db)
    for _reload in range(2):
        page = signed_in.get(done.location)
        assert page.status_code == 200 and "Mastodon connected" in page.get_data(as_text=True)
    assert [c.id for c in _channels(db)] == [channel.id]


def test_sandbox_connect_is_post_redirect_get(signed_in, db):
    done = signed_in.client.post("/channels/connect/sandbox",
                                 data={"csrf_token": signed_in.token, "platform": "mastodon"})
    assert done.status_code == 303
    signed_in.get(done.location)
    signed_in.get(done.location)
    assert len(_channels(db)) == 1


def test_the_api_repairs_the_same_account_in_place(api, db, platforms):
    account = platforms("mastodon")
    body = {"platform": "mastodon", "instance_url": account.settings["instance_url"],
            "access_token": account.token}
    first = api.post("/channels", json=body)
    assert first.status_code == 201
    again = api.post("/channels", json=body)
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    assert len(_channels(db)) == 1


def test_account_identity_per_platform(db, workspace):
    """Bluesky by DID, LinkedIn by author (a member and their organization are two channels)."""
    workspace_id = workspace[0]

    def connect(platform, handle, **settings):
        return service.connect(db, workspace_id, "test", platform=platform, handle=handle,
                               credentials={"access_token": handle}, settings=settings)

    sky = connect("bluesky", "old.bsky.social", did="did:plc:abc")
    assert connect("bluesky", "renamed.bsky.social", did="did:plc:abc").id == sky.id
    assert connect("bluesky", "other.bsky.social", did="did:plc:xyz").id != sky.id
    member = connect("linkedin", "Ana", account_id="s1", author_urn="urn:li:person:s1")
    org = connect("linkedin", "Shop", account_id="s1", author_urn="urn:li:organization:9")
    assert org.id != member.id
    assert connect("linkedin", "Ana", account_id="s1", author_urn="urn:li:person:s1").id == \
        member.id
    assert db.get(Channel, sky.id).handle == "renamed.bsky.social"
    assert len(_channels(db)) == 4


def test_a_reconnect_of_another_workspaces_channel_is_not_found(signed_in, db, platforms,
                                                                 make_user, make_channel):
    theirs = make_channel(make_user().memberships[0].workspace_id)
    account = platforms("mastodon")
    assert signed_in.get(f"/channels/connect/mastodon?channel={theirs.id}").status_code == 404
    assert _connect(signed_in, account, reconnect=theirs.id).status_code == 404
    assert signed_in.get("/channels/connect/mastodon?channel=nope").status_code == 400
    assert [c.id for c in _channels(db)] == [theirs.id]
