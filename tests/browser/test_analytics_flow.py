"""Analytics in a real Chromium, wide and phone-sized: posts published on Mastodon, Bluesky, X,
Threads, a Facebook Page and a LinkedIn organization (over real HTTP to the mounted sandbox) are
measured on their schedule, the figures grow between the +1 h and +24 h measurements, the post
page shows them with their time and "not available" where the platform gives none, the
Analytics page shows totals, top posts and the heatmap with table views, and exports the CSV;
nothing scrolls sideways at 390 px."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.browser import test_reconnect_flow as reconnect
from tests.browser.conftest import new_page, shot

pytestmark = pytest.mark.browser
PASSWORD = reconnect.PASSWORD
FITS = "() => document.documentElement.scrollWidth <= window.innerWidth"


# The mounted sandbox serves the three platforms; the server reaches it on loopback.
server_env = reconnect.server_env
_sign_in = reconnect._sign_in


def _control(page, base, body: dict) -> dict:
    csrf = json.loads(page.get_attribute("body", "hx-headers"))["X-CSRFToken"]
    made = page.request.post(base + "/sandbox/_control/accounts", data=json.dumps(body),
                             headers={"Content-Type": "application/json", "X-CSRFToken": csrf})
    assert made.status == 201, made.text()
    return made.json()


def _accounts(page, base) -> list:
    """(platform, handle, settings, credentials) of a sandbox account on each of six."""
    toot = _control(page, base, {"platform": "mastodon", "username": "toots"})
    sky = _control(page, base, {"platform": "bluesky", "handle": f"an{id(page)}.bsky.social"})
    session = httpx.post(f"{base}/sandbox/bluesky/xrpc/com.atproto.server.createSession",
                         json={"identifier": sky["handle"], "password": sky["password"]}).json()
    tweet = _control(page, base, {"platform": "x"})
    thread = _control(page, base, {"platform": "threads"})
    fb = _control(page, base, {"platform": "facebook"})
    li = _control(page, base, {"platform": "linkedin", "organization": True})
    return [
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


def _publish_all(engine, workspace_name: str, accounts: list) -> dict:
    """Each account's channel, and a post published on it (as the engine would)."""
    from app.auth.models import Workspace
    from app.channels import service as channels
    from tests.analytics.world import publish

    posts = {}
    with Session(engine, expire_on_commit=False) as sess:
        workspace_id = sess.scalar(sa.select(Workspace.id).where(Workspace.name == workspace_name))
        for platform, handle, settings, creds in accounts:
            channel = channels.connect(sess, workspace_id, "test", platform=platform,
                                       handle=handle, credentials=creds, settings=settings)
            account = type("Account", (), {"name": platform, "handle": handle,
                                           "settings": settings, "credentials": creds})
            posts[platform] = publish(sess, channel, account, f"What {platform} thought")
    return posts


@pytest.mark.parametrize("width", [1366, 390])
def test_figures_arrive_grow_and_export(browser, live_server, monkeypatch, width):
    from app import db
    from app.analytics.service import collect_due_metrics
    from app.auth.service import create_user

    base, engine = live_server
    for name in ("x", "threads", "facebook", "linkedin"):
        monkeypatch.setenv(f"OPENPOST_{name.upper()}_API_URL", f"{base}/sandbox/{name}")
    workspace, email = f"Analytics {width}", f"an-{width}@example.com"
    with Session(engine) as sess:
        create_user(sess, email, PASSWORD, workspace)
    context, page = new_page(browser, width)
    try:
        _sign_in(page, base, email)
        posts = _publish_all(engine, workspace, _accounts(page, base))
        page.goto(base + f"/posts/{posts['mastodon'].id}")
        assert "Not measured yet" in page.locator("#post-metrics").inner_text()

        db.configure_engine(engine)
        start = min(p.published_at for p in posts.values())
        assert collect_due_metrics(start + timedelta(hours=1, minutes=2)) == 6
        page.reload()
        first = int(page.locator('#post-metrics dd[data-metric="likes"]').inner_text()
                    .replace(",", ""))
        assert "not available" in page.locator(
            '#post-metrics dd[data-metric="impressions"]').inner_text()
        assert "Measured" in page.locator("#post-metrics").inner_text()
        assert collect_due_metrics(start + timedelta(hours=24, minutes=2)) == 6
        page.reload()
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

        page.goto(base + "/analytics?days=7")
        text = page.locator("main").inner_text()
        assert "6 posts published, 6 measured" in text
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
                                                 "facebook", "linkedin"}
        assert all(r["status"] == "ok" for r in rows)
        toot = next(r for r in rows if r["platform"] == "mastodon")
        assert toot["impressions"] == "" and int(toot["likes"]) == second
        assert not page.script_errors
    finally:
        context.close()
