"""Signed, expiring links to a media file, for platforms that fetch media by URL (Threads)."""

from __future__ import annotations

import os

from flask import Blueprint, Response, abort
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app import config

LINK_LIFETIME = 2 * 86_400
bp = Blueprint("media_public", __name__)


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(config.secret_key(), salt="media-public-link")


def public_url(item: dict) -> str:
    base = os.environ.get("OPENPOST_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
    token = _signer().dumps({"k": item["storage_key"], "t": item["content_type"]})
    return f"{base}/media/public/{token}"


@bp.get("/media/public/<token>")
def serve(token: str):
    from app.media.service import read_bytes

    try:
        data = _signer().loads(token, max_age=LINK_LIFETIME)
    except BadSignature:
        abort(404)
    try:
        body = read_bytes(data["k"])
    except FileNotFoundError:
        abort(404)
    return Response(body, mimetype=data["t"], headers={"Cache-Control": "private, max-age=3600"})
