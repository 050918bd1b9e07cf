"""Who may use the sandbox and how much: body caps, the control gate, registered callbacks.

This is OpenPost's own gate around the fakes, not a platform behaviour: the caps and the control
gate are the sandbox rules of docs/deploy.md ("Limits") and SECURITY.md. The one platform rule
here is the callback check: an authorization server redirects only to a registered redirection
URI (RFC 6749 §3.1.2, https://www.rfc-editor.org/rfc/rfc6749#section-3.1.2, and §4.1.2.1:
with a mismatching redirect_uri it "MUST NOT automatically redirect" but informs the user).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlencode, urlsplit

from flask import Flask, abort, current_app, redirect, request

from app.sandbox.core import caller_workspace, json_response, state

MAX_BODY_BYTES = 2 * 1024 * 1024  # every endpoint but the media uploads
# Media uploads: a bound on the fakes' memory, below Bluesky's 300 MB video limit (the fakes
# keep bodies in memory; production publishing is not bounded by this).
MAX_MEDIA_BODY_BYTES = 100 * 1024 * 1024
CALLBACK_PATH = "/channels/callback/"  # what OpenPost registers with each platform


def media_upload(view):
    """Mark a view that takes media bytes: its body may be up to MAX_MEDIA_BODY_BYTES."""
    view.sandbox_media_upload = True
    return view


def _limit_body() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    limit = MAX_MEDIA_BODY_BYTES if getattr(view, "sandbox_media_upload", False) \
        else MAX_BODY_BYTES
    request.max_content_length = limit  # a body sent without a length stops here too
    if (request.content_length or 0) > limit:
        abort(413, description=f"the sandbox takes request bodies up to {limit} bytes here")


def loopback_only() -> None:
    """The standalone sandbox's control gate: clients on this machine only (inside the app,
    mount.admin_gate lets a signed-in workspace owner or admin in instead)."""
    try:
        local = ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        local = False
    if not local:
        abort(403, description="the sandbox's control routes answer only to loopback clients")


def _serve() -> None:
    """Limit the body, then note whose workspace this request serves (control routes: the
    gate's answer; the fakes: the owner of the credential the request carries)."""
    _limit_body()
    if request.blueprint == "sandbox_control":
        workspace = current_app.config["SANDBOX_CONTROL_GATE"]()
    else:
        workspace = caller_workspace()
        if workspace is None and request.method == "GET":
            workspace = current_app.config["SANDBOX_BROWSER_WORKSPACE"]()
    state().serve(workspace)


def _error(exc):
    return json_response({"error": {"code": exc.code, "message": exc.description}}, exc.code)


def init_app(sandbox: Flask) -> None:
    sandbox.config.setdefault("SANDBOX_CONTROL_GATE", loopback_only)
    sandbox.config.setdefault("SANDBOX_BROWSER_WORKSPACE", lambda: None)
    sandbox.before_request(_serve)
    sandbox.teardown_request(lambda _exc=None: state().serve(None))
    for code in (401, 403, 413):
        sandbox.register_error_handler(code, _error)


def _registered(uri: str, platforms: tuple[str, ...]) -> bool:
    parts = urlsplit(uri)
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    origins = {request.host_url.rstrip("/").lower(),
               *(o.rstrip("/").lower() for o in current_app.config["SANDBOX_CALLBACKS"])}
    return not parts.query and not parts.fragment and origin in origins \
        and parts.path in {CALLBACK_PATH + p for p in platforms}


def callback(uri: str | None, *platforms: str) -> str:
    """`uri` when it is a registered callback (OpenPost's own /channels/callback/<platform> on
    the app's address); any other redirect_uri gets the 400 error page, as on the platforms,
    before the consent screen does anything."""
    if not uri or not _registered(uri, platforms):
        abort(400, description="The redirect_uri is not registered for this app: the sandbox "
                               "only returns to OpenPost's own callback address.")
    return uri


def back_to(uri: str, query: dict):
    """The consent screen's answer: back to the (checked) callback with the code."""
    return redirect(f"{uri}?{urlencode(query)}")
