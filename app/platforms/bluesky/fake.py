"""Fake Bluesky PDS (XRPC): sessions with rotating refresh tokens, records with caller-chosen
TID keys, blobs, handle resolution; errors as the reference PDS answers them."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from datetime import UTC, datetime

import grapheme
from flask import Blueprint, request

from app.platforms.bluesky.publisher import tid
from app.sandbox.core import bearer, faulty, json_response, rate_reset, signed_in, state
from app.sandbox.guard import media_upload

bp = Blueprint("sandbox_bluesky", __name__, url_prefix="/bluesky/xrpc")
ACCESS_LIFETIME = 120 * 60
REFRESH_LIFETIME = 90 * 86_400
REFRESH_GRACE = 2 * 3600
TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
POST = "app.bsky.feed.post"


def xrpc_error(status: int, name: str, message: str, headers=None):
    return json_response({"error": name, "message": message}, status, headers)


def _rate_headers(reset: int, remaining: int) -> dict:
    return {"RateLimit-Limit": "5000", "RateLimit-Remaining": str(remaining),
            "RateLimit-Reset": str(reset), "RateLimit-Policy": "5000;w=3600"}


ERRORS = {
    "5xx": lambda f: xrpc_error(500, "InternalServerError", "Internal Server Error"),
    "429": lambda f: xrpc_error(429, "RateLimitExceeded", "Rate Limit Exceeded",
                                _rate_headers(rate_reset(f), 0)),
}


def new_account(handle: str, password: str) -> dict:
    did = "did:plc:" + hashlib.sha256(handle.encode()).hexdigest()[:24]
    return state().add_account("bluesky", did, handle=handle, password=password, did=did)


def _by_identifier(identifier: str) -> dict | None:
    identifier = identifier.lstrip("@").lower()
    return next((a for a in state().accounts.get("bluesky", {}).values()
                 if identifier in (a["handle"].lower(), a["did"])), None)


def _token():
    return state().token("bluesky", bearer())


def _session_of(kind: str = "access"):
    """The account behind the bearer token, or the error the reference PDS gives."""
    value = bearer()
    if not value:
        return None, xrpc_error(401, "AuthMissing", "Authentication Required")
    token = state().token("bluesky", value, kind)
    if token is None or token.revoked:
        return None, xrpc_error(400, "InvalidToken", "Token could not be verified")
    if token.expires_at and token.expires_at < time.time():
        return None, xrpc_error(400, "ExpiredToken", "Token has expired")
    if kind == "refresh" and token.used_at and token.used_at + REFRESH_GRACE < time.time():
        return None, xrpc_error(400, "ExpiredToken", "Token has been revoked")
    return token, None


def _session(account: dict) -> dict:
    return {"did": account["did"], "handle": account["handle"], "active": True,
            "accessJwt": state().mint("bluesky", account["did"], lifetime=ACCESS_LIFETIME),
            "refreshJwt": state().mint("bluesky", account["did"], "refresh",
                                       lifetime=REFRESH_LIFETIME)}


@bp.post("/com.atproto.server.createSession")
@faulty("bluesky", "session", ERRORS)
def create_session():
    body = request.get_json(silent=True) or {}
    account = _by_identifier(str(body.get("identifier", "")))
    if account is None or account["password"] != body.get("password"):
        return xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password")
    return json_response(_session(account))


@bp.post("/com.atproto.server.refreshSession")
@faulty("bluesky", "refresh", ERRORS)
def refresh_session():
    token, error = _session_of("refresh")
    if error:
        return error
    token.used_at = token.used_at or time.time()  # rotated; still valid for the grace period
    return json_response(_session(state().account("bluesky", token.account)))


def did_web(host: str) -> str:
    """The did:web of a host (a port's colon is percent-encoded, as did:web requires)."""
    return "did:web:" + host.replace(":", "%3A")


@bp.get("/com.atproto.server.getSession")
@signed_in(_session_of)
def get_session(token):
    account = state().account("bluesky", token.account)
    pds = {"id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
           "serviceEndpoint": f"{request.url_root}bluesky"}
    return json_response({"did": account["did"], "handle": account["handle"], "active": True,
                          "didDoc": {"id": account["did"], "service": [pds]}})


@bp.get("/com.atproto.server.getServiceAuth")
@faulty("bluesky", "service_auth", ERRORS, _token)
@signed_in(_session_of)
def get_service_auth(token):
    """A token for another service to act as the account (the video service), bound to one
    method; as the reference PDS, at most an hour long, a method-less one at most a minute."""
    aud, lxm = request.args.get("aud", ""), request.args.get("lxm")
    exp = int(request.args.get("exp") or time.time() + 60)
    if not aud.startswith("did:"):
        return xrpc_error(400, "InvalidRequest", "Error: Params must have the property \"aud\"")
    if exp <= time.time():
        return xrpc_error(400, "BadExpiration", "expiration is in past")
    if exp > time.time() + (3600 if lxm else 60):
        return xrpc_error(400, "BadExpiration", "cannot request a token with an expiration "
                                                "more than an hour in the future" if lxm else
                          "cannot request a method-less token with an expiration more than a "
                          "minute in the future")
    value = f"sbx-bluesky-service-{secrets.token_urlsafe(16)}"
    state().bucket("bluesky", "service_tokens")[value] = {"did": token.account, "aud": aud,
                                                          "lxm": lxm, "exp": exp}
    return json_response({"token": value})


@bp.get("/com.atproto.identity.resolveHandle")
def resolve_handle():
    account = _by_identifier(request.args.get("handle", ""))
    if account is None:
        return xrpc_error(400, "InvalidRequest", "Unable to resolve handle")
    return json_response({"did": account["did"]})


def _cid(payload: str) -> str:
    return "bafyrei" + hashlib.sha256(payload.encode()).hexdigest()[:52]


def _check_record(record: dict) -> str | None:
    text = record.get("text", "")
    if record.get("$type") != POST:
        return "Invalid record: $type must be app.bsky.feed.post"
    if grapheme.length(text) > 300 or len(text.encode()) > 3000:
        return "Invalid app.bsky.feed.post record: Record/text must not be longer than 300 graphemes"
    if "createdAt" not in record:
        return 'Invalid app.bsky.feed.post record: Record must have the property "createdAt"'
    return None


@bp.post("/com.atproto.repo.createRecord")
@faulty("bluesky", "create", ERRORS, _token)
@signed_in(_session_of)
def create_record(token):
    body = request.get_json(silent=True) or {}
    if body.get("repo") not in (token.account, state().account("bluesky", token.account)["handle"]):
        return xrpc_error(400, "InvalidRequest", "Input/repo must be the authenticated account")
    # Without a caller's key the PDS makes a TID of the current time.
    rkey = body.get("rkey") or tid(secrets.token_hex(8), 0, datetime.now(UTC))
    if body.get("collection") == POST and not TID.match(rkey):
        return xrpc_error(400, "InvalidRequest", "Invalid rkey: must be a TID")
    problem = _check_record(body.get("record") or {})
    if problem:
        return xrpc_error(400, "InvalidRequest", problem)
    uri = f"at://{token.account}/{body.get('collection')}/{rkey}"
    records = state().bucket("bluesky", "records")
    with state().lock:
        if uri in records:
            # What the reference PDS does on a repeated key: a 500, the first record unchanged.
            # The lexicon names no error for it (com.atproto.repo.createRecord lists only
            # InvalidSwap); keys are TIDs, https://atproto.com/specs/record-key ("tid" type).
            return xrpc_error(500, "InternalServerError", "Internal Server Error")
        cid = _cid(uri + str(body["record"]))
        records[uri] = {"uri": uri, "cid": cid, "value": body["record"]}
    reply = body["record"].get("reply") or {}
    state().record("bluesky", {"id": uri, "account": token.account, "rkey": rkey,
                               "text": body["record"].get("text", ""),
                               "reply_to": (reply.get("parent") or {}).get("uri"),
                               "root": (reply.get("root") or {}).get("uri"),
                               "facets": body["record"].get("facets", []),
                               "embed": body["record"].get("embed")})
    return json_response({"uri": uri, "cid": cid, "validationStatus": "valid",
                          "commit": {"cid": _cid(cid), "rev": rkey}},
                         headers=_rate_headers(int(time.time()) + 3600, 4997))


@bp.get("/com.atproto.repo.getRecord")
@faulty("bluesky", "get", ERRORS, _token)
def get_record():
    args = request.args
    uri = f"at://{args.get('repo')}/{args.get('collection')}/{args.get('rkey')}"
    found = state().bucket("bluesky", "records").get(uri)
    if found is None:
        return xrpc_error(400, "RecordNotFound", f"Could not locate record: {uri}")
    return json_response(found)


@bp.post("/com.atproto.repo.uploadBlob")
@media_upload
@faulty("bluesky", "upload", ERRORS, _token)
@signed_in(_session_of)
def upload_blob(_token_):
    data = request.get_data()
    # Video blobs (app.bsky.embed.video) may be far larger than images.
    limit = 100_000_000 if request.content_type == "video/mp4" else 2_000_000
    if len(data) > limit:
        return xrpc_error(400, "BlobTooLarge", "This file is too large. It is 2.00MB but the "
                                               "maximum size is 2.00MB.")
    cid = _cid(hashlib.sha256(data).hexdigest())
    return json_response({"blob": {"$type": "blob", "ref": {"$link": cid},
                                   "mimeType": request.content_type or "application/octet-stream",
                                   "size": len(data)}})


def control_account(body: dict) -> dict:
    """A ready account for /_control/accounts: a handle and its app password."""
    handle = body.get("handle") or "sandbox.bsky.social"
    account = new_account(handle, body.get("password") or "sandbox-app-password")
    return {"handle": handle, "password": account["password"], "did": account["did"]}
