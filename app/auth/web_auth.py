"""Browser sessions: flask-login, CSRF on every state-changing request, the current workspace."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import Flask, abort, g, redirect, request, session, url_for
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from app import db
from app.auth import service, sessions
from app.auth.models import Membership

_View = TypeVar("_View", bound=Callable[..., Any])
login_manager = LoginManager()
csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    csrf.init_app(app)
    lifetimes = app.config.get("SESSION_LIFETIMES")
    login_manager.user_loader(lambda token: sessions.load(db.session, token, lifetimes))
    app.context_processor(_template_context)


def current_membership() -> Membership:
    """The signed-in user's membership in the workspace they are working in."""
    if "membership" not in g:
        memberships = {str(m.workspace_id): m for m in current_user.memberships}
        chosen = memberships.get(session.get("workspace_id")) or next(iter(
            sorted(memberships.values(), key=lambda m: m.created_at)), None)
        if chosen is None:
            abort(403)
        g.membership = chosen
    return g.membership


def current_workspace_id() -> uuid.UUID:
    return current_membership().workspace_id


def actor() -> str:
    return f"user:{current_user.id}"


def roles_required(*roles: str):
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            role = current_membership().role
            if role not in roles:
                abort(403, description=f"only an {' or '.join(roles)} of this workspace may "
                                       f"do this; you are a {role}")
            return view(*args, **kwargs)
        return wrapper
    return decorate


def safe_next(target: str | None) -> str:
    """Only same-site paths: never an absolute URL or a scheme-relative one."""
    if not target:
        return url_for("posts.index")
    parts = urlsplit(target)
    # Browsers drop tabs and newlines from URLs, so "/\t/evil.example" would become "//evil…".
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return url_for("posts.index")
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return url_for("posts.index")
    return target


def _template_context() -> dict:
    if not current_user.is_authenticated or request.path.startswith("/api/"):
        return {}
    membership = current_membership()
    return {"workspace": membership.workspace, "membership": membership}


def require_setup_done(view: _View) -> _View:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not service.has_users(db.session):
            return redirect(url_for("auth.setup"))
        return view(*args, **kwargs)
    return cast(_View, wrapper)
