"""TikTok's post options: what creator_info allows (asked when the composer shows a TikTok
channel, as TikTok's content sharing guidelines require), the rules between the options, and
the composer's form fields.

Direct post needs a privacy level the creator offers (never preselected); comments, duets and
stitches start off and stay off where the creator turned them off; commercial content is
disclosed as "your brand" and/or "branded content", and branded content cannot be private.
"Send to inbox" (post_mode MEDIA_UPLOAD) uploads a draft the creator finishes in the app.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import httpx
from sqlalchemy.orm import Session

from app.channels.base import PublishJob
from app.channels.errors import PublishError
from app.errors import ValidationFailed

log = logging.getLogger(__name__)
DIRECT, INBOX = "DIRECT_POST", "MEDIA_UPLOAD"
LEVELS = {"PUBLIC_TO_EVERYONE": "Everyone", "MUTUAL_FOLLOW_FRIENDS": "Friends",
          "FOLLOWER_OF_CREATOR": "Followers", "SELF_ONLY": "Only me"}
INTERACTIONS = (("comment", "Comments"), ("duet", "Duet"), ("stitch", "Stitch"))
FLAGS = ("commercial_content", "brand_organic_toggle", "brand_content_toggle")
COMPOSER_TIMEOUT = httpx.Timeout(5.0, connect=3.0)
CREATOR_FIELDS = ("creator_nickname", "privacy_level_options", "comment_disabled",
                  "duet_disabled", "stitch_disabled", "max_video_post_duration_sec")


def schema(settings: dict) -> dict:
    """The options a TikTok post may set (GET /channels/{id}/post-options)."""
    return {"post_mode": {"type": "choice", "choices": [DIRECT, INBOX], "default": DIRECT},
            "privacy_level": {"type": "choice", "required": True,
                              "choices": list(settings.get("privacy_level_options") or [])},
            "disable_comment": {"type": "boolean", "default": False},
            "disable_duet": {"type": "boolean", "default": False},
            "disable_stitch": {"type": "boolean", "default": False},
            **{flag: {"type": "boolean", "default": False} for flag in FLAGS},
            # A photo post's title: "at most 90 UTF-16 runes" (Photo Post reference, Post Info
            # Object, https://developers.tiktok.com/doc/content-posting-api-reference-photo-post).
            "title": {"type": "text", "max_length": 90, "utf16": True}}


def check_rules(options: dict) -> None:
    """What TikTok refuses between options (each value was checked on its own before)."""
    if options.get("brand_content_toggle") and options.get("privacy_level") == "SELF_ONLY":
        raise ValidationFailed("branded content cannot be private: choose who else can see it",
                               field="options.privacy_level")
    if options.get("commercial_content") and not (options.get("brand_organic_toggle")
                                                   or options.get("brand_content_toggle")):
        raise ValidationFailed("say what the post promotes: your brand, branded content or both",
                               field="options.commercial_content")


def inbox(options: dict) -> bool:
    return options.get("post_mode") == INBOX


def longest_video(settings: dict) -> int | None:
    """The longest video this creator may post, in seconds, as creator_info last said."""
    value = (settings.get("creator_info") or {}).get("max_video_post_duration_sec")
    return int(value) if value else None


def from_form(values: dict[str, str]) -> dict:
    """The options of the composer's TikTok fields (checkboxes send "on" when ticked)."""
    options: dict = {"post_mode": INBOX if values.get("post_mode") == INBOX else DIRECT}
    if values.get("privacy_level"):
        options["privacy_level"] = values["privacy_level"]
    for name, _label in INTERACTIONS:
        options[f"disable_{name}"] = not values.get(f"allow_{name}")
    for flag in FLAGS:
        options[flag] = bool(values.get(flag))
    if not options["commercial_content"]:
        options["brand_organic_toggle"] = options["brand_content_toggle"] = False
    return options


def _job(channel, credentials: dict, save) -> PublishJob:
    return PublishJob(post_id="", channel_id=str(channel.id), platform="tiktok",
                      handle=channel.handle, settings=dict(channel.settings or {}),
                      credentials=dict(credentials), parts=[], options={}, idempotency_key="",
                      done=[], save_part=lambda _r: None, save_credentials=save)


def _credentials(sess: Session, channel, client) -> dict:
    """The channel's credentials, refreshed first (under its row lock, so no worker spends the
    same rotating refresh token) when they are about to expire."""
    from app.channels import tiktok
    from app.channels.models import Channel
    from app.channels.tokens import store

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
    from app.channels import tiktok
    from app.channels.http import make_client
    from app.config import sandbox_routes

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


@dataclass
class Panel:
    """What the composer shows for one TikTok channel: creator_info's choices and the user's."""

    channel: object
    info: dict
    problem: str | None  # why creator_info could not be asked now
    values: dict[str, str]  # the form's fields of this channel
    media: list = field(default_factory=list)  # the chosen files

    @property
    def direct(self) -> bool:
        return self.values.get("post_mode") != INBOX

    @property
    def commercial(self) -> bool:
        return bool(self.values.get("commercial_content"))

    @property
    def branded(self) -> bool:
        return self.commercial and bool(self.values.get("brand_content_toggle"))

    @property
    def levels(self) -> list[tuple[str, str, bool]]:
        """(value, label, disabled): branded content cannot be private."""
        return [(level, LEVELS.get(level, level), self.branded and level == "SELF_ONLY")
                for level in self.info.get("privacy_level_options") or []]

    @property
    def interactions(self) -> list[tuple[str, str, bool]]:
        """(name, label, turned off by the creator); photo posts have comments only."""
        photos = bool(self.media) and not any(m.content_type.startswith("video/")
                                              for m in self.media)
        return [(name, label, bool(self.info.get(f"{name}_disabled")))
                for name, label in INTERACTIONS[:1 if photos else 3]]

    @property
    def label(self) -> str | None:
        """How TikTok will label the post."""
        if self.branded:
            return "Paid partnership"
        return "Promotional content" if self.values.get("brand_organic_toggle") else None

    @property
    def too_long(self) -> list[str]:
        longest = self.info.get("max_video_post_duration_sec")
        return [f"{m.filename or 'the video'} is {m.duration_ms / 1000:.0f} s long; this account "
                f"can post videos up to {longest} s" for m in self.media
                if longest and m.content_type.startswith("video/")
                and (m.duration_ms or 0) / 1000 > int(longest)]
