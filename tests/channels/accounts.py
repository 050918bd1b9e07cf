"""Sandbox accounts per platform, as a connected channel would hold them, and fault helpers."""

from __future__ import annotations

PLATFORMS = ("x", "bluesky", "mastodon", "threads")


class Platform:
    """A sandbox account on one platform, as a connected channel would hold it."""

    def __init__(self, sandbox, name: str, http):
        self.sandbox, self.name, self.http = sandbox, name, http
        made = http.post(f"{sandbox.url}/_control/accounts", json={"platform": name}).json()
        self.account = made
        if name == "x":
            self.settings = {"account_id": made["account_id"]}
            self.credentials = {k: made[k] for k in ("access_token", "refresh_token", "expires_at")}
            self.handle = made["username"]
        elif name == "bluesky":
            self.settings = {"pds_url": f"{sandbox.url}/bluesky", "did": made["did"]}
            session = http.post(f"{sandbox.url}/bluesky/xrpc/com.atproto.server.createSession",
                                json={"identifier": made["handle"], "password": made["password"]}).json()
            self.credentials = {"identifier": made["handle"], "app_password": made["password"],
                                "access_jwt": session["accessJwt"],
                                "refresh_jwt": session["refreshJwt"], "did": made["did"]}
            self.handle = made["handle"]
        elif name == "mastodon":
            self.settings = {"instance_url": f"{sandbox.url}/mastodon",
                             "account_id": made["account_id"]}
            self.credentials = {"access_token": made["access_token"]}
            self.handle = made["username"]
        else:
            self.settings = {"account_id": made["account_id"]}
            self.credentials = {"access_token": made["access_token"],
                                "expires_at": made["expires_at"]}
            self.handle = made["username"]

    @property
    def token(self) -> str:
        return self.credentials.get("access_token") or self.credentials["access_jwt"]

    def fault(self, op: str, kind: str, **kw) -> None:
        response = self.http.post(f"{self.sandbox.url}/_control/faults",
                                  json={"platform": self.name, "op": op, "kind": kind, **kw})
        assert response.status_code == 201, response.text

    def token_action(self, action: str, token: str | None = None, **kw) -> None:
        response = self.http.post(f"{self.sandbox.url}/_control/tokens",
                                  json={"token": token or self.token, "action": action, **kw})
        assert response.status_code == 200, response.text

    def posts(self) -> list[dict]:
        return self.http.get(f"{self.sandbox.url}/_control/posts",
                             params={"platform": self.name}).json()["data"]

    def requests(self, op: str | None = None) -> list[dict]:
        found = self.http.get(f"{self.sandbox.url}/_control/requests",
                              params={"platform": self.name}).json()["data"]
        return [r for r in found if op is None or r["op"] == op]
