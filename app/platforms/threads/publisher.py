"""Threads (Meta): a container per post, then publish; reply chains; settled by container status."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx

from app.config import platform_api_url
from app.platforms import graph, images
from app.platforms.base import THREAD_OPTIONS, Part, PartResult, PublishJob, PublishResult
from app.platforms.common import ThreadPublisher, plan_parts
from app.platforms.errors import (
    AuthRevoked,
    InvalidContent,
    MediaRejected,
    NetworkError,
    OutcomeUnknown,
    PlatformRejected,
    PlatformUnavailable,
    PublishError,
    RateLimited,
)
from app.platforms.http import classify, json_or_empty, platform_message
from app.platforms.threads import media as threads_media
from app.platforms.threads import rules

# graph.threads.net has its own versioning: v1.0 is the only version and no sunset is announced.
# https://developers.facebook.com/docs/threads/reference ("The Threads API can be accessed by
# either graph.threads.com or graph.threads.net", every path under /v1.0)
VERSION = "v1.0"
SUNSET = None
VERSIONS_DOC = "https://developers.facebook.com/docs/threads/reference"
THROTTLED = {4, 17, 32, 613}
THROTTLE_WAIT = timedelta(minutes=15)


class MissingPermission(PlatformRejected):
    """The token lacks a permission the call needs (Graph codes 10 and 200-299, whatever the
    HTTP status: https://developers.facebook.com/docs/graph-api/guides/error-handling)."""


def api_url() -> str:
    return platform_api_url("threads", "https://graph.threads.net")


def graph_error(response: httpx.Response) -> PublishError:
    """Graph API errors by code: 190 auth, 4/17/32/613 throttling, 1/2 transient."""
    error = json_or_empty(response).get("error") or {}
    code, message = error.get("code"), platform_message(response, error.get("message"))
    text = f"threads: {message}"
    if code == 190:
        return AuthRevoked(text, status=response.status_code, body=response.text[:2000])
    if code in THROTTLED:
        return RateLimited(text, retry_at=datetime.now(UTC) + THROTTLE_WAIT,
                           status=response.status_code)
    if code in (1, 2) or response.status_code >= 500:
        return PlatformUnavailable(text, status=response.status_code)
    if code == 10 or isinstance(code, int) and 200 <= code <= 299:
        return MissingPermission(text, status=response.status_code, body=response.text[:2000])
    if code == 100 or response.status_code == 400:
        return InvalidContent(text, status=response.status_code, body=response.text[:2000])
    return classify(response, "threads", message)


class ThreadsPublisher(graph.LongLivedTokens, ThreadPublisher):
    platform = "threads"
    name = "Threads"
    options = THREAD_OPTIONS
    image_limits = images.limits_of(rules.IMAGE, max_alt=1000)
    poll_interval = 1.0
    poll_timeout = 300.0

    def _call(self, job: PublishJob, method: str, path: str, *, versioned: bool = True,
              **params) -> dict:
        params["access_token"] = job.credentials["access_token"]
        response = self.send(job, method, f"{api_url()}{f'/{VERSION}' if versioned else ''}{path}",
                             **({"params": params} if method == "GET" else {"data": params}))
        if response.status_code != 200:
            raise graph_error(response)
        return response.json()

    def refresh_if_due(self, job: PublishJob) -> None:
        graph.refresh_long_lived(job, "threads", self._exchange)

    def _exchange(self, job: PublishJob, creds: dict) -> dict:
        # Under the engine's lock this runs only while `creds` still hold the job's token.
        body = self._call(job, "GET", "/refresh_access_token", versioned=False,
                          grant_type="th_refresh_token")
        return graph.long_lived(creds, body)

    def _image_url(self, job: PublishJob, item: dict) -> str:
        from app.media.signing import signed_url

        # Meta fetches the file when the container is created; two days covers retries.
        return signed_url(item["workspace_id"], item["id"], ttl=2 * 86_400)

    def _container(self, job: PublishJob, index: int, part: Part,
                   previous: PartResult | None) -> str:
        uid = job.settings["account_id"]
        base: dict = {"reply_to_id": previous.provider_post_id} if previous else {}
        if not part.media:
            return self._call(job, "POST", f"/{uid}/threads", media_type="TEXT", text=part.text,
                              **base)["id"]
        return threads_media.container(self, job, index, part, base)

    def _status(self, job: PublishJob, container: str) -> str:
        body = self._call(job, "GET", f"/{container}", fields="status,error_message")
        if body.get("status") in ("ERROR", "EXPIRED"):
            raise MediaRejected(f"threads: the post could not be prepared "
                                f"({body.get('error_message') or body['status']})")
        return body.get("status", "")

    def _wait_ready(self, job: PublishJob, container: str) -> str:
        deadline = time.monotonic() + self.poll_timeout
        while (status := self._status(job, container)) == "IN_PROGRESS":
            if time.monotonic() > deadline:
                raise PlatformUnavailable("threads: the post is still being prepared")
            time.sleep(self.poll_interval)
        return status

    def _finish(self, job: PublishJob, index: int, media_id: str, container: str) -> PartResult:
        link = self._call(job, "GET", f"/{media_id}", fields="permalink").get("permalink")
        return PartResult(index=index, provider_post_id=media_id, live_url=link,
                          extra={"container_id": container})

    def _find_published(self, job: PublishJob, index: int, part: Part, container: str,
                        previous: PartResult | None) -> PartResult:
        """A container that says PUBLISHED: find the post it became among the latest ones (a
        reply among the account's replies, answering the part before)."""
        for item in self._latest(job, index, previous):
            if (item.get("text") or "") == part.text:
                return PartResult(index=index, provider_post_id=item["id"],
                                  live_url=item.get("permalink"), extra={"container_id": container})
        raise OutcomeUnknown(f"threads: part {index + 1} was published but could not be found")

    def _latest(self, job: PublishJob, index: int, previous: PartResult | None) -> list[dict]:
        uid = job.settings["account_id"]
        if previous is None:
            return self._call(job, "GET", f"/{uid}/threads", fields="id,text,permalink",
                              limit=25).get("data", [])
        # Replies are listed apart, and only with threads_read_replies:
        # https://developers.facebook.com/documentation/threads/retrieve-and-manage-replies
        try:
            replies = self._call(job, "GET", f"/{uid}/replies",
                                 fields="id,text,permalink,replied_to", limit=25)
        except MissingPermission as exc:
            raise OutcomeUnknown(f"threads: part {index + 1} was published but the replies "
                                 f"cannot be read to find it ({exc}); reconnect the channel to "
                                 "grant reading replies") from exc
        return [r for r in replies.get("data", [])
                if (r.get("replied_to") or {}).get("id") == previous.provider_post_id]

    def _post_part(self, job: PublishJob, index: int, part: Part,
                   previous: PartResult | None) -> PartResult:
        pending = next((r.extra.get("container_id") for r in job.done
                        if r.index == index and not r.provider_post_id), None)
        container = pending
        if pending and self._status(job, pending) == "PUBLISHED":
            return self._find_published(job, index, part, pending, previous)
        if not container:
            container = self._container(job, index, part, previous)
            # Kept before publishing: a lost answer is settled through this container's status.
            job.save_part(PartResult(index=index, provider_post_id="",
                                     extra={"container_id": container}))
        self._wait_ready(job, container)
        try:
            media_id = self._call(job, "POST", f"/{job.settings['account_id']}/threads_publish",
                                  creation_id=container)["id"]
        except (NetworkError, PlatformUnavailable) as exc:
            if self._status(job, container) == "PUBLISHED":
                return self._find_published(job, index, part, container, previous)
            raise exc
        return self._finish(job, index, media_id, container)

    def publish(self, job: PublishJob) -> PublishResult:
        self.refresh_if_due(job)
        return self.run_thread(job, lambda i, part, prev, _root: self._post_part(job, i, part, prev))

    def reconcile(self, job: PublishJob) -> PublishResult | None:
        """Each missing part's container tells: PUBLISHED (find the post) or not (publish)."""
        planned = plan_parts(self.platform, job.settings, job.parts, job.options)
        done = {r.index: r for r in job.done if r.provider_post_id}
        for index, part in enumerate(planned):
            if index in done:
                continue
            container = next((r.extra.get("container_id") for r in job.done
                              if r.index == index and not r.provider_post_id), None)
            if not container or self._status(job, container) != "PUBLISHED":
                return None
            found = self._find_published(job, index, part, container, done.get(index - 1))
            job.save_part(found)
            job.done.append(found)
            done[index] = found
        return self.result(list(done.values()))


PUBLISHER = ThreadsPublisher
