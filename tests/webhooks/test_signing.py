"""Signatures per the Standard Webhooks spec, checked against the spec's own test vector."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.webhooks import signing

# The example in the Standard Webhooks specification (spec/standard-webhooks.md).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = datetime.fromtimestamp(1614265330, UTC)
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_spec_test_vector():
    headers = signing.headers(SPEC_ID, SPEC_BODY, [SPEC_SECRET], SPEC_TIMESTAMP)
    assert headers["webhook-id"] == SPEC_ID
    assert headers["webhook-timestamp"] == "1614265330"
    assert headers["webhook-signature"] == SPEC_SIGNATURE


def test_rotation_sends_both_signatures_and_each_secret_verifies():
    old, new = signing.new_secret(), signing.new_secret()
    now = datetime.now(UTC)
    body = signing.body_bytes("evt_1", "post.published", now, {"post": {"id": "p"}})
    headers = signing.headers("evt_1", body, [new, old], now)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert Webhook(secret).verify(body, headers)["type"] == "post.published"
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(body, headers)


def test_secrets_have_the_whsec_prefix_and_24_random_bytes():
    secret = signing.new_secret()
    assert secret.startswith("whsec_") and secret != signing.new_secret()
    assert len(Webhook(secret)._whsecret) == 24
