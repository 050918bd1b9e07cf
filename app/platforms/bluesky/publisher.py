"""Bluesky (AT Protocol): app-password sessions, posts with facets, reply chains, images, and
caller-chosen record keys so a retry can never post twice."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import httpx

from app.platforms import images
from app.platforms.base import THREAD_OPTIONS, Part, PartResult, PublishJob, PublishResult
from app.platforms.bluesky import facets, rules
from app.platforms.bluesky import video as bluesky_video
from app.platforms.bluesky.api import (
    message_of,
)
from app.platforms.common import ThreadPublisher, plan_parts
from app.platforms.errors import AuthRevoked, InvalidContent, NetworkError, PlatformUnavailable
from app.platforms.http import check, json_or_empty, send
from app.platforms.media_io import is_video
from app.platforms.polling import Poller

POST = "app.bsky.feed.post"
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
# Used only when the job carries no schedule time: somewhere in 2024-2034, stable per key.
_FALLBACK_START, _FALLBACK_SPAN = 1_704_067_200_000_000, 10 * 365 * 86_400_000_000
# Parts of one post take consecutive microseconds; a post never has this many.
MAX_PARTS = 1000
# Keys tried for one part when the ones before are held by other posts' records.
KEY_TRIES = 3


def tid(idempotency_key: str, index: int, when: datetime | None, salt: int = 0) -> str:
    """A TID record key (https://atproto.com/specs/tid: 53 bits of microseconds, 10 bits of
    clock id) for one part of one post, stable across its retries. The schedule time gives
    the second; the post's random key gives the microseconds within it and the clock id, so
    two posts of a channel at the same instant share a key about once in 10^9 (and `lookup`
    never adopts another post's record). `salt` gives the next key when one is taken."""
    digest = hashlib.sha256(f"{idempotency_key}:{salt}".encode()).digest()
    clock = int.from_bytes(digest[:2], "big") & 0x3FF
    offset = int.from_bytes(digest[2:10], "big") % (1_000_000 - MAX_PARTS)
    if when is not None:
        micros = int(when.timestamp()) * 1_000_000 + offset + index
    else:
        micros = _FALLBACK_START + int.from_bytes(digest[10:18], "big") % _FALLBACK_SPAN + index
    value = (micros << 10) | clock
    return "".join(TID_ALPHABET[(value >> (5 * i)) & 31] for i in range(12, -1, -1))


def create_session(client: httpx.Client, pds: str, identifier: str, password: str,
                   post_id: str | None = None) -> dict:
    """Log in with an app password; a refusal means the channel must be reconnected."""
    response = send(client, "POST", f"{pds}/xrpc/com.atproto.server.createSession",
                    platform="bluesky", post_id=post_id,
                    json={"identifier": identifier, "password": password})
    if response.status_code in (400, 401):
        raise AuthRevoked(f"bluesky: the handle or app password was refused ({message_of(response)})",
                          status=response.status_code, body=response.text[:2000])
    return check(response, "bluesky", message_of, ok=(200,)).json()


def _with_session(creds: dict, session: dict) -> dict:
    return {**creds, "access_jwt": session["accessJwt"], "refresh_jwt": session["refreshJwt"],
            "did": session["did"]}


class BlueskyPublisher(ThreadPublisher):
    platform = "bluesky"
    name = "Bluesky"
    options = {**THREAD_OPTIONS, "langs": {"type": "list", "max_items": 3}}
    image_limits = images.limits_of(rules.IMAGE)
    poller = Poller()  # video jobs at the video service

    @staticmethod
    def pds(job_or_settings) -> str:
        settings = getattr(job_or_settings, "settings", job_or_settings)
        return (settings.get("pds_url") or "https://bsky.social").rstrip("/")

    def refresh_token(self, job: PublishJob) -> None:
        self.renew(job)

    def renew(self, job: PublishJob) -> None:
        """refreshSession (the refresh token rotates), else a new session from the app password."""
        job.refresh_with(lambda creds: self._new_session(job, creds))

    def _new_session(self, job: PublishJob, creds: dict) -> dict:
        if creds.get("refresh_jwt"):
            response = self.send(job, "POST", f"{self.pds(job)}/xrpc/com.atproto.server.refreshSession",
                                 headers={"Authorization": f"Bearer {creds['refresh_jwt']}"})
            if response.status_code == 200:
                return _with_session(creds, response.json())
            if response.status_code != 400:
                check(response, "bluesky", message_of)
        if not creds.get("app_password"):
            raise AuthRevoked("bluesky: the session expired and no app password is stored")
        return _with_session(creds, create_session(self.client, self.pds(job), creds["identifier"],
                                                   creds["app_password"], job.post_id))

    def _authed(self, job: PublishJob, method: str, path: str, **kw) -> httpx.Response:
        if not job.credentials.get("access_jwt"):
            self.renew(job)
        for attempt in (1, 2):
            headers = {**kw.pop("headers", {}),
                       "Authorization": f"Bearer {job.credentials['access_jwt']}"}
            response = self.send(job, method, f"{self.pds(job)}/xrpc/{path}", headers=headers, **kw)
            kw["headers"] = {k: v for k, v in headers.items() if k != "Authorization"}
            expired = response.status_code == 400 and json_or_empty(response).get("error") in (
                "ExpiredToken", "InvalidToken")
            if (expired or response.status_code == 401) and attempt == 1:
                self.renew(job)
                continue
            if expired or response.status_code == 401:
                raise AuthRevoked(f"bluesky: {message_of(response)}", status=response.status_code)
            return response
        return response

    def _did(self, job: PublishJob) -> str:
        return job.credentials.get("did") or job.settings.get("did") or job.handle

    def resolve(self, job: PublishJob, handle: str) -> str | None:
        try:
            response = self.send(job, "GET", f"{self.pds(job)}/xrpc/com.atproto.identity.resolveHandle",
                                 params={"handle": handle})
        except NetworkError:
            return None
        return response.json().get("did") if response.status_code == 200 else None

    def _embed(self, job: PublishJob, index: int, part: Part) -> dict:
        if is_video(part.media[0]):
            return bluesky_video.embed(self, job, index, part.media[0])
        items = []
        for item in part.media:
            prepared = self.load_media(item, job.settings)
            response = self._authed(job, "POST", "com.atproto.repo.uploadBlob", content=prepared.data,
                                    headers={"Content-Type": prepared.content_type})
            blob = check(response, "bluesky", message_of).json()["blob"]
            items.append({"image": blob, "alt": item.get("alt_text") or "",
                          "aspectRatio": {"width": prepared.width, "height": prepared.height}})
        return {"$type": "app.bsky.embed.images", "images": items}

    def _record(self, job: PublishJob, index: int, part: Part, parent: PartResult | None,
                root: PartResult | None, warnings: list[str]) -> dict:
        record: dict = {"$type": POST, "text": part.text,
                        "createdAt": datetime.now(UTC).isoformat().replace("+00:00", "Z")}
        found, notes = facets.detect(part.text, lambda h: self.resolve(job, h))
        warnings.extend(notes)
        if found:
            record["facets"] = found
        if job.options.get("langs"):
            record["langs"] = list(job.options["langs"])[:3]
        if parent and root:
            record["reply"] = {"root": {"uri": root.extra["uri"], "cid": root.extra["cid"]},
                               "parent": {"uri": parent.extra["uri"], "cid": parent.extra["cid"]}}
        if part.media:
            record["embed"] = self._embed(job, index, part)
        return record

    def _part_result(self, job: PublishJob, index: int, rkey: str, uri: str, cid: str) -> PartResult:
        handle = (job.handle or self._did(job)).lstrip("@")
        return PartResult(index=index, provider_post_id=uri,
                          live_url=f"https://bsky.app/profile/{handle}/post/{rkey}",
                          extra={"uri": uri, "cid": cid, "rkey": rkey})

    def _held(self, job: PublishJob, rkey: str) -> dict | None:
        """The record at this key, or None when there is none."""
        response = self._authed(job, "GET", "com.atproto.repo.getRecord",
                                params={"repo": self._did(job), "collection": POST, "rkey": rkey})
        if response.status_code == 400 and "RecordNotFound" in response.text:
            return None
        return check(response, "bluesky", message_of, ok=(200,)).json()

    @staticmethod
    def _ours(held: dict, part: Part, parent: PartResult | None) -> bool:
        """The record is this part: same text, replying to the same parent (or to none)."""
        value = held.get("value") or {}
        replied_to = ((value.get("reply") or {}).get("parent") or {}).get("uri")
        return value.get("text") == part.text and replied_to == (parent.extra.get("uri")
                                                                  if parent else None)

    def lookup(self, job: PublishJob, index: int, part: Part,
               parent: PartResult | None) -> PartResult | None:
        """The part's record if it exists (settles a 500 or a lost answer); a record of another
        post at one of its keys is passed over, never adopted."""
        for salt in range(KEY_TRIES):
            rkey = tid(job.idempotency_key, index, job.schedule_at, salt)
            held = self._held(job, rkey)
            if held is None:
                return None
            if self._ours(held, part, parent):
                return self._part_result(job, index, rkey, held["uri"], held.get("cid", ""))
        return None

    def _post_part(self, job: PublishJob, index: int, part: Part, parent, root,
                   warnings: list[str]) -> PartResult:
        record = self._record(job, index, part, parent, root, warnings)
        for salt in range(KEY_TRIES):
            rkey = tid(job.idempotency_key, index, job.schedule_at, salt)
            body = {"repo": self._did(job), "collection": POST, "rkey": rkey, "record": record}
            try:
                response = self._authed(job, "POST", "com.atproto.repo.createRecord", json=body)
            except NetworkError as exc:
                error: Exception = exc
            else:
                if response.status_code < 500:
                    return self._created(job, index, rkey, response)
                error = PlatformUnavailable(f"bluesky: {message_of(response)}",
                                            status=response.status_code)
            # A 500 or a lost answer: the record exists (done), does not (retry safely later
            # with the same key), or another post's record holds the key (take the next one).
            held = self._held(job, rkey)
            if held is None:
                raise error
            if self._ours(held, part, parent):
                return self._part_result(job, index, rkey, held["uri"], held.get("cid", ""))
        raise PlatformUnavailable("bluesky: every record key of this part is held by another post")

    def _created(self, job: PublishJob, index: int, rkey: str,
                 response: httpx.Response) -> PartResult:
        if response.status_code == 400:
            raise InvalidContent(f"bluesky: {message_of(response)}", status=400,
                                 body=response.text[:2000])
        created = check(response, "bluesky", message_of).json()
        return self._part_result(job, index, rkey, created["uri"], created["cid"])

    def publish(self, job: PublishJob) -> PublishResult:
        if not job.credentials.get("access_jwt"):
            self.renew(job)  # the session names the repo (DID) the records go to
        warnings: list[str] = []
        return self.run_thread(
            job, lambda i, part, prev, root: self._post_part(job, i, part, prev, root, warnings),
            warnings)

    def reconcile(self, job: PublishJob) -> PublishResult | None:
        """Look every missing part up by its record key; save the ones that exist."""
        if not job.credentials.get("access_jwt"):
            self.renew(job)
        planned = plan_parts(self.platform, job.settings, job.parts, job.options)
        done = {r.index: r for r in job.done if r.provider_post_id}
        for index, part in enumerate(planned):
            if index in done:
                continue
            found = self.lookup(job, index, part, done.get(index - 1))
            if found is None:
                return None
            job.save_part(found)
            job.done.append(found)
            done[index] = found
        return self.result(list(done.values()))


PUBLISHER = BlueskyPublisher
