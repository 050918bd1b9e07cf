"""The publish error tree. The retry policy branches on these classes only.

    PublishError
    ├── RetryableError            try again after a backoff (spends one of the 3 retries)
    │   ├── NetworkError          connection failed or timed out          -> network_error
    │   │                         (`sent` is True when the request may have reached the platform)
    │   ├── PlatformUnavailable   the platform answered 5xx                -> platform_error
    │   └── RateLimited           429 / throttled; `retry_at` is the reset -> rate_limited
    │                             (waiting for the reset does not spend a retry)
    └── PermanentError            fail now, with the platform's message
        ├── InvalidContent        the platform refused the content (4xx)   -> validation_error
        ├── MediaRejected         a media file was refused or failed       -> media_error
        ├── AuthRevoked           credentials revoked or refresh dead      -> channel_disconnected
        ├── PlatformRejected      any other 4xx                            -> platform_error
        ├── DestinationRefused    a user-chosen host is internal (nothing sent) -> network_error
        └── OutcomeUnknown        the platform may or may not have posted  -> outcome_unknown
"""

from __future__ import annotations

from datetime import datetime


class PublishError(Exception):
    code = "platform_error"

    def __init__(self, message: str, *, status: int | None = None, body: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = body


class RetryableError(PublishError):
    pass


class NetworkError(RetryableError):
    code = "network_error"

    def __init__(self, message: str, *, sent: bool = False, **kw):
        super().__init__(message, **kw)
        self.sent = sent


class PlatformUnavailable(RetryableError):
    code = "platform_error"


class RateLimited(RetryableError):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_at: datetime | None = None, **kw):
        super().__init__(message, **kw)
        self.retry_at = retry_at


class PermanentError(PublishError):
    pass


class InvalidContent(PermanentError):
    code = "validation_error"


class MediaRejected(PermanentError):
    code = "media_error"


class AuthRevoked(PermanentError):
    code = "channel_disconnected"


class PlatformRejected(PermanentError):
    code = "platform_error"


class DestinationRefused(PermanentError):
    """The instance, PDS or video service resolves or connects to an address OpenPost must not
    reach (app/net.py); nothing was sent, and retrying would only ask again."""

    code = "network_error"


class OutcomeUnknown(PermanentError):
    code = "outcome_unknown"


class UnsupportedPlatform(LookupError):
    """No publisher is available for this platform yet."""
