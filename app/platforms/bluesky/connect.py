"""Connecting a Bluesky account with its handle and an app password: a session on the PDS
(https://docs.bsky.app/docs/api/com-atproto-server-create-session)."""

from __future__ import annotations

import httpx

from app.errors import ValidationFailed
from app.platforms.bluesky.publisher import create_session
from app.platforms.errors import AuthRevoked, PublishError
from app.platforms.signin import Verified, check_public_url


def verify_bluesky(client: httpx.Client, handle: str, app_password: str, pds_url: str) -> Verified:
    pds = check_public_url(pds_url, "pds_url")
    try:
        session = create_session(client, pds, handle.lstrip("@"), app_password)
    except AuthRevoked as exc:
        raise ValidationFailed("Bluesky refused this handle and app password "
                               f"({exc.message.split('(', 1)[-1].rstrip(')')})",
                               field="app_password") from exc
    except PublishError as exc:
        raise ValidationFailed(f"the Bluesky server could not be reached: {exc.message}",
                               field="pds_url") from exc
    return Verified(
        credentials={"identifier": session["handle"], "app_password": app_password,
                     "access_jwt": session["accessJwt"], "refresh_jwt": session["refreshJwt"],
                     "did": session["did"]},
        settings={"pds_url": pds, "did": session["did"]}, handle=session["handle"])


def direct(client: httpx.Client, creds: dict, settings: dict) -> Verified:
    """Credentials given to the REST API."""
    return verify_bluesky(client, creds["identifier"], creds["app_password"], settings["pds_url"])
