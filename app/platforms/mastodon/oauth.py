"""Connecting a Mastodon account in the browser: OpenPost registers itself as an app on the
instance, then OAuth 2.0 with PKCE (https://docs.joinmastodon.org/methods/apps/#create,
https://docs.joinmastodon.org/methods/oauth/)."""

from __future__ import annotations

import httpx

from app.errors import ValidationFailed
from app.platforms.errors import PublishError
from app.platforms.http import check, send
from app.platforms.mastodon.connect import verify_mastodon
from app.platforms.mastodon.publisher import message_of
from app.platforms.signin import Verified, check_public_url

# read:statuses lets a lost attempt be settled by looking at the account's statuses
# (https://docs.joinmastodon.org/methods/accounts/#statuses).
SCOPES = "read:accounts read:statuses write:statuses write:media"
PKCE = True


def consent(client: httpx.Client, pending: dict, redirect_uri: str,
            instance_url: str | None) -> tuple[str, str]:
    """(the instance's consent page, the client id it gave OpenPost): each instance is its own
    server, so OpenPost registers there first and keeps the app's credentials in `pending`."""
    instance = check_public_url(instance_url or "", "instance_url")
    app = _register_app(client, instance, redirect_uri)
    pending |= {"instance_url": instance, "client_id": app["client_id"],
                "client_secret": app["client_secret"]}
    return f"{instance}/oauth/authorize", app["client_id"]


def _register_app(client: httpx.Client, instance: str, redirect_uri: str) -> dict:
    try:
        response = send(client, "POST", f"{instance}/api/v1/apps", platform="mastodon",
                        json={"client_name": "OpenPost", "redirect_uris": redirect_uri,
                              "scopes": SCOPES})
        return check(response, "mastodon", message_of, ok=(200,)).json()
    except PublishError as exc:
        raise ValidationFailed(f"the instance did not register OpenPost: {exc.message}",
                               field="instance_url") from exc


def finish(client: httpx.Client, pending: dict, code: str) -> Verified:
    instance = pending["instance_url"]
    response = send(client, "POST", f"{instance}/oauth/token", platform="mastodon",
                    data={"grant_type": "authorization_code", "code": code,
                          "client_id": pending["client_id"], "client_secret": pending["client_secret"],
                          "redirect_uri": pending["redirect_uri"], "code_verifier": pending["verifier"],
                          "scope": SCOPES})
    token = check(response, "mastodon", message_of, ok=(200,)).json()["access_token"]
    return verify_mastodon(client, instance, token)
