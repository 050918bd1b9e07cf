"""Connecting a channel without a browser sign-in (the REST API's direct credentials), where
the platform allows it: its package's connect.py checks the credentials with the platform."""

from __future__ import annotations

from app.platforms import registry
from app.platforms.http import make_client
from app.platforms.signin import Verified


def verify_direct(platform: str, creds: dict, settings: dict) -> Verified | None:
    """Check credentials the REST API was given, where the platform allows it without OAuth."""
    spec = registry.module(platform, "connect")
    if spec is None:
        return None
    with make_client() as client:
        return spec.direct(client, creds, settings)
