"""Sign in, sign out, and the first-run page that creates the first user and workspace."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from app import db
from app.auth import service
from app.auth.web_auth import safe_next
from app.errors import DomainError
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
            session.clear()
            login_user(user)
            return redirect(safe_next(request.args.get("next")))
        service.record_failed_login(db.session, email)
        error = "The email or password is not right."
    return render("auth/login.html", error=error, status=401 if error else 200,
                  email=request.form.get("email", ""))


@bp.post("/logout")
@login_required
def logout():
    service.end_sessions(db.session, current_user.id)
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/setup", methods=["GET", "POST"])
def setup():
    """First run only: create the first account and its workspace."""
    if service.has_users(db.session):
        if request.method == "POST":
            abort(404)
        return redirect(url_for("auth.login"))
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
            session.clear()
            login_user(user)
            return redirect(url_for("posts.index"))
    return render("auth/setup.html", errors=errors, form=form,
                  status=422 if errors else 200)
