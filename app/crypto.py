"""Secrets at rest: AES-256-GCM with associated data, keys from OPENPOST_ENCRYPTION_KEYS."""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app import config

VERSION = b"\x01"


class DecryptionFailed(Exception):
    """The ciphertext was tampered with, moved to another row, or its key is gone."""


def _keys() -> list[bytes]:
    keys = []
    for text in config.encryption_keys():
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        if len(raw) != 32:
            raise ValueError("each OPENPOST_ENCRYPTION_KEYS entry must be 32 bytes, base64-encoded")
        keys.append(raw)
    return keys


def _key_id(key: bytes) -> bytes:
    return hashlib.sha256(key).digest()[:4]


def encrypt(plaintext: bytes, aad: str) -> bytes:
    """Encrypt with the newest key; `aad` binds the ciphertext to its owner and field."""
    key = _keys()[0]
    nonce = os.urandom(12)
    return VERSION + _key_id(key) + nonce + AESGCM(key).encrypt(nonce, plaintext, aad.encode())


def decrypt(blob: bytes, aad: str) -> bytes:
    blob = bytes(blob)
    if blob[:1] != VERSION:
        raise DecryptionFailed("unknown ciphertext version")
    key_id, nonce, body = blob[1:5], blob[5:17], blob[17:]
    for key in _keys():
        if _key_id(key) == key_id:
            try:
                return AESGCM(key).decrypt(nonce, body, aad.encode())
            except Exception as exc:
                raise DecryptionFailed("ciphertext does not match its owner") from exc
    raise DecryptionFailed("no configured key matches this ciphertext")


def needs_rotation(blob: bytes) -> bool:
    return bytes(blob)[1:5] != _key_id(_keys()[0])
