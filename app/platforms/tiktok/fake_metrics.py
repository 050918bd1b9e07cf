"""Fake TikTok: POST /v2/video/query/."""

from __future__ import annotations

from flask import Blueprint, request

from app.platforms.tiktok.fake import ERRORS, _scope_refused, _token, _user, reply
from app.sandbox import growth
from app.sandbox.core import faulty, signed_in

bp = Blueprint("sandbox_tiktok_metrics", __name__, url_prefix="/tiktok")
MAX_IDS = 20
FIELDS = {"id", "create_time", "title", "share_url", "duration", "view_count", "like_count",
          "comment_count", "share_count", "video_description", "cover_image_url"}
NAMES = {"view_count": "views", "like_count": "likes", "comment_count": "comments",
         "share_count": "shares"}


@bp.post("/v2/video/query/")
@faulty("tiktok", "video_query", ERRORS, _token)
@signed_in(_user)
def video_query(user):
    # https://developers.tiktok.com/doc/tiktok-api-v2-video-query: scope video.list; `fields`
    # in the query; filters.video_ids up to 20; only the user's own videos come back.
    refused = _scope_refused(user, ("video.list",))
    if refused:
        return refused
    fields = [f for f in request.args.get("fields", "").split(",") if f]
    body = request.get_json(silent=True) or {}
    ids = (body.get("filters") or {}).get("video_ids") or []
    if not fields or set(fields) - FIELDS:
        return reply(code="invalid_params", message="invalid fields", status=400)
    if not isinstance(ids, list) or not ids or len(ids) > MAX_IDS:
        return reply(code="invalid_params", status=400,
                     message=f"filters.video_ids must hold 1 to {MAX_IDS} ids")
    videos = []
    for video_id in ids:
        post = growth.find("tiktok", str(video_id))
        if post is None or post.get("account") != user["id"]:
            continue
        counts = growth.figures("tiktok", str(video_id), tuple(NAMES.values()))
        video = {"id": str(video_id)}
        for field in fields:
            if field in NAMES:
                video[field] = counts[NAMES[field]]
        videos.append(video)
    return reply({"videos": videos, "cursor": 0, "has_more": False})
