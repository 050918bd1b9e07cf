"""LinkedIn and Meta as their documentation describes them: pinned API versions the platform
still serves, LinkedIn's duplicate refusal after a lost answer, its daily rate limits, and
Facebook feed creates that are looked up before a retry posts again."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.platforms import errors
from app.platforms.graph import VERSION as GRAPH
from app.platforms.linkedin import api as linkedin_api
from app.platforms.linkedin import publisher as linkedin
from app.sandbox.versions import graph_served
from jobs.config import EngineConfig
from jobs.retry import decide
from tests.channels.jobs import Recorder, make_job


def test_linkedin_publisher_sends_a_version_linkedin_still_serves(social):
    p = social("linkedin")
    result, _recorder = p.run("Versioned")
    assert [post["id"] for post in p.posts()] == [result.provider_post_id]
    sent = {r["headers"].get("linkedin-version") for r in p.requests()}
    assert sent == {linkedin_api.VERSION}


def test_linkedin_publisher_on_a_sunset_version_is_refused(social, monkeypatch):
    p = social("linkedin")
    monkeypatch.setattr(linkedin_api, "VERSION", "202411")
    with pytest.raises(errors.PermanentError) as caught:
        p.run("Too old")
    assert "Requested version 20241101 is not active" in caught.value.message
    assert caught.value.status == 426 and p.posts() == []


def test_linkedin_retry_after_a_lost_create_settles_on_the_post_it_made(social):
    p = social("linkedin")
    p.fault("post", "created_5xx")
    recorder = Recorder()
    with pytest.raises(errors.PlatformUnavailable):
        p.run("Posted, answer lost", recorder=recorder)
    [made] = p.posts()
    result, _recorder = p.run("Posted, answer lost", recorder=recorder, attempt=2)
    assert result.provider_post_id == made["id"]
    assert result.live_url == f"https://www.linkedin.com/feed/update/{made['id']}/"
    assert len(p.posts()) == 1
    assert len(p.requests("post")) == 2, "the retry was sent and refused as a duplicate"


def test_linkedin_repeating_an_earlier_post_is_still_refused(social):
    p = social("linkedin")
    p.run("Said once")
    with pytest.raises(errors.InvalidContent) as caught:
        p.run("Said once")
    assert "duplicate" in caught.value.message and len(p.posts()) == 1


def test_linkedin_member_without_w_member_social_cannot_post(social):
    """A member who did not grant w_member_social is refused a post as themselves with
    LinkedIn's 403 ACCESS_DENIED, and nothing is posted."""
    p = social("linkedin")
    token = p.credentials["access_token"]
    p.sandbox.state.bucket("linkedin", "scopes")[token] = "openid,profile"
    refused = p.http.post(f"{p.sandbox.url}/linkedin/rest/posts",
                          headers=linkedin_api.rest_headers(token),
                          json={"author": p.settings["author_urn"], "commentary": "hello",
                                "lifecycleState": "PUBLISHED", "visibility": "PUBLIC"})
    assert refused.status_code == 403 and refused.json()["code"] == "ACCESS_DENIED"
    assert p.posts() == []


def test_linkedin_first_429_is_tried_again_soon_not_at_midnight(social):
    """A 429 may be LinkedIn's passing infrastructure protection ("API service will return to
    normal automatically", rate-limits page): the post is not held until midnight for it."""
    p = social("linkedin")
    p.fault("post", "429")
    recorder = Recorder()
    with pytest.raises(errors.RateLimited) as caught:
        p.run("Throttled once", recorder=recorder)
    assert caught.value.retry_at - datetime.now(UTC) <= linkedin.SHORT_WAIT
    assert p.posts() == []
    result, _recorder = p.run("Throttled once", recorder=recorder, attempt=2)
    assert [post["id"] for post in p.posts()] == [result.provider_post_id]


def test_linkedin_429_waits_for_the_daily_reset_at_midnight_utc(social):
    p = social("linkedin")
    p.fault("post", "429", count=2)
    recorder = Recorder()
    with pytest.raises(errors.RateLimited):
        p.run("Too many today", recorder=recorder)
    with pytest.raises(errors.RateLimited) as caught:
        p.run("Too many today", recorder=recorder, attempt=2)
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    assert caught.value.retry_at == datetime(tomorrow.year, tomorrow.month, tomorrow.day,
                                             tzinfo=UTC)
    assert p.posts() == []
    assert len(p.requests("post")) == 2
    # The engine waits for that reset without spending a retry, within its rate-limit window;
    # a reset further away fails the post at once, saying when the limit lifts.
    reset, cfg = caught.value.retry_at, EngineConfig()
    waits = decide(caught.value, 1, reset - timedelta(minutes=30), cfg)
    assert waits.retry and waits.at == reset and waits.refund
    late = decide(caught.value, 1, reset - timedelta(hours=5), cfg)
    assert not late.retry and reset.isoformat() in late.message


def test_facebook_feed_create_answered_5xx_is_found_not_posted_again(social):
    p = social("facebook")
    p.fault("feed", "created_5xx")
    recorder = Recorder()
    with pytest.raises(errors.PlatformUnavailable):
        p.run("Posted, answer lost", recorder=recorder)
    [made] = p.posts()
    result, _recorder = p.run("Posted, answer lost", recorder=recorder, attempt=2)
    assert result.provider_post_id == made["id"] and len(p.posts()) == 1
    assert result.live_url == made["permalink"]


def test_facebook_feed_create_refused_5xx_is_posted_on_the_retry(social):
    p = social("facebook")
    p.fault("feed", "5xx")
    recorder = Recorder()
    with pytest.raises(errors.PlatformUnavailable):
        p.run("Not posted the first time", recorder=recorder)
    assert p.posts() == []
    result, _recorder = p.run("Not posted the first time", recorder=recorder, attempt=2)
    [made] = p.posts()
    assert result.provider_post_id == made["id"]


def test_facebook_crash_after_the_create_is_settled_from_the_feed(social):
    p = social("facebook")
    p.fault("feed", "created_5xx")
    recorder = Recorder()
    with pytest.raises(errors.PlatformUnavailable):
        p.run("Crashed after posting", recorder=recorder)
    result, _recorder = p.run("Crashed after posting", recorder=recorder, attempt=2,
                              method="reconcile")
    assert result.provider_post_id == p.posts()[0]["id"] and len(p.posts()) == 1


@pytest.mark.parametrize("name", ["facebook", "instagram"])
def test_graph_calls_are_answered_by_the_version_pinned_after_v21_expires(social, stored, name):
    from tests.media.conftest import jpeg

    p = social(name)
    p.configure(today="2027-02-01")
    served = []

    def record(publisher):
        publisher.client.event_hooks["response"].append(
            lambda response: served.append(response.headers.get("facebook-api-version")))
    media = [stored(jpeg(1080, 1080), "a.jpg")] if name == "instagram" else None
    p.run("After January 2027", media, tweak=record)
    assert served and set(served) == {GRAPH}
    assert graph_served(GRAPH, date(2027, 2, 1)) == GRAPH


def test_linkedin_duplicate_refusal_naming_no_post_is_an_unknown_outcome():
    """A duplicate refusal without the earlier post's URN cannot be settled: the post is live
    somewhere, so it is neither published here nor refused as invalid."""
    import httpx

    from app.platforms.base import PartResult
    from app.platforms.registry import get_publisher

    def linkedin_api(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json={"status": 422, "message": "Duplicate post is detected",
                                         "errorDetails": {"inputErrors": [
                                             {"code": "DUPLICATE_POST", "input": {}}]}})

    recorder = Recorder()
    recorder.save_part(PartResult(index=0, provider_post_id="", extra={"posting": True}))
    job, _recorder = make_job("linkedin", {"author_urn": "urn:li:person:abc"},
                              {"access_token": "t"}, "Sent before", recorder=recorder, attempt=2)
    with httpx.Client(transport=httpx.MockTransport(linkedin_api)) as http, \
            pytest.raises(errors.OutcomeUnknown):
        get_publisher("linkedin", http).publish(job)
