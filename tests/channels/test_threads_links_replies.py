"""Threads refuses a post with more than 5 different links, so OpenPost counts them in
validation, splitting and the composer; a reply whose publish answer was lost is found among
the account's replies, which needs threads_read_replies (requested on connect)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.errors import ValidationFailed
from app.platforms import errors, text
from app.platforms.base import Part
from app.platforms.registry import get_publisher
from app.platforms.threads.rules import unique_links
from tests.channels.jobs import client, make_job

SIX = " ".join(f"see https://example{i}.com/page" for i in range(6))
LATER = (datetime.now(UTC) + timedelta(hours=2)).isoformat()


def test_unique_links_count_bare_domains_once_each():
    assert unique_links("www.threads.com and https://example.org/x, https://example.org/x") == 2


def test_a_part_with_six_links_is_refused_by_validation():
    publisher = get_publisher("threads", None)
    with pytest.raises(ValidationFailed) as caught:
        publisher.validate([Part("Intro"), Part(SIX)], {}, {})
    assert caught.value.message == \
        "part 2 is over the link limit (6/5 different links) on Threads"


def test_the_splitter_never_makes_a_part_with_six_links():
    long = " ".join(f"read https://example{i}.com/page" for i in range(13))
    parts = text.plan("threads", {}, [long], {})
    assert len(parts) == 3
    assert [unique_links(p) for p in parts] == [5, 5, 3]
    assert " ".join(parts) == long


def test_the_composer_marks_a_part_over_the_link_limit():
    intro, six = text.preview("threads", {}, parts=["Intro", SIX])
    assert intro["ok"] and not six["ok"]
    assert (six["links"], six["max_links"]) == (6, 5)
    # One text with six links is shown as the thread it will become.
    assert [p["links"] for p in text.preview("threads", {}, text=SIX)] == [5, 1]


def test_six_links_are_refused_at_schedule_time(api, make_channel):
    channel = make_channel(api.workspace_id, "threads")
    answer = api.post("/posts", json={"channel_id": str(channel.id), "schedule_at": LATER,
                                      "parts": [{"text": "Intro"}, {"text": SIX}]})
    assert answer.status_code == 422
    assert "part 2 is over the link limit (6/5 different links)" in \
        answer.get_json()["error"]["message"]


def test_the_fake_refuses_six_links_at_container_creation(platforms):
    p = platforms("threads")
    answer = p.http.post(f"{p.sandbox.url}/threads/v1.0/{p.settings['account_id']}/threads",
                         data={"media_type": "TEXT", "text": SIX, "access_token": p.token})
    assert answer.status_code == 400
    assert "THREADS_API__LINK_LIMIT_EXCEEDED" in answer.json()["error"]["message"]


def publish(p, texts, key):
    job, recorder = make_job(p.name, p.settings, p.credentials, texts, handle=p.handle, key=key)
    with client() as http:
        return get_publisher(p.name, http).publish(job), recorder


def test_a_reply_whose_answer_was_lost_is_found_among_the_replies(platforms):
    p = platforms("threads")
    publish(p, ["Elsewhere", "Same words"], "other-thread")  # the same text, another parent
    p.fault("publish", "created_5xx", after=1)
    result, _ = publish(p, ["My opening", "Same words"], "my-thread")
    posts = p.posts()
    assert len(posts) == 4
    assert result.parts[1].provider_post_id == posts[3]["id"]
    assert posts[3]["reply_to"] == result.parts[0].provider_post_id


def test_without_threads_read_replies_a_lost_reply_is_an_unknown_outcome(platforms):
    p = platforms("threads")
    p.sandbox.state.bucket("threads", "scopes")[p.token] = \
        "threads_basic,threads_content_publish"
    publish(p, ["Elsewhere", "Same words"], "other-thread")
    p.fault("publish", "created_5xx", after=1)
    with pytest.raises(errors.OutcomeUnknown, match="replies cannot be read"):
        publish(p, ["My opening", "Same words"], "my-thread")
    assert len(p.posts()) == 4, "published once, and never taken for the other reply"


def test_the_fake_lists_replies_apart_and_only_with_the_permission(platforms):
    p = platforms("threads")
    publish(p, ["Opening", "A reply"], "listed")
    base = f"{p.sandbox.url}/threads/v1.0/{p.settings['account_id']}"
    threads = p.http.get(f"{base}/threads", params={"access_token": p.token}).json()["data"]
    assert [t["text"] for t in threads] == ["Opening"]
    p.sandbox.state.bucket("threads", "scopes")[p.token] = "threads_basic"
    refused = p.http.get(f"{base}/replies", params={"access_token": p.token})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == 10


def test_without_threads_content_publish_the_fake_refuses_to_post(platforms):
    """A person who declined threads_content_publish cannot be posted for: the container and
    the publish step both answer Graph's (#10), and nothing is published."""
    p = platforms("threads")
    base = f"{p.sandbox.url}/threads/v1.0/{p.settings['account_id']}"
    p.sandbox.state.bucket("threads", "scopes")[p.token] = "threads_basic,threads_read_replies"
    container = p.http.post(f"{base}/threads", data={"media_type": "TEXT", "text": "hello",
                                                     "access_token": p.token})
    assert container.status_code == 403 and container.json()["error"]["code"] == 10
    published = p.http.post(f"{base}/threads_publish", data={"creation_id": "1",
                                                             "access_token": p.token})
    assert published.status_code == 403 and published.json()["error"]["code"] == 10
    assert p.posts() == []


@pytest.mark.parametrize("status", [400, 403])
def test_a_missing_permission_is_known_by_its_graph_code_whatever_the_status(status):
    """Graph names permission errors by code (10, 200-299), not by HTTP status."""
    import httpx

    from app.platforms.threads.publisher import MissingPermission, graph_error

    body = {"error": {"message": "(#10) Application does not have permission for this action",
                      "type": "OAuthException", "code": 10}}
    assert isinstance(graph_error(httpx.Response(status, json=body)), MissingPermission)


def test_links_differing_only_in_path_case_are_different_links():
    """Threads counts unique URLs; a path is case-sensitive (only scheme and host are not), so
    six such links are six, and the part is refused before Threads refuses it."""
    six = " ".join(f"https://Example.com/{'A' * i}{'a' * (5 - i)}" for i in range(6))
    assert unique_links(six) == 6
    assert unique_links("HTTPS://EXAMPLE.com/a https://example.COM/a") == 1
    publisher = get_publisher("threads", None)
    with pytest.raises(ValidationFailed, match="over the link limit"):
        publisher.validate([Part("Intro"), Part(six)], {}, {})
