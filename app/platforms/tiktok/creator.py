"""TikTok's creator_info asked when the composer shows a TikTok channel (as TikTok's content
sharing guidelines require), with the channel's token refreshed first when it is about to
expire."""

from __future__ import annotations

import logging
import time

import httpx
from sqlalchemy.orm import Session

from app.channels.models import Channel
from app.channels.tokens import store
from app.config import sandbox_routes
from app.platforms.base import PublishJob
from app.platforms.errors import PublishError
from app.platforms.http import make_client
from app.platforms.tiktok import publisher as tiktok

log = logging.getLogger(__name__)
COMPOSER_TIMEOUT = httpx.Timeout(5.0, connect=3.0)
CREATOR_FIELDS = ("creator_nickname", "privacy_level_options", "comment_disabled",
                  "duet_disabled", "stitch_disabled", "max_video_post_duration_sec")


def _job(channel, credentials: dict, save) -> PublishJob:
    return PublishJob(post_id="", channel_id=str(channel.id), platform="tiktok",
                      handle=channel.handle, settings=dict(channel.settings or {}),
                      credentials=dict(credentials), parts=[], options={}, idempotency_key="",
                      done=[], save_part=lambda _r: None, save_credentials=save)


def _credentials(sess: Session, channel, client) -> dict:
    """The channel's credentials, refreshed first (under its row lock, so no worker spends the
    same rotating refresh token) when they are about to expire."""

    def expiring(creds: dict) -> bool:
        expires = creds.get("expires_at")
        return bool(expires and creds.get("refresh_token")
                    and float(expires) < time.time() + tiktok.REFRESH_MARGIN)

    if not expiring(channel.credentials):
        return channel.credentials
    with Session(bind=sess.get_bind(), join_transaction_mode="create_savepoint") as locked:
        row = locked.get(Channel, channel.id, with_for_update=True)
        creds = row.credentials
        if expiring(creds):
            job = _job(row, creds, lambda new: store(row, new))
            tiktok.refresh(client, job)
            creds = job.credentials
        locked.commit()
    sess.refresh(channel)
    return creds


def creator_info(sess: Session, channel) -> tuple[dict, str | None]:
    """(creator_info, None) asked of TikTok now and kept in the channel's settings (schedule-time
    checks read it there), or (what was kept last time, why TikTok could not be asked)."""
    settings = dict(channel.settings or {})
    kept = settings.get("creator_info") or {
        "privacy_level_options": settings.get("privacy_level_options") or []}
    try:
        with make_client() as client, sandbox_routes(settings):
            client.timeout = COMPOSER_TIMEOUT  # someone is waiting for the page
            creds = _credentials(sess, channel, client)
            info = tiktok.TikTokPublisher(client).api(_job(channel, creds, lambda _c: None),
                                                      "/post/publish/creator_info/query/")
    except PublishError as exc:
        log.info("creator_info of channel %s failed: %s", channel.id, exc.message)
        return kept, f"TikTok could not be asked just now ({exc.message}); these are the " \
                     "options it gave last time"
    info = {k: info.get(k) for k in CREATOR_FIELDS}
    channel.settings = {**settings, "creator_info": info,
                        "privacy_level_options": list(info["privacy_level_options"] or [])}
    sess.commit()
    return info, None
