"""Fake Mastodon: GET /api/v1/statuses/:id with the status's counts."""

from __future__ import annotations

from flask import Blueprint

from app.platforms.mastodon.fake import ERRORS, _account, _outside_scopes, _status_json, _token
from app.sandbox import growth
from app.sandbox.core import faulty, json_response

bp = Blueprint("sandbox_mastodon_metrics", __name__, url_prefix="/mastodon")


@bp.get("/api/v1/statuses/<status_id>")
@faulty("mastodon", "status", ERRORS, _token)
def get_status(status_id: str):
    # https://docs.joinmastodon.org/methods/statuses/#get (OAuth: public for public statuses,
    # a user token with read:statuses otherwise; a token sent is checked, Mastodon OpenAPI
    # security of GET /api/v1/statuses/{id}): a token without the scope gets Doorkeeper's 403.
    if _token() is not None:
        _account_, error = _account()
        if error:
            return error
        if (outside := _outside_scopes("read", "read:statuses")) is not None:
            return outside
    status = growth.find("mastodon", status_id)
    if status is None:
        # Same page, Response 404: {"error": "Record not found"} (deleted, or never existed).
        return json_response({"error": "Record not found"}, 404)
    body = _status_json(status)
    # The Status entity's counts (https://docs.joinmastodon.org/entities/Status/#favourites_count,
    # #reblogs_count, #replies_count, #quotes_count).
    counts = growth.figures("mastodon", status_id, ("likes", "reposts", "replies", "quotes"))
    body.update(favourites_count=counts["likes"], reblogs_count=counts["reposts"],
                replies_count=counts["replies"], quotes_count=counts["quotes"])
    return json_response(body)
