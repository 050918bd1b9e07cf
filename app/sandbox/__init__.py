"""Spec-faithful fakes of the platforms' publishing APIs, for tests, demos and staging."""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Flask

from app.sandbox.state import State


def create_sandbox(state: State | None = None, callbacks: list[str] | None = None,
                   control_gate: Callable[[], str | None] | None = None,
                   waiters: int | None = None) -> Flask:
    """A WSGI app serving every fake under /<platform>/… and the control endpoint.

    callbacks: the app addresses whose /channels/callback/<platform> consent pages may return
    to (besides the sandbox's own address); control_gate: who may use /_control, returning
    the workspace served (default: loopback clients, the whole sandbox); waiters: how many
    requests may wait out a fault's delay at once (default: no limit)."""
    from app import config
    from app.platforms.bluesky import fake as bluesky
    from app.platforms.bluesky import fake_video as bluesky_video
    from app.platforms.facebook import fake as facebook
    from app.platforms.instagram import fake as instagram
    from app.platforms.linkedin import fake as linkedin
    from app.platforms.linkedin import fake_orgs as linkedin_orgs
    from app.platforms.mastodon import fake as mastodon
    from app.platforms.threads import fake as threads
    from app.platforms.tiktok import fake as tiktok
    from app.platforms.x import fake as x
    from app.platforms.x import fake_media as x_media
    from app.sandbox import control, guard, versions

    sandbox = Flask("openpost_sandbox")
    sandbox.url_map.converters["graph_version"] = versions.GraphVersionConverter
    sandbox.extensions["sandbox_state"] = state or State()
    sandbox.config["SANDBOX_CALLBACKS"] = callbacks or [config.public_url()]
    sandbox.config["SANDBOX_WAITERS"] = threading.BoundedSemaphore(waiters) if waiters else None
    if control_gate:
        sandbox.config["SANDBOX_CONTROL_GATE"] = control_gate
    guard.init_app(sandbox)
    for module in (x, x_media, bluesky, bluesky_video, mastodon, threads, instagram, facebook,
                   linkedin, linkedin_orgs, tiktok, control):
        sandbox.register_blueprint(module.bp)
    sandbox.register_blueprint(instagram.facebook_bp)
    return sandbox
