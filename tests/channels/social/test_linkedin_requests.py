"""LinkedIn requests retried after a token refresh are the same requests with the new token."""

from __future__ import annotations

import time

import httpx

from app.platforms.registry import get_publisher
from tests.channels.jobs import make_job


def test_an_upload_retried_after_a_refresh_keeps_its_content_type():
    """A 401 EXPIRED_ACCESS_TOKEN mid-upload refreshes the token and sends the part again: the
    second PUT must still say what the bytes are."""
    seen = []

    def linkedin_api(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/v2/accessToken":
            return httpx.Response(200, json={"access_token": "new", "expires_in": 5_184_000})
        seen.append((request.headers.get("content-type"), request.headers["authorization"]))
        if len(seen) == 1:
            return httpx.Response(401, json={"status": 401, "code": "EXPIRED_ACCESS_TOKEN",
                                             "message": "The token used in the request has expired"})
        return httpx.Response(201, headers={"etag": "part-1"})

    job, _recorder = make_job("linkedin", {"author_urn": "urn:li:person:abc"},
                              {"access_token": "old", "refresh_token": "r",
                               "expires_at": time.time() + 10 * 86_400}, "Video")
    with httpx.Client(transport=httpx.MockTransport(linkedin_api)) as http:
        etag = get_publisher("linkedin", http).put(job, "https://uploads.example/part/0",
                                                   b"\x00" * 16, "application/octet-stream")
    assert etag == "part-1"
    assert seen == [("application/octet-stream", "Bearer old"),
                    ("application/octet-stream", "Bearer new")]
