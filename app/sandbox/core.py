"""What the platform fakes share: faults, bearer tokens, the signed-in caller, JSON, the masked
request log."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any

from flask import current_app, jsonify, request

from app.sandbox.state import Fault, State, Token

SECRET_FIELDS = frozenset({"access_token", "refresh_token", "password", "app_password",
                           "client_secret", "code_verifier", "input_token", "fb_exchange_token",
                           "token", "authorization", "accessjwt", "refreshjwt"})
MAX_LOGGED_BYTES = 64 * 1024  # a bigger body is logged by its size alone
MAX_DELAY = 10.0  # seconds a fault may hold a request


def state() -> State:
    return current_app.extensions["sandbox_state"]


def bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def signed_in(who: Callable[[], tuple[Any, Any]]):
    """Wrap a fake endpoint that needs a caller: `who()` gives (the caller, None), or (None,
    the platform's refusal), which is answered as it is. The view gets the caller first."""
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            caller, refusal = who()
            if refusal:
                return refusal
            return view(caller, *args, **kwargs)
        return wrapper
    return decorate


def code_grant(code: str | None, redirect_uri: str | None) -> dict | None:
    """The grant behind an authorization code, taken once (RFC 6749, 4.1.2: a code is used
    once), if the token request names the redirect_uri it was issued for (4.1.3); else None."""
    grant = state().codes.pop(code or "", None)
    return grant if grant is not None and grant["redirect_uri"] == redirect_uri else None


def oauth_token(platform: str, *, code: Callable[[dict], Any],
                refresh: Callable[[Token | None], Any], bad_code: Callable[[], Any],
                unsupported: Callable[[], Any]):
    """An OAuth 2 token endpoint (RFC 6749): the authorization_code grant takes the code once
    and only for the redirect_uri it was issued with (4.1.3), then answers `code(its grant)`,
    or `bad_code()`; the refresh_token grant (6) answers `refresh(the refresh token, or None
    when unknown)`; any other grant type, `unsupported()`. Each platform answers in its words."""
    form = request.form
    if form.get("grant_type") == "authorization_code":
        grant = code_grant(form.get("code"), form.get("redirect_uri"))
        return bad_code() if grant is None else code(grant)
    if form.get("grant_type") == "refresh_token":
        return refresh(state().token(platform, form.get("refresh_token"), "refresh"))
    return unsupported()


def json_response(body, status: int = 200, headers: dict | None = None):
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def mask(value: str) -> str:
    """A secret as the log shows it: enough to tell two apart, never enough to use one."""
    return f"…{value[-4:]}" if len(value) >= 16 else "…"


def _masked_field(name: str, value) -> object:
    if name == "authorization" and " " in str(value).strip():
        scheme, _, rest = str(value).strip().partition(" ")
        return f"{scheme} {mask(rest.strip())}"
    return mask(str(value))


def masked(data):
    """`data` with the value of every secret-named field masked, however deep."""
    if isinstance(data, dict):
        return {k: _masked_field(str(k).lower(), v) if str(k).lower() in SECRET_FIELDS and v
                else masked(v) for k, v in data.items()}
    if isinstance(data, list):
        return [masked(v) for v in data]
    return data


def _body() -> dict:
    size = request.content_length or 0
    if size > MAX_LOGGED_BYTES:
        return {"json": None, "form": None, "body_bytes": size}
    body = request.get_json(silent=True) if request.is_json else None
    return {"json": masked(body), "form": masked(request.form.to_dict()) if request.form else None}


def log_request(platform: str, op: str) -> None:
    """Keep what was sent, so tests can check requests against the official specs."""
    headers = {**request.environ.get("sandbox.raw_headers", {}),
               **{k.lower(): v for k, v in request.headers.items()}}
    state().log({"platform": platform, "op": op, "method": request.method, "path": request.path,
                 **_body(), "files": sorted(request.files) if request.files else None,
                 "args": masked(request.args.to_dict()), "headers": masked(headers)})


def _credentials() -> Iterator[str]:
    _scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if value.strip():
        yield value.strip()
    for name in ("access_token", "refresh_token", "input_token", "fb_exchange_token"):
        if request.values.get(name):
            yield request.values[name]


def caller_workspace() -> str | None:
    """Whose sandbox account the request's credential (token, code or handle) belongs to."""
    st = state()
    for value in _credentials():
        if value in st.tokens:
            return st.tokens[value].workspace
        claims = st.bucket("bluesky", "service_tokens").get(value)
        if claims:
            return st.owners.get(claims["did"])
    grant = st.codes.get(request.values.get("code") or "")
    if grant:
        return st.owners.get(grant.get("account", ""))
    body = request.get_json(silent=True) if request.is_json else None
    if isinstance(body, dict) and isinstance(body.get("identifier"), str):
        wanted = body["identifier"].lstrip("@").lower()
        return next((st.owners.get(a["did"]) for a in st.accounts.get("bluesky", {}).values()
                     if wanted in (a["handle"].lower(), a["did"])), None)
    return None


def hold(seconds: float) -> None:
    """Wait out a fault's delay. Inside the app only one request at a time may wait (the
    others answer at once), so faults can never tie up the dashboard's threads."""
    seconds = min(seconds, MAX_DELAY)
    waiters: threading.Semaphore | None = current_app.config.get("SANDBOX_WAITERS")
    if waiters is None:
        time.sleep(seconds)
    elif waiters.acquire(blocking=False):
        try:
            time.sleep(seconds)
        finally:
            waiters.release()


def faulty(platform: str, op: str, errors: dict[str, Callable[[Fault], object]],
           token_of: Callable[[], Token | None] | None = None):
    """Wrap a fake endpoint: log it, then apply the next queued fault for (platform, op).

    errors maps "5xx"/"429" to the platform's own error response builders. "revoke" and
    "expire" act on the caller's token, then let the endpoint answer as the platform would.
    "timeout" answers only after the client gave up; "lost" does the work, then answers late;
    "created_5xx" does the work, then answers the platform's 5xx."""
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            log_request(platform, op)
            fault = state().take_fault(platform, op)
            if fault is None:
                return view(*args, **kwargs)
            if fault.kind in errors:
                return errors[fault.kind](fault)
            if fault.kind in ("revoke", "expire") and token_of:
                token = token_of()
                if token is not None:
                    if fault.kind == "revoke":
                        state().revoke_account(token.platform, token.account)
                    else:
                        token.expires_at = time.time() - 1
                return view(*args, **kwargs)
            if fault.kind == "created_5xx":
                view(*args, **kwargs)
                return errors["5xx"](fault)
            if fault.kind == "timeout":
                hold(fault.delay)
                return errors["5xx"](fault)
            response = view(*args, **kwargs)
            hold(fault.delay)
            return response
        return wrapper
    return decorate


def rate_reset(fault: Fault) -> int:
    return int(time.time()) + fault.reset_in
