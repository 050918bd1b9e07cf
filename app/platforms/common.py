"""What the thread-capable publishers share: planning parts, validation, the resumable loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import httpx

from app.errors import ValidationFailed
from app.platforms import images, part_media, text
from app.platforms.base import Part, PartResult, PostOptions, PublishJob, PublishResult, TokenRefresh
from app.platforms.http import send

MAX_THREAD = 100


def plan_parts(platform: str, settings: dict, parts: list[Part], options: dict) -> list[Part]:
    """The parts as published: a single long text becomes a thread (media on its first part).
    Deterministic, so a retry numbers the parts exactly as the first attempt did."""
    texts = text.plan(platform, settings, [p.text for p in parts], options)
    if len(texts) == len(parts):
        return [Part(t, p.media) for t, p in zip(texts, parts, strict=True)]
    return [Part(t, parts[0].media if i == 0 else []) for i, t in enumerate(texts)]


class ThreadPublisher(PostOptions, TokenRefresh):
    """Base of the X, Bluesky, Mastodon and Threads publishers."""

    platform: ClassVar[str]
    name: ClassVar[str]  # as people write it
    image_limits: ClassVar[images.ImageLimits]

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def image_limits_for(self, settings: dict) -> images.ImageLimits:
        return self.image_limits

    def validate(self, parts: list[Part], settings: dict, options: dict) -> list[str]:
        """Raise ValidationFailed naming the first problem; return warnings otherwise."""
        planned = plan_parts(self.platform, settings, parts, options)
        rules = text.rules_for(self.platform, settings, options)
        many = len(planned) > 1
        too_long = len(parts) == 1 and text.problem(rules, parts[0].text.strip())
        if too_long and options.get("auto_thread") is False:
            raise ValidationFailed(f"the text is {too_long} on {self.name} and auto_thread is "
                                   "off", field="text")
        if len(planned) > MAX_THREAD:
            raise ValidationFailed(f"the thread would have {len(planned)} parts; at most "
                                   f"{MAX_THREAD}", field="text")
        for i, part in enumerate(planned, 1):
            where = f"part {i}" if many else "the post"
            if not part.text.strip() and not part.media:
                raise ValidationFailed(f"{where} is empty", field="text")
            problem = text.problem(rules, part.text)
            if problem:
                raise ValidationFailed(f"{where} is {problem} on {self.name}", field="text")
            part_media.check(self.name, self.platform, self.image_limits_for(settings),
                             part.media, where)
        warnings = [f"the text was split into a thread of {len(planned)} parts"] \
            if len(planned) > len(parts) else []
        return warnings + self.extra_checks(planned, settings, options)

    def extra_checks(self, parts: list[Part], settings: dict, options: dict) -> list[str]:
        return []

    def send(self, job: PublishJob, method: str, url: str, **kw) -> httpx.Response:
        return send(self.client, method, url, platform=self.platform, post_id=job.post_id, **kw)

    def run_thread(self, job: PublishJob,
                   post_part: Callable[[int, Part, PartResult | None, PartResult | None], PartResult],
                   warnings: list[str] | None = None) -> PublishResult:
        """Publish the parts not yet done, each replying to the one before; every published part
        is saved at once so a failure resumes after it and never posts it again."""
        parts = plan_parts(self.platform, job.settings, job.parts, job.options)
        # A result without a provider id is a step on the way (a Threads container), not a post.
        done = {r.index: r for r in job.done if r.provider_post_id}
        results = [done[i] for i in sorted(done)]
        root = done.get(0)
        for index, part in enumerate(parts):
            if index in done:
                continue
            previous = done.get(index - 1)
            result = post_part(index, part, previous, root)
            job.save_part(result)
            done[index] = result
            results.append(result)
            root = root or result
        return self.result(results, warnings)

    @staticmethod
    def result(parts: list[PartResult], warnings: list[str] | None = None) -> PublishResult:
        parts = sorted(parts, key=lambda r: r.index)
        return PublishResult(provider_post_id=parts[0].provider_post_id,
                             live_url=parts[0].live_url, parts=parts,
                             warnings=list(warnings or []))

    def load_media(self, item: dict, settings: dict) -> images.Prepared:
        from app.media.service import read_bytes

        return images.prepare(read_bytes(item), self.image_limits_for(settings))
