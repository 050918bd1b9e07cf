"""Connecting Instagram, Facebook Pages, LinkedIn and TikTok through their browser sign-in
against the sandbox: state bound to the session, PKCE for TikTok, the page choice for Facebook."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import sqlalchemy as sa

from app.channels.models import Channel
from tests.conftest import login


@pytest.fixture
def owner(client, workspace, social):
    social("instagram")  # points the four API URLs at the sandbox
    login(client, workspace[1].email)
    return client


def csrf(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def consent(location: str) -> tuple[str, dict]:
    """Play the browser at the platform: its consent page sends us back with a code."""
    answer = httpx.get(location, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    return back.path, {k: v[0] for k, v in parse_qs(back.query).items()}


def sign_in(owner, monkeypatch, platform: str):
    monkeypatch.setenv(f"OPENPOST_{platform.upper()}_CLIENT_ID", "client-1")
    monkeypatch.setenv(f"OPENPOST_{platform.upper()}_CLIENT_SECRET", "secret-1")
    started = owner.post(f"/channels/connect/{platform}",
                         data={"csrf_token": csrf(owner, f"/channels/connect/{platform}")})
    assert started.status_code == 302, started.get_data(as_text=True)
    path, args = consent(started.location)
    assert path == f"/channels/callback/{platform}"
    return started, path, args


@pytest.mark.parametrize("platform", ["instagram", "linkedin", "tiktok"])
def test_sign_in_connects_the_account(owner, db, monkeypatch, platform):
    started, path, args = sign_in(owner, monkeypatch, platform)
    query = parse_qs(urlsplit(started.location).query)
    if platform == "tiktok":
        assert query["client_key"] == ["client-1"] and query["code_challenge_method"] == ["S256"]
    done = owner.get(path, query_string=args, follow_redirects=True)
    assert done.status_code == 200, done.get_data(as_text=True)
    channel = db.scalars(sa.select(Channel)).one()
    assert channel.platform == platform and channel.credentials["access_token"]
    assert channel.token_expires_at is not None
    if platform == "linkedin":
        assert channel.settings["author_urn"].startswith("urn:li:person:")
        assert channel.credentials["refresh_expires_at"] > channel.credentials["expires_at"]
    if platform == "tiktok":
        assert channel.credentials["refresh_token"]
        assert "SELF_ONLY" in channel.settings["privacy_level_options"]
        # Named from creator_info: user info's `username` needs a scope OpenPost never asks for.
        assert channel.handle == "sandbox" and channel.display_name == "Sandbox"


def test_facebook_sign_in_offers_the_pages_and_stores_the_chosen_one(owner, db, monkeypatch):
    _started, path, args = sign_in(owner, monkeypatch, "facebook")
    offered = owner.get(path, query_string=args)
    page = offered.get_data(as_text=True)
    assert offered.status_code == 200 and "Sandbox Page 1" in page and "Sandbox Page 2" in page
    assert "sbx-facebook" not in page, "page tokens never reach the browser"
    assert db.scalar(sa.select(sa.func.count()).select_from(Channel)) == 0
    second = re.findall(r'name="choice" value="([^"]+)"', page)[1]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    chosen = owner.post("/channels/choose", data={"csrf_token": token, "choice": second})
    assert chosen.status_code == 303, chosen.get_data(as_text=True)
    channel = db.scalars(sa.select(Channel)).one()
    assert channel.settings["page_id"] == second and channel.handle == "Sandbox Page 2"
    assert channel.credentials["access_token"].startswith("sbx-facebook")
    assert set(channel.credentials) == {"access_token"}, "only the Page token is kept"
    again = owner.post("/channels/choose", data={"csrf_token": token, "choice": second})
    assert again.status_code == 422, "the choice is used up"


def test_facebook_page_not_offered_is_refused(owner, db, monkeypatch):
    _started, path, args = sign_in(owner, monkeypatch, "facebook")
    page = owner.get(path, query_string=args).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    refused = owner.post("/channels/choose", data={"csrf_token": token, "choice": "999"})
    assert refused.status_code == 422 and "choose one of the accounts offered" in \
        refused.get_data(as_text=True)
    assert db.scalar(sa.select(sa.func.count()).select_from(Channel)) == 0


@pytest.mark.parametrize("platform", ["instagram", "facebook", "linkedin", "tiktok"])
def test_callback_with_a_forged_state_is_refused(owner, db, monkeypatch, platform):
    _started, path, args = sign_in(owner, monkeypatch, platform)
    refused = owner.get(path, query_string={**args, "state": "forged"})
    assert refused.status_code == 400 and "did not start here" in refused.get_data(as_text=True)
    assert db.scalar(sa.select(sa.func.count()).select_from(Channel)) == 0


def test_connected_tiktok_channel_publishes(owner, db, monkeypatch, stored, social):
    from app.platforms.registry import get_publisher
    from tests.channels.jobs import client, make_job
    from tests.media.conftest import video

    _started, path, args = sign_in(owner, monkeypatch, "tiktok")
    assert owner.get(path, query_string=args).status_code == 303
    channel = db.scalars(sa.select(Channel)).one()
    item = stored(video(seconds=2.0, fps=25, size=(160, 120)), "v.mp4")
    job, _ = make_job("tiktok", channel.settings, channel.credentials, "From a real sign-in",
                      options={"privacy_level": "SELF_ONLY"}, media=[item], handle=channel.handle)
    with client() as http:
        publisher = get_publisher("tiktok", http)
        from app.platforms.polling import instant
        publisher.poller = instant()
        result = publisher.publish(job)
    assert result.provider_post_id


def test_a_tiktok_sign_in_that_does_not_allow_posting_is_refused(owner, db, monkeypatch,
                                                                   sandbox):
    # On TikTok's consent page the user may untick some of the scopes asked for.
    sandbox.state.settings("tiktok").update(declined_scopes=["video.publish"])
    _started, path, args = sign_in(owner, monkeypatch, "tiktok")
    assert "video.publish" not in args["scopes"].split(",")
    done = owner.get(path, query_string=args, follow_redirects=True)
    assert done.status_code == 422
    assert "video.publish" in done.get_data(as_text=True)
    assert db.scalar(sa.select(sa.func.count()).select_from(Channel)) == 0


def test_a_tiktok_sign_in_without_drafts_connects_and_remembers_it(owner, db, monkeypatch,
                                                                   sandbox):
    sandbox.state.settings("tiktok").update(declined_scopes=["video.upload"])
    _started, path, args = sign_in(owner, monkeypatch, "tiktok")
    assert owner.get(path, query_string=args).status_code == 303
    channel = db.scalars(sa.select(Channel)).one()
    assert channel.settings["scopes"] == ["user.info.basic", "video.publish", "video.list"]
