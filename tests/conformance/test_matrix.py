"""The conformance matrix (tests/conformance/scenarios.py): each platform × scenario through the
real publisher, over real HTTP, against the sandbox fake; crash mid-publish through the engine.
A scenario a platform does not have must be refused with a validation error, never skipped."""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.errors import ValidationFailed
from app.platforms import errors
from app.platforms.base import Part
from app.platforms.polling import instant
from app.platforms.registry import get_publisher
from jobs.config import EngineConfig
from jobs.retry import decide
from tests.channels.jobs import Recorder, client, make_job
from tests.conformance.scenarios import BY_NAME, CASES, ROWS, SCENARIOS, markdown
from tests.conftest import ROOT
from tests.media.conftest import jpeg, video

SINGLE = {"instagram", "facebook", "linkedin", "tiktok"}
TIKTOK = {"privacy_level": "PUBLIC_TO_EVERYONE"}
# The posts' schedule time, as the engine passes it (Mastodon trusts a re-send with the same
# Idempotency-Key only within the key's hour from it).
SCHEDULED = datetime.now(UTC)


@pytest.fixture
def stored(db, tmp_path):
    """stored(bytes, "a.jpg") -> the media entry of a publish job, stored in a workspace of
    this test's transaction (a workspace without users: no password to hash)."""
    from app.auth.models import Workspace
    from app.media import service, storage

    workspace = Workspace(name=f"conformance-{uuid.uuid4().hex[:8]}", timezone="UTC")
    db.add(workspace)
    db.flush()
    storage.use(storage.LocalStorage(tmp_path / "media"))

    def store(data: bytes, name: str = "a.jpg", alt: str = "") -> dict:
        return service.describe(service.upload(db, workspace.id, "test", name, data, alt))
    yield store
    storage.use(None)


@pytest.fixture
def account(platforms, social, monkeypatch):
    """account("x") -> a fresh sandbox account of that platform, as a connected channel holds
    it; media links are signed for a public address (the URL-pulling platforms read them)."""
    monkeypatch.setenv("OPENPOST_PUBLIC_URL", "https://openpost.example")
    return lambda name: social(name) if name in SINGLE else platforms(name)


def publish(p, texts, media=None, recorder=None, attempt=1, key=None):
    """One attempt, as the engine runs it (without real waiting); pass the recorder and key
    again for the next attempt of the same post."""
    options = dict(TIKTOK) if p.name == "tiktok" else {}
    job, recorder = make_job(p.name, p.settings, p.credentials, texts, handle=p.handle,
                             media=media, options=options, recorder=recorder, attempt=attempt,
                             key=key)
    job.schedule_at = SCHEDULED
    with client() as http:
        publisher = get_publisher(p.name, http)
        publisher.poller = instant()
        return publisher.publish(job), recorder


def settle(p, texts, media=None) -> tuple[str, int]:
    """Attempts until the engine's retry policy stops: ("published" | the error code it
    fails with, how many posts the platform made)."""
    recorder, key = Recorder(), uuid.uuid4().hex  # kept across attempts, as the engine does
    for attempt in range(1, 5):
        try:
            result, _ = publish(p, texts, media, recorder, attempt, key)
        except errors.PublishError as exc:
            decision = decide(exc, attempt, None, EngineConfig(max_retries=3))
            if not decision.retry:
                return decision.code, made(p)
            continue
        assert result.provider_post_id in {str(post["id"]) for post in p.posts()}
        return "published", made(p)
    raise AssertionError("still retrying after four attempts")


def made(p) -> int:
    """How many posts the platform made. TikTok publishes an accepted direct post whether or
    not anyone asks for its status (the fake makes it at the first status fetch), so each
    accepted direct publish counts."""
    if p.name == "tiktok":
        return sum(item.get("mode") == "direct" and item["status"] != "FAILED"
                   for item in p.sandbox.state.bucket("tiktok", "publishes").values())
    return len(p.posts())


def photos(stored, n: int = 2) -> list[dict]:
    return [stored(jpeg(1080, 1080), f"{i}.jpg", alt=f"Photo {i}") for i in range(n)]


def clip(stored) -> list[dict]:
    return [stored(video(seconds=3.0, fps=25, size=(160, 120)), "clip.mp4")]


def basic(p, stored) -> tuple[str, list[dict] | None]:
    """The simplest post the platform takes: text, or one photo where text alone is refused
    (without `stored`: an empty list, for the caller to fill)."""
    if "text" in BY_NAME[p.name].na:
        return "A photo from the conformance run", photos(stored, 1) if stored else []
    return "Hello from the conformance run", None


def carried(p, post: dict) -> tuple[str, int]:
    """(image | video, how many) of the media the fake's post holds."""
    name = p.name
    if name == "x":
        chunked = p.sandbox.state.bucket("x", "uploads")
        videos = [i for i in post["media_ids"] if chunked.get(i, {}).get("category") == "tweet_video"]
        return ("video" if videos else "image"), len(post["media_ids"])
    if name == "mastodon":
        uploads = p.sandbox.state.bucket("mastodon", "media")
        kinds = {uploads[str(m)]["type"] for m in post["media_ids"]}
        return ("video" if "video" in kinds else "image"), len(post["media_ids"])
    if name == "bluesky":
        embed = post["embed"] or {}
        return ("video", 1) if embed.get("$type") == "app.bsky.embed.video" else \
            ("image", len(embed.get("images", [])))
    if name == "threads":
        container = p.sandbox.state.bucket("threads", "containers")[post["container"]]
        children = [c for c in (container["children"] or "").split(",") if c]
        return ("video" if container["media_type"] == "VIDEO" else "image"), len(children) or 1
    if name == "instagram":
        return ("video" if post["media_type"] == "REELS" else "image"), \
            len(post["children"]) or 1
    if name == "facebook":
        return ("video", 1) if post["kind"] == "video" else ("image", len(post["photos"] or []))
    if name == "linkedin":
        content = post["content"] or {}
        if "multiImage" in content:
            return "image", len(content["multiImage"]["images"])
        return ("video" if ":video:" in content["media"]["id"] else "image"), 1
    if post["kind"] == "photo":
        return "image", len(post["images"])
    return "video", 1


class LazyStore:
    """The `stored` fixture, set up only when a scenario stores media (most do not)."""

    def __init__(self, request) -> None:
        self.request = request

    def __call__(self, *args, **kw) -> dict:
        return self.request.getfixturevalue("stored")(*args, **kw)


# -- the scenarios ------------------------------------------------------------------------------

def run_text(p, stored):
    result, recorder = publish(p, "Hello from the conformance run")
    [post] = p.posts()
    assert result.provider_post_id == str(post["id"]) and result.live_url
    assert recorder.parts[0].provider_post_id == result.provider_post_id, "saved at once"


def run_thread(p, stored):
    result, _ = publish(p, ["The first part of a thread", "The second part replies to it"])
    first, second = p.posts()
    assert [r.provider_post_id for r in result.parts] == [str(first["id"]), str(second["id"])]
    assert second["reply_to"] == first["id"] and not first["reply_to"]


def run_images(p, stored):
    result, _ = publish(p, "Two photos", photos(stored))
    [post] = p.posts()
    assert result.provider_post_id == str(post["id"])
    assert carried(p, post) == ("image", 2)


def run_video(p, stored):
    if p.name == "linkedin":
        p.configure(part_bytes=4096)  # more than one upload part
    result, _ = publish(p, "A short video", clip(stored))
    [post] = p.posts()
    assert result.provider_post_id == str(post["id"])
    assert carried(p, post) == ("video", 1)


def run_refresh(p, stored):
    row = BY_NAME[p.name]
    if row.refresh == "age":  # a 60-day token near its end: refreshed before the post
        p.token_action("age", seconds=55 * 86_400)
        p.credentials["expires_at"] = int(time.time()) + 3 * 86_400
    else:
        p.token_action("expire")
    old = p.token
    text, media = basic(p, stored)
    _result, recorder = publish(p, text, media)
    assert len(p.posts()) == 1
    [fresh] = recorder.credentials
    assert (fresh.get("access_token") or fresh.get("access_jwt")) != old


def run_revoked(p, stored):
    if p.name == "bluesky":  # a revoked app password: the session cannot be made again
        p.credentials["app_password"] = "revoked-app-password"
    p.fault(BY_NAME[p.name].first, "revoke")
    text, media = basic(p, stored)
    with pytest.raises(errors.AuthRevoked) as caught:
        publish(p, text, media)
    assert caught.value.code == "channel_disconnected"
    assert p.posts() == []


def run_429(p, stored):
    p.fault(BY_NAME[p.name].first, "429", reset_in=600)
    text, media = basic(p, stored)
    with pytest.raises(errors.RateLimited) as caught:
        publish(p, text, media)
    assert caught.value.retry_at > datetime.now(UTC)
    assert p.posts() == []


def run_5xx(p, stored):
    p.fault(BY_NAME[p.name].first, "5xx")
    text, media = basic(p, stored)
    with pytest.raises(errors.PlatformUnavailable) as caught:
        publish(p, text, media)
    assert isinstance(caught.value, errors.RetryableError)
    assert p.posts() == []
    assert settle(p, text, media) == ("published", 1)


def run_lost(p, stored):
    row = BY_NAME[p.name]
    p.fault(row.create, "created_5xx")
    text, media = basic(p, stored)
    settled, count = settle(p, text, media)
    assert count == 1, "made once, never posted twice"
    assert settled == row.lost_settles


RUNS = {"text": run_text, "thread": run_thread, "images": run_images, "video": run_video,
        "refresh": run_refresh, "revoked": run_revoked, "429": run_429, "5xx": run_5xx,
        "lost": run_lost}

NA_CONTENT = {"text": lambda stored: [Part("Words only")],
              "thread": lambda stored: [Part("One", photos(stored, 1)), Part("Two")],
              "video": lambda stored: [Part("A video", clip(stored))]}


def refuses(p, scenario, stored):
    """A scenario the platform does not have: the publisher refuses it up front."""
    na = BY_NAME[p.name].na[scenario]
    if scenario == "refresh":
        # Nothing to refresh: the stored token has no end, and publishing never exchanges it.
        assert not p.credentials.get("expires_at") and not p.credentials.get("refresh_token")
        text, media = basic(p, stored)
        _result, recorder = publish(p, text, media)
        assert recorder.credentials == [] and len(p.posts()) == 1
        return
    settings = {**p.settings, "privacy_level_options": ["PUBLIC_TO_EVERYONE"]}
    with pytest.raises(ValidationFailed) as caught:
        get_publisher(p.name, None).validate(NA_CONTENT[scenario](stored), settings,
                                             TIKTOK if p.name == "tiktok" else {})
    assert na.refusal in caught.value.message
    assert p.requests() == [] and p.posts() == []


@pytest.mark.parametrize(("name", "scenario"), [c for c in CASES if c[1] != "crash"])
def test_matrix(account, request, name, scenario):
    p = account(name)
    stored = LazyStore(request)
    if scenario in BY_NAME[name].na:
        refuses(p, scenario, stored)
    else:
        RUNS[scenario](p, stored)


# -- the page -----------------------------------------------------------------------------------

def test_the_platforms_page_shows_the_matrix():
    page = (ROOT / "docs" / "platforms.md").read_text()
    found = re.search(r"^## Conformance matrix\n.*?(?=^## |\Z)", page, re.M | re.S)
    assert found, "docs/platforms.md has no '## Conformance matrix' section"
    assert found.group(0).rstrip() + "\n" == markdown(), \
        "docs/platforms.md differs from tests/conformance/scenarios.py; paste markdown() there"


def test_every_cell_has_a_source_and_every_refusal_a_reason():
    for row in ROWS:
        for scenario in SCENARIOS:
            doc = row.doc(scenario)
            assert doc.url.startswith("https://") and doc.section, (row.platform, scenario)
        for scenario, na in row.na.items():
            assert scenario in SCENARIOS and na.reason
            assert na.refusal or scenario == "refresh", (row.platform, scenario)
        assert {row.lost_settles, row.crash_settles} <= {"published", "outcome_unknown"}


# -- crash mid-publish, through the engine ------------------------------------------------------

class Killed(BaseException):
    """The worker process died here: nothing after this line ran, nothing was recorded."""


def dies_after(fragment: str):
    """A response hook: the worker dies as the answer to the create call arrives."""
    def hook(response):
        if response.request.method == "POST" and fragment in str(response.request.url):
            raise Killed(fragment)
    return hook


def scheduled(space, p, text: str, media: list[dict] | None) -> uuid.UUID:
    """The account as a committed channel, and one post of it due now."""
    from sqlalchemy.orm import Session

    from app.channels import service as channels
    from app.posts import lifecycle

    expires = p.credentials.get("expires_at")
    with Session(space.engine) as sess:
        channel = channels.connect(
            sess, space.workspace_id, "test", platform=p.name, handle=p.handle, timezone="UTC",
            credentials=p.credentials, settings=p.settings,
            token_expires_at=datetime.fromtimestamp(float(expires), UTC) if expires else None)
        post_id = uuid.uuid4()
        lifecycle.create_many(sess, [{
            "id": post_id, "workspace_id": space.workspace_id, "channel_id": channel.id,
            "group_id": uuid.uuid4(), "schedule_at": sess.scalar(sa.select(sa.func.now())),
            "timezone": "UTC", "text": text, "parts": None,
            "media_ids": [m["id"] for m in media or []],
            "options": dict(TIKTOK) if p.name == "tiktok" else {}, "results": [],
            "warnings": [], "attempts": 0, "version": 1, "created_by": "test"}],
            lifecycle.PostState.SCHEDULED, actor="test")
        sess.commit()
    return post_id


def attempt(worker, post_id, hook=None):
    """The worker claims the post (a due post, or one whose lease expired) and runs the
    attempt as its publish thread does; the outcome is settled as its settle loop does."""
    from sqlalchemy.orm import Session

    from app.posts import lifecycle
    from app.posts.models import Post
    from jobs.claims import Claim, load_channels, load_media

    with Session(worker.engine) as sess, sess.begin():
        claimed = lifecycle.claim_due(sess, worker.id, 50, 600)
        rows = [r for r in claimed if r.id == post_id]
        if others := [r.id for r in claimed if r.id != post_id]:  # not this test's: let go
            sess.execute(sa.update(Post).where(Post.id.in_(others))
                         .values(lease_until=sa.func.now()))
        media = load_media(sess, rows)
        found = load_channels(sess, {r.channel_id for r in rows}, 300)
    [row] = rows
    publisher = worker.runner.publisher(found[row.channel_id].platform)
    publisher.poller = instant()
    if hook:
        worker.runner.client()["_client"].event_hooks["response"].append(hook)
    outcome = worker.runner.run(Claim.from_row(row, media), found[row.channel_id])
    worker._settle([outcome])
    return row.source, outcome.kind


@pytest.mark.parametrize("name", [row.platform for row in ROWS])
def test_crash_mid_publish(account, space, tmp_path, name):
    """A worker dies right after the platform answered the create call; when its lease runs
    out another worker takes the post over: the platform ends with one post, and the post
    settles published, or outcome_unknown where the platform cannot be asked."""
    from sqlalchemy.orm import Session

    from app.media import service, storage

    row = BY_NAME[name]
    p = account(name)
    text, media = basic(p, None)
    if media is not None:  # committed, where the engine's sessions see it
        storage.use(storage.LocalStorage(tmp_path / "media"))
        with Session(space.engine) as sess:
            media = [service.describe(service.upload(sess, space.workspace_id, "test", "a.jpg",
                                                     jpeg(1080, 1080)))]
            sess.commit()
    try:
        crash_and_recover(space, p, row, scheduled(space, p, text, media))
    finally:
        storage.use(None)


def crash_and_recover(space, p, row, post_id) -> None:
    from sqlalchemy.orm import Session

    from app.posts.models import Post
    from jobs.worker import Worker

    with pytest.raises(Killed):
        attempt(Worker(space.engine, EngineConfig(), "doomed"), post_id,
                dies_after(row.create_path))
    assert made(p) == 1, "the create call went through before the worker died"
    with Session(space.engine) as sess, sess.begin():  # the lease runs out
        sess.execute(sa.update(Post).where(Post.id == post_id)
                     .values(lease_until=sa.func.now() - sa.text("interval '1 second'")))
    survivor = Worker(space.engine, EngineConfig(), "survivor")
    sources = [attempt(survivor, post_id)]
    while sources[-1][1] == "release" and len(sources) < 4:  # a retry: due now, not later
        with Session(space.engine) as sess, sess.begin():
            sess.execute(sa.update(Post).where(Post.id == post_id)
                         .values(next_attempt_at=sa.func.now()))
        sources.append(attempt(survivor, post_id))
    assert sources[0][0] == "expired", "taken over from the dead worker"
    post = space.post(post_id)
    assert made(p) == 1, "no duplicate"
    settled = post.state if post.state == "published" else post.error_code
    assert settled == row.crash_settles, post.error_message
    if post.state == "published":
        assert post.provider_post_id == str(p.posts()[0]["id"])
