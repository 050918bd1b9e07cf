"""Whether the app mounts the sandbox under /sandbox, and who may use its controls there.

Not a platform fake: no platform behaviour is imitated here. Where each rule comes from:
- when the sandbox is mounted (OPENPOST_SANDBOX on/off/unset, loopback only, never behind a
  public OPENPOST_PUBLIC_URL): OpenPost's own rule, stated in docs/architecture.md, Environment,
  and in docs/deploy.md, Production checklist;
- who may use its controls (the app's session, owners and admins, the CSRF token): the app's
  own authorization rules, docs/architecture.md, REST API;
- consent pages redirecting only to this server's callback: RFC 6749 section 3.1.2 (the
  redirection endpoint must match a registered one),
  https://datatracker.ietf.org/doc/html/rfc6749#section-3.1.2.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Flask, abort, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)
ON, OFF = ("on", "1", "true", "yes"), ("off", "0", "false", "no")
WAITERS = 1  # inside the app, requests that may wait out a fault's delay at once


def is_loopback(host: str) -> bool:
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def decide(setting: str | None, serve_host: str | None,
           public_url: str | None = None) -> tuple[bool, str]:
    """(mount it?, why). An explicit OPENPOST_SANDBOX wins; unset, only `openpost serve`
    bound to a loopback address mounts it, and only while users reach it on loopback too (a
    public OPENPOST_PUBLIC_URL means a reverse proxy serves it to the world)."""
    value = (setting or "").strip().lower()
    if value in OFF:
        return False, "OPENPOST_SANDBOX=off"
    if value in ON:
        return True, "OPENPOST_SANDBOX=on"
    if value:
        raise ValueError(f"OPENPOST_SANDBOX must be on or off, not {setting!r}")
    if serve_host is None:
        return False, "off by default here; OPENPOST_SANDBOX=on mounts it"
    public_host = urlsplit(public_url or "").hostname
    if is_loopback(serve_host) and public_host and not is_loopback(public_host):
        return False, f"OPENPOST_PUBLIC_URL {public_url} is not a loopback address; " \
                      "OPENPOST_SANDBOX=on mounts it"
    if is_loopback(serve_host):
        return True, f"openpost serve on the loopback address {serve_host}"
    return False, f"openpost serve on {serve_host}, not a loopback address; " \
                  "OPENPOST_SANDBOX=on mounts it"


def admin_gate(main: Flask) -> Callable[[], str]:
    """The control routes' gate inside the app: the main app's own session decides. A signed-in
    owner or admin gets their workspace's sandbox; changes need the session's CSRF token."""
    def gate() -> str:
        from flask_login import current_user

        from app.auth.web_auth import csrf, current_membership

        with main.request_context(request.environ):
            if not current_user.is_authenticated:
                abort(401, description="sign in as a workspace owner or admin to use the "
                                       "sandbox's controls")
            membership = current_membership()
            if membership.role not in ("owner", "admin"):
                abort(403, description="the sandbox's controls are for workspace owners and "
                                       "admins")
            if request.method not in ("GET", "HEAD", "OPTIONS"):
                csrf.protect()
            return str(membership.workspace_id)
    return gate


def browser_workspace(main: Flask) -> Callable[[], str | None]:
    """Whose sandbox a request without credentials serves (a consent page visited while signed
    in as a workspace owner or admin: the accounts it makes are that workspace's), else None."""
    def lookup() -> str | None:
        if main.config["SESSION_COOKIE_NAME"] not in request.cookies:
            return None
        try:
            return admin_gate(main)()
        except HTTPException:
            return None
    return lookup


def setup(app: Flask) -> None:
    """Mount the fake platforms under /sandbox when asked to, and say so in the log."""
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from app.sandbox import create_sandbox

    mounted, why = decide(app.config.get("SANDBOX"), app.config.get("SANDBOX_SERVE_HOST"),
                          app.config.get("PUBLIC_URL"))
    log.info("sandbox %s (%s)", "mounted at /sandbox" if mounted else "not mounted", why)
    if not mounted:
        return
    sandbox = create_sandbox(callbacks=[app.config["PUBLIC_URL"]], control_gate=admin_gate(app),
                             waiters=WAITERS)
    sandbox.config["SANDBOX_BROWSER_WORKSPACE"] = browser_workspace(app)
    app.extensions["sandbox"] = sandbox
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/sandbox": sandbox})
