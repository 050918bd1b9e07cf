"""Settings pages: members and API keys (other areas add their own pages to the sub-nav)."""

from __future__ import annotations

import uuid

from flask import Blueprint, redirect, request, url_for
from flask_login import current_user, login_required

from app import db
from app.auth import members, service
from app.auth.web_auth import (
    actor,
    current_membership,
    current_workspace_id,
    require_setup_done,
    roles_required,
)
from app.errors import DomainError
from app.web import htmx, render

bp = Blueprint("settings", __name__, url_prefix="/settings")


@bp.get("")
@login_required
def index():
    return redirect(url_for("settings.members_page"))


def _members_page(errors: dict | None = None, status: int = 200, added: str | None = None):
    return render("settings/members.html", status=status, errors=errors or {}, form=request.form,
                  added=added, members=members.list_members(db.session, current_workspace_id()),
                  can_manage=current_membership().role in ("owner", "admin"),
                  roles=members.ADDABLE_ROLES)


@bp.get("/members")
@require_setup_done
@login_required
def members_page():
    return _members_page()


@bp.post("/members")
@login_required
@roles_required("owner", "admin")
def add_member():
    form = request.form
    try:
        user = members.add_member(db.session, current_workspace_id(), current_membership().role,
                                  email=form.get("email", ""), password=form.get("password", ""),
                                  role=form.get("role", "member"))
    except DomainError as exc:
        db.session.rollback()
        field = exc.field if exc.field in ("email", "password", "role") else "form"
        return _members_page({field: exc.message}, exc.status)
    return _members_page(added=user.email)


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
