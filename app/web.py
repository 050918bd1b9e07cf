"""Per-request plumbing: request ids, page-or-fragment rendering, HTML error pages."""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from flask import Flask, Response, g, render_template, request
from flask_htmx import HTMX
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from app.errors import Conflict, DomainError
from app.logs import request_id_var

htmx = HTMX()
_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; "
                                "img-src 'self' data:; frame-ancestors 'none'; "
                                "form-action 'self'; base-uri 'self'"),
    "X-Frame-Options": "DENY",
}


def init_app(app: Flask) -> None:
    htmx.init_app(app)
    app.add_template_filter(_localtime, "localtime")
    app.before_request(_assign_request_id)
    app.after_request(_finish_response)
    app.teardown_request(lambda _exc=None: request_id_var.set(None))
    app.register_error_handler(DomainError, _domain_error_page)
    app.register_error_handler(StaleDataError, _stale_page)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _server_error)


def _assign_request_id() -> None:
    incoming = request.headers.get("x-op-request-id", "")
    g.request_id = incoming if _INCOMING_ID.match(incoming) else uuid.uuid4().hex
    request_id_var.set(g.request_id)


def _finish_response(response: Response) -> Response:
    response.headers["x-op-request-id"] = g.get("request_id") or uuid.uuid4().hex
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.scheme == "https" or request.headers.get("X-Forwarded-Proto") == "https":
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if htmx:
        response.vary.add("HX-Request")
    return response


def render(template: str, fragment: str | None = None, status: int = 200, **context: Any
           ) -> Response:
    """The full page on a normal request, only the partial on an htmx request."""
    response = Response(render_template(fragment if (htmx and fragment) else template,
                                        **context), status=status)
    response.vary.add("HX-Request")
    return response


def _domain_error_page(exc: DomainError):
    if request.path.startswith("/api/"):
        from app.api.errors import error_response

        return error_response(exc.status, exc.code, exc.message, field=exc.field)
    return render("error.html", "_error.html", status=exc.status, message=exc.message,
                  title="Not possible")


def _stale_page(_exc: StaleDataError):
    return _domain_error_page(Conflict("someone else changed this at the same time; "
                                          "reload and try again"))


_API_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 413: "payload_too_large", 429: "rate_limited"}


def _http_error(exc: HTTPException):
    if request.path.startswith("/api/"):
        from app.api.errors import error_response

        return error_response(exc.code or 500, _API_CODES.get(exc.code, "error"),
                              exc.description or exc.name)
    if exc.response is not None or not exc.code or exc.code < 400:
        return exc
    return _error_page(exc.code, exc.description or exc.name)


_TITLES = {403: "Not allowed", 404: "Page not found", 500: "Something went wrong"}
_PLAIN = {403: "You may not do this in this workspace.",
          404: "There is nothing at this address; it may have been deleted.",
          500: "Something went wrong on our side; try again, or quote the request id."}


def _error_page(code: int, message: str | None = None):
    """The styled page (the partial for htmx, which shows it as a toast), with the navigation."""
    from werkzeug.exceptions import default_exceptions

    default = default_exceptions.get(code)
    if not message or (default is not None and message == default.description):
        message = _PLAIN.get(code, message)
    title = _TITLES.get(code) or (default.name if default else "Error")
    try:
        return render("error.html", "_error.html", status=code, message=message, title=title,
                      request_id=g.get("request_id"))
    except Exception:  # the page itself failed (the database is down, say): the bare one
        logging.getLogger(__name__).exception("the error page failed")
        return Response(message, status=code, mimetype="text/plain")


def _server_error(exc: Exception):
    from app import db

    if isinstance(exc, HTTPException):
        return _http_error(exc)
    logging.getLogger(__name__).exception("unhandled error")
    db.session.rollback()
    if request.path.startswith("/api/"):
        from app.api.errors import error_response

        return error_response(500, "internal_error",
                              "something went wrong on our side; quote the request id")
    return _error_page(500)


def _localtime(moment, tz_name: str = "UTC", fmt: str = "%Y-%m-%d %H:%M %Z") -> str:
    from app.timeutil import to_local

    return to_local(moment, tz_name).strftime(fmt) if moment else ""
