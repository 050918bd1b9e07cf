"""The sandbox's memory: accounts, tokens, posts, faults, each tagged with its workspace."""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

# "created_5xx": the platform does the work, then answers 5xx (the answer of a create is lost).
FAULT_KINDS = ("5xx", "429", "timeout", "lost", "created_5xx", "revoke", "expire")
MAX_REQUESTS = 500  # the request log keeps the newest
MAX_POSTS = 1000  # per platform
MAX_FAULTS = 50  # queued at once, per workspace
MAX_ACCOUNTS = 5000  # per platform; consent pages make one per visit
MAX_TOKENS = 20_000
MAX_CODES = 1000  # authorization codes not yet exchanged
MAX_ITEMS = 5000  # per platform table (media, containers, uploads, apps...)


class QueueFull(Exception):
    """A workspace already has as many faults waiting as it may."""


class Bounded(dict):
    """A dict that forgets its oldest entries beyond `limit`."""

    def __init__(self, limit: int, items=()) -> None:
        super().__init__(items)
        self.limit = limit

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        while len(self) > self.limit:
            del self[next(iter(self))]


@dataclass
class Token:
    platform: str
    account: str
    kind: str  # access | refresh
    expires_at: float | None
    issued_at: float = field(default_factory=time.time)
    revoked: bool = False
    used_at: float | None = None  # a rotated refresh token (Bluesky keeps it for a grace period)
    workspace: str | None = None
    scopes: frozenset[str] | None = None  # the OAuth scopes granted (None: every scope)

    def holds(self, *needed: str) -> bool:
        """Whether every one of `needed` was granted (a token minted without a consent screen
        holds every scope)."""
        return self.scopes is None or set(needed) <= self.scopes

    def granted(self) -> str | None:
        """The scopes as mint() takes them, for the tokens this one is traded for."""
        return " ".join(sorted(self.scopes)) if self.scopes else None


@dataclass
class Fault:
    platform: str
    op: str
    kind: str
    remaining: int = 1
    reset_in: int = 60
    delay: float = 2.0
    after: int = 0  # let this many matching requests through first
    workspace: str | None = None


class State:
    """Everything one sandbox knows; one lock, because the server is threaded. `workspace` is
    whose request this thread is serving (None: the standalone sandbox's single user). Inside
    the app every account belongs to the workspace that made it; the requests made with its
    credentials, its posts, faults and settings are that workspace's and nobody else's."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._local = threading.local()
        self.reset()

    @property
    def workspace(self) -> str | None:
        return getattr(self._local, "workspace", None)

    def serve(self, workspace: str | None) -> None:
        """Serve `workspace` on this thread from now on (None when the request is done)."""
        self._local.workspace = workspace

    @contextmanager
    def acting_for(self, workspace: str | None) -> Iterator[None]:
        """What this thread creates and reads belongs to `workspace` until the block ends."""
        before, self._local.workspace = self.workspace, workspace
        try:
            yield
        finally:
            self._local.workspace = before

    def reset(self, workspace: str | None = None) -> None:
        """Forget everything, or (given a workspace) only that workspace's part."""
        with self.lock:
            if workspace is not None:
                return self._reset_workspace(workspace)
            self.posts: dict[str, deque[dict]] = {}
            self.tokens: dict[str, Token] = Bounded(MAX_TOKENS)
            self.accounts: dict[str, dict[str, dict]] = {}
            self.owners: dict[str, str] = Bounded(8 * MAX_ACCOUNTS)  # account id -> workspace
            self.faults: list[Fault] = []
            self.codes: dict[str, dict] = Bounded(MAX_CODES)
            self.extra: dict[str, dict] = {}
            self.requests: deque[dict] = deque(maxlen=MAX_REQUESTS)
            self.sequence = 1_800_000_000_000_000_000

    def _reset_workspace(self, workspace: str) -> None:
        mine = {a for a, w in self.owners.items() if w == workspace}
        for accounts in self.accounts.values():
            for account_id in mine & accounts.keys():
                del accounts[account_id]
        self.tokens = Bounded(MAX_TOKENS, ((v, t) for v, t in self.tokens.items()
                                           if t.workspace != workspace))
        for platform, posts in self.posts.items():
            self.posts[platform] = deque((p for p in posts if p.get("workspace") != workspace),
                                         maxlen=MAX_POSTS)
        self.faults = [f for f in self.faults if f.workspace != workspace]
        self.requests = deque((r for r in self.requests if r.get("workspace") != workspace),
                              maxlen=MAX_REQUESTS)
        for tables in self.extra.values():
            tables.pop(f"settings:{workspace}", None)
        self.owners = Bounded(8 * MAX_ACCOUNTS,
                              ((a, w) for a, w in self.owners.items() if w != workspace))

    def next_id(self) -> str:
        with self.lock:
            self.sequence += 1 + secrets.randbelow(1000)
            return str(self.sequence)

    def record(self, platform: str, post: dict) -> dict:
        with self.lock:
            if self.workspace is not None:
                post["workspace"] = self.workspace
            self.posts.setdefault(platform, deque(maxlen=MAX_POSTS)).append(post)
        return post

    def log(self, entry: dict) -> None:
        with self.lock:
            self.requests.append({**entry, "workspace": self.workspace})

    def bucket(self, platform: str, name: str) -> dict:
        """A platform's own table (media, containers, apps...), keeping its newest items."""
        with self.lock:
            return self.extra.setdefault(platform, {}).setdefault(name, Bounded(MAX_ITEMS))

    def settings(self, platform: str) -> dict:
        """The switches of the workspace being served (each workspace sets its own)."""
        name = "settings" if self.workspace is None else f"settings:{self.workspace}"
        return self.bucket(platform, name)

    def add_account(self, platform: str, account_id: str, **info) -> dict:
        with self.lock:
            account = {"id": account_id, **info}
            self.accounts.setdefault(platform, Bounded(MAX_ACCOUNTS))[account_id] = account
            if self.workspace is not None:
                self.owners[account_id] = self.workspace
            return account

    def account(self, platform: str, account_id: str) -> dict | None:
        return self.accounts.get(platform, {}).get(account_id)

    def mint(self, platform: str, account: str, kind: str = "access",
             lifetime: float | None = None, scopes: str | None = None) -> str:
        value = f"sbx-{platform}-{kind}-{secrets.token_urlsafe(16)}"
        with self.lock:
            self.tokens[value] = Token(platform, account, kind,
                                       time.time() + lifetime if lifetime else None,
                                       workspace=self.owners.get(account, self.workspace),
                                       scopes=frozenset(scopes.split()) if scopes else None)
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
        """Queue `fault` for the workspace being served (QueueFull past MAX_FAULTS)."""
        with self.lock:
            fault.workspace = self.workspace
            if sum(f.workspace == fault.workspace for f in self.faults) >= MAX_FAULTS:
                raise QueueFull(f"at most {MAX_FAULTS} faults may wait at once; reset to "
                                "clear them")
            self.faults.append(fault)

    def take_fault(self, platform: str, op: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.platform == platform and fault.op in (op, "*") and fault.remaining > 0 \
                        and fault.workspace in (None, self.workspace):
                    if fault.after > 0:
                        fault.after -= 1
                        return None
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self.faults.remove(fault)
                    return fault
        return None
