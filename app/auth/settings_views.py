"""Settings pages: members and invites, your account, API keys (other areas add their own
pages to the sub-nav)."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, request, session, url_for
from flask_login import current_user, login_required

from app import db
from app.auth import invites, members, passwords, service
from app.auth.web_auth import (
    actor,
    current_membership,
    current_workspace_id,
    require_setup_done,
    roles_required,
)
from app.errors import Conflict, DomainError, Forbidden, ValidationFailed
from app.web import htmx, render

bp = Blueprint("settings", __name__, url_prefix="/settings")


@bp.get("")
@login_required
def index():
    return redirect(url_for("settings.members_page"))


def _members_page(errors: dict | None = None, status: int = 200, issued=None):
    """The members page; `issued` is an invite or reset link, shown this once."""
    ws_id, me = current_workspace_id(), current_membership()
    response = render("settings/members.html", status=status, errors=errors or {},
                      form=request.form, issued=issued,
                      members=members.list_members(db.session, ws_id),
                      pending=invites.list_pending(db.session, ws_id) if _manager() else [],
                      can_manage=_manager(), may_manage=members.may_manage, my_role=me.role,
                      roles=members.ROLES, invitable=invites.INVITABLE_ROLES)
    if issued:
        response.headers["Cache-Control"] = "no-store"
    return response


def _manager() -> bool:
    return current_membership().role in ("owner", "admin")


def _refused(exc: DomainError):
    db.session.rollback()
    field = exc.field if exc.field in ("email", "role") else "form"
    return _members_page({field: exc.message}, exc.status)


@bp.get("/members")
@require_setup_done
@login_required
def members_page():
    return _members_page()


@bp.post("/invites")
@login_required
@roles_required("owner", "admin")
def create_invite():
    try:
        issued = invites.create(db.session, current_workspace_id(), current_membership(),
                                email=request.form.get("email", ""),
                                role=request.form.get("role", "member"))
    except DomainError as exc:
        return _refused(exc)
    return _members_page(issued=issued)


@bp.post("/invites/<uuid:invite_id>/revoke")
@login_required
@roles_required("owner", "admin")
def revoke_invite(invite_id: uuid.UUID):
    invite = invites.revoke(db.session, current_workspace_id(), invite_id, actor())
    flash(f"The invite for {invite.email} no longer works.")
    return redirect(url_for("settings.members_page"))


@bp.post("/members/<uuid:member_id>/role")
@login_required
@roles_required("owner", "admin")
def change_role(member_id: uuid.UUID):
    try:
        target = members.change_role(db.session, current_workspace_id(), current_membership(),
                                     member_id, request.form.get("role", ""))
    except (Conflict, Forbidden, ValidationFailed) as exc:
        return _refused(exc)
    flash(f"{target.user.email} is now {target.role}.")
    return redirect(url_for("settings.members_page"))


@bp.post("/members/<uuid:member_id>/remove")
@login_required
@roles_required("owner", "admin")
def remove_member(member_id: uuid.UUID):
    try:
        gone = members.remove(db.session, current_workspace_id(), current_membership(),
                              member_id)
    except (Conflict, Forbidden) as exc:
        return _refused(exc)
    keys = {0: "they had created no API keys here",
            1: "the API key they created here was revoked"}.get(
        gone.keys_revoked, f"the {gone.keys_revoked} API keys they created here were revoked")
    flash(f"Removed {gone.email}: they are signed out everywhere, and {keys}.")
    if member_id == current_user.id:
        return redirect(url_for("auth.login"))
    return redirect(url_for("settings.members_page"))


@bp.post("/members/<uuid:member_id>/reset-link")
@login_required
@roles_required("owner")
def reset_link(member_id: uuid.UUID):
    try:
        issued = passwords.issue_reset(db.session, current_workspace_id(), current_membership(),
                                       member_id)
    except Forbidden as exc:
        return _refused(exc)
    return _members_page(issued=issued)


@bp.get("/account")
@require_setup_done
@login_required
def account(errors: dict | None = None, status: int = 200):
    return render("settings/account.html", errors=errors or {}, status=status)


@bp.post("/account/workspace")
@login_required
def switch_workspace():
    """Work in another workspace this account belongs to (one joined by invite, say)."""
    chosen = request.form.get("workspace_id", "")
    if chosen not in {str(m.workspace_id) for m in current_user.memberships}:
        abort(404)
    session["workspace_id"] = chosen
    return redirect(url_for("posts.index"))


@bp.post("/account/password")
@login_required
def change_password():
    try:
        ended = passwords.change_password(
            db.session, current_user.id, request.form.get("current", ""),
            request.form.get("password", ""), keep_session=current_user.session_token)
    except ValidationFailed as exc:
        db.session.rollback()
        return account({exc.field or "form": exc.message}, exc.status)
    flash(f"Your password is changed. {ended} other session{'s' if ended != 1 else ''} ended; "
          "this one stays signed in.")
    return redirect(url_for("settings.account"))


def _keys_page(new_token: str | None = None, errors: dict | None = None, status: int = 200):
    return render("settings/api_keys.html", "settings/_api_keys.html", status=status,
                  keys=members.list_api_keys(db.session, current_workspace_id()),
                  new_token=new_token, errors=errors or {})


@bp.get("/api-keys")
@require_setup_done
@login_required
@roles_required("owner", "admin")
def api_keys():
    return _keys_page()


@bp.post("/api-keys")
@login_required
@roles_required("owner", "admin")
def create_api_key():
    name = request.form.get("name", "").strip()
    if len(name) > 120:
        return _keys_page(errors={"name": "the name can be at most 120 characters"}, status=422)
    _key, token = service.create_api_key(db.session, current_workspace_id(), actor(), name,
                                         created_by=current_user.id)
    response = _keys_page(new_token=token)
    response.headers["Cache-Control"] = "no-store"  # the key is shown this once
    return response


@bp.post("/api-keys/<uuid:key_id>/revoke")
@login_required
@roles_required("owner", "admin")
def revoke_api_key(key_id: uuid.UUID):
    service.revoke_api_key(db.session, current_workspace_id(), key_id, actor())
    if not htmx:
        return redirect(url_for("settings.api_keys"))
    return _keys_page()
