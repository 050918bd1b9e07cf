"""LinkedIn (versioned Posts API): text, image, multi-image and video posts for a member or an
organization, commentary in the "little" text format, refresh tokens with a fixed lifetime."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock

import httpx

from app import config
from app.errors import ValidationFailed
from app.platforms.base import PublishJob, PublishResult
from app.platforms.errors import (
    AuthRevoked,
    InvalidContent,
    NetworkError,
    OutcomeUnknown,
    PublishError,
    RateLimited,
)
from app.platforms.http import check, classify, json_or_empty, send
from app.platforms.linkedin import media as linkedin_media
from app.platforms.linkedin.api import (
    api_url,
    author_urn,
    message_of,
    oauth_url,
    rest_headers,
)
from app.platforms.media_io import is_video
from app.platforms.signin import refreshed
from app.platforms.social import SocialPublisher, finished, progress, remember

RESERVED = re.compile(r"([\\|{}@\[\]()<>#*_~])")
HASHTAG = re.compile(r"(?<![\w#])#(\w+)", re.UNICODE)
POST_URN = re.compile(r"urn:li:(?:share|ugcPost):\d+")
VISIBILITIES = ("PUBLIC", "CONNECTIONS")
# After a post's first 429 of the day, try again this much later (it may be LinkedIn's passing
# infrastructure protection rather than the daily limit; see `throttled`).
SHORT_WAIT = timedelta(minutes=5)
# Access tokens last 60 days: refresh (where a refresh token exists) in the last day.
REFRESH_WITHIN = 86_400


def next_reset(now: datetime | None = None) -> datetime:
    """When LinkedIn's daily limits lift: its 429 names no time, and the limits "reset at
    midnight UTC every day" (https://learn.microsoft.com/en-us/linkedin/shared/api-guide/
    concepts/rate-limits)."""
    day = (now or datetime.now(UTC)).date() + timedelta(days=1)
    return datetime.combine(day, clock.min, tzinfo=UTC)


def error_of(response: httpx.Response, job: PublishJob | None = None) -> PublishError:
    """A refused versioned call: 400/422 refuse the content, 429 waits (see `throttled`)."""
    if response.status_code in (400, 422):
        return InvalidContent(f"linkedin: {message_of(response)}", status=response.status_code,
                              body=response.text[:2000])
    if response.status_code == 429:
        return throttled(response, job)
    return classify(response, "linkedin", message_of(response))


def throttled(response: httpx.Response, job: PublishJob | None) -> RateLimited:
    """A 429 names no reset. The daily limits "reset at midnight UTC every day", but "in rare
    cases, LinkedIn may also return a 429 response as part of infrastructure protection. API
    service will return to normal automatically" (https://learn.microsoft.com/en-us/linkedin/
    shared/api-guide/concepts/rate-limits). The two look alike, so a post's first 429 of a UTC
    day is tried again after SHORT_WAIT (OpenPost's choice: the page gives no time), and a
    second one that day waits for midnight."""
    today = datetime.now(UTC).date().isoformat()
    again = job is None or progress(job).get("throttled_on") == today
    if job is not None:
        remember(job, throttled_on=today)
    return RateLimited(f"linkedin: {message_of(response)}",
                       retry_at=next_reset() if again else datetime.now(UTC) + SHORT_WAIT,
                       status=429, body=response.text[:2000])


def duplicate_of(response: httpx.Response) -> str | None:
    """The earlier post a 422 DUPLICATE_POST names ("" when it names none); None when the 422
    is about something else."""
    body = json_or_empty(response)
    inputs = (body.get("errorDetails") or {}).get("inputErrors") or []
    if body.get("code") != "DUPLICATE_POST" \
            and not any(i.get("code") == "DUPLICATE_POST" for i in inputs):
        return None
    found = POST_URN.search(str(body.get("message") or ""))
    return found.group(0) if found else ""


def escape(text: str) -> str:
    return RESERVED.sub(r"\\\1", text)


def commentary(text: str) -> str:
    """Plain text in the little text format: reserved characters escaped, hashtags kept as
    hashtag templates so they stay links."""
    out, pos = [], 0
    for match in HASHTAG.finditer(text):
        out.append(escape(text[pos:match.start()]))
        out.append("{hashtag|\\#|" + escape(match.group(1)) + "}")
        pos = match.end()
    return "".join(out) + escape(text[pos:])


def refresh(client: httpx.Client, job: PublishJob) -> None:
    """A new access token; the refresh token keeps its fixed end date, so it is stored as given."""
    job.refresh_with(lambda creds: _exchange(client, creds, job.post_id))


def _exchange(client: httpx.Client, creds: dict, post_id: str) -> dict:
    ends = creds.get("refresh_expires_at")
    if not creds.get("refresh_token") or (ends and float(ends) <= time.time()):
        raise AuthRevoked("linkedin: the access token expired and cannot be refreshed; reconnect")
    app_ = config.settings().platform("linkedin")
    response = send(client, "POST", f"{oauth_url()}/oauth/v2/accessToken", platform="linkedin",
                    post_id=post_id,
                    data={"grant_type": "refresh_token", "refresh_token": creds["refresh_token"],
                          "client_id": app_.client_id, "client_secret": app_.client_secret})
    if response.status_code in (400, 401):
        raise AuthRevoked(f"linkedin: the refresh token was refused ({message_of(response)}); "
                          "reconnect", status=response.status_code, body=response.text[:2000])
    body = check(response, "linkedin", message_of, ok=(200,)).json()
    return refreshed(creds, body, 5_184_000, "refresh_token_expires_in")


class LinkedInPublisher(SocialPublisher):
    platform = "linkedin"
    name = "LinkedIn"
    # 60-day access tokens with a refresh token (where LinkedIn gave one): their last day.
    refresh_window = REFRESH_WITHIN
    options = {"visibility": {"type": "choice", "choices": list(VISIBILITIES), "default": "PUBLIC"},
               "title": {"type": "text"}}
    max_alt = 4086

    def extra_checks(self, part, settings, options) -> list[str]:
        if options.get("visibility") and options["visibility"] not in VISIBILITIES:
            raise ValidationFailed(f"visibility must be one of {', '.join(VISIBILITIES)}",
                                   field="options.visibility")
        return []

    def refresh_token(self, job: PublishJob) -> None:
        refresh(self.client, job)

    def request(self, job: PublishJob, method: str, url: str, *, raw: bool = False,
                **kw) -> httpx.Response:
        """One authorized request; an expired token is refreshed and the request tried once more."""
        expires = job.credentials.get("expires_at")
        if expires and job.credentials.get("refresh_token") \
                and float(expires) < time.time() + REFRESH_WITHIN:
            refresh(self.client, job)
        given = kw.pop("headers", {})
        for attempt in (1, 2):
            token = job.credentials["access_token"]
            headers = {**given, **({"Authorization": f"Bearer {token}"} if raw
                                   else rest_headers(token))}
            response = self.send(job, method, url, headers=headers, **kw)
            if response.status_code != 401:
                return response
            code = json_or_empty(response).get("code")
            if code == "REVOKED_ACCESS_TOKEN" or attempt == 2 \
                    or not job.credentials.get("refresh_token"):
                raise AuthRevoked(f"linkedin: {message_of(response)}", status=401,
                                  body=response.text[:2000])
            refresh(self.client, job)
        return response

    def call(self, job: PublishJob, method: str, path: str, ok=(200, 201), **kw) -> httpx.Response:
        response = self.request(job, method, f"{api_url()}{path}", **kw)
        if response.status_code in ok:
            return response
        raise error_of(response, job)

    def put(self, job: PublishJob, url: str, data: bytes, content_type: str) -> str:
        """Upload bytes to an upload URL LinkedIn gave; the part's ETag comes back."""
        response = self.request(job, "PUT", url, raw=True, content=data,
                                headers={"Content-Type": content_type})
        if response.status_code not in (200, 201):
            raise error_of(response, job)
        return response.headers.get("etag", "")

    def _content(self, job: PublishJob) -> dict | None:
        media = job.parts[0].media
        if not media:
            return None
        if is_video(media[0]):
            urn = linkedin_media.upload_video(self, job, media[0])
            return {"media": {"id": urn, "title": job.options.get("title") or ""}}
        urns = linkedin_media.upload_images(self, job, media)
        if len(urns) == 1:
            return {"media": {"id": urns[0], "altText": media[0].get("alt_text") or ""}}
        return {"multiImage": {"images": [{"id": urn, "altText": item.get("alt_text") or ""}
                                          for urn, item in zip(urns, media, strict=True)]}}

    def publish_new(self, job: PublishJob) -> PublishResult:
        author = author_urn(job.settings)
        body: dict = {"author": author, "commentary": commentary(job.parts[0].text),
                      "visibility": job.options.get("visibility") or "PUBLIC",
                      "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                                       "thirdPartyDistributionChannels": []},
                      "lifecycleState": "PUBLISHED", "isReshareDisabledByAuthor": False}
        content = self._content(job)
        if content:
            body["content"] = content
        sent_before = bool(progress(job).get("posting"))
        remember(job, posting=True)
        try:
            response = self.call(job, "POST", "/rest/posts", ok=(201, 422), json=body)
        except NetworkError as exc:
            if exc.sent:
                raise OutcomeUnknown(f"linkedin: the post was sent but no answer came back "
                                     f"({exc.message}); check the feed before retrying") from exc
            raise
        if response.status_code == 422:
            return self._refused(job, response, sent_before)
        return self._published(job, response.headers.get("x-restli-id", ""))

    def _published(self, job: PublishJob, urn: str) -> PublishResult:
        return self.result(job, urn, f"https://www.linkedin.com/feed/update/{urn}/")

    def _refused(self, job: PublishJob, response: httpx.Response,
                 sent_before: bool) -> PublishResult:
        """A 422 on the retry of a create whose answer was lost (a 5xx) names the post that
        create made: that post is this one, unless another OpenPost post already holds it
        (then this text was published before, and the refusal is a true duplicate). Without
        a name it cannot be found: reading a member's posts needs r_member_social, which
        OpenPost is not granted."""
        earlier = duplicate_of(response)
        if earlier is None or not sent_before or (earlier and job.holds_elsewhere(earlier)):
            raise error_of(response)
        if not earlier:
            raise OutcomeUnknown("linkedin: an earlier attempt posted this already, but LinkedIn "
                                 "did not say which post it is; check the feed",
                                 status=422, body=response.text[:2000])
        return self._published(job, earlier)

    def reconcile(self, job: PublishJob) -> PublishResult | None:
        """No idempotency or safe look-up: settled only when the post call was never made."""
        done = finished(job)
        if done:
            return done
        if not progress(job).get("posting"):
            return None
        raise OutcomeUnknown("linkedin: the post may or may not have been published; check the "
                             "feed, then retry or cancel")


PUBLISHER = LinkedInPublisher
