"""The post list: filters, live state badges, live URLs, failures with Retry and Cancel."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from app.posts.lifecycle import transition
from app.posts.models import Post


def _status_cell(html: str, post_id) -> str:
    match = re.search(rf'<div id="status-{post_id}".*?</div>', html, re.S)
    assert match, f"no status cell for {post_id}"
    return match.group(0)


def test_list_shows_each_state_and_polls_only_live_ones(signed_in, make_channel, make_post):
    channel = make_channel(signed_in.workspace_id)
    scheduled, failed = make_post(channel, text="soon"), make_post(channel, "failed", text="broke")
    published = make_post(channel, "published", text="out")
    html = signed_in.get("/").get_data(as_text=True)
    assert 'class="live-key"' in _status_cell(html, scheduled.id)
    done = _status_cell(html, published.id)
    assert "live-key" not in done and published.live_url in done and "published" in done
    broken = _status_cell(html, failed.id)
    assert "live-key" not in broken
    assert "the platform said no" in broken and "platform_error" in broken
    assert f"/posts/{failed.id}/retry" in broken and f"/posts/{failed.id}/cancel" in broken


def test_status_poll_follows_the_post_and_stops_at_a_terminal_state(signed_in, db, make_channel,
                                                                     make_post):
    post = make_post(make_channel(signed_in.workspace_id))
    url = f"/posts/{post.id}/status"
    first = signed_in.get(url, htmx=True)
    assert first.status_code == 200 and "live-key" in first.get_data(as_text=True)
    assert "HX-Request" in first.headers["Vary"]
    post = db.get(Post, post.id)  # the request ended the session the post was loaded in
    transition(db, post, "publishing", actor="worker")
    db.commit()
    assert "publishing" in signed_in.get(url, htmx=True).get_data(as_text=True)
    post = db.get(Post, post.id)
    transition(db, post, "published", actor="worker")
    post.live_url = "https://m.example/@me/1"
    db.commit()
    final = _status_cell(signed_in.get(url, htmx=True).get_data(as_text=True), post.id)
    assert "published" in final and "https://m.example/@me/1" in final
    assert "live-key" not in final


def test_filters_by_state_channel_and_dates(signed_in, make_channel, make_post):
    one, two = make_channel(signed_in.workspace_id), make_channel(signed_in.workspace_id)
    now = datetime.now(UTC)
    early = make_post(one, text="early-post", when=now + timedelta(days=2))
    late = make_post(two, text="late-post", when=now + timedelta(days=20))
    failed = make_post(one, "failed", text="failed-post", when=now + timedelta(days=3))
    def texts(query):
        html = signed_in.get(f"/?{query}").get_data(as_text=True)
        return {t for t in ("early-post", "late-post", "failed-post") if t in html}
    assert texts("state=failed") == {"failed-post"}
    assert texts(f"channel={two.id}") == {"late-post"}
    day = (now + timedelta(days=10)).date().isoformat()
    assert texts(f"from={day}") == {"late-post"}
    assert texts(f"to={day}") == {"early-post", "failed-post"}
    assert early and late and failed


def test_bad_filters_are_refused_with_the_reason(signed_in):
    answer = signed_in.get("/?state=lost")
    assert answer.status_code == 422 and "state must be one of" in answer.get_data(as_text=True)
    assert signed_in.get("/?from=yesterday").status_code == 422
    assert signed_in.get("/?channel=nope").status_code == 422


def test_retry_puts_a_failed_post_back_on_schedule(signed_in, db, make_channel, make_post):
    post = make_post(make_channel(signed_in.workspace_id), "failed")
    answer = signed_in.post(f"/posts/{post.id}/retry")
    assert answer.status_code == 200
    cell = _status_cell(answer.get_data(as_text=True), post.id)
    assert "scheduled" in cell and "live-key" in cell
    db.expire_all()
    assert db.get(Post, post.id).state == "scheduled" and db.get(Post, post.id).error_code is None


def test_cancel_a_failed_post(signed_in, db, make_channel, make_post):
    post = make_post(make_channel(signed_in.workspace_id), "failed")
    answer = signed_in.post(f"/posts/{post.id}/cancel")
    assert "canceled" in _status_cell(answer.get_data(as_text=True), post.id)
    db.expire_all()
    assert db.get(Post, post.id).state == "canceled"


def test_retrying_a_published_post_is_refused_in_place(signed_in, db, make_channel, make_post):
    post = make_post(make_channel(signed_in.workspace_id), "published")
    answer = signed_in.post(f"/posts/{post.id}/retry")
    assert answer.status_code == 409
    assert "only a failed post can be retried" in answer.get_data(as_text=True)
    db.expire_all()
    assert db.get(Post, post.id).state == "published"


def test_actions_need_the_csrf_token(signed_in, db, make_channel, make_post):
    post = make_post(make_channel(signed_in.workspace_id), "failed")
    assert signed_in.post(f"/posts/{post.id}/retry", csrf=False).status_code == 400
    db.expire_all()
    assert db.get(Post, post.id).state == "failed"


def test_another_workspaces_post_is_not_found(signed_in, db, make_user, make_channel, make_post):
    other = make_user().memberships[0].workspace_id
    theirs = make_post(make_channel(other), "failed")
    for path in (f"/posts/{theirs.id}", f"/posts/{theirs.id}/status"):
        assert signed_in.get(path).status_code == 404
    for action in ("retry", "cancel", "unschedule", "reschedule"):
        assert signed_in.post(f"/posts/{theirs.id}/{action}").status_code == 404
    db.expire_all()
    assert db.get(Post, theirs.id).state == "failed"
    assert signed_in.get(f"/posts/{uuid.uuid4()}").status_code == 404


def test_htmx_answers_refresh_the_bell_out_of_band(signed_in, make_channel, make_post):
    post = make_post(make_channel(signed_in.workspace_id), "failed")
    html = signed_in.get(f"/posts/{post.id}/status", htmx=True).get_data(as_text=True)
    bell = re.search(r'<a id="bell".*?</a>', html, re.S).group(0)
    assert 'hx-swap-oob="true"' in bell and "1 unread" in bell


def test_post_page_reschedules_in_the_chosen_timezone(signed_in, db, make_channel, make_post):
    post = make_post(make_channel(signed_in.workspace_id))
    target = (datetime.now(UTC) + timedelta(days=5)).strftime("%Y-%m-%dT09:15")
    answer = signed_in.post(f"/posts/{post.id}/reschedule", htmx=False,
                            data={"schedule_at": target, "timezone": "Asia/Tokyo"})
    assert answer.status_code == 302
    db.expire_all()
    moved = db.get(Post, post.id).schedule_at.astimezone(UTC)
    assert moved.strftime("%H:%M") == "00:15"  # 09:15 in Tokyo


def test_post_page_shows_a_past_time_next_to_the_field(signed_in, db, make_channel, make_post):
    post = make_post(make_channel(signed_in.workspace_id))
    before = post.schedule_at
    answer = signed_in.post(f"/posts/{post.id}/reschedule", htmx=False,
                            data={"schedule_at": "2001-01-01T10:00", "timezone": "UTC"})
    assert answer.status_code == 422
    assert 'id="schedule_at-error"' in answer.get_data(as_text=True)
    db.expire_all()
    assert db.get(Post, post.id).schedule_at == before


def test_a_long_list_pages_on_with_the_filters_kept(signed_in, make_channel, make_post,
                                                    monkeypatch):
    from app.posts import views

    monkeypatch.setattr(views, "LIST_LIMIT", 3)
    channel = make_channel(signed_in.workspace_id)
    made = [make_post(channel, text=f"numbered {i}") for i in range(5)]
    make_post(channel, "failed", text="not scheduled")
    first = signed_in.get("/?state=scheduled").get_data(as_text=True)
    older = re.search(r'<a href="([^"]+)" hx-get="[^"]+" hx-target="#post-list"', first).group(1)
    assert "state=scheduled" in older
    second = signed_in.get(older.replace("&amp;", "&")).get_data(as_text=True)
    seen = {p.id for p in made if f"post-{p.id}" in first} | {p.id for p in made
                                                               if f"post-{p.id}" in second}
    assert seen == {p.id for p in made} and "not scheduled" not in first + second
    assert "Newest posts" in second and "Older posts" not in second
    assert signed_in.get("/?after=garbage").status_code == 422


def test_post_page_shows_each_published_parts_link(signed_in, db, make_channel, make_post):
    from app.posts import service

    channel = make_channel(signed_in.workspace_id)
    post = service.create_post(db, signed_in.workspace_id, "test", channel_id=channel.id,
                               parts=[{"text": "one"}, {"text": "two"}])
    post = db.get(Post, post.id)
    post.results = [{"index": 0, "live_url": "https://m.example/@me/1"},
                    {"index": 1, "live_url": "https://m.example/@me/2"}]
    db.commit()
    html = signed_in.get(f"/posts/{post.id}").get_data(as_text=True)
    assert 'href="https://m.example/@me/2" rel="noopener" target="_blank">Part 2 live' in html
    assert "draft" in html and 'aria-current="page">Posts' in html
