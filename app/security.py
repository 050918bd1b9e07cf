"""Browser and abuse protections applied to every request: rate limits, caching, HSTS, proxies."""

from __future__ import annotations

import hashlib

from flask import Flask, Response, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

from app import db
from app.ops.ratelimit import Limit, hit


def init_app(app: Flask) -> None:
    import os

    trusted = int(os.environ.get("OPENPOST_TRUSTED_PROXIES", "0") or 0)
    if trusted:  # behind a load balancer: client address and scheme from X-Forwarded-*
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted, x_proto=trusted, x_host=trusted)
    app.config.setdefault("LOGIN_RATE", Limit.from_env("OPENPOST_LOGIN_RATE", "10/300"))
    app.config.setdefault("LOGIN_IP_RATE", Limit.from_env("OPENPOST_LOGIN_IP_RATE", "100/300"))
    app.config.setdefault("API_RATE", Limit.from_env("OPENPOST_API_RATE", "1200/60"))
    app.before_request(_rate_limit)
    app.after_request(_headers)


def _client_ip() -> str:
    return request.remote_addr or "unknown"


def _rate_limit():
    if not current_app.config.get("RATE_LIMITS", True):
        return None
    if request.path.startswith("/api/"):
        header = request.headers.get("Authorization", "")
        who = hashlib.sha256(header.encode()).hexdigest()[:32] if header else _client_ip()
        wait = hit(db.session, f"api:{who}", current_app.config["API_RATE"])
        return _too_many(wait, api=True) if wait else None
    if request.method == "POST" and request.endpoint in ("auth.login", "auth.setup"):
        email = (request.form.get("email") or "").strip().lower()
        wait = (hit(db.session, f"login:ip:{_client_ip()}", current_app.config["LOGIN_IP_RATE"])
                or hit(db.session, f"login:{_client_ip()}:{email}",
                       current_app.config["LOGIN_RATE"]))
        return _too_many(wait, api=False) if wait else None
    return None


def _too_many(wait: int, *, api: bool):
    message = f"too many requests; try again in {wait} seconds"
    if api:
        from app.api.errors import error_response

        return error_response(429, "rate_limited", message, headers={"Retry-After": str(wait)})
    from app.web import render

    response = render("error.html", "_error.html", status=429,
                      message=f"Too many sign-in attempts. Try again in {wait} seconds.")
    response.headers["Retry-After"] = str(wait)
    return response


def _headers(response: Response) -> Response:
    # Pages and API answers carry workspace data: no cache may keep them. Static files may.
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    if current_app.config.get("PUBLIC_URL", "").startswith("https://"):
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response
