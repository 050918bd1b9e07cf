"""Connecting a Facebook Page: Facebook Login, then the Page chosen among those the user
manages, published to with its Page token
(https://developers.facebook.com/docs/pages-api/getting-started)."""

from __future__ import annotations

import httpx

from app.errors import ValidationFailed
from app.platforms import graph
from app.platforms.meta_oauth import pages
from app.platforms.signin import Verified, consent_page, offering

# read_insights: the Page post insights app/platforms/facebook/metrics.py reads.
SCOPES = "pages_show_list,pages_read_engagement,pages_manage_posts,read_insights"
PKCE = False


def authorize_url() -> str:
    return consent_page("facebook", "https://www.facebook.com", f"/{graph.VERSION}/dialog/oauth",
                        sandbox_path="/dialog/oauth")


def finish(client: httpx.Client, pending: dict, code: str) -> Verified:
    """The user's pages, each with its page token; the first is used unless one is chosen."""
    base, found = pages(client, pending, code, "id,name,access_token,tasks")
    if not found:
        raise ValidationFailed("this Facebook account manages no page OpenPost may post to",
                               field="code")
    return offering(base, [{"id": p["id"], "label": p.get("name", p["id"]),
                            "handle": p.get("name", p["id"]), "display_name": p.get("name", ""),
                            "credentials": {"access_token": p["access_token"]},
                            "settings": {"page_id": p["id"], "account_id": p["id"]}}
                           for p in found])
