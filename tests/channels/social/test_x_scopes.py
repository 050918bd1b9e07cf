"""X tokens hold the scopes asked for at consent, and the publishing endpoints refuse a token
lacking theirs with 403, as the OpenAPI's security per operation says."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from app.platforms.signin import pkce_pair
from app.platforms.x.oauth import SCOPES


def _consent(p, scope: str) -> str:
    verifier, challenge = pkce_pair()
    parts = urlsplit(p.sandbox.url)
    callback = f"{parts.scheme}://{parts.netloc}/channels/callback/x"
    back = p.http.get(f"{p.sandbox.url}/x/i/oauth2/authorize", follow_redirects=False,
                      params={"response_type": "code", "client_id": "c", "scope": scope,
                              "redirect_uri": callback, "state": "s",
                              "code_challenge": challenge,
                              "code_challenge_method": "S256"})
    code = parse_qs(urlsplit(back.headers["location"]).query)["code"][0]
    minted = p.http.post(f"{p.sandbox.url}/x/2/oauth2/token",
                         data={"grant_type": "authorization_code", "code": code,
                               "code_verifier": verifier, "client_id": "c",
                               "redirect_uri": callback})
    assert minted.status_code == 200, minted.text
    assert minted.json()["scope"] == scope
    return minted.json()["access_token"]


def test_a_token_without_the_write_scopes_cannot_post_or_upload(platforms):
    p = platforms("x")
    token = _consent(p, "tweet.read users.read offline.access")
    headers = {"Authorization": f"Bearer {token}"}
    tweet = p.http.post(f"{p.sandbox.url}/x/2/tweets", headers=headers, json={"text": "hello"})
    assert tweet.status_code == 403 and "tweet.write" in tweet.json()["detail"]
    upload = p.http.post(f"{p.sandbox.url}/x/2/media/upload/initialize", headers=headers,
                         json={"media_category": "tweet_video", "media_type": "video/mp4",
                               "total_bytes": 10})
    assert upload.status_code == 403 and "media.write" in upload.json()["detail"]
    assert p.sandbox.state.posts.get("x", []) == []

    granted = {"Authorization": f"Bearer {_consent(p, SCOPES)}"}
    tweet = p.http.post(f"{p.sandbox.url}/x/2/tweets", headers=granted, json={"text": "hello"})
    assert tweet.status_code == 201, tweet.text
