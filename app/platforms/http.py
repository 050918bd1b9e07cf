"""The one HTTP layer of the publishers: timeouts, request logging, response classification."""

from __future__ import annotations

import functools
import html
import logging
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx

from app import net
from app.logs import request_id_var
from app.platforms.curl_guard import GUARD
from app.platforms.errors import (
    AuthRevoked,
    DestinationRefused,
    InvalidContent,
    NetworkError,
    PlatformRejected,
    PlatformUnavailable,
    PublishError,
    RateLimited,
)

log = logging.getLogger("app.platforms.http")
TIMEOUT = httpx.Timeout(20.0, connect=5.0)
# Without a reset header the engine still needs a time to wait for.
DEFAULT_RATE_WAIT = timedelta(minutes=1)
# Bounds on times a platform names, so no number it sends can overflow a date.
MAX_RATE_WAIT = timedelta(hours=24)
MAX_TOKEN_LIFETIME = 365 * 86_400
# Platforms whose server a user names (instance, PDS, video service): every connection is vetted.
USER_HOSTED = ("mastodon", "bluesky")
# How much of a platform's error text reaches a user's screen.
MESSAGE_LIMIT = 300
_TAG = re.compile(r"<[^<>]*>")


def make_client(timeout: httpx.Timeout | float = TIMEOUT) -> httpx.Client:
    """The client the engine hands to publishers: bounded timeouts, no redirects followed, no
    cookie jar, on libcurl (app/platforms/transport.py)."""
    from app.platforms.transport import CurlTransport

    return PublisherClient(timeout=timeout, follow_redirects=False, transport=CurlTransport(),
                           headers={"User-Agent": "OpenPost"})


class _NoCookies(httpx.Cookies):
    """A jar that keeps nothing and sends nothing."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None

    def set_cookie_header(self, request: httpx.Request) -> None:
        return None


_NO_COOKIES = _NoCookies()


@functools.lru_cache(maxsize=512)
def _url(url: str) -> httpx.URL:
    return httpx.URL(url)


class PublisherClient(httpx.Client):
    """httpx.Client without a cookie jar, and with URLs parsed once.

    One thread's client publishes for every account of every workspace: a cookie a platform
    sets while answering one account must never ride along with the next account's request,
    and the platforms' APIs authenticate by token, not cookie. Both also take work off every
    request: reading cookies out of each answer, and parsing the same few endpoint URLs again,
    cost more than libcurl's whole exchange.
    """

    @property
    def cookies(self) -> httpx.Cookies:
        return _NO_COOKIES

    @cookies.setter
    def cookies(self, value) -> None:
        if value:
            raise ValueError("the publishers' client keeps no cookies")

    def build_request(self, method: str, url, **kw) -> httpx.Request:
        return super().build_request(method, _url(url) if isinstance(url, str) else url, **kw)


def send(client: httpx.Client, method: str, url: str, *, platform: str, post_id: str | None = None,
         **kw) -> httpx.Response:
    """Send one request; transport failures become NetworkError (sent=True when the platform may
    have acted on it), the response comes back unclassified. A user-chosen host that resolves
    or connects to an internal address is refused (DestinationRefused) before anything is sent."""
    started = time.monotonic()
    if platform in USER_HOSTED:
        kw["extensions"] = {**kw.get("extensions", {}), GUARD: True}
    try:
        response = client.request(method, url, **kw)
    except net.Unresolvable as exc:
        _log(platform, post_id, method, url, "failed: unresolvable", started)
        raise NetworkError(f"{platform}: could not connect ({exc})") from exc
    except net.UnsafeDestination as exc:
        _log(platform, post_id, method, url, "refused: unsafe destination", started)
        raise DestinationRefused(f"{platform}: OpenPost connects only to public addresses: "
                                 f"{exc}") from exc
    except httpx.InvalidURL as exc:
        _log(platform, post_id, method, url, "refused: invalid URL", started)
        raise DestinationRefused(f"{platform}: the URL is not valid ({exc})") from exc
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        _log(platform, post_id, method, url, f"failed: {exc.__class__.__name__}", started)
        raise NetworkError(f"{platform}: could not connect ({exc.__class__.__name__})") from exc
    except httpx.TransportError as exc:
        _log(platform, post_id, method, url, f"failed: {exc.__class__.__name__}", started)
        raise NetworkError(f"{platform}: no answer ({exc.__class__.__name__})", sent=True) from exc
    _log(platform, post_id, method, url, str(response.status_code), started)
    return response


def _log(platform, post_id, method, url, outcome, started) -> None:
    # The log filter adds the request id of the web request; a worker has none, so name it too.
    log.info("%s %s %s -> %s in %.0f ms post=%s request=%s", platform, method,
             str(url).split("?", 1)[0], outcome, (time.monotonic() - started) * 1000,
             post_id or "-", request_id_var.get() or "-")


def retry_at(headers: httpx.Headers, now: datetime | None = None) -> datetime:
    """When a rate limit resets, from whichever header the platform uses: never before now,
    never more than MAX_RATE_WAIT ahead, however large, negative or malformed the header."""
    now = now or datetime.now(UTC)
    try:
        at = _named_reset(headers, now) or now + DEFAULT_RATE_WAIT
    except (OverflowError, ValueError, OSError):  # a number beyond what a datetime holds
        at = now + MAX_RATE_WAIT
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    return min(max(at, now), now + MAX_RATE_WAIT)


def _named_reset(headers: httpx.Headers, now: datetime) -> datetime | None:
    for name in ("x-rate-limit-reset", "ratelimit-reset", "x-ratelimit-reset"):
        value = (headers.get(name) or "").strip()
        if value.isascii() and value.isdigit():
            number = int(value)
            # RateLimit-Reset is epoch seconds on Bluesky; the IETF draft uses delta seconds.
            return (datetime.fromtimestamp(number, UTC) if number > 10**9
                    else now + timedelta(seconds=number))
        if value:
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                pass
    value = (headers.get("retry-after") or "").strip()
    if value.isascii() and value.isdigit():
        return now + timedelta(seconds=int(value))
    try:
        return parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None


def lifetime(value: object, default: int) -> int:
    """A token's `expires_in` as the platform sent it, in seconds within 0 .. a year;
    `default` when it is missing or not a number."""
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
    if seconds != seconds:  # NaN
        return default
    return int(min(max(seconds, 0), MAX_TOKEN_LIFETIME))


def plain_text(value: object, limit: int = MESSAGE_LIMIT) -> str:
    """`value` as one line of plain text: markup and control characters removed, entities
    decoded, whitespace collapsed, at most `limit` characters."""
    text = html.unescape(_TAG.sub(" ", str(value)))
    text = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def platform_message(response: httpx.Response, *found: object) -> str:
    """What the platform said, for a user's screen: the first message found in its JSON error
    body, else its text body, as plain text; an HTML page (a proxy's or a load balancer's)
    becomes "HTTP 502 from <host>", never its markup."""
    for value in found:
        if value and plain_text(value):
            return plain_text(value)
    kind = response.headers.get("content-type", "").lower()
    body = response.text
    if "html" not in kind and "xml" not in kind and not body.lstrip().startswith("<"):
        text = plain_text(body)
        if text:
            return text
    try:
        host = response.request.url.host
    except RuntimeError:  # a response made without a request (tests)
        return f"HTTP {response.status_code}"
    return f"HTTP {response.status_code} from {host}"


def json_or_empty(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def classify(response: httpx.Response, platform: str, message: str) -> PublishError:
    """The error for a failed response (the caller has handled platform-specific cases)."""
    status, body = response.status_code, response.text[:2000]
    message = plain_text(message)
    text = f"{platform}: {message}" if message else f"{platform}: HTTP {status}"
    if status == 429:
        return RateLimited(text, retry_at=retry_at(response.headers), status=status, body=body)
    if status >= 500:
        return PlatformUnavailable(text, status=status, body=body)
    if status == 401:
        return AuthRevoked(text, status=status, body=body)
    if status in (413, 422):
        return InvalidContent(text, status=status, body=body)
    return PlatformRejected(text, status=status, body=body)


def check(response: httpx.Response, platform: str, message_of: Callable[[httpx.Response], str],
          ok=(200, 201, 202)) -> httpx.Response:
    if response.status_code in ok:
        return response
    raise classify(response, platform, message_of(response))
