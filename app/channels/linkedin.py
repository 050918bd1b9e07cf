"""LinkedIn (versioned Posts API): text, image, multi-image and video posts for a member or an
organization, commentary in the "little" text format, refresh tokens with a fixed lifetime."""

from __future__ import annotations

import os
import re
import time

import httpx

from app.channels import linkedin_media
from app.channels.base import PublishJob, PublishResult
from app.channels.errors import AuthRevoked, InvalidContent, NetworkError, OutcomeUnknown
from app.channels.http import check, classify, json_or_empty, platform_message, send
from app.channels.media_io import is_video
from app.channels.social import SocialPublisher, finished, progress, remember
from app.config import platform_api_url
from app.errors import ValidationFailed

VERSION = "202411"
RESERVED = re.compile(r"([\\|{}@\[\]()<>#*_~])")
HASHTAG = re.compile(r"(?<![\w#])#(\w+)", re.UNICODE)
VISIBILITIES = ("PUBLIC", "CONNECTIONS")
# Access tokens last 60 days: refresh (where a refresh token exists) in the last day.
REFRESH_WITHIN = 86_400


def api_url() -> str:
    return platform_api_url("linkedin", "https://api.linkedin.com")


def oauth_url() -> str:
    override = os.environ.get("OPENPOST_LINKEDIN_API_URL")
    return override.rstrip("/") if override else "https://www.linkedin.com"


def message_of(response: httpx.Response) -> str:
    body = json_or_empty(response)
    return platform_message(response, body.get("message"), body.get("error_description"),
                            body.get("error"))


def author_urn(settings: dict) -> str:
    """Who posts: the member or organization URN; a bare id (REST API connect) is a member."""
    given = str(settings.get("author_urn") or settings.get("account_id") or "")
    return given if given.startswith("urn:li:") else f"urn:li:person:{given}"


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
    response = send(client, "POST", f"{oauth_url()}/oauth/v2/accessToken", platform="linkedin",
                    post_id=post_id,
                    data={"grant_type": "refresh_token", "refresh_token": creds["refresh_token"],
                          "client_id": os.environ.get("OPENPOST_LINKEDIN_CLIENT_ID", ""),
                          "client_secret": os.environ.get("OPENPOST_LINKEDIN_CLIENT_SECRET", "")})
    if response.status_code in (400, 401):
        raise AuthRevoked(f"linkedin: the refresh token was refused ({message_of(response)}); "
                          "reconnect", status=response.status_code, body=response.text[:2000])
    body = check(response, "linkedin", message_of, ok=(200,)).json()
    now = int(time.time())
    new = {**creds, "access_token": body["access_token"],
           "refresh_token": body.get("refresh_token", creds["refresh_token"]),
           "expires_at": now + int(body.get("expires_in", 5_184_000))}
    if body.get("refresh_token_expires_in"):
        new["refresh_expires_at"] = now + int(body["refresh_token_expires_in"])
    return new


class LinkedInPublisher(SocialPublisher):
    platform = "linkedin"
    name = "LinkedIn"
    caption_limit = 3000
    max_alt = 4086

    def extra_checks(self, part, settings, options) -> list[str]:
        if options.get("visibility") and options["visibility"] not in VISIBILITIES:
            raise ValidationFailed(f"visibility must be one of {', '.join(VISIBILITIES)}",
                                   field="options.visibility")
        return []

    def request(self, job: PublishJob, method: str, url: str, *, raw: bool = False,
                **kw) -> httpx.Response:
        """One authorized request; an expired token is refreshed and the request tried once more."""
        expires = job.credentials.get("expires_at")
        if expires and job.credentials.get("refresh_token") \
                and float(expires) < time.time() + REFRESH_WITHIN:
            refresh(self.client, job)
        for attempt in (1, 2):
            headers = {**kw.pop("headers", {}),
                       "Authorization": f"Bearer {job.credentials['access_token']}"}
            if not raw:
                headers |= {"LinkedIn-Version": VERSION, "X-Restli-Protocol-Version": "2.0.0"}
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
        if response.status_code in (400, 422):
            raise InvalidContent(f"linkedin: {message_of(response)}", status=response.status_code,
                                 body=response.text[:2000])
        raise classify(response, "linkedin", message_of(response))

    def put(self, job: PublishJob, url: str, data: bytes, content_type: str) -> str:
        """Upload bytes to an upload URL LinkedIn gave; the part's ETag comes back."""
        response = self.request(job, "PUT", url, raw=True, content=data,
                                headers={"Content-Type": content_type})
        if response.status_code not in (200, 201):
            raise classify(response, "linkedin", message_of(response))
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
        remember(job, posting=True)
        try:
            response = self.call(job, "POST", "/rest/posts", ok=(201,), json=body)
        except NetworkError as exc:
            if exc.sent:
                raise OutcomeUnknown(f"linkedin: the post was sent but no answer came back "
                                     f"({exc.message}); check the feed before retrying") from exc
            raise
        urn = response.headers.get("x-restli-id", "")
        return self.result(job, urn, f"https://www.linkedin.com/feed/update/{urn}/")

    def reconcile(self, job: PublishJob) -> PublishResult | None:
        """No idempotency or safe look-up: settled only when the post call was never made."""
        done = finished(job)
        if done:
            return done
        if not progress(job).get("posting"):
            return None
        raise OutcomeUnknown("linkedin: the post may or may not have been published; check the "
                             "feed, then retry or cancel")
