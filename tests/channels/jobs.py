"""Publish jobs for tests: progress and credentials are kept in memory, as the engine keeps them
in the database."""

from __future__ import annotations

import uuid

import httpx

from app.platforms.base import Part, PartResult, PublishJob


class Recorder:
    """What a publisher saved through the job's callbacks."""

    def __init__(self) -> None:
        self.parts: dict[int, PartResult] = {}
        self.credentials: list[dict] = []

    def save_part(self, result: PartResult) -> None:
        self.parts[result.index] = result

    def save_credentials(self, creds: dict) -> None:
        self.credentials.append(dict(creds))

    def done(self) -> list[PartResult]:
        return [self.parts[i] for i in sorted(self.parts)]


def make_job(platform: str, settings: dict, credentials: dict, texts: list[str] | str,
             *, options: dict | None = None, key: str | None = None, handle: str = "sandbox",
             recorder: Recorder | None = None, attempt: int = 1, media=None,
             taken=None) -> tuple[PublishJob, Recorder]:
    """A job; pass the same recorder (and key) again to resume where an attempt stopped."""
    recorder = recorder or Recorder()
    texts = [texts] if isinstance(texts, str) else texts
    parts = [Part(t, list(media or []) if i == 0 else []) for i, t in enumerate(texts)]
    latest = recorder.credentials[-1] if recorder.credentials else credentials
    job = PublishJob(post_id=str(uuid.uuid4()), channel_id=str(uuid.uuid4()), platform=platform,
                     handle=handle, settings=settings, credentials=dict(latest), parts=parts,
                     options=options or {}, idempotency_key=key or uuid.uuid4().hex,
                     done=recorder.done(), save_part=recorder.save_part,
                     save_credentials=recorder.save_credentials, attempt=attempt, taken=taken)
    return job, recorder


def client(timeout: float = 5.0) -> httpx.Client:
    return httpx.Client(timeout=timeout)
