"""What the single-post publishers share (Instagram, Facebook, LinkedIn, TikTok): schedule-time
checks, saved progress for resuming an interrupted upload, and the one-post result."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from typing import ClassVar

import httpx

from app.errors import ValidationFailed
from app.media import convert, sniff, specs
from app.platforms.base import Part, PartResult, PostOptions, PublishJob, PublishResult, TokenRefresh
from app.platforms.http import send
from app.platforms.media_io import is_video
from app.platforms.polling import Poller
from app.platforms.text import rules_for

HASHTAG = re.compile(r"(?:^|(?<=\s))#\w+", re.UNICODE)
MENTION = re.compile(r"(?:^|(?<=\s))@[\w.]+", re.UNICODE)


def progress(job: PublishJob, index: int = 0) -> dict:
    """What earlier attempts saved on the way to part `index` (upload and container ids), or {}."""
    step = next((r for r in job.done if r.index == index and not r.provider_post_id), None)
    return dict(step.extra) if step else {}


def remember_at(job: PublishJob, index: int, **values) -> dict:
    """Save progress at once (merged with what is there), before the next step can fail."""
    extra = {**progress(job, index), **values}
    step = PartResult(index=index, provider_post_id="", extra=extra)
    job.save_part(step)
    job.done[:] = [r for r in job.done if r.index != index] + [step]
    return extra


def remember(job: PublishJob, **values) -> dict:
    return remember_at(job, 0, **values)


def finished(job: PublishJob) -> PublishResult | None:
    """The post an earlier attempt already published (the engine may ask again)."""
    done = next((r for r in job.done if r.index == 0 and r.provider_post_id), None)
    return PublishResult(done.provider_post_id, done.live_url, [done]) if done else None


class SocialPublisher(PostOptions, TokenRefresh, ABC):
    """Base of the publishers whose posts are one part: a caption and its media."""

    platform: ClassVar[str]
    name: ClassVar[str]
    needs_media: ClassVar[bool] = False
    max_hashtags: ClassVar[int | None] = None
    max_mentions: ClassVar[int | None] = None
    max_alt: ClassVar[int] = 1000

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.poller = Poller()

    def send(self, job: PublishJob, method: str, url: str, **kw) -> httpx.Response:
        return send(self.client, method, url, platform=self.platform, post_id=job.post_id, **kw)

    def validate(self, parts: list[Part], settings: dict, options: dict) -> list[str]:
        """Raise ValidationFailed naming the first problem; return warnings otherwise."""
        if len(parts) != 1:
            raise ValidationFailed(f"{self.name} has no threads: write one post", field="parts")
        part = parts[0]
        rules = rules_for(self.platform)
        count = rules.count(part.text)
        if count > rules.limit:
            raise ValidationFailed(f"the text is {count}/{rules.limit} {rules.unit} on "
                                   f"{self.name}", field="text")
        if self.max_hashtags and len(HASHTAG.findall(part.text)) > self.max_hashtags:
            raise ValidationFailed(f"{self.name} allows at most {self.max_hashtags} hashtags",
                                   field="text")
        if self.max_mentions and len(MENTION.findall(part.text)) > self.max_mentions:
            raise ValidationFailed(f"{self.name} allows at most {self.max_mentions} mentions",
                                   field="text")
        if self.needs_media and not part.media:
            raise ValidationFailed(f"{self.name} posts need {self.media_words()}",
                                   field="media_ids")
        if not part.text.strip() and not part.media:
            raise ValidationFailed("the post is empty", field="text")
        self.check_media(part.media)
        return self.extra_checks(part, settings, options)

    def media_words(self) -> str:
        return "an image or a video"

    def check_media(self, media: list[dict]) -> None:
        videos = [m for m in media if is_video(m)]
        images = [m for m in media if not is_video(m)]
        image_spec, video_spec = specs.IMAGES[self.platform], specs.VIDEOS[self.platform]
        if videos and self.platform not in specs.MIXED_CAROUSELS and (len(videos) > 1 or images):
            raise ValidationFailed(f"{self.name} takes one video alone in a post",
                                   field="media_ids")
        if len(media) > image_spec.max_count:
            raise ValidationFailed(f"{self.name} takes at most {image_spec.max_count} items in a "
                                   f"post; this one has {len(media)}", field="media_ids")
        for item in media:
            if not str(item.get("content_type", "")).startswith(("image/", "video/")):
                raise ValidationFailed(f"{self.name} cannot publish {item.get('content_type')}",
                                       field="media_ids")
            if len(item.get("alt_text") or "") > self.max_alt:
                raise ValidationFailed(f"alt text can be at most {self.max_alt} characters on "
                                       f"{self.name}", field="media_ids")
        for item in videos:
            probe = sniff.Probe(item["content_type"], "video", item.get("width") or 0,
                                item.get("height") or 1, duration_ms=item.get("duration_ms"))
            problems = convert.video_problems(probe, video_spec, self.name)
            if problems:
                raise ValidationFailed("; ".join(problems), field="media_ids")

    def extra_checks(self, part: Part, settings: dict, options: dict) -> list[str]:
        return []

    def publish(self, job: PublishJob) -> PublishResult:
        return finished(job) or self.publish_new(job)

    @abstractmethod
    def publish_new(self, job: PublishJob) -> PublishResult:
        """Publish the post (resuming from progress(job)) or raise a PublishError."""

    @staticmethod
    def result(job: PublishJob, post_id: str, url: str | None, warnings=None,
               **extra) -> PublishResult:
        """The published post, saved at once so no later attempt can post it again."""
        part = PartResult(index=0, provider_post_id=post_id, live_url=url,
                          extra={**progress(job), **extra})
        job.save_part(part)
        job.done[:] = [r for r in job.done if r.index != 0] + [part]
        return PublishResult(post_id, url, [part], list(warnings or []))
