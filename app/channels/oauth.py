"""Browser sign-in (OAuth 2.0), one flow for every platform, driven by the platform's own
table in app/platforms/<name>/oauth.py: its consent page, scopes, PKCE, sign-in options
(`VARIANTS`) and the callback's token exchange (`finish`). The caller keeps `pending` in the
signed session and hands it back."""

from __future__ import annotations

import secrets
from types import ModuleType
from urllib.parse import urlencode

import httpx

from app.errors import ValidationFailed
from app.platforms import registry
from app.platforms.errors import PublishError
from app.platforms.signin import Verified, client_id, pkce_pair


def _spec(platform: str) -> ModuleType:
    spec = registry.module(platform, "oauth")
    if spec is None:
        raise ValidationFailed(f"{platform} connects without a browser sign-in", field="platform")
    return spec


def _variant(platform: str, spec: ModuleType, variant: str | None) -> tuple[str | None, str, str]:
    """(the variant, whose consent page and app, the scopes); an option the platform lacks is
    refused."""
    variants: dict = getattr(spec, "VARIANTS", {})
    if variant and variant not in variants:
        raise ValidationFailed(f"{platform} has no sign-in option {variant!r}"
                               + (f"; choose {' or '.join(variants)}" if variants else ""),
                               field="variant")
    chosen = variant or next(iter(variants), None)
    provider, scopes = variants.get(chosen, (platform, spec.SCOPES))
    return chosen, provider, scopes


def start(client: httpx.Client, platform: str, redirect_uri: str,
          instance_url: str | None = None, variant: str | None = None) -> tuple[str, dict]:
    """(the URL to send the browser to, what to keep until the callback)."""
    spec = _spec(platform)
    variant, provider, scopes = _variant(platform, spec, variant)
    state = secrets.token_urlsafe(24)
    pending: dict = {"platform": platform, "state": state, "redirect_uri": redirect_uri,
                     "variant": variant}
    query: dict = {"response_type": "code", "redirect_uri": redirect_uri, "state": state,
                   "scope": scopes}
    if spec.PKCE:
        verifier, challenge = pkce_pair()
        pending["verifier"] = verifier
        query |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    if hasattr(spec, "consent"):  # the platform finds its consent page and app itself
        page, app_id = spec.consent(client, pending, redirect_uri, instance_url)
    else:
        page, app_id = _spec(provider).authorize_url(), client_id(provider)
    query[getattr(spec, "CLIENT_PARAM", "client_id")] = app_id
    return f"{page}?{urlencode(query)}", pending


def finish(client: httpx.Client, platform: str, pending: dict | None, args: dict) -> Verified:
    """The callback: the state must match the one this browser started with (once)."""
    if not pending or pending.get("platform") != platform or not args.get("state") \
            or not secrets.compare_digest(str(args.get("state")), pending["state"]):
        raise ValidationFailed("this sign-in did not start here or has already been used; "
                               "start connecting again", field="state")
    if args.get("error"):
        raise ValidationFailed(f"{platform} did not grant access: "
                               f"{args.get('error_description') or args['error']}", field="code")
    if not args.get("code"):
        raise ValidationFailed("the platform sent no authorization code", field="code")
    try:
        return _spec(platform).finish(client, pending, args["code"])
    except PublishError as exc:
        raise ValidationFailed(f"{platform} refused the sign-in: {exc.message}", field="code") from exc
