"""The REST API (/api/v1): bearer API keys, JSON in and out, errors in one envelope."""

from __future__ import annotations

import json
import logging

from flask import Blueprint, current_app, g, request
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException

from app import db
from app.api.errors import error_response
from app.auth import service as auth
from app.errors import DomainError, ValidationFailed

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
log = logging.getLogger(__name__)


@blueprint.before_request
def authenticate():
    if request.endpoint == "api.openapi":
        return None  # the API's description is public
    if any("\x00" in v for v in request.args.values()):
        raise ValidationFailed("query parameters must not contain NUL characters")
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return error_response(401, "unauthorized", "send an API key: Authorization: Bearer <key>",
                              headers={"WWW-Authenticate": "Bearer"})
    key = auth.api_key_for(db.session, token.strip())
    if key is None:
        return error_response(401, "unauthorized", "the API key is unknown or revoked",
                              headers={"WWW-Authenticate": "Bearer"})
    g.api_key = key
    g.workspace_id = key.workspace_id
    g.actor = f"api_key:{key.prefix}"
    return None


@blueprint.after_request
def end_read(response):
    """A read ends its transaction with COMMIT, not the pool's ROLLBACK: the same for a
    transaction that only read, but psycopg forgets its prepared statements on every ROLLBACK,
    and then each request's queries are parsed and planned again."""
    if request.method in ("GET", "HEAD"):
        db.session.commit()
    return response


def parse(model: type[BaseModel], *, optional: bool = False):
    """The request's JSON validated against `model`, or ValidationFailed naming the field."""
    raw = request.get_data(cache=True)
    if len(raw) > current_app.config["MAX_JSON_BYTES"]:
        raise PayloadTooLarge(f"the body is larger than {current_app.config['MAX_JSON_BYTES']} "
                              "bytes")
    if not raw.strip():
        if optional:
            return model()
        raise BadJson("the request body is empty; send a JSON object")
    if not request.mimetype == "application/json":
        raise BadJson("send the body as JSON with Content-Type: application/json")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadJson(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise BadJson("the body must be a JSON object")
    if _has_nul(data):
        raise BadJson("the body must not contain NUL characters (\\u0000)")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        message = ("unknown field" if first["type"] == "extra_forbidden" else first["msg"])
        raise ValidationFailed(f"{field}: {message}" if field else message, field=field) from exc


def _has_nul(value) -> bool:
    """PostgreSQL text and jsonb cannot hold NUL; refuse it up front instead of failing later."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class BadJson(DomainError):
    status = 400
    code = "invalid_json"


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload_too_large"


@blueprint.errorhandler(DomainError)
def domain_error(exc: DomainError):
    db.session.rollback()
    log.info("refused %s %s: %s %s", request.method, request.path, exc.code, exc.message)
    return error_response(exc.status, exc.code, exc.message, field=exc.field)


@blueprint.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    db.session.rollback()
    codes = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
    return error_response(exc.code or 500, codes.get(exc.code, "bad_request"),
                          exc.description or exc.name)


# Route modules register on the blueprint when imported.
from app.api import (  # noqa: E402,F401
    audit,
    channel_options,
    channels,
    media,
    openapi,
    posts,
    webhooks,
)
