"""Standard Webhooks signing: `whsec_` secrets, the three headers, signatures during rotation."""

from __future__ import annotations

import base64
import json
import secrets
from datetime import datetime

from standardwebhooks.webhooks import Webhook

PREFIX = "whsec_"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def body_bytes(event_id: str, event_type: str, created_at: datetime, data: dict) -> bytes:
    """The JSON body every endpoint receives for one event (identical on every retry)."""
    envelope = {"id": event_id, "type": event_type, "timestamp": created_at.isoformat(),
                "data": data}
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True).encode()


def headers(event_id: str, body: bytes, secrets_newest_first: list[str],
            timestamp: datetime) -> dict[str, str]:
    """The webhook-* headers; one `v1,` signature per active secret, space-separated."""
    text = body.decode()
    signatures = [Webhook(secret).sign(event_id, timestamp, text) for secret in secrets_newest_first]
    return {"webhook-id": event_id, "webhook-timestamp": str(int(timestamp.timestamp())),
            "webhook-signature": " ".join(signatures), "content-type": "application/json",
            "user-agent": "OpenPost-Webhooks/1"}
