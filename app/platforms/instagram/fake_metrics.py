"""Fake Instagram (Instagram Login host): media insights."""

from __future__ import annotations

from flask import Blueprint

from app.platforms.facebook.fake_metrics import PERMISSION, granted, graph_insights, instagram_metrics
from app.platforms.instagram.fake import _token, _user
from app.platforms.threads.fake import ERRORS, graph_error
from app.sandbox.core import faulty, signed_in
from app.sandbox.versions import graph_versioned

bp = Blueprint("sandbox_instagram_metrics", __name__, url_prefix="/instagram")
graph_versioned(bp, "instagram")


@bp.get("/<graph_version:version>/<object_id>/insights")
@faulty("instagram", "insights", ERRORS, _token)
@signed_in(_user)
def insights(_account, object_id: str):
    # https://developers.facebook.com/docs/instagram-platform/reference/instagram-media/insights
    # ("Requirements": instagram_business_basic and instagram_business_manage_insights).
    if not granted(_token(), {"instagram_business_manage_insights"}):
        return graph_error(PERMISSION, 10, 403)
    return graph_insights("instagram", object_id, instagram_metrics(object_id))
