"""Posting slots: a channel's weekly times ("Tue/Thu 12:30" in the channel's zone), and its
queue: "Add to queue" schedules a post at the channel's next free slot; reordering the queue
hands the same times out again in the new order."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.channels.models import Channel
from app.channels.service import get_channel
from app.errors import Conflict, NotFound, ValidationFailed
from app.posts import service as posts
from app.posts.lifecycle import PostState, can_transition
from app.posts.models import Post, PostEvent
from app.recurring.models import PostingSlot
from app.timeutil import iso, zone

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_SLOTS = 100
SEARCH_WEEKS = 53  # how far ahead "Add to queue" looks for a free slot
TAKEN = (PostState.SCHEDULED.value, PostState.PUBLISHING.value, PostState.PUBLISHED.value)


def _weekday(value) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
        return value
    if isinstance(value, str) and value.strip().lower()[:3] in WEEKDAYS:
        return WEEKDAYS.index(value.strip().lower()[:3])
    raise ValidationFailed(f"weekday must be one of {', '.join(WEEKDAYS)} (or 0 for Monday "
                           f"to 6), not {value!r}", field="weekday")


def _clock(value) -> time:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip()) if isinstance(value, str) else None
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValidationFailed(f"time must be HH:MM on a 24-hour clock, not {value!r}",
                               field="time")
    return time(int(match[1]), int(match[2]))


def slot_json(slot: PostingSlot) -> dict:
    return {"id": str(slot.id), "channel_id": str(slot.channel_id),
            "weekday": WEEKDAYS[slot.weekday], "time": slot.time.strftime("%H:%M")}


def list_slots(sess: Session, workspace_id, channel_id) -> list[PostingSlot]:
    get_channel(sess, workspace_id, channel_id)
    return list(sess.scalars(sa.select(PostingSlot).where(
        PostingSlot.workspace_id == workspace_id, PostingSlot.channel_id == channel_id)
        .order_by(PostingSlot.weekday, PostingSlot.time)))


def add_slots(sess: Session, workspace_id, actor: str, channel_id, weekdays, at) -> list:
    """One slot per weekday at the wall time `at` (HH:MM); all or none."""
    channel = get_channel(sess, workspace_id, channel_id)
    days = weekdays if isinstance(weekdays, list | tuple) else [weekdays]
    if not days:
        raise ValidationFailed("choose at least one weekday", field="weekday")
    clock = _clock(at)
    existing = {(s.weekday, s.time) for s in list_slots(sess, workspace_id, channel.id)}
    made = []
    for day in dict.fromkeys(_weekday(d) for d in days):
        if (day, clock) in existing:
            raise Conflict(f"{channel.handle} has a slot on {WEEKDAYS[day]} at "
                           f"{clock:%H:%M} already", field="time")
        made.append(PostingSlot(id=uuid.uuid4(), workspace_id=workspace_id,
                                channel_id=channel.id, weekday=day, time=clock))
    if len(existing) + len(made) > MAX_SLOTS:
        raise ValidationFailed(f"at most {MAX_SLOTS} slots a channel", field="weekday")
    sess.add_all(made)
    sess.flush()
    audit.record(sess, workspace_id, actor, "posting_slots.added", target_type="channel",
                 target_id=channel.id, after={"slots": [slot_json(s) for s in made]})
    sess.commit()
    return made


def add_missing_slots(sess: Session, workspace_id, actor: str, channel_id,
                      times: list[tuple[int, time]]) -> tuple[list[PostingSlot], list]:
    """Slots at `times` ((weekday, wall time) pairs) that the channel does not have yet:
    (the slots made, the times it had already). One audit entry for the lot; nothing is made
    when the channel would go over MAX_SLOTS."""
    channel = posts.channel_in_workspace(sess, workspace_id, channel_id)
    existing = {(s.weekday, s.time) for s in list_slots(sess, workspace_id, channel.id)}
    wanted = list(dict.fromkeys(times))
    had = [t for t in wanted if t in existing]
    made = [PostingSlot(id=uuid.uuid4(), workspace_id=workspace_id, channel_id=channel.id,
                        weekday=day, time=clock) for day, clock in wanted if (day, clock)
            not in existing]
    if len(existing) + len(made) > MAX_SLOTS:
        raise ValidationFailed(f"at most {MAX_SLOTS} slots a channel; {channel.handle} has "
                               f"{len(existing)}", field="weekday")
    if made:
        sess.add_all(made)
        sess.flush()
        audit.record(sess, workspace_id, actor, "posting_slots.added", target_type="channel",
                     target_id=channel.id, after={"slots": [slot_json(s) for s in made]})
    sess.commit()
    return made, had


def delete_slot(sess: Session, workspace_id, actor: str, channel_id, slot_id) -> None:
    slot = sess.scalar(sa.select(PostingSlot).where(
        PostingSlot.id == slot_id, PostingSlot.channel_id == channel_id,
        PostingSlot.workspace_id == workspace_id))
    if slot is None:
        raise NotFound("no such posting slot on this channel")
    audit.record(sess, workspace_id, actor, "posting_slots.deleted", target_type="channel",
                 target_id=channel_id, before=slot_json(slot))
    sess.delete(slot)
    sess.commit()


def slot_instant(day: date, clock: time, tz) -> datetime:
    """The slot's instant: a skipped wall time falls an hour later, a repeated one is its
    first instance (as recurring rules do)."""
    return datetime.combine(day, clock).replace(tzinfo=tz, fold=0).astimezone(UTC)


def slot_times(channel: Channel, slots: list[PostingSlot], after: datetime):
    """The channel's slot instants after `after`, in order, for SEARCH_WEEKS weeks."""
    tz = zone(channel.timezone)
    today = after.astimezone(tz).date()
    by_day: dict[int, list[time]] = {}
    for slot in slots:
        by_day.setdefault(slot.weekday, []).append(slot.time)
    for offset in range(SEARCH_WEEKS * 7 + 1):
        day = today + timedelta(days=offset)
        for clock in sorted(by_day.get(day.weekday(), ())):
            moment = slot_instant(day, clock, tz)
            if moment > after:
                yield moment


def next_free(sess: Session, workspace_id, channel_id, after: datetime | None = None
              ) -> datetime:
    """The channel's first slot after now with no scheduled, publishing or published post."""
    channel = get_channel(sess, workspace_id, channel_id)
    slots = list_slots(sess, workspace_id, channel.id)
    if not slots:
        raise ValidationFailed(f"{channel.platform} {channel.handle} has no posting slots; add "
                               "some first", field="channel_id")
    after = after or posts.db_now(sess)
    taken = set(sess.scalars(sa.select(Post.schedule_at).where(
        Post.channel_id == channel.id, Post.state.in_(TAKEN), Post.schedule_at > after)))
    for moment in slot_times(channel, slots, after):
        if moment not in taken:
            return moment
    raise ValidationFailed(f"every slot of {channel.handle} in the next {SEARCH_WEEKS} weeks "
                           "is taken", field="channel_id")


def add_to_queue(sess: Session, workspace_id, actor: str, post_id) -> Post:
    """A draft (or failed) post scheduled at its channel's next free slot."""
    post = posts.get_post(sess, workspace_id, post_id, lock=True)
    if not can_transition(post.state, PostState.SCHEDULED):
        raise Conflict(f"a {post.state} post cannot be queued", field="state")
    when = next_free(sess, workspace_id, post.channel_id)
    if post.state == PostState.FAILED:
        return posts.retry(sess, workspace_id, post_id, actor, schedule_at=when)
    return posts.schedule(sess, workspace_id, post_id, actor, schedule_at=when)


def queue(sess: Session, workspace_id, channel_id) -> list[Post]:
    """The channel's scheduled posts to come, in order."""
    get_channel(sess, workspace_id, channel_id)
    return list(sess.scalars(sa.select(Post).where(
        Post.workspace_id == workspace_id, Post.channel_id == channel_id,
        Post.state == PostState.SCHEDULED.value, Post.schedule_at > sa.func.now())
        .order_by(Post.schedule_at, Post.id)))


def reorder(sess: Session, workspace_id, actor: str, channel_id, post_ids: list) -> list[Post]:
    """The given scheduled posts of the channel swap times: the earliest of their times goes
    to the first id, and so on. All or none."""
    get_channel(sess, workspace_id, channel_id)
    try:
        ids = [uuid.UUID(str(p)) for p in post_ids or []]
    except ValueError as exc:
        raise ValidationFailed("post_ids must be post ids", field="post_ids") from exc
    if len(ids) < 2 or len(set(ids)) != len(ids):
        raise ValidationFailed("give two or more different post ids, in their new order",
                               field="post_ids")
    found = {p.id: p for p in sess.scalars(sa.select(Post).where(
        Post.id.in_(ids), Post.workspace_id == workspace_id, Post.channel_id == channel_id)
        .with_for_update())}
    now = posts.db_now(sess)
    for place, pid in enumerate(ids, 1):
        post = found.get(pid)
        if post is None:  # by its place: the id may be another workspace's, never echoed
            raise ValidationFailed(f"post_ids: the post at place {place} is not in this "
                                   "channel's queue", field="post_ids")
        if post.state != PostState.SCHEDULED or post.schedule_at <= now:
            raise Conflict(f"post {pid} is {post.state}"
                           f"{'' if post.state != 'scheduled' else ' and due'}; only posts "
                           "still to come can move", field="post_ids")
    times = sorted(found[pid].schedule_at for pid in ids)
    for pid, moment in zip(ids, times, strict=True):
        post = found[pid]
        if post.schedule_at != moment:
            sess.add(PostEvent(post_id=post.id, workspace_id=workspace_id, from_state=post.state,
                               to_state=post.state, actor=actor,
                               detail={"edited": True, "queue": "reordered",
                                       "from": iso(post.schedule_at), "to": iso(moment)}))
            post.schedule_at = moment
    sess.commit()
    return [found[pid] for pid in ids]
