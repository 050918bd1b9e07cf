"""Browser OAuth flows (X and Mastodon with PKCE, Threads): the authorize URL and the callback's
token exchange. The caller keeps `pending` in the signed session and hands it back."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import httpx

from app.channels import mastodon, social_oauth, threads, x
from app.channels.connect import Verified, check_public_url
from app.channels.errors import PublishError
from app.channels.http import check, lifetime, send
from app.config import platform_api_url
from app.errors import ValidationFailed

X_SCOPES = "tweet.read tweet.write users.read offline.access media.write"
# read:statuses lets a lost attempt be settled by looking at the account's statuses
# (https://docs.joinmastodon.org/methods/accounts/#statuses).
MASTODON_SCOPES = "read:accounts read:statuses write:statuses write:media"
# threads_read_replies lets a reply whose publish answer was lost be found among the replies.
THREADS_SCOPES = ("threads_basic,threads_content_publish,threads_read_replies,"
                  "threads_manage_insights")


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def _client_id(platform: str) -> str:
    value = os.environ.get(f"OPENPOST_{platform.upper()}_CLIENT_ID", "")
    if not value:
        raise ValidationFailed(f"set OPENPOST_{platform.upper()}_CLIENT_ID (and _SECRET) to "
                               f"connect {platform} channels", field="platform")
    return value


def _authorize_base(platform: str) -> str:
    """The platform's consent page; beside the API when the API URL is overridden (sandbox)."""
    override = os.environ.get(f"OPENPOST_{platform.upper()}_API_URL")
    if platform == "x":
        return f"{override.rstrip('/')}/i/oauth2/authorize" if override \
            else "https://x.com/i/oauth2/authorize"
    return f"{override.rstrip('/')}/oauth/authorize" if override \
        else "https://threads.net/oauth/authorize"


def start(client: httpx.Client, platform: str, redirect_uri: str,
          instance_url: str | None = None, variant: str | None = None) -> tuple[str, dict]:
    """(the URL to send the browser to, what to keep until the callback)."""
    if platform in social_oauth.PLATFORMS:
        return social_oauth.start(platform, redirect_uri, variant)
    if variant:
        raise ValidationFailed(f"{platform} has no sign-in option {variant!r}", field="variant")
    state = secrets.token_urlsafe(24)
    pending: dict = {"platform": platform, "state": state, "redirect_uri": redirect_uri}
    query: dict = {"response_type": "code", "redirect_uri": redirect_uri, "state": state}
    if platform in ("x", "mastodon"):
        verifier, challenge = pkce_pair()
        pending["verifier"] = verifier
        query |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    if platform == "mastodon":
        instance = check_public_url(instance_url or "", "instance_url")
        app = _register_mastodon_app(client, instance, redirect_uri)
        pending |= {"instance_url": instance, "client_id": app["client_id"],
                    "client_secret": app["client_secret"]}
        query |= {"client_id": app["client_id"], "scope": MASTODON_SCOPES}
        return f"{instance}/oauth/authorize?{urlencode(query)}", pending
    query |= {"client_id": _client_id(platform),
              "scope": X_SCOPES if platform == "x" else THREADS_SCOPES}
    return f"{_authorize_base(platform)}?{urlencode(query)}", pending


def _register_mastodon_app(client: httpx.Client, instance: str, redirect_uri: str) -> dict:
    try:
        response = send(client, "POST", f"{instance}/api/v1/apps", platform="mastodon",
                        json={"client_name": "OpenPost", "redirect_uris": redirect_uri,
                              "scopes": MASTODON_SCOPES})
        return check(response, "mastodon", mastodon.message_of, ok=(200,)).json()
    except PublishError as exc:
        raise ValidationFailed(f"the instance did not register OpenPost: {exc.message}",
                               field="instance_url") from exc


def finish(client: httpx.Client, platform: str, pending: dict | None, args: dict) -> Verified:
    """The callback: the state must match the one this browser started with (once)."""
    if not pending or pending.get("platform") != platform or not args.get("state") \
            or not secrets.compare_digest(str(args.get("state")), pending["state"]):
        raise ValidationFailed("this sign-in did not start here or has already been used; "
                               "start connecting again", field="state")
    if args.get("error"):
        raise ValidationFailed(f"{platform} did not grant access: "
                               f"{args.get('error_description') or args['error']}", field="code")
    if not args.get("code"):
        raise ValidationFailed("the platform sent no authorization code", field="code")
    try:
        if platform in social_oauth.PLATFORMS:
            return social_oauth.finish(client, platform, pending, args["code"])
        return {"x": _finish_x, "mastodon": _finish_mastodon,
                "threads": _finish_threads}[platform](client, pending, args["code"])
    except PublishError as exc:
        raise ValidationFailed(f"{platform} refused the sign-in: {exc.message}", field="code") from exc


def _finish_x(client: httpx.Client, pending: dict, code: str) -> Verified:
    secret = os.environ.get("OPENPOST_X_CLIENT_SECRET")
    client_id = _client_id("x")
    response = send(client, "POST", f"{x.api_url()}/2/oauth2/token", platform="x",
                    data={"grant_type": "authorization_code", "code": code, "client_id": client_id,
                          "redirect_uri": pending["redirect_uri"],
                          "code_verifier": pending["verifier"]},
                    auth=(client_id, secret) if secret else None)
    tokens = check(response, "x", x.message_of, ok=(200,)).json()
    me = send(client, "GET", f"{x.api_url()}/2/users/me", platform="x",
              headers={"Authorization": f"Bearer {tokens['access_token']}"})
    user = check(me, "x", x.message_of, ok=(200,)).json()["data"]
    expires = int(time.time()) + lifetime(tokens.get("expires_in"), 7200)
    return Verified(credentials={"access_token": tokens["access_token"],
                                 "refresh_token": tokens.get("refresh_token"), "expires_at": expires},
                    settings={"account_id": user["id"]}, handle=user["username"],
                    display_name=user.get("name", ""),
                    token_expires_at=datetime.fromtimestamp(expires, UTC))


def _finish_mastodon(client: httpx.Client, pending: dict, code: str) -> Verified:
    from app.channels.connect import verify_mastodon

    instance = pending["instance_url"]
    response = send(client, "POST", f"{instance}/oauth/token", platform="mastodon",
                    data={"grant_type": "authorization_code", "code": code,
                          "client_id": pending["client_id"], "client_secret": pending["client_secret"],
                          "redirect_uri": pending["redirect_uri"], "code_verifier": pending["verifier"],
                          "scope": MASTODON_SCOPES})
    token = check(response, "mastodon", mastodon.message_of, ok=(200,)).json()["access_token"]
    return verify_mastodon(client, instance, token)


def _finish_threads(client: httpx.Client, pending: dict, code: str) -> Verified:
    root = platform_api_url("threads", "https://graph.threads.net")
    secret = os.environ.get("OPENPOST_THREADS_CLIENT_SECRET", "")
    short = send(client, "POST", f"{root}/oauth/access_token", platform="threads",
                 data={"client_id": _client_id("threads"), "client_secret": secret, "code": code,
                       "grant_type": "authorization_code", "redirect_uri": pending["redirect_uri"]})
    if short.status_code != 200:
        raise threads.graph_error(short)
    long = send(client, "GET", f"{root}/access_token", platform="threads",
                params={"grant_type": "th_exchange_token", "client_secret": secret,
                        "access_token": short.json()["access_token"]})
    if long.status_code != 200:
        raise threads.graph_error(long)
    body = long.json()
    me = send(client, "GET", f"{root}/{threads.VERSION}/me", platform="threads",
              params={"fields": "id,username", "access_token": body["access_token"]})
    if me.status_code != 200:
        raise threads.graph_error(me)
    user = me.json()
    expires = datetime.now(UTC) + timedelta(seconds=lifetime(body.get("expires_in"), 5_184_000))
    return Verified(credentials={"access_token": body["access_token"],
                                 "expires_at": int(expires.timestamp())},
                    settings={"account_id": str(user["id"])}, handle=user.get("username", ""),
                    token_expires_at=expires)
