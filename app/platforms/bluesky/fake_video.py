"""Fake Bluesky video service (app.bsky.video.*): service-auth tokens checked for audience and
method, daily upload limits, uploadVideo, and jobs that walk the lexicon's states to
JOB_STATE_COMPLETED with a blob, or to JOB_STATE_FAILED with the service's message."""

from __future__ import annotations

import hashlib
import secrets
import time

from flask import Blueprint, request

from app.platforms.bluesky.fake import ERRORS, did_web, xrpc_error
from app.sandbox.core import bearer, faulty, json_response, state
from app.sandbox.guard import media_upload
from app.sandbox.pull import settings

bp = Blueprint("sandbox_bluesky_video", __name__, url_prefix="/bluesky-video/xrpc")
STATES = ("JOB_STATE_CREATED", "JOB_STATE_ENCODING", "JOB_STATE_ENCODED", "JOB_STATE_SCANNING",
          "JOB_STATE_SCANNED", "JOB_STATE_UPLOADING", "JOB_STATE_UPLOADED")
DAILY_VIDEOS, DAILY_BYTES = 25, 10 * 1024 ** 3
# The embed's blob limit: https://github.com/bluesky-social/atproto/blob/main/lexicons/app/bsky/
# embed/video.json ("May be up to 300mb, formerly limited to 100mb"). The sandbox itself takes
# media bodies up to its own cap (guard.MAX_MEDIA_BODY_BYTES).
MAX_BYTES = 300_000_000


def _service_token(lxm: str):
    """(the account's DID, None), or the 401 the service gives for a missing or wrong token.
    Every token here is for this host: as the video service itself, or as the PDS the video
    service uploads to on the account's behalf (the sandbox serves both)."""
    value = bearer()
    if not value:
        return None, xrpc_error(401, "AuthMissing", "Authentication Required")
    claims = state().bucket("bluesky", "service_tokens").get(value)
    if claims is None:
        return None, xrpc_error(401, "BadJwt", "Token could not be verified")
    if claims["exp"] < time.time():
        return None, xrpc_error(401, "JwtExpired", "jwt expired")
    if claims["aud"] != did_web(request.host):
        return None, xrpc_error(401, "BadJwtAudience", "jwt audience does not match service did")
    if claims["lxm"] != lxm:
        return None, xrpc_error(401, "BadJwtLexiconMethod",
                                "jwt lexicon method (\"lxm\") does not match: " + lxm)
    return claims["did"], None


def _today(did: str) -> list[dict]:
    day_ago = time.time() - 86_400
    return [j for j in state().bucket("bluesky", "video_jobs").values()
            if j["did"] == did and j["at"] > day_ago and not j.get("duplicate")]


def _limits(did: str) -> dict:
    done = _today(did)
    videos = int(settings("bluesky").get("video_daily_videos", DAILY_VIDEOS)) - len(done)
    size = int(settings("bluesky").get("video_daily_bytes", DAILY_BYTES)) - sum(
        j["size"] for j in done)
    limits = {"canUpload": videos > 0 and size > 0, "remainingDailyVideos": max(videos, 0),
              "remainingDailyBytes": max(size, 0)}
    refusal = settings("bluesky").get("video_refusal")
    if refusal:
        limits |= {"canUpload": False, "message": refusal, "error": "unconfirmed_email"}
    elif not limits["canUpload"]:
        limits |= {"message": "You have reached your daily upload limit",
                   "error": "daily_limit_exceeded"}
    return limits


@bp.get("/app.bsky.video.getUploadLimits")
@faulty("bluesky", "video_limits", ERRORS)
def upload_limits():
    did, error = _service_token("app.bsky.video.getUploadLimits")
    return error or json_response(_limits(did))


def _status(job: dict) -> dict:
    status = {"jobId": job["id"], "did": job["did"], "state": job["state"]}
    for key in ("blob", "error", "failureCode", "message", "progress"):
        if job.get(key) is not None:
            status[key] = job[key]
    return status


@bp.post("/app.bsky.video.uploadVideo")
@media_upload
@faulty("bluesky", "video_upload", ERRORS)
def upload_video():
    did, error = _service_token("com.atproto.repo.uploadBlob")
    if error:
        return error
    data = request.get_data()
    if request.args.get("did") != did:
        return xrpc_error(400, "InvalidRequest", "did must be the account the token is for")
    if request.content_type != "video/mp4" or not data:
        return xrpc_error(400, "InvalidRequest", "the body must be a video/mp4 file")
    # The daily quota counts bytes as well as videos (getUploadLimits: remainingDailyBytes).
    limits = _limits(did)
    if len(data) > MAX_BYTES or not limits["canUpload"] \
            or len(data) > limits["remainingDailyBytes"]:
        return xrpc_error(400, "InvalidRequest", "the video is over the upload limits")
    digest = hashlib.sha256(data).hexdigest()
    jobs = state().bucket("bluesky", "video_jobs")
    earlier = next((j for j in jobs.values() if j["did"] == did and j["sha256"] == digest
                    and j.get("blob")), None)
    job = {"id": secrets.token_hex(8), "did": did, "sha256": digest, "size": len(data),
           "at": time.time(), "state": STATES[0], "progress": 0, "step": 0,
           "polls": int(settings("bluesky").get("video_polls", 2)),
           "fail": settings("bluesky").get("video_fail"), "name": request.args.get("name")}
    if earlier:  # processed before: the job fails as a duplicate but hands back that blob
        job |= {"state": "JOB_STATE_FAILED", "error": "already_exists", "blob": earlier["blob"],
                "duplicate": True, "message": "Video already processed"}
    jobs[job["id"]] = job
    return json_response({"jobStatus": _status(job)})


def _advance(job: dict) -> None:
    """One poll's worth of processing: through the states, then completed or failed."""
    with state().lock:
        if job["state"] in ("JOB_STATE_COMPLETED", "JOB_STATE_FAILED"):
            return
        job["step"] += 1
        if job["step"] <= job["polls"]:
            job["state"] = STATES[min(job["step"], len(STATES) - 1)]
            job["progress"] = int(100 * job["step"] / (job["polls"] + 1))
            return
        job.pop("progress", None)
        if job["fail"]:
            job |= {"state": "JOB_STATE_FAILED", "failureCode": "validation_failure",
                    "error": job["fail"]}
            return
        cid = "bafkrei" + job["sha256"][:52]
        job |= {"state": "JOB_STATE_COMPLETED",
                "blob": {"$type": "blob", "ref": {"$link": cid}, "mimeType": "video/mp4",
                         "size": job["size"]}}


@bp.get("/app.bsky.video.getJobStatus")
@faulty("bluesky", "video_status", ERRORS)
def job_status():
    job = state().bucket("bluesky", "video_jobs").get(request.args.get("jobId", ""))
    if job is None:
        return xrpc_error(400, "InvalidRequest", "job not found")
    _advance(job)
    return json_response({"jobStatus": _status(job)})
