"""What `openpost doctor` says about settings a production deployment must have."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from app import config
from app.sandbox import mount


def warnings() -> list[str]:
    """One sentence per setting that is not production-ready (none: ready)."""
    found = []
    try:
        mounted, _why = mount.decide(config.settings().sandbox, None, config.public_url())
    except ValueError as exc:
        mounted, found = False, [str(exc)]
    if mounted:
        found.append("OPENPOST_SANDBOX=on: `openpost web` mounts the fake platforms under /sandbox")
    if config.allow_private_hosts():
        found.append("OPENPOST_ALLOW_PRIVATE_HOSTS is set: channels, webhooks and media may "
                     "reach private addresses; unset it")
    if urlsplit(config.public_url()).scheme != "https":
        found.append(f"OPENPOST_PUBLIC_URL {config.public_url()} is not https: cookies are not "
                     "Secure and there is no HSTS")
    for name, what in (("OPENPOST_SECRET_KEY", "signs session cookies"),
                       ("OPENPOST_ENCRYPTION_KEYS", "decrypts stored credentials and media")):
        if not config.settings().is_set(name):
            found.append(f"{name} is not set: the one generated under the instance folder "
                         f"{what}; set it and back it up apart from the database")
    if not config.settings().metrics_token:
        found.append("OPENPOST_METRICS_TOKEN is not set: /metrics answers anyone")
    if not os.environ.get("SMTP_URL"):
        found.append("SMTP_URL is not set: alert emails are not sent")
    return found
