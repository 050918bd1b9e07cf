"""The sandbox's Bluesky video service answers as the app.bsky.video lexicons say, and checks
service-auth tokens as the PDS and the service do."""

from __future__ import annotations

import time

import pytest

from tests.media.conftest import video
from tests.sandbox.specs import known_values, output_errors


@pytest.fixture
def bsky(platforms):
    p = platforms("bluesky")
    p.pds = f"{p.sandbox.url}/bluesky/xrpc"
    p.service = f"{p.sandbox.url}/bluesky-video/xrpc"
    return p


def service_token(p, lxm, exp=None):
    return p.http.get(f"{p.pds}/com.atproto.server.getServiceAuth", params={
        "aud": "did:web:" + p.sandbox.url.split("://")[1].replace(":", "%3A"), "lxm": lxm,
        "exp": exp or int(time.time()) + 1800},
        headers={"Authorization": f"Bearer {p.credentials['access_jwt']}"})


def test_answers_follow_the_lexicons(bsky):
    p = bsky
    limits_token = service_token(p, "app.bsky.video.getUploadLimits").json()["token"]
    limits = p.http.get(f"{p.service}/app.bsky.video.getUploadLimits",
                        headers={"Authorization": f"Bearer {limits_token}"}).json()
    assert output_errors("app.bsky.video.getUploadLimits", limits) == [] and limits["canUpload"]
    token = service_token(p, "com.atproto.repo.uploadBlob").json()["token"]
    started = p.http.post(f"{p.service}/app.bsky.video.uploadVideo",
                          params={"did": p.account["did"], "name": "v.mp4"},
                          content=video(seconds=0.5), headers={
                              "Authorization": f"Bearer {token}", "Content-Type": "video/mp4"})
    assert started.status_code == 200
    assert output_errors("app.bsky.video.uploadVideo", started.json()) == []
    states, status = [], started.json()["jobStatus"]
    while status["state"] != "JOB_STATE_COMPLETED" and len(states) < 10:
        body = p.http.get(f"{p.service}/app.bsky.video.getJobStatus",
                          params={"jobId": status["jobId"]}).json()
        assert output_errors("app.bsky.video.getJobStatus", body) == []
        status = body["jobStatus"]
        states.append(status["state"])
    assert set(states) <= set(known_values("app.bsky.video.defs#jobStatus", "state"))
    assert states[-1] == "JOB_STATE_COMPLETED" and status["blob"]["mimeType"] == "video/mp4"


def test_service_tokens_are_checked(bsky):
    p = bsky
    wrong_method = service_token(p, "app.bsky.video.getUploadLimits").json()["token"]
    refused = p.http.post(f"{p.service}/app.bsky.video.uploadVideo",
                          params={"did": p.account["did"]}, content=b"0" * 10, headers={
                              "Authorization": f"Bearer {wrong_method}",
                              "Content-Type": "video/mp4"})
    assert refused.status_code == 401 and refused.json()["error"] == "BadJwtLexiconMethod"
    anonymous = p.http.get(f"{p.service}/app.bsky.video.getUploadLimits")
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "AuthMissing"
    too_long = service_token(p, "com.atproto.repo.uploadBlob", exp=int(time.time()) + 7200)
    assert too_long.status_code == 400 and too_long.json()["error"] == "BadExpiration"
