"""Fake X API v2: GET /2/tweets with public_metrics."""

from __future__ import annotations

from flask import Blueprint, request

from app.platforms.x.fake import ERRORS, _rate_headers, _token, _user, missing_scopes
from app.sandbox import growth
from app.sandbox.core import faulty, json_response, signed_in

bp = Blueprint("sandbox_x_metrics", __name__, url_prefix="/x")
MAX_IDS = 100
LOOKUP_LIMIT = 5_000
NOT_FOUND = "https://api.x.com/2/problems/resource-not-found"


@bp.get("/2/tweets")
@faulty("x", "lookup", ERRORS, _token)
@signed_in(_user)
def lookup(_user_):
    # https://docs.x.com/x-api/posts/get-posts-by-ids: OAuth 2 user token with tweet.read and
    # users.read (the OpenAPI's security of GET /2/tweets); ids 1..100, comma-separated.
    if (refused := missing_scopes("tweet.read", "users.read")) is not None:
        return refused
    ids = [i for i in request.args.get("ids", "").split(",") if i]
    if not ids or len(ids) > MAX_IDS or not all(i.isdigit() for i in ids):
        return json_response({"errors": [{"parameters": {"ids": [request.args.get("ids", "")]},
                                          "message": "The `ids` query parameter value is not "
                                                     "between 1 and 100 numeric ids"}],
                              "title": "Invalid Request", "status": 400,
                              "detail": "One or more parameters to your request was invalid.",
                              "type": "https://api.x.com/2/problems/invalid-request"}, 400)
    fields = request.args.get("tweet.fields", "").split(",")
    data, errors = [], []
    for tweet_id in ids:
        post = growth.find("x", tweet_id)
        if post is None:
            # ResourceNotFoundProblem (X OpenAPI components.schemas): a partial error beside
            # the posts found, 200 overall.
            errors.append({"value": tweet_id, "detail": f"Could not find post with ids: "
                           f"[{tweet_id}].", "title": "Not Found Error", "resource_type": "tweet",
                           "parameter": "ids", "resource_id": tweet_id, "type": NOT_FOUND})
            continue
        item = {"id": tweet_id, "text": post["text"], "edit_history_tweet_ids": [tweet_id]}
        if "public_metrics" in fields:
            c = growth.figures("x", tweet_id, ("impressions", "likes", "reposts", "replies",
                                               "quotes", "bookmarks"))
            # PostPublicMetrics (X OpenAPI): all six counts are required.
            item["public_metrics"] = {"impression_count": c["impressions"],
                                      "like_count": c["likes"], "repost_count": c["reposts"],
                                      "retweet_count": c["reposts"], "reply_count": c["replies"],
                                      "quote_count": c["quotes"], "bookmark_count": c["bookmarks"]}
        data.append(item)
    body = {"data": data} if data else {}
    if errors:
        body["errors"] = errors
    # The lookup's own window with a user token: 5,000 per 15 min per user
    # (https://docs.x.com/x-api/fundamentals/rate-limits, "Tweets lookup"), not posting's.
    headers = {**_rate_headers(), "x-rate-limit-limit": str(LOOKUP_LIMIT),
               "x-rate-limit-remaining": str(LOOKUP_LIMIT - 1)}
    return json_response(body, 200, headers)
