"""Fake Threads: media insights."""

from __future__ import annotations

from flask import Blueprint, request

from app.platforms.facebook.fake_metrics import PERMISSION, granted, graph_insights
from app.platforms.threads.fake import ERRORS, _token, _user, graph_error
from app.sandbox.core import faulty, signed_in, state

bp = Blueprint("sandbox_threads_metrics", __name__, url_prefix="/threads")
# https://developers.facebook.com/docs/threads/insights ("Media Insights": views, likes,
# replies, reposts, quotes, shares; permissions threads_basic, threads_manage_insights).
METRICS = {m: m for m in ("views", "likes", "replies", "reposts", "quotes", "shares")}


@bp.get("/v1.0/<media_id>/insights")
@faulty("threads", "insights", ERRORS, _token)
@signed_in(_user)
def insights(_account, media_id: str):
    recorded = state().bucket("threads", "scopes").get(request.values.get("access_token") or "")
    if not granted(_token(), {"threads_manage_insights"}, recorded):
        return graph_error(PERMISSION, 10, 403)
    return graph_insights("threads", media_id, METRICS)
