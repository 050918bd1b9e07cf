"""Single-use, expiring links (invites, password resets): tokens, their state, their email."""

from __future__ import annotations

import logging
import secrets
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate

from app import config
from app.auth.service import hash_key
from app.errors import DomainError, NotFound
from app.notifications import mailer

log = logging.getLogger(__name__)

INVITE_TTL = timedelta(days=7)
RESET_TTL = timedelta(hours=24)


class LinkGone(DomainError):
    """The link existed but can no longer be used: used, expired or revoked."""
    status = 410
    code = "gone"


def new_token(kind: str) -> tuple[str, str]:
    """(token for the link, the SHA-256 to store): the token itself is never stored. The
    `op_` prefix is what the log filter masks, so a link in an access-log line is hidden."""
    token = f"op_{kind}_" + secrets.token_urlsafe(32)
    return token, hash_key(token)


def url(kind: str, token: str) -> str:
    # The configured public address, never the request's Host header: a forged Host must not
    # turn a mailed link into one that hands the token to someone else's server.
    return f"{config.public_url()}/{kind}/{token}"


def digest(token: str) -> str:
    if not token or len(token) > 128:
        raise NotFound("this link is not valid; check that it was copied whole")
    return hash_key(token)


def check_usable(what: str, row, used_at: datetime | None, now: datetime,
                 revoked_at: datetime | None = None) -> None:
    if row is None:
        raise NotFound("this link is not valid; check that it was copied whole")
    if used_at is not None:
        raise LinkGone(f"this {what} link has already been used; each link works once")
    if revoked_at is not None:
        raise LinkGone(f"this {what} link was withdrawn; ask for a new one")
    if row.expires_at <= now:
        raise LinkGone(f"this {what} link expired on {row.expires_at:%Y-%m-%d %H:%M} UTC; "
                       "ask for a new one")


def mail(to: str, subject: str, body: str) -> str:
    """Email the link when SMTP_URL is set; a sentence for the page saying what happened."""
    try:
        conf = mailer.settings()
    except mailer.MailNotConfigured:
        return "Email is not set up on this server (SMTP_URL), so send the link yourself."
    except ValueError as exc:
        log.warning("SMTP_URL is not usable: %s", exc)
        return "Email is not set up correctly on this server, so send the link yourself."
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = conf.sender, to, f"[OpenPost] {subject}"
    msg["Date"] = formatdate(usegmt=True)
    msg.set_content(body + "\n")
    try:
        mailer.send(msg, conf)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("link email to %s not sent: %s", to, exc)
        return "The email could not be sent, so send the link yourself."
    return f"We also emailed the link to {to}."
