"""The figures as the API, the post page, the Analytics page and the CSV show them: what a
platform does not give is "not available" / null, never 0; each figure says when it was
measured; bad filters are refused naming the field."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.analytics.service import collect_due_metrics
from tests.analytics.world import channel_for, publish


def _measured(db, workspace_id, platforms, platform="mastodon", text="how did it do"):
    account = platforms(platform)
    channel = channel_for(db, workspace_id, account)
    post = publish(db, channel, account, text)
    assert collect_due_metrics(post.published_at + timedelta(hours=1, minutes=5)) == 1
    return channel, post


def test_post_metrics_api_says_null_for_what_the_platform_does_not_give(api, db, platforms):
    channel, post = _measured(db, api.workspace_id, platforms)
    body = api.get(f"/posts/{post.id}/metrics").get_json()
    assert body["status"] == "ok" and body["platform"] == "mastodon"
    assert body["metrics"]["impressions"] is None  # Mastodon gives none: not 0
    assert "impressions" in body["not_available"]
    assert body["metrics"]["likes"] > 0 and body["measured_at"]
    assert [s["stage"] for s in body["series"]] == ["1h"]
    assert body["next_measurement_at"]


def test_analytics_api_per_channel_per_day(api, db, platforms):
    channel, post = _measured(db, api.workspace_id, platforms)
    day = post.published_at.astimezone(UTC).date().isoformat()
    body = api.get(f"/analytics?from={day}&to={day}").get_json()
    (row,) = body["data"]
    assert (row["channel_id"], row["date"], row["posts"], row["measured"]) == (
        str(channel.id), day, 1, 1)
    assert "impressions" not in row["metrics"] and row["metrics"]["likes"] > 0
    assert row["engagement"] == sum(row["metrics"].values())


def test_analytics_api_refuses_bad_filters_naming_them(api):
    response = api.get("/analytics?from=yesterday")
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "from"
    response = api.get("/analytics?days=12")
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "days"
    assert api.get("/analytics?from=2026-03-02&to=2026-03-01").status_code == 422


def test_another_workspace_cannot_read_the_figures(api, db, platforms, make_user, make_api_key,
                                                   client):
    _channel, post = _measured(db, api.workspace_id, platforms)
    other = make_user().memberships[0].workspace_id
    response = client.get(f"/api/v1/posts/{post.id}/metrics", headers=make_api_key(other))
    assert response.status_code == 404


def test_openapi_documents_both(api):
    paths = api.get("/openapi.json").get_json()["paths"]
    assert "/posts/{id}/metrics" in paths and "/analytics" in paths


def test_post_page_shows_figures_with_their_time_and_not_available(signed_in, db, platforms):
    _channel, post = _measured(db, signed_in.workspace_id, platforms, "x")
    page = signed_in.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "Figures" in page and "Measured" in page and "<svg" in page
    assert 'data-metric="impressions"' in page
    _channel, toot = _measured(db, signed_in.workspace_id, platforms, "mastodon", "a toot")
    page = signed_in.get(f"/posts/{toot.id}").get_data(as_text=True)
    impressions = page.split('data-metric="impressions">', 1)[1].split("</dd>", 1)[0]
    assert "not available" in impressions and "0" not in impressions
    assert "Measurements as a table" in page


def test_analytics_page_and_csv(signed_in, db, platforms):
    channel, post = _measured(db, signed_in.workspace_id, platforms)
    page = signed_in.get("/analytics?days=7").get_data(as_text=True)
    assert "Top posts" in page and "how did it do" in page and "Engagement by weekday" in page
    assert "Heatmap as a table" in page
    day = post.published_at.astimezone(UTC).date().isoformat()
    from app.channels.models import Channel

    db.execute(sa.update(Channel).where(Channel.id == channel.id)
               .values(handle="=HYPERLINK(1)"))  # a spreadsheet must not run it
    db.commit()
    response = signed_in.get(f"/analytics.csv?channel_id={channel.id}&from={day}&to={day}")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 1 and rows[0]["post_id"] == str(post.id)
    assert rows[0]["impressions"] == "" and int(rows[0]["likes"]) > 0  # empty, not 0
    assert rows[0]["handle"] == "'=HYPERLINK(1)"
    assert signed_in.get("/analytics?from=nope").status_code == 400


def test_missing_scope_shows_reconnect_on_the_analytics_page(signed_in, db, sandbox):
    import httpx

    made = httpx.post(f"{sandbox.url}/_control/accounts",
                      json={"platform": "mastodon", "scopes": "write:statuses"}).json()
    account = type("A", (), {"name": "mastodon", "handle": made["username"],
                             "credentials": {"access_token": made["access_token"]},
                             "settings": {"instance_url": f"{sandbox.url}/mastodon",
                                          "account_id": made["account_id"]}})()
    channel = channel_for(db, signed_in.workspace_id, account)
    post = publish(db, channel, account, "no insights")
    collect_due_metrics(datetime.now(UTC) + timedelta(hours=2))
    assert "reconnect to allow insights" in signed_in.get("/analytics").get_data(as_text=True)
    assert "reconnect to allow insights" in signed_in.get(f"/posts/{post.id}").get_data(
        as_text=True)
    row = signed_in.get("/channels").get_data(as_text=True).split(f'id="channel-{channel.id}"')[1]
    assert "reconnect to allow insights" in row.split("</tr>")[0]
    # Reconnected (the channel row changes): the notice waits for the next measurement.
    from app.channels.models import Channel

    db.execute(sa.update(Channel).where(Channel.id == channel.id).values(
        updated_at=datetime.now(UTC) + timedelta(hours=3)))
    db.commit()
    assert "reconnect to allow insights" not in signed_in.get("/analytics").get_data(as_text=True)


def _linkedin_member_post(db, workspace_id, social):
    from tests.analytics.world import adopt

    account = social("linkedin")
    channel = channel_for(db, workspace_id, account)
    result, _rec = account.run("a member's post")
    return channel, adopt(db, channel, result, "a member's post")


def test_a_linkedin_member_posts_metrics_say_partners_only_in_the_api(api, db, social):
    from app.platforms.linkedin.metrics import PARTNERS_ONLY

    _channel, post = _linkedin_member_post(db, api.workspace_id, social)
    for _when in ("before the first measurement", "after it"):
        body = api.get(f"/posts/{post.id}/metrics").get_json()
        assert (body["status"], body["detail"]) == ("not_available", PARTNERS_ONLY)
        assert "reconnect" not in body["detail"]
        assert set(body["metrics"].values()) == {None}  # not available, never 0
        assert body["next_measurement_at"] is None  # no call will be made
        collect_due_metrics(post.published_at + timedelta(hours=2))
    assert [s["status"] for s in body["series"]] == ["not_available"]


def test_a_linkedin_member_says_partners_only_on_every_page(signed_in, db, social):
    channel, post = _linkedin_member_post(db, signed_in.workspace_id, social)
    collect_due_metrics(post.published_at + timedelta(hours=2))
    said = "LinkedIn gives figures for personal-profile posts to approved partners only"
    row = signed_in.get("/channels").get_data(as_text=True).split(
        f'id="channel-{channel.id}"')[1].split("</tr>")[0]
    analytics = signed_in.get("/analytics").get_data(as_text=True)
    figures = signed_in.get(f"/posts/{post.id}").get_data(as_text=True).split(
        'id="post-metrics"')[1].split("</section>")[0]
    for page in (row, analytics, figures):
        assert said in page and "(organization pages are measured)" in page
        assert "reconnect to allow insights" not in page and ">Reconnect<" not in page
    assert "not available" in figures
    day = post.published_at.astimezone(UTC).date().isoformat()
    rows = list(csv.DictReader(io.StringIO(signed_in.get(
        f"/analytics.csv?channel_id={channel.id}&from={day}&to={day}").get_data(as_text=True))))
    assert [(r["status"], r["likes"], r["reactions"]) for r in rows] == [
        ("not_available", "", "")]


def test_trends_compare_with_the_range_before(db, workspace, platforms):
    from app.analytics import reads

    account = platforms("mastodon")
    channel = channel_for(db, workspace[0], account)
    now = datetime.now(UTC)
    old = publish(db, channel, account, "ten days ago", published_at=now - timedelta(days=10))
    new = publish(db, channel, account, "two days ago", published_at=now - timedelta(days=2))
    collect_due_metrics(now)  # both measured once (their +1 h stage)
    trend = reads.trend(db, workspace[0], reads.parse_filters({"days": "7"}))
    current, previous = trend["current"], trend["previous"]
    assert (current["posts"], previous["posts"]) == (1, 1)
    assert trend["engagement_change_pct"] == round(
        100 * (current["engagement"] - previous["engagement"]) / previous["engagement"])
    assert {old.id, new.id} == {p.id for p in reads.published(
        db, workspace[0], reads.parse_filters({"days": "30"}))}


def test_the_workspace_export_carries_the_figures(db, workspace, platforms):
    import json
    import zipfile

    from app.exports import service as exports

    account = platforms("mastodon")
    channel = channel_for(db, workspace[0], account)
    post = publish(db, channel, account, "exported with its figures")
    collect_due_metrics(post.published_at + timedelta(hours=2))
    out = io.BytesIO()
    manifest = exports.write_export(db, workspace[0], out, actor="test")
    assert manifest["counts"]["post_metrics"] == 1
    (row,) = json.loads(zipfile.ZipFile(out).read("post_metrics.json"))
    assert row["post_id"] == str(post.id) and "impressions" not in row["metrics"]
