"""Editing a saved post in the composer: every field, draft and schedule kept apart, refusals
that say what happened and change nothing, and the API's PATCH doing the same edits."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.posts.models import Post


def _day(days: int = 3) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%d")


def _fresh(db, post_id) -> Post:
    db.expire_all()
    return db.get(Post, post_id)


def _form(post, **fields) -> dict:
    return {"post_id": post.id, "version": post.version, "channel_id": post.channel_id,
            "part": post.text, "timezone": post.timezone, **fields}


def test_the_post_page_opens_the_post_in_the_composer(signed_in, make_channel, make_post):
    channel = make_channel(signed_in.workspace_id, timezone="America/New_York")
    post = make_post(channel, "scheduled", text="launch day")
    page = signed_in.get(f"/posts/{post.id}").get_data(as_text=True)
    assert f'href="/compose/{post.id}"' in page and "Edit post" in page
    editor = signed_in.get(f"/compose/{post.id}").get_data(as_text=True)
    assert "Edit post" in editor and ">launch day</textarea>" in editor
    assert re.search(rf'id="ch-{channel.id}"[^>]*checked', editor)
    assert f'name="version" value="{post.version}"' in editor
    assert "Save changes" in editor and 'value="draft"' not in editor


def test_editing_a_scheduled_post_changes_text_time_and_zone_and_keeps_it_scheduled(
        signed_in, db, make_channel, make_post):
    channel = make_channel(signed_in.workspace_id)
    post = make_post(channel, "scheduled", text="old words")
    answer = signed_in.post(f"/compose/{post.id}", _form(
        post, part="new words", schedule_at=f"{_day(5)}T08:15", timezone="Asia/Tokyo",
        action="save"), htmx=False)
    assert answer.status_code == 302 and answer.location.endswith(f"/posts/{post.id}")
    saved = _fresh(db, post.id)
    assert (saved.state, saved.text, saved.timezone) == ("scheduled", "new words", "Asia/Tokyo")
    assert saved.schedule_at.astimezone(UTC).hour == 23  # 08:15 in Tokyo is 23:15 UTC
    assert "Saved: the post is scheduled" in signed_in.get(f"/posts/{post.id}").get_data(
        as_text=True)


def test_saving_a_draft_keeps_it_a_draft_until_schedule_is_chosen(signed_in, db, make_channel,
                                                                  make_post):
    channel = make_channel(signed_in.workspace_id)
    post = make_post(channel, "draft", text="a draft")
    when = f"{_day()}T10:00"
    signed_in.post(f"/compose/{post.id}", _form(post, schedule_at=when, action="save"),
                   htmx=False)
    saved = _fresh(db, post.id)
    assert saved.state == "draft" and saved.schedule_at is not None
    signed_in.post(f"/compose/{post.id}", _form(saved, schedule_at=when, action="schedule"),
                   htmx=False)
    assert _fresh(db, post.id).state == "scheduled"


def test_the_post_pages_save_time_on_a_draft_does_not_schedule_it(signed_in, db, make_channel,
                                                                  make_post):
    post = make_post(make_channel(signed_in.workspace_id), "draft")
    page = signed_in.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "Save time (stays a draft)" in page and "Schedule at this time" in page
    signed_in.post(f"/posts/{post.id}/reschedule", {"schedule_at": f"{_day()}T09:00",
                                                    "timezone": "Europe/Berlin",
                                                    "action": "save"}, htmx=False)
    saved = _fresh(db, post.id)
    assert (saved.state, saved.timezone) == ("draft", "Europe/Berlin") and saved.schedule_at
    signed_in.post(f"/posts/{post.id}/reschedule", {"schedule_at": f"{_day()}T09:00",
                                                    "action": "schedule"}, htmx=False)
    assert _fresh(db, post.id).state == "scheduled"


def test_moving_a_post_to_another_channel_and_adding_one_makes_a_group(signed_in, db,
                                                                        make_channel, make_post):
    old = make_channel(signed_in.workspace_id)
    new = make_channel(signed_in.workspace_id, platform="bluesky")
    extra = make_channel(signed_in.workspace_id, platform="x")
    post = make_post(old, "scheduled", text="shared words")
    answer = signed_in.post(f"/compose/{post.id}", _form(
        post, channel_id=[new.id, extra.id], schedule_at=f"{_day()}T12:00",
        **{f"override-{extra.id}": "only on x"}, action="save"), htmx=False)
    assert answer.status_code == 302
    saved = _fresh(db, post.id)
    assert saved.channel_id == new.id and saved.text == "shared words"
    group = db.scalars(sa.select(Post).where(Post.group_id == saved.group_id)).all()
    assert {(p.channel_id, p.text, p.state) for p in group} == {
        (new.id, "shared words", "scheduled"), (extra.id, "only on x", "scheduled")}


def test_while_editing_a_thread_is_offered_and_made_only_on_request(
        signed_in, db, make_channel, make_post):
    channel = make_channel(signed_in.workspace_id, platform="x")
    post = make_post(channel, "draft", text="short")
    long = "word " * 70  # 349 characters: over X's 280
    preview = signed_in.post("/compose/preview", _form(post, part=long)).get_data(as_text=True)
    assert "349 / 280" in preview and "Split into a thread of 2 for X" in preview
    split = signed_in.post("/compose/split", _form(post, part=long, split=str(channel.id)))
    html = split.get_data(as_text=True)
    assert split.status_code == 200 and "Thread (2 parts)" in html
    assert f'name="post_id" value="{post.id}"' in html  # still editing this post
    parts = re.findall(r'name="part" rows="4"[^>]*>([^<]*)</textarea>', html)
    signed_in.post(f"/compose/{post.id}", _form(post, part=parts, action="save"), htmx=False)
    saved = _fresh(db, post.id)
    assert saved.text is None and [len(p["text"]) for p in saved.parts] == [len(p) for p in parts]


def test_an_edit_of_a_post_that_started_publishing_is_refused_and_says_so(
        signed_in, db, make_channel, make_post):
    post = make_post(make_channel(signed_in.workspace_id), "publishing", text="as it was")
    answer = signed_in.post(f"/compose/{post.id}", _form(
        post, version=post.version - 1, part="too late", schedule_at=f"{_day()}T09:00",
        action="save"), htmx=False)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 409
    assert "this post started publishing; your edit was not saved" in html
    assert ">too late</textarea>" in html  # the words are still there to copy
    assert "can no longer be edited" in html and 'value="save"' not in html
    assert _fresh(db, post.id).text == "as it was"


def test_an_edit_made_on_an_older_reading_is_refused(signed_in, db, make_channel, make_post):
    post = make_post(make_channel(signed_in.workspace_id), "scheduled", text="first")
    opened = post.version
    signed_in.post(f"/compose/{post.id}", _form(post, part="second", action="save",
                                                schedule_at=f"{_day()}T09:00"), htmx=False)
    answer = signed_in.post(f"/compose/{post.id}", _form(
        post, version=opened, part="third", schedule_at=f"{_day()}T09:00", action="save"),
        htmx=False)
    assert answer.status_code == 409 and "changed since you opened it" in answer.get_data(
        as_text=True)
    assert _fresh(db, post.id).text == "second"


def test_a_validation_error_names_the_field_in_words_and_changes_nothing(
        signed_in, db, make_channel, make_post):
    post = make_post(make_channel(signed_in.workspace_id), "scheduled", text="kept")
    past = (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    answer = signed_in.post(f"/compose/{post.id}", _form(post, part="changed", schedule_at=past,
                                                         action="save"), htmx=False)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "the date and time is in the past" in html
    assert "schedule_at is" not in html
    assert _fresh(db, post.id).text == "kept"


def test_two_channels_show_the_per_channel_text_as_soon_as_they_are_ticked(signed_in,
                                                                          make_channel):
    a = make_channel(signed_in.workspace_id, timezone="America/New_York")
    b = make_channel(signed_in.workspace_id, platform="bluesky", timezone="Europe/Berlin")
    one = signed_in.post("/compose/choices", {"channel_id": [a.id], "part": "hi"})
    assert "Different text for each channel" not in one.get_data(as_text=True)
    two = signed_in.post("/compose/choices", {"channel_id": [a.id, b.id], "part": "hi"})
    html = two.get_data(as_text=True)
    assert '<div id="variants" hx-swap-oob="true">' in html
    assert f'name="override-{a.id}"' in html and f'name="override-{b.id}"' in html
    # the time in each channel's own zone, side by side
    preview = signed_in.post("/compose/preview", {
        "channel_id": [a.id, b.id], "part": "hi",
        "schedule_at": f"{datetime.now(UTC).year + 1}-07-01T12:00",
        "timezone": "UTC"}).get_data(as_text=True)
    rows = re.findall(r'<tr data-channel="[^"]+"><td>[^<]+</td><td>([^<]+)</td>\s*<td>([^<]+)</td>',
                      preview)
    assert {z: t[-5:] for z, t in rows} == {"America/New_York": "08:00",
                                            "Europe/Berlin": "14:00"}


def test_the_time_zone_is_chosen_from_a_list(signed_in, make_channel):
    make_channel(signed_in.workspace_id)
    html = signed_in.get("/compose").get_data(as_text=True)
    assert re.search(r'<select id="timezone" name="timezone"', html)
    assert '<option value="America/New_York">America/New York</option>' in html


def test_the_api_patch_edits_channel_and_refuses_a_publishing_post(api, db, make_channel,
                                                                   make_post):
    a = make_channel(api.workspace_id)
    b = make_channel(api.workspace_id, platform="bluesky")
    post = make_post(a, "scheduled", text="via api")
    moved = api.patch(f"/posts/{post.id}", json={"channel_id": str(b.id), "text": "moved"})
    assert moved.status_code == 200, moved.get_json()
    assert (moved.get_json()["channel_id"], moved.get_json()["text"]) == (str(b.id), "moved")
    busy = make_post(a, "publishing", text="busy")
    refused = api.patch(f"/posts/{busy.id}", json={"text": "late"})
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "conflict"
    assert "started publishing" in refused.get_json()["error"]["message"]
    assert _fresh(db, busy.id).text == "busy"


def test_moving_a_draft_on_the_calendar_keeps_it_a_draft(signed_in, db, make_channel, make_post):
    post = make_post(make_channel(signed_in.workspace_id), "draft")
    answer = signed_in.post("/calendar/move", {"post_id": post.id, "day": _day(4), "hour": "10"})
    assert answer.status_code == 200
    saved = _fresh(db, post.id)
    assert saved.state == "draft" and saved.schedule_at.hour == 10


def test_a_failed_post_edited_stays_failed_until_retry_at_this_time(signed_in, db, make_channel,
                                                                    make_post):
    post = make_post(make_channel(signed_in.workspace_id), "failed", text="broken")
    editor = signed_in.get(f"/compose/{post.id}").get_data(as_text=True)
    assert "Save changes (stays failed)" in editor and "Retry at this time" in editor
    when = f"{_day()}T09:00"
    signed_in.post(f"/compose/{post.id}", _form(post, part="fixed", schedule_at=when,
                                                action="save"), htmx=False)
    saved = _fresh(db, post.id)
    assert (saved.state, saved.text) == ("failed", "fixed")
    signed_in.post(f"/compose/{post.id}", _form(saved, schedule_at=when, action="schedule"),
                   htmx=False)
    assert _fresh(db, post.id).state == "scheduled"


def test_media_and_alt_text_are_edited_and_shown_in_the_preview_card(signed_in, db, make_channel,
                                                                     make_post):
    from app.media.models import Media
    from app.media.service import upload
    from tests.media.conftest import jpeg

    channel = make_channel(signed_in.workspace_id)
    post = make_post(channel, "scheduled", text="with a photo")
    photo = upload(db, signed_in.workspace_id, "test", "cat.jpg", jpeg())
    preview = signed_in.post("/compose/preview", _form(post, media_id=str(photo.id)))
    assert re.search(r'class="preview-media media-1">\s*<img src="[^"]+"',
                     preview.get_data(as_text=True))
    signed_in.post(f"/compose/{post.id}", _form(
        post, media_id=str(photo.id), **{f"alt-{photo.id}": "a cat asleep"},
        schedule_at=f"{_day()}T09:00", action="save"), htmx=False)
    saved = _fresh(db, post.id)
    assert saved.media_ids == [str(photo.id)] and saved.state == "scheduled"
    assert db.get(Media, photo.id).alt_text == "a cat asleep"


def test_the_api_patch_with_if_match_refuses_an_edit_of_an_older_reading(api, db, make_channel,
                                                                        make_post):
    post = make_post(make_channel(api.workspace_id), "scheduled", text="v1")
    etag = api.get(f"/posts/{post.id}").headers["ETag"]
    first = api.patch(f"/posts/{post.id}", json={"text": "v2"}, headers={"If-Match": etag})
    assert first.status_code == 200 and first.headers["ETag"] != etag
    stale = api.patch(f"/posts/{post.id}", json={"text": "v3"}, headers={"If-Match": etag})
    assert stale.status_code == 409 and "changed since you opened it" in \
        stale.get_json()["error"]["message"]
    assert _fresh(db, post.id).text == "v2"


def test_save_as_draft_keeps_the_time_typed_as_the_drafts_planned_time(signed_in, db,
                                                                       make_channel):
    channel = make_channel(signed_in.workspace_id)
    answer = signed_in.post("/compose", {"channel_id": channel.id, "part": "planned",
                                         "schedule_at": f"{_day()}T10:00", "timezone": "UTC",
                                         "action": "draft"}, htmx=False)
    assert answer.status_code == 302
    saved = db.scalars(sa.select(Post).where(Post.channel_id == channel.id)).one()
    assert saved.state == "draft" and saved.schedule_at.hour == 10
