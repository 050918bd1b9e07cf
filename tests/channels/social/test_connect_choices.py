"""Sign-ins that offer a choice, end to end against the sandbox: an Instagram professional account
through Facebook Login (the account linked to the chosen Page, published to on the Facebook host
with the Page's token), and LinkedIn as the member or an organization they administer."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from app.channels.models import Channel
from app.platforms.graph import VERSION as GRAPH
from app.platforms.polling import instant
from app.platforms.registry import get_publisher
from app.sandbox.core import mask
from tests.channels.jobs import client, make_job
from tests.channels.social.test_connect import consent, csrf
from tests.conftest import login
from tests.media.conftest import jpeg


@pytest.fixture
def owner(client, workspace, social, monkeypatch):
    social("instagram")  # points the four API URLs at the sandbox
    for platform in ("instagram", "facebook", "linkedin"):
        monkeypatch.setenv(f"OPENPOST_{platform.upper()}_CLIENT_SECRET", "secret-1")
    monkeypatch.setenv("OPENPOST_INSTAGRAM_CLIENT_ID", "instagram-app")
    monkeypatch.setenv("OPENPOST_LINKEDIN_CLIENT_ID", "linkedin-app")
    login(client, workspace[1].email)
    return client


def start(owner, platform: str, variant: str):
    return owner.post(f"/channels/connect/{platform}", data={
        "csrf_token": csrf(owner, f"/channels/connect/{platform}"), "variant": variant})


def offered(owner, platform: str, variant: str):
    """Sign in at the platform; the page the callback answers with."""
    started = start(owner, platform, variant)
    assert started.status_code == 302, started.get_data(as_text=True)
    path, args = consent(started.location)
    assert path == f"/channels/callback/{platform}"
    return owner.get(path, query_string=args, follow_redirects=True)


def choose(owner, page: str, index: int):
    choice = re.findall(r'name="choice" value="([^"]+)"', page)[index]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    chosen = owner.post("/channels/choose", data={"csrf_token": token, "choice": choice})
    assert chosen.status_code == 303, chosen.get_data(as_text=True)
    return choice


def publish(channel: Channel, media):
    job, _ = make_job(channel.platform, channel.settings, channel.credentials, "Hello from a "
                      "connected channel", media=media, handle=channel.handle)
    with client() as http:
        publisher = get_publisher(channel.platform, http)
        publisher.poller = instant()
        return publisher.publish(job)


def configure(sandbox, platform: str, **values):
    sandbox.state.bucket(platform, "settings").update(values)


def test_instagram_through_facebook_login_connects_the_chosen_pages_account(owner, db, sandbox,
                                                                            stored):
    started = start(owner, "instagram", "facebook")
    target = urlsplit(started.location)
    query = parse_qs(target.query)
    assert target.path == "/facebook/dialog/oauth", "Facebook Login, not Instagram's"
    assert query["client_id"] == ["1234567890"], "the Meta app of Facebook Login"
    assert {"instagram_basic", "instagram_content_publish", "pages_show_list"} <= set(
        query["scope"][0].split(","))
    page = offered(owner, "instagram", "facebook").get_data(as_text=True)
    assert "Choose the Instagram account" in page
    assert "@sandbox_ig_one (Page: Sandbox Page 1)" in page
    assert "@sandbox_ig_two (Page: Sandbox Page 2)" in page
    assert "sbx-facebook" not in page, "page tokens never reach the browser"
    assert db.scalar(sa.select(sa.func.count()).select_from(Channel)) == 0
    chosen = choose(owner, page, 1)
    channel = db.scalars(sa.select(Channel)).one()
    linked = sandbox.state.account("facebook", channel.settings["page_id"])
    assert channel.platform == "instagram" and channel.handle == "sandbox_ig_two"
    assert channel.settings["login"] == "facebook" and channel.settings["account_id"] == chosen
    assert linked["name"] == "Sandbox Page 2" and linked["instagram"] == chosen
    assert channel.token_expires_at is None, "a page token does not expire"

    result = publish(channel, [stored(jpeg(1080, 1080))])
    [post] = sandbox.state.posts["instagram"]
    assert post["account"] == chosen and result.provider_post_id == post["id"]
    calls = [r for r in sandbox.state.requests if r["platform"] == "instagram"]
    assert calls and all(r["path"].startswith(f"/facebook/{GRAPH}/") for r in calls)
    # The log shows tokens masked: enough to tell them apart.
    assert {(r["form"] or r["args"])["access_token"] for r in calls} == {
        mask(channel.credentials["access_token"])}, "every call carries the page's token"


def test_only_pages_with_a_linked_account_count(owner, db, sandbox):
    configure(sandbox, "facebook", consent_pages=[{"name": "Plain Page"},
                                                  {"name": "Shop Page", "instagram": "shop_ig"}])
    done = offered(owner, "instagram", "facebook")
    assert done.status_code == 200 and "shop_ig" in done.get_data(as_text=True)
    channel = db.scalars(sa.select(Channel)).one()
    assert channel.handle == "shop_ig", "one linked account: connected without a choice"


def test_no_linked_account_is_a_clear_refusal(owner, db, sandbox):
    configure(sandbox, "facebook", consent_pages=[{"name": "Plain Page"}])
    refused = offered(owner, "instagram", "facebook")
    assert refused.status_code == 422
    assert "none of the Facebook Pages" in refused.get_data(as_text=True)
    assert db.scalar(sa.select(sa.func.count()).select_from(Channel)) == 0


@pytest.mark.parametrize("platform,variant,words", [
    ("instagram", "myspace", "instagram has no sign-in option 'myspace'; choose instagram or "
                             "facebook"),
    ("tiktok", "organizations", "tiktok has no sign-in option 'organizations'"),
])
def test_an_unknown_sign_in_option_is_refused(owner, db, monkeypatch, platform, variant, words):
    monkeypatch.setenv("OPENPOST_TIKTOK_CLIENT_ID", "tiktok-app")
    refused = start(owner, platform, variant)
    assert refused.status_code == 422 and words in html.unescape(refused.get_data(as_text=True))
    assert db.scalar(sa.select(sa.func.count()).select_from(Channel)) == 0


@pytest.mark.parametrize("pick,author,handle", [(0, "urn:li:person:", "Sandbox Member"),
                                                (1, "urn:li:organization:", "Sandbox Co")])
def test_linkedin_posts_as_the_member_or_the_organization_chosen(owner, db, sandbox, stored,
                                                                 pick, author, handle):
    started = start(owner, "linkedin", "organizations")
    scopes = parse_qs(urlsplit(started.location).query)["scope"][0].split()
    assert {"w_member_social", "w_organization_social", "r_organization_admin"} <= set(scopes)
    page = offered(owner, "linkedin", "organizations").get_data(as_text=True)
    assert "Post to LinkedIn as" in page
    labels = re.findall(r'name="choice" value="[^"]+"[^>]*> ([^<]+)</label>', page)
    assert [label.strip() for label in labels] == [
        "Sandbox Member (yourself)", "Sandbox Co (organization page)",
        "Sandbox Labs (organization page)"], "approved administrator roles only"
    chosen = choose(owner, page, pick)
    channel = db.scalars(sa.select(Channel)).one()
    assert channel.settings["author_urn"] == chosen and chosen.startswith(author)
    assert channel.handle == handle

    result = publish(channel, [stored(jpeg(800, 600))])
    [post] = sandbox.state.posts["linkedin"]
    assert post["author"] == chosen and result.provider_post_id == post["id"]
    image = post["content"]["media"]["id"]
    assert sandbox.state.bucket("linkedin", "assets")[image]["owner"] == chosen


def test_linkedin_organizations_asked_for_but_none_administered(owner, db, sandbox):
    configure(sandbox, "linkedin", consent_organizations=[["Sandbox Fans", "ANALYST",
                                                           "APPROVED"]])
    refused = offered(owner, "linkedin", "organizations")
    assert refused.status_code == 422
    assert "no approved administrator of any organization page" in refused.get_data(as_text=True)
    assert db.scalar(sa.select(sa.func.count()).select_from(Channel)) == 0


def test_linkedin_without_the_option_connects_the_member_directly(owner, db):
    started = start(owner, "linkedin", "")
    assert "w_organization_social" not in parse_qs(urlsplit(started.location).query)["scope"][0]
    path, args = consent(started.location)
    assert owner.get(path, query_string=args).status_code == 303
    channel = db.scalars(sa.select(Channel)).one()
    assert channel.settings["author_urn"].startswith("urn:li:person:")
