"""Collection against the fakes over real HTTP: figures arrive on the schedule and grow, what a
platform does not give stays absent, a deleted post stops, a missing scope says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.analytics.models import MetricDue, PostMetric
from app.analytics.service import collect_due_metrics
from app.sandbox import growth
from tests.analytics.world import channel_for, publish


def _series(db, post):
    return list(db.scalars(sa.select(PostMetric).where(PostMetric.post_id == post.id)
                           .order_by(PostMetric.measured_at)))


def _due(db, post):
    return sorted(db.scalars(sa.select(MetricDue.stage).where(MetricDue.post_id == post.id)))


@pytest.mark.parametrize("platform, figures", [
    ("mastodon", {"likes", "reposts", "replies", "quotes"}),
    ("bluesky", {"likes", "reposts", "replies", "quotes", "bookmarks"}),
    ("x", {"impressions", "likes", "reposts", "replies", "quotes", "bookmarks"}),
])
def test_figures_arrive_on_the_schedule_and_grow(db, workspace, platforms, platform, figures):
    account = platforms(platform)
    channel = channel_for(db, workspace[0], account)
    post = publish(db, channel, account, f"measured on {platform}")
    assert _due(db, post) == ["1h", "24h", "30d", "7d"]
    start = post.published_at

    assert collect_due_metrics(start + timedelta(minutes=30)) == 0  # nothing due yet
    assert collect_due_metrics(start + timedelta(hours=1, minutes=1)) == 1
    assert collect_due_metrics(start + timedelta(hours=24, minutes=1)) == 1
    first, second = _series(db, post)
    assert (first.stage, first.status, second.stage, second.status) == ("1h", "ok", "24h", "ok")
    assert set(first.metrics) == figures  # what the platform does not give is absent, not 0
    assert all(second.metrics[k] > first.metrics[k] or first.metrics[k] == 0 for k in figures)
    assert sum(second.metrics.values()) > sum(first.metrics.values())
    assert _due(db, post) == ["30d", "7d"]
    # Late collection (the +7 d and +30 d both due) measures once and ends the schedule.
    assert collect_due_metrics(start + timedelta(days=31)) == 1
    assert [m.stage for m in _series(db, post)] == ["1h", "24h", "30d"]
    assert _due(db, post) == []


def test_many_x_posts_are_read_in_one_call_per_hundred(db, workspace, platforms, sandbox):
    account = platforms("x")
    channel = channel_for(db, workspace[0], account)
    made = [publish(db, channel, account, f"post number {i}") for i in range(3)]
    assert collect_due_metrics(max(p.published_at for p in made) + timedelta(hours=2)) == 3
    lookups = [r for r in account.requests() if r["op"] == "lookup"]
    assert len(lookups) == 1
    assert sorted(lookups[0]["args"]["ids"].split(",")) == sorted(p.provider_post_id for p in made)


@pytest.mark.parametrize("platform", ["mastodon", "bluesky", "x"])
def test_a_deleted_post_is_marked_and_its_collection_stops(db, workspace, platforms, sandbox,
                                                           platform):
    account = platforms(platform)
    channel = channel_for(db, workspace[0], account)
    post = publish(db, channel, account, f"soon gone from {platform}")
    with sandbox.app.app_context():
        growth.retire(platform, post.provider_post_id)
    assert collect_due_metrics(post.published_at + timedelta(hours=2)) == 1
    (only,) = _series(db, post)
    assert (only.status, only.metrics) == ("deleted", {})
    assert _due(db, post) == []


def test_a_token_without_the_scope_says_reconnect(db, workspace, platforms, sandbox, http=None):
    import httpx

    made = httpx.post(f"{sandbox.url}/_control/accounts",
                      json={"platform": "mastodon", "scopes": "write:statuses"}).json()
    channel = channel_for(db, workspace[0], type("A", (), {
        "name": "mastodon", "handle": made["username"],
        "credentials": {"access_token": made["access_token"]},
        "settings": {"instance_url": f"{sandbox.url}/mastodon",
                     "account_id": made["account_id"]}})())
    post = publish(db, channel, type("A", (), {
        "name": "mastodon", "handle": made["username"], "credentials": channel.credentials,
        "settings": channel.settings})(), "no insights for me")
    assert collect_due_metrics(post.published_at + timedelta(hours=2)) == 1
    (only,) = _series(db, post)
    assert only.status == "needs_scope"
    assert "reconnect to allow insights" in only.detail
    assert _due(db, post) == ["24h", "30d", "7d"]  # reconnecting with the scope resumes it


def test_a_rate_limit_waits_for_the_reset_without_recording(db, workspace, platforms, sandbox):
    account = platforms("x")
    channel = channel_for(db, workspace[0], account)
    post = publish(db, channel, account, "rate limited lookup")
    account.fault("lookup", "429", reset_in=600)
    now = post.published_at + timedelta(hours=2)
    assert collect_due_metrics(now) == 0
    assert _series(db, post) == []
    due = db.scalar(sa.select(MetricDue.due_at).where(MetricDue.post_id == post.id,
                                                      MetricDue.stage == "1h"))
    assert due > datetime.now(UTC) + timedelta(minutes=5)


@pytest.mark.parametrize("platform, figures", [
    ("threads", {"views", "likes", "replies", "reposts", "quotes", "shares"}),
    ("facebook", {"views", "reach", "reactions", "clicks"}),
    ("instagram", {"views", "reach", "likes", "comments", "saved", "shares"}),
    ("tiktok", {"views", "likes", "comments", "shares"}),
    ("linkedin", {"impressions", "reactions", "clicks", "shares", "comments"}),
])
def test_the_other_platforms_grow_too(db, workspace, sandbox, platforms, social, platform,
                                      figures):
    from tests.analytics.world import adopt, on_fake

    extra = {"organization": True} if platform == "linkedin" else {}
    account = platforms("threads") if platform == "threads" else social(platform, **extra)
    if platform == "tiktok":
        sandbox.state.account("tiktok", account.settings["account_id"])["scopes"] += ",video.list"
    channel = channel_for(db, workspace[0], account)
    if platform in ("instagram", "tiktok"):
        result = on_fake(sandbox, platform, account.settings["account_id"])
        post = adopt(db, channel, result, f"on {platform}")
    elif platform == "threads":
        post = publish(db, channel, account, "on threads")
    else:
        result, _rec = account.run(f"measured on {platform}")
        post = adopt(db, channel, result, f"on {platform}")
    start = post.published_at
    assert collect_due_metrics(start + timedelta(hours=1, minutes=1)) == 1
    assert collect_due_metrics(start + timedelta(hours=24, minutes=1)) == 1
    first, second = _series(db, post)
    assert (first.status, second.status) == ("ok", "ok"), (first.detail, second.detail)
    assert set(first.metrics) == figures
    assert sum(second.metrics.values()) > sum(first.metrics.values())


def test_tiktok_without_video_list_says_reconnect(db, workspace, sandbox, social):
    from tests.analytics.world import adopt, on_fake

    account = social("tiktok")
    channel = channel_for(db, workspace[0], account)
    post = adopt(db, channel, on_fake(sandbox, "tiktok", account.settings["account_id"]), "t")
    assert collect_due_metrics(post.published_at + timedelta(hours=2)) == 1
    (only,) = _series(db, post)
    assert only.status == "needs_scope" and only.detail == "reconnect to allow insights"


def test_a_linkedin_member_is_not_available_for_want_of_a_partner_grant(db, workspace, social):
    """LinkedIn gives personal-profile figures to approved partners only: no reconnect helps,
    so the post says so once, without a call, and its collection stops."""
    from app.platforms.linkedin.metrics import PARTNERS_ONLY
    from tests.analytics.world import adopt

    account = social("linkedin")
    channel = channel_for(db, workspace[0], account)
    result, _rec = account.run("a member's post")
    post = adopt(db, channel, result, "member")
    before = len(account.requests())
    assert collect_due_metrics(post.published_at + timedelta(hours=2)) == 1
    (only,) = _series(db, post)
    assert (only.status, only.metrics, only.detail) == ("not_available", {}, PARTNERS_ONLY)
    assert "approved partners" in only.detail and "reconnect" not in only.detail
    assert len(account.requests()) == before  # no call that cannot succeed
    assert _due(db, post) == []  # nor any later one


def test_the_linkedin_fake_refuses_a_members_figures_without_the_partner_scope(sandbox, social):
    """The fake follows the Social Metadata API's permissions: a member's own posts need
    r_member_social even with r_organization_social."""
    import httpx

    from app.platforms.linkedin.api import rest_headers
    from app.platforms.linkedin.metrics import _list

    organization = social("linkedin", organization=True)
    org_post, _rec = organization.run("the page's post")
    member_post, _rec = social("linkedin").run("a member's post")

    def metadata(*posts):
        return httpx.get(f"{organization.sandbox.url}/linkedin/rest/socialMetadata?ids="
                         f"{_list([p.provider_post_id for p in posts])}",
                         headers=rest_headers(organization.credentials["access_token"]))

    assert metadata(org_post).status_code == 200
    refused = metadata(org_post, member_post)
    assert refused.status_code == 403 and refused.json()["code"] == "ACCESS_DENIED"


def test_the_linkedin_fake_refuses_each_organization_read_without_its_scope(sandbox, social):
    """An organization's social metadata needs r_organization_social, its share statistics
    r_organization_admin (or rw_organization_admin): a token granted OpenPost's organization
    scopes reads both, one without either scope is refused that endpoint with 403."""
    from urllib.parse import quote

    import httpx

    from app.platforms.linkedin.api import rest_headers
    from app.platforms.linkedin.metrics import _list

    account = social("linkedin", organization=True)
    post, _rec = account.run("the page's post")
    token = account.credentials["access_token"]
    granted = sandbox.state.bucket("linkedin", "scopes")
    author = quote(account.settings["author_urn"], safe="")
    ids = _list([post.provider_post_id])

    def read(path):
        return httpx.get(f"{account.sandbox.url}/linkedin/rest/{path}",
                         headers=rest_headers(token))

    def metadata():
        return read(f"socialMetadata?ids={ids}")

    def statistics():
        return read("organizationalEntityShareStatistics?q=organizationalEntity"
                    f"&organizationalEntity={author}&shares={ids}")

    assert metadata().status_code == 200 and statistics().status_code == 200
    full = granted[token]
    granted[token] = ",".join(s for s in full.split(",") if s != "r_organization_social")
    assert metadata().status_code == 403 and statistics().status_code == 200
    granted[token] = ",".join(s for s in full.split(",") if s != "r_organization_admin")
    assert metadata().status_code == 200 and statistics().status_code == 403


def test_a_post_that_keeps_failing_is_marked_unreachable_and_stops(db, workspace, platforms):
    account = platforms("mastodon")
    channel = channel_for(db, workspace[0], account)
    post = publish(db, channel, account, "the instance is down")
    account.fault("statuses", "5xx", count=10)
    now = post.published_at + timedelta(hours=1, minutes=1)
    for _attempt in range(5):
        assert collect_due_metrics(now) == 0
        due = db.scalars(sa.select(MetricDue).where(MetricDue.post_id == post.id,
                                                    MetricDue.stage == "1h")).first()
        now = due.due_at + timedelta(seconds=1) if due else now
    (only,) = _series(db, post)
    assert only.status == "unreachable" and "5 failed attempts" in only.detail
    assert _due(db, post) == []  # collection stopped


def test_the_heatmap_counts_hours_in_the_channels_time_zone(db, workspace, platforms):
    from app.analytics import reads

    account = platforms("mastodon")
    channel = channel_for(db, workspace[0], account, timezone="Asia/Tokyo")
    # 23:30 UTC on a Sunday is 08:30 on Monday in Tokyo.
    when = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    post = publish(db, channel, account, "morning in Tokyo", published_at=when)
    collect_due_metrics(when + timedelta(hours=2))
    items = reads.published(db, workspace[0], reads.parse_filters(
        {"from": "2026-03-01", "to": "2026-03-03"}))
    assert [i.id for i in items] == [post.id]
    assert items[0].local.date().isoformat() == "2026-03-02"
    assert list(reads.heatmap(items)["grid"]) == [(0, 8)]  # Monday, 08:00


def test_the_app_budget_stops_calls_and_the_rest_waits_for_the_next_window(
        db, workspace, sandbox, social, monkeypatch):
    """TikTok counts /v2/video/query/ per app, all its users together: many channels share the
    app's budget; past it, the rest waits for the next window, nothing failed."""
    from app.analytics.collectors import app_key
    from app.ops import ratelimit
    from app.ops.ratelimit import Limit
    from app.platforms.tiktok.metrics import MetricsCollector
    from tests.analytics.world import adopt, on_fake

    monkeypatch.setattr(MetricsCollector, "app_rate", Limit(3, 60))
    key = app_key("tiktok")

    def next_window():  # what the end of the app's window does to its counter
        db.execute(sa.text("DELETE FROM rate_limits WHERE key = :k"), {"k": key})
        db.commit()
        ratelimit._held.pop(key, None)

    next_window()  # earlier tests' collection spent from the app's budget
    made, accounts = [], []
    for i in range(5):
        account = social("tiktok")
        sandbox.state.account("tiktok", account.settings["account_id"])["scopes"] += ",video.list"
        channel = channel_for(db, workspace[0], account)
        made.append(adopt(db, channel, on_fake(sandbox, "tiktok", account.settings["account_id"]),
                          f"video {i}"))
        accounts.append(account)

    def queries():  # the sandbox lists every TikTok request, whichever account made it
        return len(accounts[0].requests("video_query"))

    lookups = queries()
    now = max(p.published_at for p in made) + timedelta(hours=1, minutes=1)

    assert collect_due_metrics(now) == 3
    assert queries() - lookups == 3  # the calls stop at the budget
    waiting = [p for p in made if not _series(db, p)]
    assert len(waiting) == 2
    rows = list(db.scalars(sa.select(MetricDue).where(
        MetricDue.post_id.in_([p.id for p in waiting]), MetricDue.stage == "1h")))
    assert len(rows) == 2 and all(r.attempts == 0 for r in rows)  # not failed
    assert all(r.due_at > now for r in rows)  # moved to the window's end
    assert collect_due_metrics(now) == 0  # still the same window: no call
    assert queries() - lookups == 3

    next_window()
    assert collect_due_metrics(max(r.due_at for r in rows) + timedelta(seconds=1)) == 2
    assert queries() - lookups == 5
    assert {m.status for p in made for m in _series(db, p)} == {"ok"}


def test_x_channels_are_not_held_to_a_shared_app_budget(db, workspace, platforms):
    """X counts GET /2/tweets per user when the call carries the user's token (OpenPost's
    case): one channel's measurements never wait for other channels' calls."""
    made = []
    for i in range(3):
        account = platforms("x")
        made.append(publish(db, channel_for(db, workspace[0], account), account, f"x {i}"))
    assert collect_due_metrics(max(p.published_at for p in made) + timedelta(hours=1,
                                                                             minutes=1)) == 3
    # Only each channel's own budget was counted, none shared by the app's channels.
    assert db.scalar(sa.text("SELECT count(*) FROM rate_limits "
                             "WHERE key LIKE 'metrics-app:x:%'")) == 0


def test_the_x_fake_reports_the_lookups_per_user_window(db, workspace, platforms):
    """GET /2/tweets with a user token answers with its own per-user limit (5,000 per 15 min),
    not posting's 100."""
    import httpx

    account = platforms("x")
    post = publish(db, channel_for(db, workspace[0], account), account, "looked up")
    answer = httpx.get(f"{account.sandbox.url}/x/2/tweets",
                       params={"ids": post.provider_post_id, "tweet.fields": "public_metrics"},
                       headers={"Authorization": f"Bearer {account.credentials['access_token']}"})
    assert answer.status_code == 200
    assert answer.headers["x-rate-limit-limit"] == "5000"
    assert int(answer.headers["x-rate-limit-remaining"]) < 5000


def test_mastodon_reads_twenty_statuses_a_call_and_still_marks_a_deleted_one(
        db, workspace, platforms, sandbox):
    account = platforms("mastodon")
    channel = channel_for(db, workspace[0], account)
    made = [publish(db, channel, account, f"toot {i}") for i in range(23)]
    with sandbox.app.app_context():
        growth.retire("mastodon", made[4].provider_post_id)
    batches, singles = len(account.requests("statuses")), len(account.requests("status"))
    assert collect_due_metrics(max(p.published_at for p in made) + timedelta(hours=2)) == 23
    assert len(account.requests("statuses")) - batches == 2  # 20 + 3 ids
    # The status left out of its batch is looked up alone: 404, so it is gone.
    assert len(account.requests("status")) - singles == 1
    assert _series(db, made[4])[0].status == "deleted" and _due(db, made[4]) == []
    assert all(_series(db, p)[0].status == "ok" and _series(db, p)[0].metrics["likes"] >= 0
               for p in made if p is not made[4])


def test_the_mastodon_fake_answers_several_statuses_as_documented(db, workspace, platforms):
    """An array of Status (Mastodon OpenAPI) without the unknown ids; more than 20 ids: 422."""
    import httpx

    from tests.sandbox.specs import openapi_errors

    account = platforms("mastodon")
    post = publish(db, channel_for(db, workspace[0], account), account, "one of several")
    base = account.settings["instance_url"]
    auth = {"Authorization": f"Bearer {account.credentials['access_token']}"}
    answer = httpx.get(f"{base}/api/v1/statuses", headers=auth,
                       params=[("id[]", post.provider_post_id), ("id[]", "1")])
    assert answer.status_code == 200
    assert [s["id"] for s in answer.json()] == [post.provider_post_id]
    too_many = httpx.get(f"{base}/api/v1/statuses", headers=auth,
                         params=[("id[]", str(i)) for i in range(21)])
    assert too_many.status_code == 422
    assert openapi_errors("mastodon-openapi.json", "/components/schemas/Status",
                          answer.json()[0]) == []


def test_an_instance_before_4_3_is_read_one_status_a_call(db, workspace, platforms, sandbox,
                                                          monkeypatch, request):
    import httpx

    from app.platforms.mastodon import metrics

    monkeypatch.setattr(metrics, "_old", {})
    account = platforms("mastodon")
    channel = channel_for(db, workspace[0], account)
    made = [publish(db, channel, account, f"toot {i}") for i in range(3)]
    with sandbox.app.app_context():
        growth.retire("mastodon", made[0].provider_post_id)
    def version(number: str) -> None:
        httpx.post(f"{sandbox.url}/_control/settings",
                   json={"platform": "mastodon", "version": number}).raise_for_status()

    version("4.2.0")  # no GET /api/v1/statuses route yet
    request.addfinalizer(lambda: version("4.5.0"))
    batches, singles = len(account.requests("statuses")), len(account.requests("status"))
    start = max(p.published_at for p in made)
    assert collect_due_metrics(start + timedelta(hours=1, minutes=1)) == 3
    assert len(account.requests("statuses")) - batches == 1
    assert len(account.requests("status")) - singles == 3
    assert [_series(db, p)[0].status for p in made] == ["deleted", "ok", "ok"]
    # Remembered: the next measurements go one status a call straight away.
    assert collect_due_metrics(start + timedelta(hours=24, minutes=1)) == 2
    assert len(account.requests("statuses")) - batches == 1
    assert len(account.requests("status")) - singles == 5


def test_a_linkedin_organization_batch_spends_its_two_calls_of_the_app_budget(
        db, workspace, social, monkeypatch):
    from app.analytics.collectors import app_key
    from app.ops import ratelimit
    from app.ops.ratelimit import Limit
    from app.platforms.linkedin.metrics import MetricsCollector
    from tests.analytics.world import adopt

    monkeypatch.setattr(MetricsCollector, "app_rate", Limit(10, 3600))
    key = app_key("linkedin")
    db.execute(sa.text("DELETE FROM rate_limits WHERE key = :k"), {"k": key})
    db.commit()
    ratelimit._held.pop(key, None)
    account = social("linkedin", organization=True)
    channel = channel_for(db, workspace[0], account)
    posts = [adopt(db, channel, account.run(f"page post {i}")[0], f"page post {i}")
             for i in range(3)]
    calls = len(account.requests())
    assert collect_due_metrics(max(p.published_at for p in posts) + timedelta(hours=2)) == 3
    assert len(account.requests()) - calls == 2  # metadata and statistics, for all three
    assert db.scalar(sa.text("SELECT sum(count) FROM rate_limits WHERE key = :k"),
                     {"k": key}) == 2


def test_the_instagram_fake_takes_only_the_metrics_of_the_medias_product_type(sandbox, social):
    """Meta's media insights: likes, comments and saved are FEED/REELS metrics, replies a STORY
    one, and impressions is gone; a metric the media does not take is refused with (#100)."""
    import httpx

    from app.platforms import graph
    from tests.analytics.world import on_fake

    account = social("instagram")
    uid = account.settings["account_id"]
    feed = on_fake(sandbox, "instagram", uid, media_type="IMAGE").provider_post_id
    story = on_fake(sandbox, "instagram", uid, media_type="STORIES").provider_post_id

    def insights(media: str, metrics: str) -> httpx.Response:
        return httpx.get(f"{sandbox.url}/instagram/{graph.VERSION}/{media}/insights",
                         params={"metric": metrics,
                                 "access_token": account.credentials["access_token"]})

    assert insights(feed, "reach,views,likes,comments,saved,shares").status_code == 200
    assert insights(story, "reach,views,replies,shares").status_code == 200
    for media, metric in ((feed, "replies"), (story, "likes"), (story, "saved"),
                          (feed, "impressions")):
        refused = insights(media, metric)
        assert refused.status_code == 400, (media, metric)
        assert refused.json()["error"]["code"] == 100
        assert metric in refused.json()["error"]["message"] or metric == "impressions"


def test_a_facebook_permission_the_person_declined_is_refused_the_platforms_way(
        db, workspace, sandbox, social):
    """Facebook Login lets the person decline any permission asked for, and the Page token
    lacks it: without read_insights the post's figures ask for a reconnect (not a failure),
    without pages_manage_posts the Page refuses a post with Graph's (#200)."""
    import httpx

    from app.platforms import graph
    from tests.analytics.world import adopt

    account = social("facebook")
    result, _rec = account.run("measured before the permission went")
    channel = channel_for(db, workspace[0], account)
    post = adopt(db, channel, result, "on facebook")
    token_value = account.credentials["access_token"]
    token = sandbox.state.token("facebook", token_value)
    token.scopes = frozenset({"pages_show_list", "pages_read_engagement", "pages_manage_posts"})
    assert collect_due_metrics(post.published_at + timedelta(hours=1, minutes=1)) == 1
    (only,) = _series(db, post)
    assert only.status == "needs_scope" and "reconnect to allow insights" in only.detail
    token.scopes = frozenset({"pages_show_list", "pages_read_engagement", "read_insights"})
    refused = httpx.post(f"{sandbox.url}/facebook/{graph.VERSION}/{account.settings['page_id']}"
                         "/feed", data={"message": "no permission", "access_token": token_value})
    assert refused.status_code == 403
    assert "pages_manage_posts" in refused.json()["error"]["message"]


def test_the_pages_one_linkedin_member_connected_share_the_members_daily_budget(
        db, workspace, sandbox, social, monkeypatch):
    """LinkedIn counts a member's daily calls over every call made with their token: two
    organization pages connected by one member spend one budget; past it, the second page's
    figures wait for the next day instead of failing."""
    from app.channels import service as channels
    from app.ops.ratelimit import Limit
    from app.platforms.linkedin.fake_orgs import grant
    from app.platforms.linkedin.metrics import MetricsCollector
    from tests.analytics.world import adopt

    monkeypatch.setattr(MetricsCollector, "rate", Limit(2, 86_400))  # one page's batch: 2 calls
    account = social("linkedin", organization=True)
    with sandbox.app.app_context():
        member = sandbox.state.account("linkedin", account.settings["account_id"])
        second_urn = grant(member, "Second Co")
    first = channel_for(db, workspace[0], account)
    second = channels.connect(db, workspace[0], "test", platform="linkedin", handle="Second Co",
                              credentials=dict(account.credentials),
                              settings={**account.settings, "author_urn": second_urn})
    result, _rec = account.run("the first page's post")
    posts = [adopt(db, first, result, "first page")]
    account.settings["author_urn"] = second_urn
    result, _rec = account.run("the second page's post")
    posts.append(adopt(db, second, result, "second page"))

    now = max(p.published_at for p in posts) + timedelta(hours=1, minutes=1)
    assert collect_due_metrics(now) == 1
    measured = [p for p in posts if _series(db, p)]
    [waiting] = [p for p in posts if not _series(db, p)]
    assert [m.status for m in _series(db, measured[0])] == ["ok"]
    row = db.scalar(sa.select(MetricDue).where(MetricDue.post_id == waiting.id,
                                               MetricDue.stage == "1h"))
    assert row.attempts == 0 and row.due_at > now + timedelta(hours=1)  # not failed: tomorrow
