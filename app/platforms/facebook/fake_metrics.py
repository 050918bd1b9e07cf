"""Fake Graph insights: Page posts (and Instagram media reached through the Facebook host).

`graph_insights()` is the answer the three Meta fakes share: Graph's insights shape
({"data": [{"name", "period", "values": [{"value"}], "title", "id"}]}), a (#100) error for a
metric the object does not take, and the object-does-not-exist error for a deleted post.
"""

from __future__ import annotations

from flask import Blueprint, request

from app.platforms.facebook.fake import _token, _who
from app.platforms.threads.fake import ERRORS, graph_error
from app.sandbox import growth
from app.sandbox.core import faulty, json_response
from app.sandbox.versions import graph_versioned

bp = Blueprint("sandbox_facebook_metrics", __name__, url_prefix="/facebook")
graph_versioned(bp, "facebook")
V = "/<graph_version:version>"
# https://developers.facebook.com/docs/graph-api/reference/insights, "Page Post Metrics".
PAGE_POST = {"post_media_view": "views", "post_total_media_view_unique": "reach",
             "post_reactions_by_type_total": "reactions", "post_clicks": "clicks"}
# https://developers.facebook.com/docs/instagram-platform/reference/instagram-media/insights
# ("Metrics", with the media product types each metric supports): likes, comments and saved
# are FEED and REELS metrics, replies a STORY one; reach, views and shares all three take.
# impressions, plays and video_views are gone ("views" replaced them), so they are refused.
INSTAGRAM = {"reach": "reach", "views": "views", "likes": "likes", "comments": "comments",
             "saved": "saved", "shares": "shares", "replies": "replies"}
INSTAGRAM_STORY = {m: INSTAGRAM[m] for m in ("reach", "views", "replies", "shares")}
INSTAGRAM_FEED = {m: INSTAGRAM[m] for m in INSTAGRAM if m != "replies"}


def instagram_metrics(object_id: str) -> dict[str, str]:
    """The metrics the media's product type takes (a story's, or a feed post's and reel's)."""
    post = growth.find("instagram", object_id) or {}
    return INSTAGRAM_STORY if post.get("media_type") == "STORIES" else INSTAGRAM_FEED
PERMISSION = "(#10) Application does not have permission for this action"


def missing(object_id: str):
    # Graph's answer for an id it does not have (error 100, GraphMethodException, subcode 33):
    # https://developers.facebook.com/docs/graph-api/guides/error-handling
    return graph_error(f"Unsupported get request. Object with ID '{object_id}' does not exist, "
                       "cannot be loaded due to missing permissions, or does not support this "
                       "operation", 100, subcode=33, kind="GraphMethodException")


def granted(token, needed: set[str], recorded: str | None = None) -> bool:
    """Whether the token holds one of `needed` (a token minted without a consent screen holds
    every permission)."""
    scopes = set(recorded.replace(",", " ").split()) if recorded is not None else \
        (set(token.scopes) if token is not None and token.scopes is not None else None)
    return scopes is None or bool(scopes & needed)


def graph_insights(platform: str, object_id: str, allowed: dict[str, str]):
    """The insights of a post of `platform` the caller may read."""
    asked = [m for m in request.args.get("metric", "").split(",") if m]
    if not asked:
        # Same page, "Reading": code 100 when no metric is given.
        return graph_error("(#100) The parameter metric is required", 100)
    wrong = [m for m in asked if m not in allowed]
    if wrong and platform == "instagram" and wrong[0] in INSTAGRAM:
        # A metric of another media product type (same page, "Metrics").
        return graph_error(f"(#100) The Media Insights API does not support the {wrong[0]} "
                           "metric for this media product type.", 100)
    if wrong:
        return graph_error(f"(#100) metric[0] must be one of the following values: "
                           f"{', '.join(allowed)}", 100)
    if growth.find(platform, object_id) is None:
        return missing(object_id)
    values = growth.figures(platform, object_id, tuple(allowed[m] for m in asked))
    data = []
    for metric in asked:
        value = values[allowed[metric]]
        if metric == "post_reactions_by_type_total":
            value = {"like": value - value // 3, "love": value // 3}
        data.append({"name": metric, "period": "lifetime", "values": [{"value": value}],
                     "title": metric.replace("_", " ").title(), "description": "",
                     "id": f"{object_id}/insights/{metric}/lifetime"})
    return json_response({"data": data})


@bp.get(f"{V}/<object_id>/insights")
@faulty("facebook", "insights", ERRORS, _token)
def insights(object_id: str):
    _page, error = _who()
    if error:
        return error
    if growth.find("facebook", object_id) is None and growth.find("instagram", object_id):
        # Instagram with Facebook Login: instagram_manage_insights.
        if not granted(_token(), {"instagram_manage_insights"}):
            return graph_error(PERMISSION, 10, 403)
        return graph_insights("instagram", object_id, instagram_metrics(object_id))
    # A Page token with read_insights (same page, "Permissions") and pages_read_engagement
    # (https://developers.facebook.com/blog/post/2022/11/08/getting-started-with-page-insights-api/
    # "Generate a token": read_insights, pages_show_list, pages_read_engagement).
    if not granted(_token(), {"read_insights"}):
        return graph_error("(#200) Requires read_insights permission", 200, 403)
    if not granted(_token(), {"pages_read_engagement"}):
        return graph_error("(#10) This endpoint requires the 'pages_read_engagement' permission "
                           "or the 'Page Public Content Access' feature", 10, 403)
    return graph_insights("facebook", object_id, PAGE_POST)
