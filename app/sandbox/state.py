"""The sandbox's memory: accounts, tokens, created posts (to count duplicates) and queued faults."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

# "created_5xx": the platform does the work, then answers 5xx (the answer of a create is lost).
FAULT_KINDS = ("5xx", "429", "timeout", "lost", "created_5xx", "revoke", "expire")


@dataclass
class Token:
    platform: str
    account: str
    kind: str  # access | refresh
    expires_at: float | None
    issued_at: float = field(default_factory=time.time)
    revoked: bool = False
    used_at: float | None = None  # a rotated refresh token (Bluesky keeps it for a grace period)


@dataclass
class Fault:
    platform: str
    op: str
    kind: str
    remaining: int = 1
    reset_in: int = 60
    delay: float = 2.0
    after: int = 0  # let this many matching requests through first


class State:
    """Everything one sandbox knows; one lock, because the server is threaded."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with getattr(self, "lock", threading.RLock()):
            self.posts: dict[str, list[dict]] = {}
            self.tokens: dict[str, Token] = {}
            self.accounts: dict[str, dict[str, dict]] = {}
            self.faults: list[Fault] = []
            self.codes: dict[str, dict] = {}
            self.extra: dict[str, dict] = {}
            self.requests: list[dict] = []
            self.sequence = 1_800_000_000_000_000_000

    def next_id(self) -> str:
        with self.lock:
            self.sequence += 1 + secrets.randbelow(1000)
            return str(self.sequence)

    def record(self, platform: str, post: dict) -> dict:
        with self.lock:
            self.posts.setdefault(platform, []).append(post)
        return post

    def bucket(self, platform: str, name: str) -> dict:
        """A platform's own table (media, containers, apps...)."""
        with self.lock:
            return self.extra.setdefault(platform, {}).setdefault(name, {})

    def add_account(self, platform: str, account_id: str, **info) -> dict:
        with self.lock:
            account = {"id": account_id, **info}
            self.accounts.setdefault(platform, {})[account_id] = account
            return account

    def account(self, platform: str, account_id: str) -> dict | None:
        return self.accounts.get(platform, {}).get(account_id)

    def mint(self, platform: str, account: str, kind: str = "access",
             lifetime: float | None = None) -> str:
        value = f"sbx-{platform}-{kind}-{secrets.token_urlsafe(16)}"
        with self.lock:
            self.tokens[value] = Token(platform, account, kind,
                                       time.time() + lifetime if lifetime else None)
        return value

    def token(self, platform: str, value: str | None, kind: str = "access") -> Token | None:
        found = self.tokens.get(value or "")
        return found if found and found.platform == platform and found.kind == kind else None

    def revoke_account(self, platform: str, account: str) -> None:
        with self.lock:
            for token in self.tokens.values():
                if token.platform == platform and token.account == account:
                    token.revoked = True

    def add_fault(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def take_fault(self, platform: str, op: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.platform == platform and fault.op in (op, "*") and fault.remaining > 0:
                    if fault.after > 0:
                        fault.after -= 1
                        return None
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self.faults.remove(fault)
                    return fault
        return None
