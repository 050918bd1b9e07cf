"""The composer: previews counted on the server, several channels, threads, inline errors."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.posts.models import Post


def _posts(db, workspace_id) -> list[Post]:
    db.expire_all()
    return list(db.scalars(sa.select(Post).where(Post.workspace_id == workspace_id)
                           .order_by(Post.created_at)))


def _counter(html: str, channel_id) -> list[str]:
    block = re.search(rf'<article class="preview[^"]*" id="preview-{channel_id}">.*?</article>', html, re.S)
    assert block, f"no preview for {channel_id}"
    return [" ".join(c.split()) for c in re.findall(r'<p class="counter"[^>]*>(.*?)</p>',
                                                    block.group(0), re.S)]


def test_preview_counts_by_each_platforms_own_rules(signed_in, make_channel):
    x = make_channel(signed_in.workspace_id, platform="x")
    masto = make_channel(signed_in.workspace_id, max_characters=1000,
                         instance_url="https://m.example")
    linkedin = make_channel(signed_in.workspace_id, platform="linkedin")
    text = "👍🏽 " * 10 + "a" * 260  # a skin-toned emoji is one grapheme, but weighs 2 on X
    html = signed_in.post("/compose/preview", {"channel_id": [x.id, masto.id, linkedin.id],
                                               "part": text}).get_data(as_text=True)
    assert _counter(html, masto.id) == ["280 / 1000 <span>— fits</span>"]
    # 290 weighted on X: one post over the limit, never a thread nobody asked for; the split
    # is offered with its parts shown
    assert _counter(html, x.id) == ["290 / 280 <strong>— 10 over the limit</strong>"]
    assert "Split into a thread of 2 for X" in html and "Proposed thread: 2 parts" in html
    long = signed_in.post("/compose/preview", {"channel_id": linkedin.id,
                                               "part": "b" * 3005}).get_data(as_text=True)
    assert _counter(long, linkedin.id) == ["3005 / 3000 <strong>— 5 over the limit</strong>"]
    assert "LinkedIn has no threads" in long and "thread of" not in long


def test_preview_uses_the_channel_override_and_each_thread_part(signed_in, make_channel):
    bsky = make_channel(signed_in.workspace_id, platform="bluesky")
    x = make_channel(signed_in.workspace_id, platform="x")
    html = signed_in.post("/compose/preview", {
        "channel_id": [bsky.id, x.id], "part": ["first", "second part"],
        f"override-{x.id}": "just for x"}).get_data(as_text=True)
    assert _counter(html, bsky.id) == ["Part 1: 5 / 300 <span>— fits</span>",
                                       "Part 2: 11 / 300 <span>— fits</span>"]
    assert _counter(html, x.id) == ["10 / 280 <span>— fits</span>"]


def test_one_text_for_two_channels_makes_two_posts_in_one_group(signed_in, db, make_channel):
    a = make_channel(signed_in.workspace_id)
    b = make_channel(signed_in.workspace_id, platform="bluesky")
    day = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%d")
    answer = signed_in.post("/compose", {"channel_id": [a.id, b.id], "part": "  launch day  ",
                                         "schedule_at": f"{day}T09:30", "timezone": "Europe/Paris",
                                         "action": "schedule"}, htmx=False)
    assert answer.status_code == 302
    posts = _posts(db, signed_in.workspace_id)
    assert {p.channel_id for p in posts} == {a.id, b.id}
    assert len({p.group_id for p in posts}) == 1
    assert all(p.state == "scheduled" and p.text == "launch day" for p in posts)
    assert all(p.timezone == "Europe/Paris" for p in posts)
    assert {p.schedule_at.astimezone(UTC).strftime("%H:%M") for p in posts} <= {"07:30", "08:30"}
    assert "Scheduled: 2 posts" in signed_in.get("/").get_data(as_text=True)


def test_thread_and_override_and_draft(signed_in, db, make_channel):
    a, b = make_channel(signed_in.workspace_id), make_channel(signed_in.workspace_id)
    answer = signed_in.post("/compose", {"channel_id": [a.id, b.id], "part": ["one", "two"],
                                         f"override-{b.id}": "short version",
                                         "action": "draft"}, htmx=False)
    assert answer.status_code == 302
    by_channel = {p.channel_id: p for p in _posts(db, signed_in.workspace_id)}
    assert by_channel[a.id].parts == [{"text": "one", "media_ids": []},
                                      {"text": "two", "media_ids": []}]
    assert by_channel[b.id].text == "short version" and by_channel[b.id].parts is None
    assert {p.state for p in by_channel.values()} == {"draft"}


def test_publish_now_schedules_at_the_database_clock(signed_in, db, make_channel):
    channel = make_channel(signed_in.workspace_id)
    signed_in.post("/compose", {"channel_id": channel.id, "part": "now!", "action": "now"},
                   htmx=False)
    (post,) = _posts(db, signed_in.workspace_id)
    assert post.state == "scheduled"
    assert abs(post.schedule_at - datetime.now(UTC)) < timedelta(minutes=1)


def _refused(signed_in, db, data, field_id, message):
    answer = signed_in.post("/compose", data, htmx=False)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422, html[:500]
    error = re.search(rf'<p id="{field_id}-error" class="field-error"[^>]*>(.*?)</p>', html, re.S)
    assert error and message in error.group(1)
    assert 'aria-describedby="' + field_id + '-error"' in html
    assert _posts(db, signed_in.workspace_id) == []


def test_errors_appear_next_to_their_field_and_nothing_is_created(signed_in, db, make_channel):
    make_channel(signed_in.workspace_id, platform="x")  # a channel not chosen changes nothing
    ok = make_channel(signed_in.workspace_id)
    _refused(signed_in, db, {"part": "hi", "action": "draft"}, "channel_id",
             "choose at least one channel")
    _refused(signed_in, db, {"channel_id": ok.id, "part": "hi", "action": "schedule",
                             "schedule_at": "2001-01-01T10:00", "timezone": "UTC"},
             "schedule_at", "in the past")
    _refused(signed_in, db, {"channel_id": ok.id, "part": "hi", "action": "schedule",
                             "schedule_at": "2031-01-01T10:00", "timezone": "Mars/Base"},
             "timezone", "unknown timezone")
    linkedin = make_channel(signed_in.workspace_id, platform="linkedin")
    _refused(signed_in, db, {"channel_id": [ok.id, linkedin.id], "part": ["fine", "y" * 3001],
                             "action": "now"}, "parts-1-text", "3001 characters; the limit is 500")
    _refused(signed_in, db, {"channel_id": [ok.id, linkedin.id], "part": "fine",
                             f"override-{linkedin.id}": "z" * 3100, "action": "now"},
             f"override-{linkedin.id}", "limit is 3000")
    _refused(signed_in, db, {"channel_id": ok.id, "part": ["one", "  "], "action": "draft"},
             "parts-1-text", "part 2 is empty")


def test_a_disconnected_channel_cannot_be_scheduled(signed_in, db, make_channel):
    from app.channels.service import mark_disconnected

    channel = make_channel(signed_in.workspace_id)
    mark_disconnected(db, channel, "token revoked")
    db.commit()
    _refused(signed_in, db, {"channel_id": channel.id, "part": "hi", "action": "now"},
             "channel_id", "is disconnected")


def test_another_workspaces_channel_is_refused(signed_in, db, make_user, make_channel):
    make_channel(signed_in.workspace_id)
    theirs = make_channel(make_user().memberships[0].workspace_id)
    _refused(signed_in, db, {"channel_id": theirs.id, "part": "hi", "action": "draft"},
             "channel_id", "no such channel")


def test_thread_editor_adds_moves_and_removes_parts(signed_in, make_channel):
    channel = make_channel(signed_in.workspace_id)
    def parts(op, current):
        html = signed_in.post("/compose/editor", {"channel_id": channel.id, "part": current,
                                                  "op": op}).get_data(as_text=True)
        assert html.lstrip().startswith('<form id="composer"')
        return re.findall(r'<textarea id="part-text-\d+" name="part"[^>]*>(.*?)</textarea>', html, re.S)
    assert parts("add", ["a"]) == ["a", ""]
    assert parts("up-2", ["a", "b", "c"]) == ["a", "c", "b"]
    assert parts("down-0", ["a", "b", "c"]) == ["b", "a", "c"]
    assert parts("remove-1", ["a", "b", "c"]) == ["a", "c"]
    assert parts("remove-0", ["a"]) == [""]
    refused = signed_in.post("/compose/editor", {"part": ["a"], "op": "remove-7"})
    assert refused.status_code == 422 and "there is no part 8" in refused.get_data(as_text=True)


def test_an_over_limit_override_is_refused_until_the_user_splits_it(signed_in, db, make_channel):
    x = make_channel(signed_in.workspace_id, platform="x")
    linkedin = make_channel(signed_in.workspace_id, platform="linkedin")
    day = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%d")
    form = {"channel_id": [x.id, linkedin.id], "part": "shared words",
            f"override-{x.id}": "word " * 80, "schedule_at": f"{day}T09:30", "timezone": "UTC"}
    refused = signed_in.post("/compose", {**form, "action": "schedule"}, htmx=False)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and _posts(db, signed_in.workspace_id) == []
    assert "X counts the text as 399 characters; the limit is 280 (split it into a thread or " \
           "shorten it)" in html
    split = signed_in.post("/compose/split", {**form, "split": str(x.id)}).get_data(as_text=True)
    assert len(re.findall(rf'name="override-{x.id}"', split)) == 2  # the X text, now 2 parts
    parts = re.findall(rf'name="override-{x.id}" rows="3"[^>]*>([^<]*)</textarea>', split)
    answer = signed_in.post("/compose", {**form, f"override-{x.id}": parts, "action": "schedule"},
                            htmx=False)
    assert answer.status_code == 302
    made = {p.channel_id: p for p in _posts(db, signed_in.workspace_id)}
    assert len(made[x.id].parts) == 2 and made[x.id].options == {"auto_thread": False}
    assert made[linkedin.id].text == "shared words"


def test_linkedin_over_its_limit_is_told_to_shorten_never_to_thread(signed_in, db, make_channel):
    linkedin = make_channel(signed_in.workspace_id, platform="linkedin")
    refused = signed_in.post("/compose", {"channel_id": linkedin.id, "part": "b" * 3005,
                                          "action": "now"}, htmx=False)
    html = refused.get_data(as_text=True)
    error = re.search(r'id="parts-0-text-error"[^>]*>([^<]*)<', html).group(1)
    assert error == "LinkedIn counts the text as 3005 characters; the limit is 3000 (shorten it)"
    split = signed_in.post("/compose/split", {"channel_id": linkedin.id, "part": "b" * 3005,
                                              "split": str(linkedin.id)})
    assert split.status_code == 422
