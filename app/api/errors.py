"""The API's error envelope: {"error": {"code", "message", "request_id", "field"?}}."""

from __future__ import annotations

from flask import g, jsonify


def error_response(status: int, code: str, message: str, *, field: str | None = None,
                   headers: dict | None = None):
    body = {"code": code, "message": message, "request_id": g.get("request_id")}
    if field:
        body["field"] = field
    response = jsonify({"error": body})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
