"""Every platform's error text, as a user reads it on a failed post: plain, bounded, never the
markup of an error page (platform answer -> message shown)."""

from __future__ import annotations

import json

import httpx
import pytest

from app.platforms import graph, signin
from app.platforms.bluesky import publisher as bluesky
from app.platforms.errors import PublishError
from app.platforms.linkedin import publisher as linkedin
from app.platforms.mastodon import publisher as mastodon
from app.platforms.threads import publisher as threads
from app.platforms.tiktok import publisher as tiktok
from app.platforms.x import publisher as x

PAGE = ("<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><center>"
        "<h1>502 Bad Gateway</h1></center><hr><center>nginx</center>"
        "<script>document.location='https://evil.example'</script></body></html>")


def message(platform: str, response: httpx.Response) -> str:
    """The text a failed post carries for this answer."""
    if platform in ("mastodon", "bluesky", "x", "linkedin"):
        return {"mastodon": mastodon, "bluesky": bluesky, "x": x,
                "linkedin": linkedin}[platform].message_of(response)
    if platform == "threads":
        return threads.graph_error(response).message
    if platform == "tiktok":
        return tiktok.error_of(response).message
    if platform == "facebook":
        return graph.error_of(response, "facebook").message
    with pytest.raises(PublishError) as failed:
        signin.reply(response, "instagram")
    return failed.value.message


def answer(status: int, kind: str, body: str | bytes) -> httpx.Response:
    request = httpx.Request("POST", "https://api.platform.example/v1/things")
    return httpx.Response(status, headers={"Content-Type": kind}, request=request,
                          content=body.encode() if isinstance(body, str) else body)


PLATFORMS = ["mastodon", "bluesky", "x", "linkedin", "threads", "tiktok", "facebook",
             "instagram"]


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("kind", ["text/html; charset=utf-8", "text/plain", ""])
def test_an_html_error_page_becomes_the_status_and_host(platform, kind):
    shown = message(platform, answer(502, kind, PAGE))
    assert "HTTP 502 from api.platform.example" in shown
    assert "<" not in shown and "nginx" not in shown and "evil" not in shown


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_long_text_body_is_one_bounded_line(platform):
    shown = message(platform, answer(400, "text/plain", "Bad\r\n\x07\x00 request\t" * 200))
    assert shown.count("Bad request") > 10
    assert "\n" not in shown and "\x07" not in shown and "\x00" not in shown
    assert len(shown) <= 320


@pytest.mark.parametrize(("platform", "body"), [
    ("mastodon", {"error": "<b>Validation failed</b>: Text &amp; media"}),
    ("bluesky", {"error": "InvalidRequest", "message": "<i>Validation failed</i>: Text &amp; media"}),
    ("x", {"errors": [{"message": "<b>Validation failed</b>: Text &amp; media"}]}),
    ("linkedin", {"message": "<b>Validation failed</b>: Text &amp; media"}),
    ("threads", {"error": {"code": 100, "message": "<b>Validation failed</b>: Text &amp; media"}}),
    ("facebook", {"error": {"code": 100, "message": "<b>Validation failed</b>: Text &amp; media"}}),
    ("tiktok", {"error": {"code": "invalid_params",
                          "message": "<b>Validation failed</b>: Text &amp; media"}}),
    ("instagram", {"error": {"message": "<b>Validation failed</b>: Text &amp; media"}}),
])
def test_the_platform_json_message_is_kept_as_plain_text(platform, body):
    shown = message(platform, answer(400, "application/json", json.dumps(body)))
    assert "Validation failed : Text & media" in shown
    assert "<" not in shown
