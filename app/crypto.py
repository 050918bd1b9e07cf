"""Secrets at rest: AES-256-GCM with associated data, keys from OPENPOST_ENCRYPTION_KEYS."""

from __future__ import annotations

import base64
import hashlib
import os
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app import config

VERSION = b"\x01"
HEADER = 17  # version, key id (4), nonce (12); the 16-byte tag ends the blob
TAG = 16
CHUNK = 1024 * 1024


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


def key_id(blob_head: bytes) -> bytes:
    """The id of the key a blob is under, read from its first bytes."""
    return bytes(blob_head)[1:5]


def newest_key_id() -> bytes:
    return _key_id(_keys()[0])


def key_label(kid: bytes) -> str:
    """How to name a key to a human without showing it: its position in
    OPENPOST_ENCRYPTION_KEYS (1 = newest) and its id (a hash prefix), or that it is missing."""
    ids = [_key_id(key) for key in _keys()]
    where = f"key #{ids.index(kid) + 1}" if kid in ids else "a key no longer configured"
    return f"{where} (id {kid.hex()})"


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
    return key_id(blob) != newest_key_id()


def _sealer(aad: str):
    """(the blob's header, an AES-GCM encryptor) under the newest key."""
    key, nonce = _keys()[0], os.urandom(12)
    sealer = Cipher(algorithms.AES(key), modes.GCM(nonce)).encryptor()
    sealer.authenticate_additional_data(aad.encode())
    return VERSION + _key_id(key) + nonce, sealer


def encrypt_stream(src: BinaryIO, dst: BinaryIO, aad: str) -> int:
    """`encrypt`, CHUNK bytes at a time from `src` into `dst` (the same format); returns the
    plaintext's size."""
    header, sealer = _sealer(aad)
    dst.write(header)
    size = 0
    while chunk := src.read(CHUNK):
        size += len(chunk)
        dst.write(sealer.update(chunk))
    dst.write(sealer.finalize() + sealer.tag)
    return size


def _old_key(head: bytes) -> bytes:
    if head[:1] != VERSION or len(head) < HEADER:
        raise DecryptionFailed("unknown ciphertext version")
    for key in _keys():
        if _key_id(key) == key_id(head):
            return key
    raise DecryptionFailed("no configured key matches this ciphertext")


def reencrypt(src: BinaryIO, size: int, dst: BinaryIO, aad: str) -> int:
    """Stream the blob of `size` bytes in `src` into `dst` under the newest key, CHUNK bytes
    at a time (the same format `encrypt` writes). Raises DecryptionFailed, after writing,
    when the old blob does not authenticate: the caller must then discard `dst`."""
    head = src.read(HEADER)
    if size < HEADER + TAG:
        raise DecryptionFailed("the ciphertext is too short")
    old = _old_key(head)
    src.seek(size - TAG)
    tag = src.read(TAG)
    src.seek(HEADER)
    opener = Cipher(algorithms.AES(old), modes.GCM(head[5:17], tag)).decryptor()
    opener.authenticate_additional_data(aad.encode())
    header, sealer = _sealer(aad)
    dst.write(header)
    left = size - HEADER - TAG
    while left > 0:
        chunk = src.read(min(CHUNK, left))
        if not chunk:
            raise DecryptionFailed("the ciphertext is shorter than its file")
        left -= len(chunk)
        dst.write(sealer.update(opener.update(chunk)))
    try:
        opener.finalize()
    except InvalidTag as exc:
        raise DecryptionFailed("ciphertext does not match its owner") from exc
    dst.write(sealer.finalize() + sealer.tag)
    return size
