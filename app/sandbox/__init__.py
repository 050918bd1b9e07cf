"""Spec-faithful fakes of the platforms' publishing APIs, for tests, demos and staging."""

from __future__ import annotations

from flask import Flask

from app.sandbox.state import State


def create_sandbox(state: State | None = None) -> Flask:
    """A WSGI app serving every fake under /<platform>/… and the control endpoint."""
    from app.sandbox import (
        bluesky,
        bluesky_video,
        control,
        facebook,
        instagram,
        linkedin,
        linkedin_orgs,
        mastodon,
        threads,
        tiktok,
        versions,
        x,
        x_media,
    )

    sandbox = Flask("openpost_sandbox")
    sandbox.url_map.converters["graph_version"] = versions.GraphVersionConverter
    sandbox.extensions["sandbox_state"] = state or State()
    for module in (x, x_media, bluesky, bluesky_video, mastodon, threads, instagram, facebook,
                   linkedin, linkedin_orgs, tiktok, control):
        sandbox.register_blueprint(module.bp)
    sandbox.register_blueprint(instagram.facebook_bp)
    return sandbox
