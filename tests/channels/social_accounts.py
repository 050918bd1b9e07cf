"""Sandbox accounts on Instagram, Facebook, LinkedIn and TikTok, stored media for their posts,
and a runner that publishes a job as the engine would (without real waiting)."""

from __future__ import annotations

import httpx
import pytest

from app.platforms.polling import instant
from app.platforms.registry import get_publisher
from tests.channels.accounts import Platform
from tests.channels.jobs import client, make_job

SOCIAL = ("instagram", "facebook", "linkedin", "tiktok")


class Social(Platform):
    """A sandbox account on one of the four, as its connect flow would have stored it."""

    def __init__(self, sandbox, name: str, http, **extra):
        self.sandbox, self.name, self.http = sandbox, name, http
        made = http.post(f"{sandbox.url}/_control/accounts", json={"platform": name, **extra})
        assert made.status_code == 201, made.text
        made = self.account = made.json()
        self.handle = made["username"]
        self.credentials = {"access_token": made["access_token"]}
        for key in ("refresh_token", "expires_at"):
            if made.get(key):
                self.credentials[key] = made[key]
        self.settings = {"account_id": made["account_id"]}
        if name == "facebook":
            self.settings |= {"page_id": made["page_id"], "app_id": made["app_id"]}
            self.credentials["user_access_token"] = made["user_access_token"]
        if made.get("login") == "facebook":  # Instagram through the Page it is linked to
            self.settings |= {"login": "facebook", "page_id": made["page_id"]}
            self.credentials["user_access_token"] = made["user_access_token"]
        if name == "linkedin":
            self.settings["author_urn"] = made["author_urn"]
        if name == "tiktok":
            self.settings["privacy_level_options"] = made["privacy_level_options"]

    def configure(self, **values) -> None:
        response = self.http.post(f"{self.sandbox.url}/_control/settings",
                                  json={"platform": self.name, **values})
        assert response.status_code == 200, response.text

    def run(self, text: str = "", media=None, options=None, recorder=None, attempt: int = 1,
            tweak=None, method: str = "publish", taken=None):
        """Publish (or reconcile) one job; pass the recorder again to resume an attempt."""
        if self.name == "tiktok":
            options = {"privacy_level": "PUBLIC_TO_EVERYONE", **(options or {})}
        job, recorder = make_job(self.name, self.settings, self.credentials, text,
                                 handle=self.handle, options=options, recorder=recorder,
                                 attempt=attempt, media=media, taken=taken)
        with client() as http:
            publisher = get_publisher(self.name, http)
            publisher.poller = instant()
            if tweak:
                tweak(publisher)
            return getattr(publisher, method)(job), recorder


@pytest.fixture
def social(sandbox, monkeypatch):
    """social("instagram") -> a fresh sandbox account; the four API URLs point at the sandbox."""
    for name in SOCIAL:
        monkeypatch.setenv(f"OPENPOST_{name.upper()}_API_URL", f"{sandbox.url}/{name}")
    monkeypatch.setenv("OPENPOST_FACEBOOK_CLIENT_ID", "1234567890")
    with httpx.Client(timeout=5.0) as http:
        yield lambda name, **extra: Social(sandbox, name, http, **extra)


@pytest.fixture
def stored(db, workspace, tmp_path):
    """stored(bytes, "a.jpg") -> the media entry a publish job carries, with the file stored."""
    from app.media import service, storage

    storage.use(storage.LocalStorage(tmp_path / "media"))

    def store(data: bytes, name: str = "a.jpg", alt: str = "") -> dict:
        return service.describe(service.upload(db, workspace[0], "test", name, data, alt))
    yield store
    storage.use(None)
