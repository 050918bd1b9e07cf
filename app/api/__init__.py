"""The REST API (/api/v1): bearer API keys, JSON in and out, errors in one envelope."""

from __future__ import annotations

import logging

from flask import Blueprint, g, request
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException

from app import db
from app.api.errors import error_response
from app.auth import service as auth
from app.errors import DomainError, ValidationFailed
from app.inputs import BadJson, check_json_size, json_body
from app.security import limit_api

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
log = logging.getLogger(__name__)


@blueprint.before_request
def authenticate():
    public = request.endpoint == "api.openapi"  # the API's description needs no key
    token = None if public else _bearer_token(request.headers.get("Authorization", ""))
    key = auth.api_key_for(db.session, token) if token else None
    refused = limit_api(key.id if key else None)
    if refused is not None or public:
        return refused
    if key is None:
        return error_response(401, "unauthorized", "the API key is unknown or revoked" if token
                              else "send an API key: Authorization: Bearer <key>",
                              headers={"WWW-Authenticate": "Bearer"})
    g.api_key = key
    g.workspace_id = key.workspace_id
    g.actor = f"api_key:{key.prefix}"
    return None


def _bearer_token(header: str) -> str | None:
    """The key of "Bearer <key>" (any case, any spacing), else None."""
    parts = header.split(None, 1)
    return parts[1].strip() if len(parts) == 2 and parts[0].lower() == "bearer" else None


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
    check_json_size(raw)
    if not raw.strip():
        if optional:
            return model()
        raise BadJson("the request body is empty; send a JSON object")
    if not request.mimetype == "application/json":
        raise BadJson("send the body as JSON with Content-Type: application/json")
    data = json_body(raw)
    if not isinstance(data, dict):
        raise BadJson("the body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        message = ("unknown field" if first["type"] == "extra_forbidden" else first["msg"])
        raise ValidationFailed(f"{field}: {message}" if field else message, field=field) from exc


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
    analytics,
    audit,
    channel_options,
    channels,
    media,
    openapi,
    posts,
    recurring,
    webhooks,
)
