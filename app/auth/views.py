"""Sign in, sign out (here or everywhere), the first-run page, and the invite and reset links."""

from __future__ import annotations

import ipaddress

from flask import Blueprint, abort, flash, redirect, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from app import db
from app.auth import invites, passwords, service, sessions
from app.auth.web_auth import safe_next
from app.errors import DomainError
from app.security import password_attempt_wait
from app.web import render

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if not service.has_users(db.session):
        return redirect(url_for("auth.setup"))
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    error = None
    if request.method == "POST":
        email = request.form.get("email", "")
        user = service.authenticate(db.session, email, request.form.get("password", ""))
        if user is not None:
            _sign_in(user)
            return redirect(safe_next(request.args.get("next")))
        service.record_failed_login(db.session, email)
        error = "The email or password is not right."
    return render("auth/login.html", error=error, status=401 if error else 200,
                  email=request.form.get("email", ""))


@bp.post("/logout")
@login_required
def logout():
    """Ends this browser's session only; other devices stay signed in."""
    sessions.end(db.session, current_user.session_token)
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.post("/logout/everywhere")
@login_required
def logout_everywhere():
    sessions.end_everywhere(db.session, current_user)
    logout_user()
    session.clear()
    flash("You are signed out on every device.")
    return redirect(url_for("auth.login"))


def _sign_in(user, workspace_id=None) -> None:
    session.clear()
    login_user(sessions.start(db.session, user))
    if workspace_id is not None:
        session["workspace_id"] = str(workspace_id)


@bp.route("/setup", methods=["GET", "POST"])
def setup():
    """First run only: create the first account and its workspace."""
    if service.has_users(db.session):
        if request.method == "POST":
            abort(404)
        return redirect(url_for("auth.login"))
    if not _from_this_machine():
        return render("error.html", "_error.html", status=403, message=(
            "The first account is made on the server itself: open this page from the server "
            "(http://127.0.0.1…), or run `openpost user create EMAIL --workspace NAME` there."))
    errors: dict[str, str] = {}
    form = request.form
    if request.method == "POST":
        try:
            user = service.create_user(db.session, form.get("email", ""),
                                       form.get("password", ""), form.get("workspace", ""),
                                       timezone=form.get("timezone") or "UTC",
                                       name=form.get("name", ""))
        except DomainError as exc:
            db.session.rollback()
            errors[exc.field or "form"] = exc.message
        else:
            _sign_in(user)
            return redirect(url_for("posts.index"))
    return render("auth/setup.html", errors=errors, form=form,
                  status=422 if errors else 200)


def _from_this_machine() -> bool:
    """A loopback client that came through no proxy: until the first account exists, whoever
    reaches /setup would become its owner, so a deployment's public address never offers it."""
    forwarded = request.headers.get("X-Forwarded-For") or request.headers.get("Forwarded")
    try:
        return not forwarded and ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def _link_gone_page(exc: DomainError, kind: str):
    return render("auth/link.html", status=exc.status, kind=kind, problem=exc.message,
                  errors={}, form={})


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token: str):
    """The invitee sets their name and password here and joins the workspace."""
    try:
        invite = invites.usable(db.session, token)
    except DomainError as exc:
        return _link_gone_page(exc, "invite")
    form, errors = request.form, {}
    if request.method == "POST":
        if wait := password_attempt_wait(invite.email):
            errors["form"] = f"Too many attempts. Try again in {wait} seconds."
        else:
            try:
                user, workspace_id = invites.accept(db.session, token, name=form.get("name", ""),
                                                    password=form.get("password", ""))
            except DomainError as exc:
                db.session.rollback()
                if exc.status in (404, 410):
                    return _link_gone_page(exc, "invite")
                errors[exc.field or "form"] = exc.message
            else:
                _sign_in(user, workspace_id)
                flash(f"Welcome: you joined {invite.workspace.name}.")
                return redirect(url_for("posts.index"))
    return render("auth/link.html", kind="invite", invite=invite, errors=errors, form=form,
                  status=422 if errors else 200)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """A member sets a new password through the link an owner gave them."""
    try:
        passwords.usable_reset(db.session, token)
    except DomainError as exc:
        return _link_gone_page(exc, "password reset")
    errors = {}
    if request.method == "POST":
        try:
            passwords.use_reset(db.session, token, request.form.get("password", ""))
        except DomainError as exc:
            db.session.rollback()
            if exc.status in (404, 410):
                return _link_gone_page(exc, "password reset")
            errors[exc.field or "form"] = exc.message
        else:
            logout_user()
            session.clear()
            flash("Your new password is set, and every earlier session has ended. Sign in.")
            return redirect(url_for("auth.login"))
    return render("auth/link.html", kind="password reset", errors=errors, form={},
                  status=422 if errors else 200)
