"""The Posts list for planning: ordered by scheduled time, text search, bulk actions."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from app.posts.models import Post


def _order(html: str, posts) -> list:
    """The posts in the order the page lists them."""
    found = [(html.index(f'id="post-{p.id}"'), p) for p in posts if f'id="post-{p.id}"' in html]
    return [p for _, p in sorted(found, key=lambda pair: pair[0])]


def test_list_is_ordered_by_scheduled_time_with_timeless_drafts_last(signed_in, make_channel,
                                                                      make_post):
    channel = make_channel(signed_in.workspace_id)
    now = datetime.now(UTC)
    # Created in an order unlike their times.
    middle = make_post(channel, text="middle", when=now + timedelta(days=5))
    soon = make_post(channel, text="soon", when=now + timedelta(days=1))
    late = make_post(channel, text="late", when=now + timedelta(days=9))
    draft = make_post(channel, "draft", text="no time yet")
    posts = [middle, soon, late, draft]
    html = signed_in.get("/").get_data(as_text=True)
    assert _order(html, posts) == [soon, middle, late, draft]
    assert "Scheduled time, earliest first" in html
    latest = signed_in.get("/?sort=-time").get_data(as_text=True)
    assert _order(latest, posts) == [late, middle, soon, draft]
    assert "Newest created first" in latest  # the order the list had before


def test_time_order_pages_through_every_post_once(signed_in, make_channel, make_post,
                                                  monkeypatch):
    from app.posts import views

    monkeypatch.setattr(views, "LIST_LIMIT", 2)
    channel = make_channel(signed_in.workspace_id)
    now = datetime.now(UTC)
    made = [make_post(channel, text=f"timed {i}", when=now + timedelta(days=i + 1))
            for i in range(3)] + [make_post(channel, "draft", text=f"draft {i}") for i in range(2)]
    seen, url = [], "/?sort=time"
    for _ in range(5):
        html = signed_in.get(url).get_data(as_text=True)
        seen += _order(html, made)
        more = re.search(r'<a href="([^"]+)" hx-get="[^"]+" hx-target="#post-list"', html)
        if not more:
            break
        url = more.group(1).replace("&amp;", "&")
    assert [p.id for p in seen[:3]] == [p.id for p in made[:3]]
    assert sorted(p.id for p in seen[3:]) == sorted(p.id for p in made[3:])
    assert signed_in.get("/?sort=time&after=2026-01-01T00:00:00%2B00:00|nope").status_code == 422


def test_search_finds_text_and_thread_parts_in_any_case(signed_in, db, make_channel, make_post):
    from app.posts import service

    channel = make_channel(signed_in.workspace_id)
    make_post(channel, text="Launch day for the Harbour café")
    make_post(channel, text="Something else entirely")
    make_post(channel, text="100% sure, no wildcards")
    service.create_post(db, channel.workspace_id, "test", channel_id=channel.id,
                        parts=[{"text": "first part"}, {"text": "the harbour at night"}])

    def found(query):
        html = signed_in.get(f"/?q={query}").get_data(as_text=True)
        return {t for t in ("Harbour café", "Something else", "100% sure", "first part")
                if t in html}
    assert found("harbour") == {"Harbour café", "first part"}
    assert found("HARBOUR") == {"Harbour café", "first part"}
    assert found("100%25") == {"100% sure"}  # a % is a character, not a wildcard
    assert found("_") == set()


def test_a_search_without_results_says_so_and_offers_the_whole_list(signed_in, make_channel,
                                                                    make_post):
    make_post(make_channel(signed_in.workspace_id), text="hello")
    html = signed_in.get("/?q=zebra").get_data(as_text=True)
    assert "No posts contain “zebra”" in html and 'href="/">Show all posts' in html


def test_bad_sort_and_search_are_refused_with_the_reason(signed_in):
    answer = signed_in.get("/?sort=random")
    assert answer.status_code == 422 and "sort must be one of" in answer.get_data(as_text=True)
    long = signed_in.get("/?q=" + "a" * 201)
    assert long.status_code == 422
    assert "the search is longer than 200 characters" in long.get_data(as_text=True)


def _bulk(signed_in, action, posts, confirmed=False, htmx=False):
    data = {"action": action, "post_id": [str(p.id) for p in posts], "back": "/?state=failed"}
    if confirmed:
        data["confirmed"] = "1"
    return signed_in.post("/posts/bulk", data, htmx=htmx)


def test_bulk_cancel_confirms_the_count_and_names_what_it_skips(signed_in, db, make_channel,
                                                               make_post):
    channel = make_channel(signed_in.workspace_id)
    scheduled, failed = make_post(channel), make_post(channel, "failed")
    published = make_post(channel, "published", text="already out")
    answer = _bulk(signed_in, "cancel", [scheduled, failed, published])
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Cancel 2 posts?" in html
    skipped = re.search(rf'<li id="skip-{published.id}">.*?</li>', html, re.S).group(0)
    assert "a published post cannot be canceled" in skipped
    confirm = html.split('id="bulk-confirm"')[1]
    assert f'id="ready-{published.id}"' not in confirm and f'id="ready-{failed.id}"' in confirm
    # Nothing changed until confirmed.
    assert {db.get(Post, p.id).state for p in (scheduled, failed)} == {"scheduled", "failed"}


def test_bulk_actions_report_each_posts_result(signed_in, db, make_channel, make_post):
    channel = make_channel(signed_in.workspace_id)
    scheduled, failed = make_post(channel), make_post(channel, "failed")
    published, draft = make_post(channel, "published"), make_post(channel, "draft")
    answer = _bulk(signed_in, "cancel", [scheduled, failed, published, draft], confirmed=True)
    html = answer.get_data(as_text=True)
    assert "Cancel: 3 of 4 done" in html
    refused = re.search(rf'<li id="result-{published.id}".*?</li>', html, re.S).group(0)
    assert "not changed" in refused and "a published post cannot be canceled" in refused
    db.expire_all()
    assert [db.get(Post, p.id).state for p in (scheduled, failed, published, draft)] == \
        ["canceled", "canceled", "published", "canceled"]
    assert 'href="/?state=failed"' in html  # back to the list it came from


def test_bulk_unschedule_retry_and_delete_follow_the_lifecycle(signed_in, db, make_channel,
                                                               make_post):
    channel = make_channel(signed_in.workspace_id)
    scheduled, failed, draft = (make_post(channel), make_post(channel, "failed"),
                                make_post(channel, "draft"))
    html = _bulk(signed_in, "unschedule", [scheduled, failed], confirmed=True).get_data(
        as_text=True)
    assert "Unschedule to draft: 1 of 2 done" in html
    assert "only a scheduled post can go back to draft; this one is failed" in html
    html = _bulk(signed_in, "retry", [failed, draft], confirmed=True).get_data(as_text=True)
    assert "Retry: 1 of 2 done" in html and "only a failed post can be retried" in html
    db.expire_all()
    assert db.get(Post, failed.id).state == "scheduled"
    html = _bulk(signed_in, "delete", [scheduled, draft, failed], confirmed=True).get_data(
        as_text=True)
    assert "Delete: 2 of 3 done" in html
    assert "a scheduled post is kept for the record; cancel it first" in html
    db.expire_all()
    assert db.get(Post, scheduled.id) is None and db.get(Post, draft.id) is None
    assert db.get(Post, failed.id).state == "scheduled"


def test_bulk_refuses_bad_input_and_other_workspaces_posts(signed_in, db, make_user,
                                                           make_channel, make_post):
    mine = make_post(make_channel(signed_in.workspace_id))
    theirs = make_post(make_channel(make_user().memberships[0].workspace_id))
    answer = _bulk(signed_in, "cancel", [mine, theirs], confirmed=True)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "1 of the chosen posts are not in this workspace" in page
    assert str(theirs.id) not in page  # another workspace's id is never echoed back
    db.expire_all()
    assert db.get(Post, mine.id).state == "scheduled" and db.get(Post, theirs.id).state == "scheduled"
    assert _bulk(signed_in, "explode", [mine]).status_code == 422
    assert signed_in.post("/posts/bulk", {"action": "cancel"}, htmx=False).status_code == 422
    none = signed_in.post("/posts/bulk", {"action": "cancel"}, htmx=False).get_data(as_text=True)
    assert "choose at least one post" in none
    assert signed_in.post("/posts/bulk", {"action": "cancel", "post_id": str(mine.id)},
                          htmx=False, csrf=False).status_code in (400, 403)


def test_bulk_back_link_stays_on_this_sites_list(signed_in, make_channel, make_post):
    post = make_post(make_channel(signed_in.workspace_id))
    html = signed_in.post("/posts/bulk", {"action": "cancel", "post_id": str(post.id),
                                          "back": "https://evil.example/"},
                          htmx=False).get_data(as_text=True)
    assert "evil.example" not in html and 'href="/"' in html


def test_bulk_move_by_days_keeps_each_state_and_skips_what_cannot_move(signed_in, db,
                                                                       make_channel, make_post):
    from app.posts import service

    channel = make_channel(signed_in.workspace_id)
    now = datetime.now(UTC).replace(microsecond=0)
    scheduled = make_post(channel, when=now + timedelta(days=1))
    timed_draft = service.create_post(db, channel.workspace_id, "test", channel_id=channel.id,
                                      text="draft with a time")
    service.update_post(db, channel.workspace_id, timed_draft.id, "test",
                        schedule_at=now + timedelta(days=3))
    timeless, published = make_post(channel, "draft"), make_post(channel, "published")
    chosen = [scheduled, timed_draft, timeless, published]
    data = {"action": "shift", "days": "2", "post_id": [str(p.id) for p in chosen]}
    html = signed_in.post("/posts/bulk", data, htmx=False).get_data(as_text=True)
    assert "Move 2 posts 2 days later?" in html
    assert "it has no time to move from" in html
    assert "a published post can no longer be moved" in html
    html = signed_in.post("/posts/bulk", {**data, "confirmed": "1"}, htmx=False).get_data(
        as_text=True)
    assert "Move 2 days later: 2 of 4 done" in html
    db.expire_all()
    moved = db.get(Post, scheduled.id)
    assert moved.state == "scheduled" and moved.schedule_at == now + timedelta(days=3)
    draft = db.get(Post, timed_draft.id)
    assert draft.state == "draft" and draft.schedule_at == now + timedelta(days=5)
    back = signed_in.post("/posts/bulk", {**data, "days": "-10", "confirmed": "1"},
                          htmx=False).get_data(as_text=True)
    assert "Move 10 days earlier: 0 of 4 done" in back and "in the past" in back
    for bad in ("0", "400", "two"):
        answer = signed_in.post("/posts/bulk", {**data, "days": bad}, htmx=False)
        assert answer.status_code == 422
    db.expire_all()
    assert db.get(Post, scheduled.id).schedule_at == now + timedelta(days=3)


def test_a_post_that_started_publishing_after_the_confirmation_is_left_alone(
        signed_in, db, make_channel, make_post):
    from app.posts.lifecycle import transition

    channel = make_channel(signed_in.workspace_id)
    one, two = make_post(channel, text="first"), make_post(channel, text="second")
    assert "Cancel 2 posts?" in _bulk(signed_in, "cancel", [one, two]).get_data(as_text=True)
    claimed = db.get(Post, two.id)
    transition(db, claimed, "publishing", actor="worker:host-1")  # the worker was quicker
    db.commit()
    html = _bulk(signed_in, "cancel", [one, two], confirmed=True).get_data(as_text=True)
    assert "Cancel: 1 of 2 done" in html
    assert "a publishing post cannot be canceled" in html
    db.expire_all()
    assert db.get(Post, one.id).state == "canceled" and db.get(Post, two.id).state == "publishing"


def test_a_post_whose_time_was_cleared_after_the_check_is_left_alone_with_the_reason(
        signed_in, db, make_channel, monkeypatch):
    import sqlalchemy as sa

    from app.posts import bulk, service

    channel = make_channel(signed_in.workspace_id)
    draft = service.create_post(db, channel.workspace_id, "test", channel_id=channel.id,
                                text="draft with a time")
    service.update_post(db, channel.workspace_id, draft.id, "test",
                        schedule_at=datetime.now(UTC) + timedelta(days=3))
    checked = bulk.applies

    def then_cleared(action: str, state: str, timed: bool = True) -> bool:
        ok = checked(action, state, timed)
        # Someone else takes the draft's time away between the check and the move.
        db.execute(sa.update(Post).where(Post.id == draft.id).values(schedule_at=None))
        return ok

    monkeypatch.setattr(bulk, "applies", then_cleared)
    html = signed_in.post("/posts/bulk", {"action": "shift", "days": "2", "confirmed": "1",
                                          "post_id": str(draft.id)},
                          htmx=False).get_data(as_text=True)
    assert "Move 2 days later: 0 of 1 done" in html
    assert "this post no longer has a time to move" in html
    db.expire_all()
    assert db.get(Post, draft.id).state == "draft"
