"""Figures the fakes report for their posts: they grow with each measurement, so a user of the
sandbox sees change between the +1 h, +24 h, +7 d and +30 d readings.

Not a platform behaviour (the platforms count real people): the k-th read of a post's figures
shows k steps of growth at a per-post, per-figure rate drawn from a hash of the post id, so
runs are reproducible. `retire(...)` makes a post as gone as a deletion on the platform.

Where each behaviour comes from: the growth is OpenPost's own sandbox rule, stated in
docs/analytics.md ("its numbers grow with every measurement so a sandbox user sees change").
The shapes the figures are served in, and how a deleted post answers, are each platform's and
are cited where they are served, in app/platforms/<name>/fake_metrics.py.
"""

from __future__ import annotations

import hashlib

from app.sandbox.core import state

# Per read, a figure grows by a rate between its low and high bound.
RATES = {"impressions": (120, 480), "views": (80, 320), "reach": (60, 240), "likes": (3, 14),
         "reactions": (3, 14), "reposts": (1, 5), "shares": (1, 4), "replies": (0, 3),
         "comments": (0, 3), "quotes": (0, 2), "bookmarks": (0, 2), "saved": (0, 2),
         "clicks": (1, 6)}


def figures(platform: str, post_id: str, names: tuple[str, ...]) -> dict[str, int]:
    """This read's figures of the post (each read counts as time passing)."""
    reads = state().bucket(platform, "metric_reads")
    with state().lock:
        k = reads[post_id] = reads.get(post_id, 0) + 1
    out = {}
    for name in names:
        low, high = RATES[name]
        digest = hashlib.sha256(f"{platform}:{post_id}:{name}".encode()).digest()
        out[name] = k * (low + int.from_bytes(digest[:4], "big") % (high - low + 1))
    return out


def retire(platform: str, post_id: str) -> None:
    """The post is deleted on the platform: its reads answer as the platform answers for a
    post that does not exist."""
    with state().lock:
        posts = state().posts.get(platform)
        if posts is not None:
            for post in [p for p in posts if str(p.get("id")) == post_id]:
                posts.remove(post)
        state().bucket(platform, "records").pop(post_id, None)


def find(platform: str, post_id: str) -> dict | None:
    return next((p for p in state().posts.get(platform, ()) if str(p.get("id")) == post_id), None)
