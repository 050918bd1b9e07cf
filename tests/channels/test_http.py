"""The HTTP layer: rate-limit reset headers of each platform, and response classification."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.platforms import errors
from app.platforms.http import classify, retry_at, send

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
EPOCH = int((NOW + timedelta(minutes=15)).timestamp())


@pytest.mark.parametrize("headers, expected", [
    ({"x-rate-limit-reset": str(EPOCH)}, NOW + timedelta(minutes=15)),  # X: epoch seconds
    ({"RateLimit-Reset": str(EPOCH)}, NOW + timedelta(minutes=15)),  # Bluesky: epoch seconds
    ({"X-RateLimit-Reset": "2026-05-01T12:05:00.000Z"}, NOW + timedelta(minutes=5)),  # Mastodon
    ({"Retry-After": "30"}, NOW + timedelta(seconds=30)),
    ({"Retry-After": "Fri, 01 May 2026 12:02:00 GMT"}, NOW + timedelta(minutes=2)),
    ({}, NOW + timedelta(minutes=1)),
])
def test_retry_at_reads_each_platforms_header(headers, expected):
    assert retry_at(httpx.Headers(headers), NOW) == expected


@pytest.mark.parametrize("status, error", [
    (429, errors.RateLimited), (500, errors.PlatformUnavailable), (503, errors.PlatformUnavailable),
    (401, errors.AuthRevoked), (422, errors.InvalidContent), (403, errors.PlatformRejected),
    (404, errors.PlatformRejected),
])
def test_classify_by_status(status, error):
    found = classify(httpx.Response(status, json={"error": "nope"}), "mastodon", "nope")
    assert type(found) is error
    assert found.message == "mastodon: nope" and found.status == status


def test_transport_failures_say_whether_the_request_may_have_arrived():
    def refuse(request):
        raise httpx.ConnectError("refused", request=request)

    def hang(request):
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(errors.NetworkError) as caught:
        send(httpx.Client(transport=httpx.MockTransport(refuse)), "POST", "http://p/x", platform="x")
    assert caught.value.sent is False
    with pytest.raises(errors.NetworkError) as caught:
        send(httpx.Client(transport=httpx.MockTransport(hang)), "POST", "http://p/x", platform="x")
    assert caught.value.sent is True
