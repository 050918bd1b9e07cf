"""After a lost answer, Facebook and LinkedIn settle on a platform post only when it is the one
this post's create made: not a visitor's post on the Page, not an old post edited today, not a
post another OpenPost post already holds."""

from __future__ import annotations

import time

import httpx
import pytest

from app.platforms import errors
from app.platforms.base import PartResult
from app.platforms.registry import get_publisher
from tests.channels.jobs import Recorder, make_job


def _lost_create(p, text: str, taken=None) -> Recorder:
    """A create refused 5xx (nothing posted): the next attempt must look before posting."""
    p.fault("feed" if p.name == "facebook" else "post", "5xx")
    recorder = Recorder()
    with pytest.raises(errors.PlatformUnavailable):
        p.run(text, recorder=recorder, taken=taken)
    return recorder


def test_facebook_retry_does_not_take_a_visitors_post_with_the_same_text(social):
    p = social("facebook")
    page = p.settings["page_id"]
    recorder = _lost_create(p, "Doors open at nine")
    # A visitor writes the same words on the Page's feed (the feed holds visitors' posts).
    visitor = p.sandbox.state.record("facebook", {
        "id": f"{page}_990001", "account": page, "from": "55501", "from_name": "A Visitor",
        "message": "Doors open at nine", "photos": [], "link": None, "kind": "feed",
        "created": int(time.time()), "permalink": f"https://www.facebook.com/{page}_990001"})
    result, _recorder = p.run("Doors open at nine", recorder=recorder, attempt=2)
    assert result.provider_post_id != visitor["id"]
    ours = [post for post in p.posts() if post.get("from") == page]
    assert [post["id"] for post in ours] == [result.provider_post_id]


def test_facebook_retry_does_not_take_the_post_another_openpost_post_holds(social):
    p = social("facebook")
    earlier, _recorder = p.run("Weekly reminder: standup at ten")
    recorder = _lost_create(p, "Weekly reminder: standup at ten",
                            taken=lambda pid: pid == earlier.provider_post_id)
    result, _recorder = p.run("Weekly reminder: standup at ten", recorder=recorder, attempt=2,
                              taken=lambda pid: pid == earlier.provider_post_id)
    assert result.provider_post_id != earlier.provider_post_id
    assert len(p.posts()) == 2, "the second post was published, not settled on the first"


def test_facebook_reconcile_does_not_take_an_old_page_post_edited_today():
    """`since` may match an old post's update time; its creation time says it is not ours."""
    old = time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(time.time() - 86_400))
    posted = []

    def graph(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path.endswith("/feed"):
            return httpx.Response(200, json={"data": [
                {"id": "p_1", "message": "Same words", "created_time": old,
                 "from": {"id": "p", "name": "Page"}}]})
        if request.method == "POST":
            posted.append(request.url.path)
            return httpx.Response(200, json={"id": "p_2"})
        return httpx.Response(200, json={"id": "p_2", "permalink_url": "https://fb.example/p_2"})

    recorder = Recorder()
    recorder.save_part(PartResult(index=0, provider_post_id="",
                                  extra={"posting": True, "posting_at": int(time.time()) - 60}))
    job, _recorder = make_job("facebook", {"page_id": "p", "account_id": "p"},
                              {"access_token": "t"}, "Same words", recorder=recorder, attempt=2)
    with httpx.Client(transport=httpx.MockTransport(graph)) as http:
        result = get_publisher("facebook", http).publish(job)
    assert result.provider_post_id == "p_2" and len(posted) == 1


def test_linkedin_duplicate_of_a_post_another_openpost_post_holds_is_refused(social):
    """LinkedIn names the earlier post with the same text; when another OpenPost post holds
    it, this create made nothing: the refusal stands (the text was published before)."""
    p = social("linkedin")
    earlier, _recorder = p.run("Quarterly results are out")
    recorder = _lost_create(p, "Quarterly results are out",
                            taken=lambda urn: urn == earlier.provider_post_id)
    with pytest.raises(errors.InvalidContent) as caught:
        p.run("Quarterly results are out", recorder=recorder, attempt=2,
              taken=lambda urn: urn == earlier.provider_post_id)
    assert "duplicate" in caught.value.message and len(p.posts()) == 1


def test_graph_fake_feed_answers_the_fields_asked_and_names_the_author(social):
    p = social("facebook")
    p.run("Fields please")
    page, token = p.settings["page_id"], p.credentials["access_token"]
    url = f"{p.sandbox.url}/facebook/v25.0/{page}/feed"
    plain = p.http.get(url, params={"access_token": token}).json()["data"][0]
    assert set(plain) == {"id", "message", "created_time"}
    asked = p.http.get(url, params={"access_token": token, "fields": "id,from"}).json()["data"][0]
    assert set(asked) == {"id", "from"} and asked["from"]["id"] == page
