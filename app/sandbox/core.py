"""What the platform fakes share: fault injection around an operation, bearer tokens, JSON."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps

from flask import current_app, jsonify, request

from app.sandbox.state import Fault, State, Token


def state() -> State:
    return current_app.extensions["sandbox_state"]


def bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def json_response(body, status: int = 200, headers: dict | None = None):
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def log_request(platform: str, op: str) -> None:
    """Keep what was sent, so tests can check requests against the official specs."""
    body = request.get_json(silent=True) if request.is_json else None
    with state().lock:
        state().requests.append({"platform": platform, "op": op, "method": request.method,
                                 "path": request.path, "json": body,
                                 "form": request.form.to_dict() if request.form else None,
                                 "files": sorted(request.files) if request.files else None,
                                 "args": request.args.to_dict(),
                                 "headers": {**request.environ.get("sandbox.raw_headers", {}),
                                             **{k.lower(): v for k, v in request.headers.items()}}})


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
                time.sleep(fault.delay)
                return errors["5xx"](fault)
            response = view(*args, **kwargs)
            time.sleep(fault.delay)
            return response
        return wrapper
    return decorate


def rate_reset(fault: Fault) -> int:
    return int(time.time()) + fault.reset_in
