"""Alert emails over SMTP (SMTP_URL): composing one alert or a digest, text and HTML parts."""

from __future__ import annotations

import html
import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import parse_qs, unquote, urlsplit

from app import config

TIMEOUT = 30


class MailNotConfigured(RuntimeError):
    """SMTP_URL is unset: alerts wait in the outbox until it is."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str | None
    password: str | None
    security: str  # "ssl" | "starttls" | "none"
    sender: str


def settings(url: str | None = None) -> SmtpSettings:
    """Parse smtp://user:pass@host:port[?starttls=1|ssl=1&from=addr] (smtps:// means ssl)."""
    url = url if url is not None else os.environ.get("SMTP_URL", "")
    if not url:
        raise MailNotConfigured("SMTP_URL is not set")
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError("SMTP_URL must start with smtp:// or smtps://")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    on = ("1", "true", "yes")
    security = ("ssl" if parts.scheme == "smtps" or query.get("ssl", "").lower() in on else
                "starttls" if query.get("starttls", "").lower() in on else "none")
    port = parts.port or {"ssl": 465, "starttls": 587}.get(security, 25)
    host = parts.hostname or "localhost"
    return SmtpSettings(host=host, port=port,
                        username=unquote(parts.username) if parts.username else None,
                        password=unquote(parts.password) if parts.password else None,
                        security=security, sender=query.get("from") or f"openpost@{host}")


def link_for(alert: dict) -> str:
    base = config.public_url()
    if alert.get("post_id"):
        return f"{base}/posts/{alert['post_id']}"
    if alert.get("channel_id"):
        return f"{base}/channels#channel-{alert['channel_id']}"  # its row on the channels page
    return f"{base}/"


def compose(recipients: list[str], alerts: list[dict], message_id: str,
            sender: str) -> EmailMessage:
    """One alert as itself; several as a digest listing each with its link."""
    msg = EmailMessage()
    msg["From"], msg["To"] = sender, ", ".join(recipients)
    msg["Date"], msg["Message-ID"] = formatdate(usegmt=True), f"<{message_id}@openpost>"
    if len(alerts) == 1:
        alert = alerts[0]
        msg["Subject"] = f"[OpenPost] {alert['title']}"
        intro = ""
    else:
        msg["Subject"] = f"[OpenPost] {len(alerts)} alerts"
        intro = f"{len(alerts)} things need your attention.\n\n"
    text = intro + "\n\n".join(f"{a['title']}\n{a.get('body') or ''}\n{link_for(a)}".strip()
                               for a in alerts)
    items = "".join(f"<li><p><strong>{html.escape(a['title'])}</strong></p>"
                    f"<p>{html.escape(a.get('body') or '')}</p>"
                    f'<p><a href="{html.escape(link_for(a))}">Open in OpenPost</a></p></li>'
                    for a in alerts)
    msg.set_content(text + "\n")
    msg.add_alternative(f"<!doctype html><html><body><p>{html.escape(intro)}</p><ul>{items}</ul>"
                        "</body></html>", subtype="html")
    return msg


def send(msg: EmailMessage, conf: SmtpSettings | None = None) -> None:
    """Deliver over SMTP; raises OSError/smtplib.SMTPException when the server cannot take it."""
    conf = conf or settings()
    if conf.security == "ssl":
        server = smtplib.SMTP_SSL(conf.host, conf.port, timeout=TIMEOUT,
                                  context=ssl.create_default_context())
    else:
        server = smtplib.SMTP(conf.host, conf.port, timeout=TIMEOUT)
    with server:
        if conf.security == "starttls":
            server.starttls(context=ssl.create_default_context())
        if conf.username:
            server.login(conf.username, conf.password or "")
        server.send_message(msg, from_addr=conf.sender)
