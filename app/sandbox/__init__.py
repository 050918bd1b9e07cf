"""Spec-faithful fakes of the platforms' publishing APIs, for tests, demos and staging."""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Blueprint, Flask

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
    from app.platforms import registry
    from app.sandbox import control, guard, versions

    sandbox = Flask("openpost_sandbox")
    sandbox.url_map.converters["graph_version"] = versions.GraphVersionConverter
    sandbox.extensions["sandbox_state"] = state or State()
    sandbox.config["SANDBOX_CALLBACKS"] = callbacks or [config.public_url()]
    sandbox.config["SANDBOX_WAITERS"] = threading.BoundedSemaphore(waiters) if waiters else None
    if control_gate:
        sandbox.config["SANDBOX_CONTROL_GATE"] = control_gate
    guard.init_app(sandbox)
    for platform in config.PLATFORMS:
        for fake in registry.fakes(platform):
            for blueprint in fake_blueprints(fake):
                sandbox.register_blueprint(blueprint)
    sandbox.register_blueprint(control.bp)
    return sandbox


def fake_blueprints(module) -> list[Blueprint]:
    """The blueprints a fake module defines (a fake may serve more than one prefix)."""
    return [value for value in vars(module).values()
            if isinstance(value, Blueprint) and value.import_name == module.__name__]
