"""Instagram accounts connected with Instagram Login or with Facebook Login publish through their
own host with their own token, and each host takes only the tokens that may act for the account."""

from __future__ import annotations

import pytest

from app.platforms.graph import VERSION as GRAPH
from app.sandbox.core import mask
from tests.media.conftest import video


@pytest.mark.parametrize("login,host", [(None, f"/instagram/{GRAPH}/"),
                                        ("facebook", f"/facebook/{GRAPH}/")])
def test_each_login_publishes_through_its_own_host_and_token(social, stored, login, host):
    p = social("instagram", **({"login": login} if login else {}))
    p.configure(video_polls=2)
    result, _ = p.run("A reel", [stored(video(seconds=3.0, fps=25, size=(160, 120)), "v.mp4")])
    [post] = p.posts()
    assert post["account"] == p.settings["account_id"] and post["media_type"] == "REELS"
    assert result.provider_post_id == post["id"]
    calls = p.requests()
    assert {"container", "publish"} <= {r["op"] for r in calls}
    assert all(r["path"].startswith(host) for r in calls)
    assert {(r["form"] or r["args"])["access_token"] for r in calls} == {
        mask(p.credentials["access_token"])}


def test_each_host_takes_only_tokens_that_may_act_for_the_account(social):
    linked, unrelated = social("instagram", login="facebook"), social("facebook")
    uid, base = linked.settings["account_id"], linked.sandbox.url

    def container(host: str, token: str):
        return linked.http.post(f"{base}/{host}/{GRAPH}/{uid}/media", data={
            "image_url": "https://example.com/a.jpg", "access_token": token})

    assert container("instagram", linked.credentials["access_token"]).json()["error"]["code"] \
        == 190, "a page token is no Instagram Login token"
    refused = container("facebook", unrelated.credentials["access_token"])
    assert refused.status_code == 400 and refused.json()["error"]["code"] == 100
    assert container("facebook", linked.credentials["access_token"]).status_code == 200
    assert container("facebook", linked.credentials["user_access_token"]).status_code == 200, \
        "the token of a user who manages the page acts for its account too"


@pytest.mark.parametrize("login,host,publish", [
    (None, "instagram", "instagram_business_content_publish"),
    ("facebook", "facebook", "instagram_content_publish")])
def test_a_token_without_the_publishing_permission_is_refused(social, login, host, publish):
    """Each login has its own publishing permission; a person who declined it gets Graph's
    (#10) on the container and the publish step, and nothing is published."""
    p = social("instagram", **({"login": login} if login else {}))
    uid, base, value = p.settings["account_id"], p.sandbox.url, p.credentials["access_token"]
    token = p.sandbox.state.token(host, value)
    basic = "instagram_business_basic" if login is None else "instagram_basic"
    token.scopes = frozenset({basic})
    made = p.http.post(f"{base}/{host}/{GRAPH}/{uid}/media", data={
        "image_url": "https://example.com/a.jpg", "access_token": value})
    assert made.status_code == 403 and made.json()["error"]["code"] == 10
    published = p.http.post(f"{base}/{host}/{GRAPH}/{uid}/media_publish", data={
        "creation_id": "1", "access_token": value})
    assert published.status_code == 403 and published.json()["error"]["code"] == 10
    token.scopes = frozenset({basic, publish})
    made = p.http.post(f"{base}/{host}/{GRAPH}/{uid}/media", data={
        "image_url": "https://example.com/a.jpg", "access_token": value})
    assert made.status_code == 200, made.text
    assert p.posts() == []
