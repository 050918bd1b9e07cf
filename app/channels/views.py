"""Dashboard flows that connect a channel: forms, OAuth redirects and callbacks, the sandbox."""

from __future__ import annotations

import base64
import json
import uuid

from flask import Blueprint, abort, current_app, redirect, request, session, url_for
from flask_login import login_required

from app import crypto, db
from app.auth.web_auth import actor, current_workspace_id, roles_required
from app.channels import account_choice, oauth, sandbox_channels, service
from app.errors import ValidationFailed
from app.platforms.bluesky.connect import verify_bluesky
from app.platforms.http import make_client
from app.platforms.mastodon.connect import verify_mastodon
from app.platforms.registry import PUBLISHERS
from app.platforms.signin import Verified
from app.web import render

bp = Blueprint("channels", __name__, url_prefix="/channels")
PENDING = "channel_oauth"
RECONNECT = "channel_reconnect"


def _form(platform: str, error: str | None = None, status: int = 200, target=None):
    return render("channels/connect.html", platform=platform, name=PUBLISHERS[platform].name, error=error,
                  form=request.form, status=status, target=target)


def _target(platform: str, value: str | None):
    """The channel a Reconnect repairs (from its button's link or the form), or None."""
    if not value:
        return None
    try:
        channel_id = uuid.UUID(value)
    except ValueError:
        abort(400, description="reconnect must be a channel id")
    channel = service.get_channel(db.session, current_workspace_id(), channel_id)
    if channel.platform != platform:
        abort(400, description=f"that channel is on {channel.platform}, not {platform}")
    return channel


def _store(platform: str, verified: Verified, target_id=None):
    """Connect or repair, then redirect: reloading the answer connects nothing again."""
    channel, repaired = service.connect_or_repair(
        db.session, current_workspace_id(), actor(), platform=platform, handle=verified.handle,
        display_name=verified.display_name, timezone=None, credentials=verified.credentials,
        settings=verified.settings, token_expires_at=verified.token_expires_at,
        reconnect_id=target_id)
    return redirect(url_for("channels.connected", channel_id=channel.id,
                            **({"reconnected": 1} if repaired else {})), 303)


def _known(platform: str) -> None:
    if platform not in PUBLISHERS:
        abort(404, description=f"connecting {platform} channels is not available yet")


@bp.get("/<uuid:channel_id>/connected")
@login_required
def connected(channel_id: uuid.UUID):
    """The result of a connect: the channel, and after a repair the posts it missed."""
    channel = service.get_channel(db.session, current_workspace_id(), channel_id)
    return render("channels/connected.html", channel=channel, name=PUBLISHERS[channel.platform].name,
                  reconnected=bool(request.args.get("reconnected")),
                  overdue=service.overdue_posts(db.session, channel))


@bp.get("/connect/<platform>")
@login_required
@roles_required("owner", "admin")
def connect_form(platform: str):
    if platform == "sandbox":
        return render("channels/sandbox.html")
    _known(platform)
    return _form(platform, target=_target(platform, request.args.get("channel")))


@bp.post("/connect/<platform>")
@login_required
@roles_required("owner", "admin")
def connect(platform: str):
    _known(platform)
    form = request.form
    target = _target(platform, form.get("reconnect"))
    target_id = target.id if target else None
    try:
        with make_client() as client:
            if platform == "bluesky":
                return _store(platform, verify_bluesky(
                    client, form.get("handle", "").strip(), form.get("app_password", "").strip(),
                    form.get("pds_url", "").strip() or service.DEFAULT_PDS), target_id)
            if platform == "mastodon" and form.get("access_token", "").strip():
                return _store(platform, verify_mastodon(client, form.get("instance_url", "").strip(),
                                                        form["access_token"].strip()), target_id)
            url, pending = oauth.start(client, platform,
                                       url_for("channels.callback", platform=platform,
                                               _external=True),
                                       form.get("instance_url", "").strip() or None,
                                       form.get("variant", "").strip() or None)
    except ValidationFailed as exc:
        db.session.rollback()
        return _form(platform, exc.message, 422, target)
    pending["workspace_id"] = str(current_workspace_id())
    pending["reconnect"] = str(target_id) if target_id else None
    session[PENDING] = _seal(pending)
    return redirect(url)


def _seal(pending: dict) -> str:
    """The session cookie is signed, not secret: the PKCE verifier and a Mastodon app's client
    secret travel encrypted."""
    return base64.urlsafe_b64encode(crypto.encrypt(json.dumps(pending).encode(), PENDING)).decode()


def _unseal(value: str | None) -> dict | None:
    if not value:
        return None
    try:
        return json.loads(crypto.decrypt(base64.urlsafe_b64decode(value), PENDING))
    except (ValueError, crypto.DecryptionFailed):
        return None


@bp.get("/callback/<platform>")
@login_required
@roles_required("owner", "admin")
def callback(platform: str):
    _known(platform)
    pending = _unseal(session.pop(PENDING, None))
    if pending and pending.get("workspace_id") != str(current_workspace_id()):
        pending = None
    target_id = (pending or {}).get("reconnect")
    try:
        with make_client() as client:
            verified = oauth.finish(client, platform, pending, request.args.to_dict())
        if len(verified.extra.get("choices") or []) > 1:
            session[RECONNECT] = target_id
            return render("channels/choose_account.html", platform=platform,
                          choices=account_choice.offer(platform, verified,
                                                       current_workspace_id()))
        return _store(platform, verified, target_id)
    except ValidationFailed as exc:
        db.session.rollback()
        return _form(platform, exc.message, 400 if exc.field == "state" else 422,
                     _target(platform, target_id))


@bp.post("/choose")
@login_required
@roles_required("owner", "admin")
def choose_account():
    """After a sign-in that offered several accounts: connect the one the user picked."""
    target_id = session.pop(RECONNECT, None)
    try:
        platform, verified = account_choice.choose(current_workspace_id(),
                                                   request.form.get("choice", ""))
        return _store(platform, verified, target_id)
    except ValidationFailed as exc:
        db.session.rollback()
        return render("channels/choose_account.html", platform=None, choices=[],
                      error=exc.message, status=422)


@bp.post("/connect/sandbox")
@login_required
@roles_required("owner", "admin")
def connect_sandbox():
    """A channel on the sandbox mounted under /sandbox, on any of the eight platforms: no
    account and no environment variable needed."""
    sandbox = current_app.extensions.get("sandbox")
    if sandbox is None:
        abort(404, description="the sandbox is switched off on this server")
    platform = request.form.get("platform", "mastodon")
    if platform not in sandbox_channels.OFFERED:
        abort(400, description=f"the sandbox has no {platform!r}; choose one of "
                               f"{', '.join(sandbox_channels.OFFERED)}")
    return _store(platform, sandbox_channels.verified(
        sandbox, f"{current_app.config['PUBLIC_URL']}/sandbox", str(current_workspace_id()),
        platform))
