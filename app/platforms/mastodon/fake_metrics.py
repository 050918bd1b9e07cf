"""Fake Mastodon: one status (GET /api/v1/statuses/:id) and several at once
(GET /api/v1/statuses?id[]=…, Mastodon 4.3 and later), with the statuses' counts."""

from __future__ import annotations

from flask import Blueprint, Response, request

from app.platforms.mastodon.fake import ERRORS, _account, _outside_scopes, _status_json, _token
from app.sandbox import growth
from app.sandbox.core import faulty, json_response, state

bp = Blueprint("sandbox_mastodon_metrics", __name__, url_prefix="/mastodon")
# Api::BaseController::DEFAULT_STATUSES_LIMIT, which Api::V1::StatusesController#
# check_statuses_limit holds the ids of GET /api/v1/statuses to.
MAX_IDS = 20
# GET /api/v1/statuses was added in 4.3.0 (same page, Version history). An older instance has
# no such route: the catch-all route of config/routes.rb (application#raise_not_found) answers
# 404. The sandbox setting {"version": "4.2.0"} (POST /_control/settings) makes the fake one.
ADDED_IN = (4, 3)


def _refused():
    """Mastodon's answer to a token that may not read statuses, or None. The OAuth of both
    GETs (https://docs.joinmastodon.org/methods/statuses/#get and #index): public for public
    statuses, a user token with read:statuses otherwise; a token sent is checked (Mastodon
    OpenAPI security: read:statuses), and one without the scope gets Doorkeeper's 403."""
    if _token() is None:
        return None
    _account_, error = _account()
    return error or _outside_scopes("read", "read:statuses")


def _with_counts(status: dict) -> dict:
    body = _status_json(status)
    # The Status entity's counts (https://docs.joinmastodon.org/entities/Status/#favourites_count,
    # #reblogs_count, #replies_count, #quotes_count).
    counts = growth.figures("mastodon", status["id"], ("likes", "reposts", "replies", "quotes"))
    body.update(favourites_count=counts["likes"], reblogs_count=counts["reposts"],
                replies_count=counts["replies"], quotes_count=counts["quotes"])
    return body


@bp.get("/api/v1/statuses/<status_id>")
@faulty("mastodon", "status", ERRORS, _token)
def get_status(status_id: str):
    # https://docs.joinmastodon.org/methods/statuses/#get
    if (refused := _refused()) is not None:
        return refused
    status = growth.find("mastodon", status_id)
    if status is None:
        # Same page, Response 404: {"error": "Record not found"} (deleted, or never existed).
        return json_response({"error": "Record not found"}, 404)
    return json_response(_with_counts(status))


@bp.get("/api/v1/statuses")
@faulty("mastodon", "statuses", ERRORS, _token)
def get_statuses():
    # https://docs.joinmastodon.org/methods/statuses/#index ("View multiple statuses", added in
    # 4.3.0): id[] is an array of status ids; "There can be fewer records than requested if the
    # requested statuses do not exist or cannot be accessed given the current credentials": a
    # deleted or unknown id is left out of the 200 answer, not an error.
    version = str(state().settings("mastodon").get("version") or "4.5.0")
    if tuple(int(n) for n in version.split(".")[:2]) < ADDED_IN:
        # ApplicationController#respond_with_error(404): an HTML error page for any format,
        # {"error": "Not Found"} when the client asks for JSON only.
        if request.accept_mimetypes.best == "application/json":
            return json_response({"error": "Not Found"}, 404)
        return Response("<!DOCTYPE html><title>The page you are looking for isn't here.</title>",
                        404, mimetype="text/html")
    if (refused := _refused()) is not None:
        return refused
    ids = list(dict.fromkeys(request.args.getlist("id[]")))  # status_ids: ids.uniq
    if len(ids) > MAX_IDS:
        # check_statuses_limit raises Mastodon::ValidationError, which Api::BaseController
        # renders as 422 {"error": <the error's message>}.
        return json_response({"error": "Mastodon::ValidationError"}, 422)
    found = [growth.find("mastodon", i) for i in ids]
    return json_response([_with_counts(s) for s in found if s is not None])
