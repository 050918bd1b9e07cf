"""Live badges: one poll per page names the live posts it shows and hears back only changes."""

from __future__ import annotations

import re

from app.posts.lifecycle import transition
from app.posts.models import Post


def _keys(html: str) -> list[str]:
    return re.findall(r'class="live-key" name="live" value="([^"]+)"', html)


def _polls(html: str) -> list[str]:
    """Polling elements, but for the header's bell and the operator alarm (each its own)."""
    return [tag for tag in re.findall(r'<[^>]*hx-trigger="every [^"]*"[^>]*>', html)
            if 'id="bell"' not in tag and 'id="ops-alarm"' not in tag]


def _advance(db, post_id, *states, live_url=None) -> None:
    post = db.get(Post, post_id)
    for state in states:
        transition(db, post, state, actor="worker")
    if live_url:
        post.live_url = live_url
    db.commit()


def test_the_list_polls_once_for_all_its_live_rows(signed_in, make_channel, make_post):
    channel = make_channel(signed_in.workspace_id)
    live = [make_post(channel, text=f"soon {i}") for i in range(3)]
    done = make_post(channel, "published", text="out")
    html = signed_in.get("/").get_data(as_text=True)
    polls = _polls(html)
    assert len(polls) == 1 and 'id="live-poll"' in polls[0]
    assert sorted(_keys(html)) == sorted(f"{p.id}.{p.version}" for p in live)
    assert str(done.id) not in " ".join(_keys(html))


def test_a_page_with_nothing_live_does_not_poll(signed_in, make_channel, make_post):
    channel = make_channel(signed_in.workspace_id)
    post = make_post(channel, "published")
    for path in ("/", f"/posts/{post.id}"):
        assert _polls(signed_in.get(path).get_data(as_text=True)) == []


def test_a_post_page_polls_once_for_its_badge(signed_in, make_channel, make_post):
    post = make_post(make_channel(signed_in.workspace_id))
    html = signed_in.get(f"/posts/{post.id}").get_data(as_text=True)
    assert len(_polls(html)) == 1 and _keys(html) == [f"{post.id}.{post.version}"]


def test_the_answer_holds_only_the_badges_that_changed(signed_in, db, make_channel, make_post):
    channel = make_channel(signed_in.workspace_id)
    moving, still = make_post(channel, text="moving"), make_post(channel, text="still")
    keys = _keys(signed_in.get("/").get_data(as_text=True))
    quiet = signed_in.post("/posts/live", {"live": keys})
    assert quiet.status_code == 204 and quiet.get_data() == b""
    _advance(db, moving.id, "publishing")
    answer = signed_in.post("/posts/live", {"live": keys})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert f'id="status-{moving.id}"' in html and 'data-state="publishing"' in html
    assert 'hx-swap-oob="true"' in html
    assert f"status-{still.id}" not in html
    assert _keys(html) == [f"{moving.id}.{db.get(Post, moving.id).version}"]


def test_the_poll_ends_when_nothing_it_shows_is_live(signed_in, db, make_channel, make_post):
    channel = make_channel(signed_in.workspace_id)
    post = make_post(channel)
    keys = _keys(signed_in.get("/").get_data(as_text=True))
    _advance(db, post.id, "publishing", "published", live_url="https://m.example/@me/7")
    answer = signed_in.post("/posts/live", {"live": keys})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 286  # htmx stops polling on 286, after swapping the badge
    assert 'data-state="published"' in html and "https://m.example/@me/7" in html
    assert _keys(html) == []
    assert signed_in.post("/posts/live", {}).status_code == 286


def test_a_retried_post_wakes_the_poll(signed_in, make_channel, make_post):
    post = make_post(make_channel(signed_in.workspace_id), "failed")
    assert _polls(signed_in.get("/").get_data(as_text=True)) == []
    html = signed_in.post(f"/posts/{post.id}/retry").get_data(as_text=True)
    polls = _polls(html)
    assert len(polls) == 1 and 'id="live-poll"' in polls[0] and "hx-swap-oob" in polls[0]
    assert _keys(html) == [f"{post.id}.{post.version + 1}"]


def test_bad_keys_are_refused_by_name(signed_in, make_channel, make_post):
    answer = signed_in.post("/posts/live", {"live": ["not-a-post.1"]})
    assert answer.status_code == 422 and "live must be" in answer.get_data(as_text=True)


def test_another_workspaces_posts_are_never_answered(signed_in, db, make_channel, make_post,
                                                     make_user):
    theirs = make_post(make_channel(make_user().memberships[0].workspace_id))
    _advance(db, theirs.id, "publishing")
    answer = signed_in.post("/posts/live", {"live": [f"{theirs.id}.1"]})
    assert answer.status_code == 286 and str(theirs.id) not in answer.get_data(as_text=True)
