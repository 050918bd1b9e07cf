"""Fake Bluesky AppView (through the PDS): app.bsky.feed.getPosts."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, request

from app.platforms.bluesky.fake import ERRORS, _cid, _session_of, _token, xrpc_error
from app.sandbox import growth
from app.sandbox.core import faulty, json_response, signed_in, state

bp = Blueprint("sandbox_bluesky_metrics", __name__, url_prefix="/bluesky/xrpc")
MAX_URIS = 25


@bp.get("/app.bsky.feed.getPosts")
@faulty("bluesky", "get_posts", ERRORS, _token)
@signed_in(_session_of)
def get_posts(_token_):
    # https://docs.bsky.app/docs/api/app-bsky-feed-get-posts: "uris" (required, at most 25);
    # posts not found are left out. The PDS asks for a session when proxying (401 AuthMissing,
    # as the reference PDS answers without one).
    uris = request.args.getlist("uris")
    if not uris:
        return xrpc_error(400, "InvalidRequest", 'Error: Params must have the property "uris"')
    if len(uris) > MAX_URIS:
        return xrpc_error(400, "InvalidRequest",
                          f"Error: uris must not have more than {MAX_URIS} elements")
    posts = []
    for uri in uris:
        post = growth.find("bluesky", uri)
        if post is None:
            continue
        owner = state().account("bluesky", post["account"]) or {}
        counts = growth.figures("bluesky", uri, ("likes", "reposts", "replies", "quotes",
                                                 "bookmarks"))
        # postView (lexicon app.bsky.feed.defs#postView): uri, cid, author, record, indexedAt
        # required; the counts are optional integers.
        posts.append({"uri": uri, "cid": _cid(uri),
                      "author": {"did": post["account"], "handle": owner.get("handle", "")},
                      "record": {"$type": "app.bsky.feed.post", "text": post.get("text", ""),
                                 "createdAt": datetime.now(UTC).isoformat()},
                      "indexedAt": datetime.now(UTC).isoformat(),
                      "likeCount": counts["likes"], "repostCount": counts["reposts"],
                      "replyCount": counts["replies"], "quoteCount": counts["quotes"],
                      "bookmarkCount": counts["bookmarks"]})
    return json_response({"posts": posts})
