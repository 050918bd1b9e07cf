"""Fake X chunked media upload: initialize, append segments, finalize, STATUS polling with
processing_info (pending, in_progress, succeeded, failed) as the v2 spec describes."""

from __future__ import annotations

from flask import Blueprint, request

from app.platforms.x.fake import ERRORS, _token, _user, missing_scopes, problem
from app.sandbox.core import faulty, json_response, signed_in, state
from app.sandbox.guard import media_upload
from app.sandbox.pull import settings

bp = Blueprint("sandbox_x_media", __name__, url_prefix="/x")
MAX_BYTES = 512 * 1024 * 1024
MAX_GIF_BYTES = 15 * 1024 * 1024
# The v2 request bodies take no other fields (X OpenAPI, components/schemas/
# InitializeMediaUploadRequest and AppendMediaUploadRequest: additionalProperties false), so a
# v1.1-style `command=INIT` or `media_id` field is refused.
INITIALIZE_FIELDS = {"additional_owners", "media_category", "media_type", "shared", "total_bytes"}
APPEND_FIELDS = {"media", "segment_index"}


def _session(media_id: str) -> dict | None:
    return state().bucket("x", "uploads").get(media_id)


@bp.post("/2/media/upload/initialize")
@faulty("x", "initialize", ERRORS, _token)
@signed_in(_user)
def initialize(user):
    if (refused := missing_scopes("media.write")) is not None:
        return refused
    body = request.get_json(silent=True) or {}
    if not isinstance(body, dict) or set(body) - INITIALIZE_FIELDS:
        return problem(400, "Invalid Request", "unknown fields: "
                       f"{', '.join(sorted(set(body) - INITIALIZE_FIELDS)) or 'not an object'}")
    total, category = body.get("total_bytes"), body.get("media_category")
    if category not in ("tweet_video", "amplify_video", "tweet_gif") \
            or not isinstance(total, int) or not 0 < total <= MAX_BYTES \
            or body.get("media_type") not in ("video/mp4", "video/quicktime", "image/gif"):
        return problem(400, "Invalid Request", "media_type, media_category and total_bytes "
                                               "(at most 512 MB) are required")
    # https://docs.x.com/x-api/media (Media types & size restrictions: GIF 15 MB)
    if (category == "tweet_gif") != (body["media_type"] == "image/gif") \
            or (category == "tweet_gif" and total > MAX_GIF_BYTES):
        return problem(400, "Invalid Request", "a GIF goes as image/gif with media_category "
                                               "tweet_gif, at most 15 MB")
    media_id = state().next_id()
    state().bucket("x", "uploads")[media_id] = {
        "owner": user["id"], "total": total, "category": category, "segments": {},
        "state": "uploading",
        "polls_left": int(settings("x").get("video_polls", 1))}
    return json_response({"data": {"id": media_id, "media_key": f"7_{media_id}",
                                   "expires_after_secs": 86_400}})


@bp.post("/2/media/upload/<media_id>/append")
@media_upload
@faulty("x", "append", ERRORS, _token)
@signed_in(_user)
def append(user, media_id: str):
    if (refused := missing_scopes("media.write")) is not None:
        return refused
    upload, chunk = _session(media_id), request.files.get("media")
    index = request.form.get("segment_index", "")
    if upload is None or upload["owner"] != user["id"] or upload["state"] != "uploading":
        return problem(400, "Invalid Request", "unknown or finished media upload")
    extra = (set(request.form) | set(request.files)) - APPEND_FIELDS
    if chunk is None or extra or not index.isdigit() or int(index) > 999:
        return problem(400, "Invalid Request", "media and segment_index (0-999) are required, "
                                               "and nothing else")
    upload["segments"][int(index)] = len(chunk.read())
    return json_response({"data": {"expires_at": 0}})


@bp.post("/2/media/upload/<media_id>/finalize")
@faulty("x", "finalize", ERRORS, _token)
@signed_in(_user)
def finalize(_user_, media_id: str):
    if (refused := missing_scopes("media.write")) is not None:
        return refused
    upload = _session(media_id)
    if upload is None:
        return problem(400, "Invalid Request", "unknown media upload")
    segments = upload["segments"]
    if sorted(segments) != list(range(len(segments))) or sum(segments.values()) != upload["total"]:
        return problem(400, "Invalid Request", "File size does not match the segments sent.")
    upload["state"] = "pending"
    return json_response({"data": {"id": media_id, "media_key": f"7_{media_id}",
                                   "size": upload["total"], "expires_after_secs": 86_400,
                                   "processing_info": {"state": "pending",
                                                       "check_after_secs": 1}}})


@bp.get("/2/media/upload")
@faulty("x", "status", ERRORS, _token)
@signed_in(_user)
def status(_user_):
    if (refused := missing_scopes("media.write")) is not None:
        return refused
    upload = _session(request.args.get("media_id", ""))
    if upload is None or request.args.get("command") != "STATUS":
        return problem(400, "Invalid Request", "media_id and command=STATUS are required")
    with state().lock:
        if upload["state"] in ("pending", "in_progress"):
            if upload["polls_left"] > 0:
                upload["polls_left"] -= 1
                upload["state"] = "in_progress"
            else:
                upload["state"] = "failed" if settings("x").get("fail_video") else "succeeded"
    info: dict = {"state": upload["state"], "progress_percent": 100 if upload["state"] ==
                  "succeeded" else 50}
    if upload["state"] == "in_progress":
        info["check_after_secs"] = 1
    if upload["state"] == "failed":
        info["error"] = {"code": 1, "name": "InvalidMedia", "message": "Unsupported video format"}
    return json_response({"data": {"id": request.args["media_id"], "processing_info": info}})
