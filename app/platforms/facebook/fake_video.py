"""Fake Page video resumable upload (upload_phase start, transfer, finish) on /{page-id}/videos.

Follows "Resumable Uploading" in https://developers.facebook.com/docs/graph-api/video-uploads
and https://developers.facebook.com/docs/video-api/guides/publishing ("Publishing on Pages":
the Page access token; the Page check is the caller's): `start` with `file_size` opens a session
and names the first chunk (`start_offset`, `end_offset`); each `transfer` sends exactly that
chunk as `video_file_chunk` and is answered with the next one; when `start_offset` equals
`end_offset` every byte is there, and `finish` publishes the video (`{"success": true}`) whose
id `start` returned. `file_url` "cannot be used with upload_phase" (Page Videos reference,
https://developers.facebook.com/docs/graph-api/reference/page/videos/ "Creating")."""

from __future__ import annotations

import secrets

from flask import request

from app.platforms.threads.fake import graph_error
from app.sandbox.core import json_response, state

# The sandbox's chunk size unless a test sets {"video_chunk_bytes": n}; Meta picks its own.
CHUNK = 1024 * 1024


def _offsets(upload: dict) -> dict:
    chunk = int(state().settings("facebook").get("video_chunk_bytes") or CHUNK)
    start = upload["received"]
    return {"start_offset": str(start), "end_offset": str(min(start + chunk, upload["size"]))}


def _start(page_id: str):
    size = request.values.get("file_size", "")
    if not size.isdigit() or int(size) <= 0:
        return graph_error("(#100) file_size must be a positive number of bytes", 100)
    session, video_id = secrets.token_hex(8), state().next_id()
    upload = {"page": page_id, "size": int(size), "received": 0, "video_id": video_id}
    state().bucket("facebook", "video_sessions")[session] = upload
    return json_response({"upload_session_id": session, "video_id": video_id, **_offsets(upload)})


def _wrong_offset(expected: dict):
    """A chunk sent from an offset other than the one the session waits for. Video API "Error
    Codes", Upload Phase (https://developers.facebook.com/docs/video-api/reference/error-codes/):
    1363037 "There was a problem uploading your video. Please try uploading it again.
    error_data:{start_offset:0,end_offset:392695}", "returned when the server receives an invalid
    start offset from the client. Try to parse the start_offset and end_offset [...] and do a
    retry again". Meta's PHP SDK reads 1363037 as the error_subcode (FacebookResponseException,
    resumable upload errors); the error code 6001 beside it is the sandbox's choice."""
    message = "There was a problem uploading your video. Please try uploading it again."
    return json_response({"error": {
        "message": message, "type": "OAuthException", "code": 6001, "error_subcode": 1363037,
        "fbtrace_id": secrets.token_hex(8),
        "error_data": {"start_offset": int(expected["start_offset"]),
                       "end_offset": int(expected["end_offset"])}}}, 400)


def _session(page_id: str) -> tuple[dict | None, object]:
    upload = state().bucket("facebook", "video_sessions").get(
        request.values.get("upload_session_id", ""))
    if upload is None or upload["page"] != page_id:
        return None, graph_error("(#100) Invalid upload_session_id", 100)
    return upload, None


def _transfer(page_id: str):
    upload, error = _session(page_id)
    if error:
        return error
    chunk = request.files.get("video_file_chunk")
    expected = _offsets(upload)
    with state().lock:
        if chunk is None:
            return graph_error("(#100) video_file_chunk is required in the transfer phase", 100)
        if request.values.get("start_offset") != expected["start_offset"]:
            return _wrong_offset(expected)
        size = len(chunk.read())
        if size != int(expected["end_offset"]) - int(expected["start_offset"]):
            return graph_error(f"(#100) the chunk must hold bytes {expected['start_offset']} "
                               f"to {expected['end_offset']}", 100)
        upload["received"] += size
    return json_response(_offsets(upload))


def _finish(page_id: str):
    upload, error = _session(page_id)
    if error:
        return error
    if upload["received"] < upload["size"]:
        return graph_error("(#100) the upload is not complete", 100)
    if not upload.get("published"):
        upload["published"] = True
        video_id = upload["video_id"]
        state().record("facebook", {
            "id": video_id, "account": page_id, "kind": "video",
            "message": request.values.get("description") or "",
            "title": request.values.get("title"), "bytes": upload["received"],
            "permalink": f"https://www.facebook.com/{page_id}/videos/{video_id}"})
    return json_response({"success": True})


def phase(page_id: str):
    """Answer one upload_phase request of the Page `page_id` (its token already checked)."""
    if request.values.get("file_url"):
        return graph_error("(#100) file_url cannot be used with upload_phase", 100)
    handler = {"start": _start, "transfer": _transfer, "finish": _finish}.get(
        request.values.get("upload_phase", ""))
    if handler is None:
        return graph_error("(#100) upload_phase must be one of start, transfer, finish", 100)
    return handler(page_id)
