"""Conversions made ahead of time: attaching media to a post (or to a composer draft) for some
channels queues each needed rendition as an outbox job, in the same transaction; the workers
run those jobs (an outbox duty), so a refusal shows long before the post is due, and the
publisher finds the rendition ready.

Crash safety: a job is claimed with a lease (its `next_attempt_at` moved LEASE ahead) and
committed before converting. A worker that dies leaves the job due again once the lease ends,
and the rendition's own lease (app.media.renditions) lets the next converter start over. A
job that keeps dying or failing stops after MAX_ATTEMPTS with the reason on the rendition.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app import db
from app.media import convert, renditions, specs
from app.media.models import Media
from app.media.service import unfit_reason
from app.outbox.models import OutboxMessage
from app.outbox.service import enqueue

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=renditions.LEASE_SECONDS + 30)  # outlives the rendition's lease
MAX_ATTEMPTS = 5


def needed(platform: str, content_type: str) -> bool:
    """Whether this platform's publisher takes this kind of file as a stored rendition."""
    if content_type.startswith("video/"):
        return platform in specs.VIDEOS
    return platform in specs.IMAGE_RENDITIONS


def _ids(values) -> list[uuid.UUID]:
    """The media ids among `values`, once each (a form may send anything)."""
    found = []
    for value in dict.fromkeys(str(v) for v in values or []):
        try:
            found.append(uuid.UUID(value))
        except ValueError:
            continue
    return found


def start(sess: Session, workspace_id, media_ids, platforms) -> int:
    """Queue the renditions these files need for these platforms, each once; record at once
    what no conversion could fix. The caller commits. Returns how many jobs were queued."""
    ids = _ids(media_ids)
    platforms = list(dict.fromkeys(platforms))
    if not ids or not platforms:
        return 0
    queued = 0
    rows = sess.scalars(sa.select(Media).where(Media.id.in_(ids),
                                               Media.workspace_id == workspace_id)
                        .order_by(Media.id).with_for_update())
    for media in rows:
        states = dict(media.renditions or {})
        for platform in platforms:
            if platform in states or not needed(platform, media.content_type):
                continue
            reason = unfit_reason(media, platform)
            if reason:
                states[platform] = {"status": "failed", "error": reason}
                continue
            states[platform] = {"status": "queued"}
            enqueue(sess, media.workspace_id, "conversion", "media.convert",
                    {"media_id": str(media.id), "platform": platform})
            queued += 1
        media.renditions = states
    return queued


def _sessions(sess: Session):
    bind = sess.get_bind()
    return lambda: Session(bind=bind, join_transaction_mode="create_savepoint")


def _claim(sess: Session, now: datetime | None) -> tuple[int, dict, int] | None:
    """(job id, payload, attempts) of one due job, leased and committed; None when none."""
    now = now or sess.scalar(sa.select(sa.func.now()))
    job = sess.scalar(sa.select(OutboxMessage).where(
        OutboxMessage.kind == "conversion", OutboxMessage.processed_at.is_(None),
        OutboxMessage.next_attempt_at <= now).order_by(OutboxMessage.next_attempt_at,
                                                       OutboxMessage.id)
        .limit(1).with_for_update(skip_locked=True))
    if job is None:
        sess.rollback()
        return None
    job.attempts += 1
    job.next_attempt_at = now + LEASE
    claimed = job.id, dict(job.payload), job.attempts
    sess.commit()
    return claimed


def _settle(sess: Session, job_id: int, *, later: timedelta | None = None,
            error: str | None = None, refund: bool = False) -> None:
    job = sess.get(OutboxMessage, job_id)
    now = sess.scalar(sa.select(sa.func.now()))
    if later is None:
        job.processed_at = now
    else:
        job.next_attempt_at = now + later
    job.last_error = error
    job.attempts -= int(refund)  # waiting for another converter is not an attempt
    sess.commit()


def _run(sess: Session, job_id: int, payload: dict, attempts: int) -> None:
    sessions, platform = _sessions(sess), payload["platform"]
    media = sess.get(Media, uuid.UUID(payload["media_id"]))
    if media is None:
        return _settle(sess, job_id, error="the file was deleted")
    sess.commit()  # no transaction stays open while converting
    if attempts > MAX_ATTEMPTS:
        renditions.give_up(sessions, media.id, platform, f"the conversion was interrupted "
                           f"{attempts - 1} times; upload the file again or choose another")
        return _settle(sess, job_id, error="interrupted too often")
    try:
        renditions.ensure(sessions, media, platform, wait=False)  # made and stored, not read
    except convert.MediaUnfit as exc:
        return _settle(sess, job_id, error=str(exc))
    except renditions.Busy as busy:
        _, now = renditions.current(sessions, media.id, platform)
        return _settle(sess, job_id, later=timedelta(seconds=max(1.0, busy.lease_until - now)),
                       refund=True)
    except Exception as exc:
        log.exception("converting media %s for %s failed", media.id, platform)
        sess.rollback()
        if attempts >= MAX_ATTEMPTS:
            renditions.give_up(sessions, media.id, platform, f"the conversion failed ({exc})")
            return _settle(sess, job_id, error=repr(exc))
        return _settle(sess, job_id, later=timedelta(seconds=5 * 2 ** attempts), error=repr(exc))
    _settle(sess, job_id)


def run_due(now: datetime | None = None, limit: int = 20) -> int:
    """Run due conversion jobs one after another (the workers' outbox duty); how many ran."""
    sess = db.session()
    ran = 0
    try:
        while ran < limit and (claimed := _claim(sess, now)) is not None:
            _run(sess, *claimed)
            ran += 1
    finally:
        db.session.remove()
    return ran


@dataclass
class Shown:
    """One file's conversion for one channel, as the composer shows it."""

    media: Media
    status: str  # queued | processing | stalled | ready | failed | as_is | not_started
    progress: int = 0
    error: str | None = None

    @property
    def live(self) -> bool:
        return self.status in ("queued", "processing", "stalled")


def _shown(media: Media, platform: str, now: float) -> Shown:
    if not needed(platform, media.content_type):
        return Shown(media, "as_is", 100)
    state = (media.renditions or {}).get(platform)
    if not state:
        return Shown(media, "not_started")
    status = state.get("status", "queued")
    if status == "processing" and float(state.get("lease_until") or 0) < now:
        status = "stalled"  # its converter stopped; the job starts it again
    return Shown(media, status, int(state.get("progress") or 0), state.get("error"))


def chosen_media(sess: Session, workspace_id, media_ids) -> list[Media]:
    """This workspace's files among `media_ids`, in that order."""
    ids = _ids(media_ids)
    found = {m.id: m for m in sess.scalars(sa.select(Media).where(
        Media.id.in_(ids), Media.workspace_id == workspace_id))} if ids else {}
    return [found[i] for i in ids if i in found]


class Board(list):
    """[(channel, [Shown, one per file])], and whether any conversion is still on its way."""

    @property
    def live(self) -> bool:
        return any(shown.live for _channel, rows in self for shown in rows)

    @property
    def channel_ids(self) -> list[str]:
        return [str(channel.id) for channel, _rows in self]


def board(sess: Session, workspace_id, media_ids, channels) -> Board:
    """For each channel, the state of each chosen file's rendition for its platform."""
    files = chosen_media(sess, workspace_id, media_ids) if channels else []
    if not files:
        return Board()
    now = float(sess.scalar(sa.select(renditions.NOW)))
    return Board((c, [_shown(m, c.platform, now) for m in files]) for c in channels)
