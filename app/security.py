"""Browser and abuse protections applied to every request: rate limits, caching, HSTS, proxies."""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

from app import config, db
from app.ops.ratelimit import Limit, hit


def init_app(app: Flask) -> None:
    current = config.settings()
    trusted = current.trusted_proxies
    if trusted:  # behind a load balancer: client address and scheme from X-Forwarded-*
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted, x_proto=trusted, x_host=trusted)
    # Per account: the limit that stops guessing. Per address: only a ceiling, generous enough
    # for an office whose staff all sign in from one NAT address.
    app.config.setdefault("LOGIN_RATE", Limit(*current.login_rate))
    app.config.setdefault("LOGIN_IP_RATE", Limit(*current.login_ip_rate))
    app.config.setdefault("API_RATE", Limit(*current.api_rate))
    app.config.setdefault("API_ANON_RATE", Limit(*current.api_anon_rate))
    app.before_request(_rate_limit)
    app.after_request(_headers)


def _client_ip() -> str:
    return request.remote_addr or "unknown"


def _rate_limit():
    if not current_app.config.get("RATE_LIMITS", True):
        return None
    if request.method == "POST" and request.endpoint in ("auth.login", "auth.setup"):
        wait = password_attempt_wait(request.form.get("email") or "")
        return _too_many(wait, api=False) if wait else None
    return None  # the API counts its requests once it knows the key (limit_api)


def password_attempt_wait(email: str) -> int | None:
    """Count one password attempt for `email` from this address; the seconds to wait when
    either the address's or the account's limit is spent (None: go ahead)."""
    if not current_app.config.get("RATE_LIMITS", True):
        return None
    email = email.strip().lower()
    return (hit(db.session, f"login:ip:{_client_ip()}", current_app.config["LOGIN_IP_RATE"])
            or hit(db.session, f"login:account:{email}", current_app.config["LOGIN_RATE"]))


def limit_api(key_id) -> Response | None:
    """Count an API request against its key's id, or, without a valid key, against the client
    address: a new garbage key each time is still one address, one counter row per window."""
    if not current_app.config.get("RATE_LIMITS", True):
        return None
    if key_id is None:
        wait = hit(db.session, f"api:address:{_client_ip()}", current_app.config["API_ANON_RATE"])
    else:
        wait = hit(db.session, f"api:key:{key_id}", current_app.config["API_RATE"])
    return _too_many(wait, api=True) if wait else None


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
