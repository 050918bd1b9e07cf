"""Analytics in a real Chromium, wide and phone-sized: posts published on all eight platforms
(Mastodon, Bluesky, X, Threads, a Facebook Page, a LinkedIn organization, an Instagram image
and a TikTok video; the media uploaded through `POST /api/v1/media`, Instagram pulling its
image from a signed link, TikTok connected through its consent screen with the scopes OpenPost
asks for and posted with a chosen privacy level; all over real HTTP to the mounted sandbox) are
measured on their schedule, the figures grow between the +1 h and +24 h measurements, the post
page shows them with their time and "not available" where the platform gives none, the
Analytics page shows totals, top posts and the heatmap with table views, and exports the CSV
(with the media posts' latest figures); a LinkedIn personal profile's row says LinkedIn gives
its figures to approved partners only; nothing scrolls sideways at 390 px."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.platforms import registry
from tests.browser import test_reconnect_flow as reconnect
from tests.browser.conftest import new_page, shot

pytestmark = pytest.mark.browser
PASSWORD = reconnect.PASSWORD
FITS = "() => document.documentElement.scrollWidth <= window.innerWidth"


_sign_in = reconnect._sign_in
SECRET = "analytics-flow-secret"


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    return tmp_path_factory.mktemp("analytics-instance")


@pytest.fixture(scope="module")
def server_env(instance) -> dict:
    """The mounted sandbox serves every platform and pulls media from the server on loopback;
    the test shares the server's instance (media storage) and secret to sign media links."""
    return {"OPENPOST_SANDBOX": "on", "OPENPOST_ALLOW_PRIVATE_HOSTS": "1",
            "OPENPOST_INSTANCE_PATH": str(instance), "OPENPOST_SECRET_KEY": SECRET}


def _control(page, base, body: dict) -> dict:
    csrf = json.loads(page.get_attribute("body", "hx-headers"))["X-CSRFToken"]
    made = page.request.post(base + "/sandbox/_control/accounts", data=json.dumps(body),
                             headers={"Content-Type": "application/json", "X-CSRFToken": csrf})
    assert made.status == 201, made.text()
    return made.json()


def _accounts(page, base) -> list:
    """(platform, handle, settings, credentials) of a sandbox account on each of eight."""
    toot = _control(page, base, {"platform": "mastodon", "username": "toots"})
    sky = _control(page, base, {"platform": "bluesky", "handle": f"an{id(page)}.bsky.social"})
    session = httpx.post(f"{base}/sandbox/bluesky/xrpc/com.atproto.server.createSession",
                         json={"identifier": sky["handle"], "password": sky["password"]}).json()
    tweet = _control(page, base, {"platform": "x"})
    thread = _control(page, base, {"platform": "threads"})
    fb = _control(page, base, {"platform": "facebook"})
    li = _control(page, base, {"platform": "linkedin", "organization": True})
    gram = _control(page, base, {"platform": "instagram"})
    return [
        ("instagram", gram["username"], {"account_id": gram["account_id"]},
         {k: gram[k] for k in ("access_token", "expires_at") if gram.get(k)}),
        _tiktok(page, base),
        ("threads", thread["username"], {"account_id": thread["account_id"]},
         {"access_token": thread["access_token"], "expires_at": thread["expires_at"]}),
        ("facebook", fb["username"], {"account_id": fb["account_id"], "page_id": fb["page_id"],
                                      "app_id": fb["app_id"]},
         {"access_token": fb["access_token"], "user_access_token": fb["user_access_token"]}),
        ("linkedin", li["username"], {"account_id": li["account_id"],
                                      "author_urn": li["author_urn"]},
         {k: li[k] for k in ("access_token", "refresh_token", "expires_at") if li.get(k)}),
        ("mastodon", toot["username"], {"instance_url": f"{base}/sandbox/mastodon",
                                        "account_id": toot["account_id"]},
         {"access_token": toot["access_token"]}),
        ("bluesky", sky["handle"], {"pds_url": f"{base}/sandbox/bluesky", "did": sky["did"]},
         {"identifier": sky["handle"], "app_password": sky["password"], "did": sky["did"],
          "access_jwt": session["accessJwt"], "refresh_jwt": session["refreshJwt"]}),
        ("x", tweet["username"], {"account_id": tweet["account_id"]},
         {k: tweet[k] for k in ("access_token", "refresh_token", "expires_at")}),
    ]


def _tiktok(page, base) -> tuple:
    """A TikTok account connected through the sandbox's consent screen with the scopes
    OpenPost asks for (video.list among them, for video.query)."""
    from app.platforms.tiktok.oauth import SCOPES

    back = f"{base}/channels/callback/tiktok"
    consent = page.request.get(f"{base}/sandbox/tiktok/v2/auth/authorize/", max_redirects=0,
                               params={"scope": SCOPES, "redirect_uri": back, "state": "s",
                                       "response_type": "code", "client_key": "sandbox"})
    code = parse_qs(urlsplit(consent.headers["location"]).query)["code"][0]
    tokens = httpx.post(f"{base}/sandbox/tiktok/v2/oauth/token/", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": back}).json()
    assert "video.list" in tokens["scope"].split(",")
    return ("tiktok", "sandbox", {"account_id": tokens["open_id"],
                                  "privacy_level_options": ["PUBLIC_TO_EVERYONE",
                                                            "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]},
            {"access_token": tokens["access_token"], "refresh_token": tokens["refresh_token"]})


def _upload(base, engine, workspace_id, data: bytes, name: str) -> dict:
    """The file uploaded through the REST API, as the media entry a publish job carries."""
    from app.auth.service import create_api_key
    from app.media import service as media
    from app.media.models import Media

    with Session(engine) as sess:
        _key, token = create_api_key(sess, workspace_id, "test")
        sess.commit()
    made = httpx.post(f"{base}/api/v1/media", headers={"Authorization": f"Bearer {token}"},
                      files={"file": (name, data)}, timeout=30)
    assert made.status_code == 201, made.text
    with Session(engine) as sess:
        return media.describe(sess.get(Media, uuid.UUID(made.json()["id"])))


def _publish_all(base, engine, workspace_name: str, accounts: list) -> dict:
    """Each account's channel, and a post published on it (as the engine would): Instagram's
    with an image, TikTok's with a video and the privacy level its composer asks for."""
    from app.auth.models import Workspace
    from app.channels import service as channels
    from app.platforms.polling import instant
    from tests.analytics.world import adopt, publish
    from tests.channels.jobs import make_job
    from tests.media.conftest import jpeg, video

    posts = {}
    with Session(engine, expire_on_commit=False) as sess:
        workspace_id = sess.scalar(sa.select(Workspace.id).where(Workspace.name == workspace_name))
    media = {"instagram": (_upload(base, engine, workspace_id, jpeg(1080, 1080), "photo.jpg"), {}),
             "tiktok": (_upload(base, engine, workspace_id, video(seconds=3), "clip.mp4"),
                        {"privacy_level": "PUBLIC_TO_EVERYONE"})}
    with Session(engine, expire_on_commit=False) as sess:
        for platform, handle, settings, creds in accounts:
            channel = channels.connect(sess, workspace_id, "test", platform=platform,
                                       handle=handle, credentials=creds, settings=settings)
            text = f"What {platform} thought"
            if platform not in media:
                account = type("Account", (), {"name": platform, "handle": handle,
                                               "settings": settings, "credentials": creds})
                posts[platform] = publish(sess, channel, account, text)
                continue
            item, options = media[platform]
            job, _rec = make_job(platform, settings, creds, text, handle=handle,
                                 options=options, media=[item])
            with httpx.Client(timeout=30.0) as client:
                publisher = registry.get_publisher(platform, client)
                publisher.poller = instant()
                posts[platform] = adopt(sess, channel, publisher.publish(job), text)
    return posts


def _member_channel(page, base, engine, workspace_name: str) -> uuid.UUID:
    """A LinkedIn channel posting as the member (a personal profile), connected."""
    from app.auth.models import Workspace
    from app.channels import service as channels

    li = _control(page, base, {"platform": "linkedin"})
    with Session(engine, expire_on_commit=False) as sess:
        workspace_id = sess.scalar(sa.select(Workspace.id).where(Workspace.name == workspace_name))
        channel = channels.connect(
            sess, workspace_id, "test", platform="linkedin", handle=li["username"],
            credentials={k: li[k] for k in ("access_token", "expires_at") if li.get(k)},
            settings={"account_id": li["account_id"], "author_urn": li["author_urn"]})
        sess.commit()
        return channel.id


def _views(page, base, post) -> int:
    """The views a post's page shows."""
    page.goto(base + f"/posts/{post.id}")
    return int(page.locator('#post-metrics dd[data-metric="views"]').inner_text().replace(",", ""))


@pytest.mark.parametrize("width", [1366, 390])
def test_figures_arrive_grow_and_export(browser, live_server, instance, monkeypatch, width):
    from app import db
    from app.analytics.service import collect_due_metrics
    from app.auth.service import create_user
    from app.media import storage

    base, engine = live_server
    for name in ("x", "threads", "facebook", "linkedin", "instagram", "tiktok"):
        monkeypatch.setenv(f"OPENPOST_{name.upper()}_API_URL", f"{base}/sandbox/{name}")
    monkeypatch.setenv("OPENPOST_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("OPENPOST_SECRET_KEY", SECRET)
    monkeypatch.setenv("OPENPOST_PUBLIC_URL", base)
    storage.use(storage.LocalStorage(instance / "media"))
    db.configure_engine(engine)
    workspace, email = f"Analytics {width}", f"an-{width}@example.com"
    with Session(engine) as sess:
        create_user(sess, email, PASSWORD, workspace)
    context, page = new_page(browser, width)
    try:
        _sign_in(page, base, email)
        posts = _publish_all(base, engine, workspace, _accounts(page, base))
        page.goto(base + f"/posts/{posts['mastodon'].id}")
        assert "Not measured yet" in page.locator("#post-metrics").inner_text()

        start = min(p.published_at for p in posts.values())
        assert collect_due_metrics(start + timedelta(hours=1, minutes=2)) == 8
        page.reload()
        first = int(page.locator('#post-metrics dd[data-metric="likes"]').inner_text()
                    .replace(",", ""))
        assert "not available" in page.locator(
            '#post-metrics dd[data-metric="impressions"]').inner_text()
        assert "Measured" in page.locator("#post-metrics").inner_text()
        early = {p: _views(page, base, posts[p]) for p in ("instagram", "tiktok")}
        assert collect_due_metrics(start + timedelta(hours=24, minutes=2)) == 8
        media_views = {p: _views(page, base, posts[p]) for p in ("instagram", "tiktok")}
        assert all(media_views[p] > early[p] for p in early), (early, media_views)
        page.goto(base + f"/posts/{posts['mastodon'].id}")
        second = int(page.locator('#post-metrics dd[data-metric="likes"]').inner_text()
                     .replace(",", ""))
        assert second > first
        assert page.locator("#post-metrics svg.chart").count() == 1
        page.locator("#post-metrics summary", has_text="as a table").click()
        assert page.locator("#post-metrics tbody tr").count() == 2
        assert page.evaluate(FITS)
        shot(page, f"analytics-post-{width}")

        page.goto(base + "/posts/" + str(posts["x"].id))
        assert page.locator('#post-metrics dd[data-metric="impressions"]').inner_text() \
            .replace(",", "").isdigit()

        media_views = {p: _views(page, base, posts[p]) for p in ("instagram", "tiktok")}

        page.goto(base + "/analytics?days=7")
        text = page.locator("main").inner_text()
        assert "8 posts published, 8 measured" in text
        assert "What instagram thought" in text and "What tiktok thought" in text
        assert "What x thought" in text and "What mastodon thought" in text
        assert page.locator("svg.heatmap").count() == 1
        page.locator("summary", has_text="Heatmap as a table").click()
        assert page.locator("table", has_text="Average engagement").locator("tbody tr").count() >= 1
        assert page.evaluate(FITS)
        shot(page, f"analytics-page-{width}")
        with page.expect_download() as download:
            page.get_by_role("link", name="Export CSV").click()
        rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
        assert {r["platform"] for r in rows} == {"mastodon", "bluesky", "x", "threads",
                                                 "facebook", "linkedin", "instagram",
                                                 "tiktok"}
        assert all(r["status"] == "ok" for r in rows), [(r["platform"], r["status"]) for r in rows]
        assert {r["platform"]: int(r["views"]) for r in rows
                if r["platform"] in media_views} == media_views
        toot = next(r for r in rows if r["platform"] == "mastodon")
        assert toot["impressions"] == "" and int(toot["likes"]) == second

        # A LinkedIn personal profile: its row says why it has no figures, without asking for
        # a reconnect that cannot help.
        member = _member_channel(page, base, engine, workspace)
        page.goto(base + "/channels")
        row = page.locator(f"#channel-{member}")
        assert "approved partners only" in row.inner_text()
        assert "organization pages are measured" in row.inner_text()
        assert "reconnect to allow insights" not in row.inner_text()
        assert row.get_by_role("link", name="Reconnect").count() == 0
        page.goto(base + "/analytics?days=7")
        note = page.get_by_role("status").filter(has_text="approved partners only")
        assert note.count() == 1 and "reconnect" not in note.inner_text()
        assert page.evaluate(FITS)
        assert not page.script_errors
    finally:
        context.close()
        storage.use(None)
