"""The conformance matrix: every platform runs the same scenarios against its sandbox fake, and
each row says which documentation page it follows. docs/platforms.md shows this table
(`markdown()`); tests/conformance/test_matrix.py runs it and checks the page against it."""

from __future__ import annotations

from dataclasses import dataclass, field

SCENARIOS = ("text", "thread", "images", "video", "refresh", "revoked", "429", "5xx", "lost",
             "crash")
TITLES = {"text": "text", "thread": "thread", "images": "images / carousel", "video": "video",
          "refresh": "refresh", "revoked": "revoked", "429": "429", "5xx": "5xx",
          "lost": "answer lost after create", "crash": "crash mid-publish"}
# What each scenario does and what passing means (the page shows these lines).
MEANING = {
    "text": "one text post: the platform holds one post with the id and link OpenPost saved",
    "thread": "two parts: two posts, the second a reply to the first",
    "images": "two images in one post (a carousel where the platform has them)",
    "video": "one short video, uploaded and processed as the platform documents",
    "refresh": "an expired or ageing token is exchanged once, the new one saved before use",
    "revoked": "the platform refuses the token: the channel is disconnected, nothing posted",
    "429": "throttled: a rate limit with a reset time in the future, nothing posted",
    "5xx": "a server error before anything was made: retryable, and the retry posts once",
    "lost": "the post is made but the answer is a 5xx: the retries end with exactly one post, "
            "settled published or outcome_unknown as the platform allows",
    "crash": "the worker dies right after the create call; the engine recovers the lease and "
             "settles the post with no duplicate",
}


@dataclass(frozen=True)
class Doc:
    url: str
    section: str


@dataclass(frozen=True)
class NA:
    """A scenario the platform does not have; the test checks the publisher refuses it with
    a validation error carrying `refusal` (for refresh: that nothing is ever refreshed)."""

    reason: str
    refusal: str = ""


@dataclass(frozen=True)
class Row:
    platform: str
    name: str
    first: str            # the sandbox operation of the first call that can fail for the post
    create: str           # the operation that makes the post (its answer is lost in "lost")
    create_path: str      # a fragment of that call's URL (the worker dies after its answer)
    lost_settles: str     # "published" or "outcome_unknown", as the platform's rules allow
    crash_settles: str
    refresh: str          # how a token is made due: "expire" (refused) or "age" (near expiry)
    docs: tuple[tuple[tuple[str, ...], Doc], ...]
    na: dict[str, NA] = field(default_factory=dict)

    def doc(self, scenario: str) -> Doc:
        return next(doc for scenarios, doc in self.docs if scenario in scenarios)


META_ERRORS = Doc("https://developers.facebook.com/docs/graph-api/guides/error-handling",
                  "Error codes: 190 access token expired or invalidated")
META_LIMITS = Doc("https://developers.facebook.com/docs/graph-api/overview/rate-limiting",
                  "Error codes 4, 17, 32, 613 (throttling)")

ROWS = (
    Row("x", "X", first="create", create="create", create_path="/2/tweets",
        lost_settles="outcome_unknown", crash_settles="outcome_unknown", refresh="expire", docs=(
            (("text", "thread"), Doc("https://docs.x.com/x-api/posts/creation-of-a-post",
                                     "Create or Edit Post (text, reply.in_reply_to_tweet_id)")),
            (("images", "video"), Doc("https://docs.x.com/x-api/media",
                                      "Media upload: simple (images) and chunked (GIF, video)")),
            (("refresh", "revoked"), Doc(
                "https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/"
                "authorization-code", "Refresh tokens (offline.access)")),
            (("429",), Doc("https://docs.x.com/fundamentals/rate-limits",
                           "Rate limit errors (x-rate-limit-reset)")),
            (("5xx", "lost", "crash"), Doc("https://docs.x.com/x-api/posts/creation-of-a-post",
                                           "Create or Edit Post (no idempotency key: a lost "
                                           "create cannot be looked up)")),
        )),
    Row("bluesky", "Bluesky", first="create", create="create",
        create_path="com.atproto.repo.createRecord", lost_settles="published",
        crash_settles="published", refresh="expire", docs=(
            (("text", "thread", "images"), Doc("https://docs.bsky.app/docs/tutorials/"
                                               "creating-a-post", "Replies; Images embeds")),
            (("video",), Doc("https://docs.bsky.app/docs/tutorials/video", "Uploading Video")),
            (("refresh", "revoked"), Doc(
                "https://docs.bsky.app/docs/api/com-atproto-server-refresh-session",
                "com.atproto.server.refreshSession (auth with the refreshJwt)")),
            (("429",), Doc("https://docs.bsky.app/docs/advanced-guides/rate-limits",
                           "Content Write Operations (per account)")),
            (("5xx", "lost", "crash"), Doc("https://atproto.com/specs/record-key",
                                           "Record key type tid: the client picks the key, "
                                           "getRecord settles a lost create")),
        )),
    Row("mastodon", "Mastodon", first="create", create="create", create_path="/api/v1/statuses",
        lost_settles="published", crash_settles="published", refresh="", docs=(
            (("text", "thread", "5xx", "lost", "crash"), Doc(
                "https://docs.joinmastodon.org/methods/statuses/#create",
                "Post a new status (Idempotency-Key, in_reply_to_id)")),
            (("images",), Doc("https://docs.joinmastodon.org/methods/media/#v2",
                              "Upload media as an attachment (async)")),
            (("video",), Doc("https://docs.joinmastodon.org/methods/media/#get",
                             "Upload media (202, url null), then Get media attachment until "
                             "200 (206 while processing)")),
            (("refresh", "revoked"), Doc("https://docs.joinmastodon.org/methods/oauth/#token",
                                         "Obtain a token (no expiry, no refresh token)")),
            (("429",), Doc("https://docs.joinmastodon.org/api/rate-limits/",
                           "Rate limits (X-RateLimit-Reset)")),
        ), na={"refresh": NA("Mastodon tokens never expire and come without a refresh token")}),
    Row("threads", "Threads", first="container", create="publish",
        create_path="/threads_publish", lost_settles="published", crash_settles="published",
        refresh="age", docs=(
            (("text", "images", "video"), Doc("https://developers.facebook.com/docs/threads/posts",
                                              "Single thread posts; Carousel posts")),
            (("thread",), Doc("https://developers.facebook.com/documentation/threads/reference/"
                              "reply-management", "Reply to a post (reply_to_id)")),
            (("refresh",), Doc("https://developers.facebook.com/docs/threads/get-started/"
                               "long-lived-tokens", "Refresh a long-lived token")),
            (("revoked",), META_ERRORS),
            (("429",), META_LIMITS),
            (("5xx", "lost", "crash"), Doc("https://developers.facebook.com/docs/threads/"
                                           "troubleshooting", "Publishing Does Not Return a "
                                           "Media ID (container status PUBLISHED)")),
        )),
    Row("instagram", "Instagram", first="container", create="publish",
        create_path="/media_publish", lost_settles="published", crash_settles="published",
        refresh="age", docs=(
            (("text", "thread", "images", "video"), Doc(
                "https://developers.facebook.com/docs/instagram-platform/content-publishing",
                "Single media, Carousel and Reels posts (no text-only posts, no replies)")),
            (("refresh",), Doc("https://developers.facebook.com/docs/instagram-platform/"
                               "reference/refresh_access_token", "Refresh a long-lived token")),
            (("revoked",), META_ERRORS),
            (("429",), META_LIMITS),
            (("5xx", "lost", "crash"), Doc(
                "https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/"
                "reference/ig-container",
                "status_code (PUBLISHED: the container was published)")),
        ), na={"text": NA("every Instagram post carries an image or a video",
                          "Instagram posts need an image or a video"),
               "thread": NA("the API publishes single posts, not replies",
                            "Instagram has no threads")}),
    Row("facebook", "Facebook", first="feed", create="feed", create_path="/feed",
        lost_settles="published", crash_settles="published", refresh="", docs=(
            (("text", "thread", "5xx", "lost", "crash"), Doc(
                "https://developers.facebook.com/docs/graph-api/reference/page/feed/",
                "Publishing; Reading (a lost create is looked up in the Page feed)")),
            (("images",), Doc("https://developers.facebook.com/docs/graph-api/reference/page/"
                              "photos/", "Publishing (published=false, then attached_media)")),
            (("video",), Doc("https://developers.facebook.com/docs/video-api/guides/publishing",
                             "Resumable upload and publish")),
            (("refresh",), Doc("https://developers.facebook.com/docs/facebook-login/guides/"
                               "access-tokens/get-long-lived", "Get a long-lived Page access "
                               "token (no expiration date)")),
            (("revoked",), META_ERRORS),
            (("429",), META_LIMITS),
        ), na={"thread": NA("a Page post has comments, not a thread", "Facebook has no threads"),
               "refresh": NA("a Page token from a long-lived user token does not expire")}),
    Row("linkedin", "LinkedIn", first="post", create="post", create_path="/rest/posts",
        lost_settles="published", crash_settles="outcome_unknown", refresh="expire", docs=(
            (("text", "thread", "5xx", "lost", "crash"), Doc(
                "https://learn.microsoft.com/en-us/linkedin/marketing/community-management/"
                "shares/posts-api", "Create a Post (x-restli-id, no idempotency key; the 422 "
                "DUPLICATE_POST naming the earlier post is observed, not documented)")),
            (("images",), Doc("https://learn.microsoft.com/en-us/linkedin/marketing/"
                              "community-management/shares/multiimage-post-api",
                              "Create a MultiImage Post (2 to 20 images)")),
            (("video",), Doc("https://learn.microsoft.com/en-us/linkedin/marketing/"
                             "community-management/shares/videos-api",
                             "Upload a video (initializeUpload, parts, finalizeUpload)")),
            (("refresh", "revoked"), Doc("https://learn.microsoft.com/en-us/linkedin/shared/"
                                         "authentication/programmatic-refresh-tokens",
                                         "Refresh an access token")),
            (("429",), Doc("https://learn.microsoft.com/en-us/linkedin/shared/api-guide/"
                           "concepts/rate-limits", "Rate limits (daily, reset at midnight UTC)")),
        ), na={"thread": NA("the Posts API has no replies", "LinkedIn has no threads")}),
    Row("tiktok", "TikTok", first="creator_info", create="photo_init",
        create_path="/v2/post/publish/content/init/", lost_settles="outcome_unknown",
        crash_settles="outcome_unknown", refresh="expire", docs=(
            (("text", "thread", "images"), Doc(
                "https://developers.tiktok.com/doc/content-posting-api-reference-photo-post",
                "Photo post (1 to 35 photos, no text-only posts)")),
            (("video",), Doc("https://developers.tiktok.com/doc/"
                             "content-posting-api-reference-direct-post",
                             "Direct post: video init and chunked upload")),
            (("refresh", "revoked"), Doc("https://developers.tiktok.com/doc/"
                                         "oauth-user-access-token-management",
                                         "Token lifetimes; Refresh token rotation")),
            (("429",), Doc("https://developers.tiktok.com/doc/tiktok-api-v2-rate-limit",
                           "Rate Limits (429 rate_limit_exceeded)")),
            (("5xx", "lost", "crash"), Doc(
                "https://developers.tiktok.com/doc/content-posting-api-reference-get-video-status",
                "Get post status (no idempotency: a lost photo post stays unknown)")),
        ), na={"text": NA("TikTok posts are a video or photos", "TikTok posts need a video or "
                          "photos"),
               "thread": NA("TikTok has no replies from the API", "TikTok has no threads")}),
)
BY_NAME = {row.platform: row for row in ROWS}
CASES = [(row.platform, scenario) for row in ROWS for scenario in SCENARIOS]


def markdown() -> str:
    """The matrix as docs/platforms.md shows it, under its own heading."""
    head = "| Platform | " + " | ".join(TITLES[s] for s in SCENARIOS) + " |"
    lines = ["## Conformance matrix", "",
             "Every platform runs the same scenarios through its real publisher, over real HTTP, "
             "against its sandbox fake (crash mid-publish goes through the publishing engine). "
             "The table below is generated from `tests/conformance/scenarios.py`; "
             "`tests/conformance/test_matrix.py` runs each cell and fails when this page and "
             "the table differ. ✓: the scenario passes (after a lost answer or a crash, with the "
             "state the post settles in); n/a: the platform does not have it, and the test "
             "checks that the publisher refuses such a post with a validation error (for "
             "refresh: that publishing never exchanges the token).", "",
             head, "|" + "---|" * (len(SCENARIOS) + 1)]
    for row in ROWS:
        cells = ["n/a" if s in row.na else "✓" for s in SCENARIOS]
        cells[SCENARIOS.index("lost")] += f" {row.lost_settles}"
        cells[SCENARIOS.index("crash")] += f" {row.crash_settles}"
        lines.append(f"| {row.name} | " + " | ".join(cells) + " |")
    lines += ["", "What each scenario checks:", ""]
    lines += [f"- **{TITLES[s]}**: {MEANING[s]}." for s in SCENARIOS]
    lines += ["", "Not applicable:", ""]
    lines += [f"- {row.name}, {TITLES[s]}: {na.reason}." for row in ROWS
              for s, na in row.na.items()]
    lines += ["", "After a lost answer or a crash, a platform with a way to find the post "
              "(a client-chosen record key, an Idempotency-Key, a container status, a feed to "
              "read, a duplicate refusal naming the post) settles **published**; one without "
              "settles **outcome_unknown** (the user checks the account), and none is ever "
              "posted twice. LinkedIn finds the post on a retry (the repeat is refused as a "
              "duplicate naming it) but not after a crash, where re-sending is not attempted.",
              "", "### Documentation followed", "",
              "| Platform | Scenarios | Page and section |", "|---|---|---|"]
    for row in ROWS:
        for scenarios, doc in row.docs:
            names = ", ".join(TITLES[s] for s in scenarios)
            lines.append(f"| {row.name} | {names} | [{doc.section}]({doc.url}) |")
    return "\n".join(lines) + "\n"
