"""The composer's autosave to a server-side draft: the first save makes the drafts, later ones
update them through the locked edit, a scheduled post is never touched, a channel unticked after
autosave loses only the draft autosave made for it, and bad input changes nothing."""

from __future__ import annotations

import sqlalchemy as sa

from app.posts.models import Post


def _posts(db, workspace_id) -> list[Post]:
    db.expire_all()
    return list(db.scalars(sa.select(Post).where(Post.workspace_id == workspace_id)
                           .order_by(Post.created_at, Post.id)))


def test_autosave_makes_a_draft_per_channel_then_updates_it(signed_in, db, make_channel):
    one = make_channel(signed_in.workspace_id)
    two = make_channel(signed_in.workspace_id)
    first = signed_in.post("/compose/autosave", {"channel_id": [one.id, two.id],
                                                 "part": "first words", "timezone": "UTC"})
    assert first.status_code == 200
    saved = first.get_json()
    made = _posts(db, signed_in.workspace_id)
    assert [(p.state, p.text) for p in made] == [("draft", "first words")] * 2
    assert saved["url"] == f"/compose/{saved['post_id']}"
    assert saved["autosave"] == f"/compose/{saved['post_id']}/autosave"

    # later: new words for both, and channel two unticked: its autosaved draft goes
    again = signed_in.post(saved["autosave"], {
        "post_id": saved["post_id"], "version": saved["version"], "channel_id": [one.id],
        "autosaved_channel": [one.id, two.id], "part": "more words", "timezone": "UTC"})
    assert again.status_code == 200 and again.get_json()["version"] > saved["version"]
    left = _posts(db, signed_in.workspace_id)
    assert [(p.channel_id, p.state, p.text) for p in left] == [(one.id, "draft", "more words")]
    assert str(left[0].id) == saved["post_id"]


def test_a_stale_version_or_empty_text_is_refused_and_changes_nothing(signed_in, db,
                                                                      make_channel, make_post):
    channel = make_channel(signed_in.workspace_id)
    post = make_post(channel, "draft", text="kept words")
    stale = signed_in.post(f"/compose/{post.id}/autosave", {
        "post_id": post.id, "version": post.version - 1, "channel_id": channel.id,
        "part": "lost words", "timezone": "UTC"})
    assert stale.status_code == 409 and "error" in stale.get_json()
    empty = signed_in.post("/compose/autosave", {"channel_id": channel.id, "part": "",
                                                 "timezone": "UTC"})
    assert empty.status_code == 422 and empty.get_json()["error"]
    assert [(p.state, p.text) for p in _posts(db, signed_in.workspace_id)] == \
        [("draft", "kept words")]


def test_a_scheduled_post_is_not_autosaved(signed_in, db, make_channel, make_post):
    channel = make_channel(signed_in.workspace_id)
    post = make_post(channel, "scheduled", text="going out")
    answer = signed_in.post(f"/compose/{post.id}/autosave", {
        "post_id": post.id, "version": post.version, "channel_id": channel.id,
        "part": "half typed", "timezone": "UTC"})
    assert answer.status_code == 409
    assert "kept in this browser" in answer.get_json()["error"]
    after = _posts(db, signed_in.workspace_id)
    assert [(p.state, p.text, p.version) for p in after] == [("scheduled", "going out",
                                                              post.version)]
    page = signed_in.get(f"/compose/{post.id}").get_data(as_text=True)
    assert 'data-draft-url=""' in page and "kept in this browser only" in page


def test_scheduling_after_autosave_schedules_each_channels_draft_without_copies(
        signed_in, db, make_channel):
    one = make_channel(signed_in.workspace_id)
    two = make_channel(signed_in.workspace_id)
    form = {"channel_id": [one.id, two.id], "part": "both channels", "timezone": "UTC"}
    saved = signed_in.post("/compose/autosave", form).get_json()
    answer = signed_in.post(saved["url"], {
        **form, "post_id": saved["post_id"], "version": saved["version"],
        "autosaved_channel": [one.id, two.id], "schedule_at": "2031-05-04T10:00",
        "action": "schedule"}, htmx=False)
    assert answer.status_code == 302
    posts = _posts(db, signed_in.workspace_id)
    assert sorted((str(p.channel_id), p.state) for p in posts) == \
        sorted([(str(one.id), "scheduled"), (str(two.id), "scheduled")])
