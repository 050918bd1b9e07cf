"""Fake LinkedIn: social metadata and organization share statistics."""

from __future__ import annotations

from flask import Blueprint, request

from app.platforms.linkedin.fake_auth import ERRORS, error, rest, scopes, token
from app.sandbox import growth
from app.sandbox.core import faulty, json_response, signed_in

bp = Blueprint("sandbox_linkedin_metrics", __name__, url_prefix="/linkedin")


def _urns(name: str) -> list[str] | None:
    value = request.args.get(name, "")
    if not (value.startswith("List(") and value.endswith(")")):
        return None
    return [u for u in value[5:-1].split(",") if u]


@bp.get("/rest/socialMetadata")
@faulty("linkedin", "social_metadata", ERRORS, token)
@signed_in(rest)
def social_metadata(_member):
    # https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/
    # social-metadata-api ("Batch Get": ids=List(...); Permissions: r_organization_social for
    # an organization's posts, r_member_social, "Restricted ... granted to select developers
    # only", for a member's own posts; else 403 ACCESS_DENIED).
    denied = error(403, "Not enough permissions to access: socialMetadata.BATCH_GET.20240101",
                   "ACCESS_DENIED", 100)
    if not scopes() & {"r_member_social", "r_organization_social"}:
        return denied
    urns = _urns("ids")
    if not urns:
        return error(400, "ids must be a List(...) of post URNs", "ILLEGAL_ARGUMENT")
    personal = [u for u in urns if not str((growth.find("linkedin", u) or {}).get(
        "author", "urn:li:organization:")).startswith("urn:li:organization:")]
    # Each post needs its own kind's permission: a member's r_member_social, an
    # organization's r_organization_social (same page, Permissions).
    if personal and "r_member_social" not in scopes():
        return denied
    if len(personal) < len(urns) and "r_organization_social" not in scopes():
        return denied
    results, errors = {}, {}
    for urn in urns:
        if growth.find("linkedin", urn) is None:
            errors[urn] = {"status": 404, "message": f"Entity {urn} not found"}
            continue
        c = growth.figures("linkedin", urn, ("likes", "reactions", "comments"))
        results[urn] = {"entity": urn, "commentsState": "OPEN",
                        "reactionSummaries": {
                            "LIKE": {"reactionType": "LIKE", "count": c["likes"]},
                            "PRAISE": {"reactionType": "PRAISE", "count": c["reactions"] // 3}},
                        "commentSummary": {"count": c["comments"],
                                           "topLevelCount": c["comments"]}}
    return json_response({"results": results, "statuses": {u: 200 for u in results},
                          "errors": errors})


@bp.get("/rest/organizationalEntityShareStatistics")
@faulty("linkedin", "share_statistics", ERRORS, token)
@signed_in(rest)
def share_statistics(member):
    # https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/
    # share-statistics ("Retrieve Statistics for Specific Shares": q=organizationalEntity,
    # shares=List(...); permissions rw_organization_admin or r_organization_admin, and the
    # member an ADMINISTRATOR or ANALYST of the organization).
    org = request.args.get("organizationalEntity", "")
    roles = {r["organization"] for r in member.get("roles", []) if r["state"] == "APPROVED"}
    if request.args.get("q") != "organizationalEntity" or not org:
        return error(400, "q=organizationalEntity and organizationalEntity are required",
                     "ILLEGAL_ARGUMENT")
    if not scopes() & {"r_organization_admin", "rw_organization_admin"} or org not in roles:
        return error(403, f"Not enough permissions to access statistics of {org}",
                     "ACCESS_DENIED", 100)
    elements = []
    for urn in _urns("shares") or []:
        post = growth.find("linkedin", urn)
        if post is None or post.get("author") != org:
            continue
        c = growth.figures("linkedin", f"{urn}#stats", ("impressions", "clicks", "likes",
                                                       "comments", "shares", "reach"))
        elements.append({"organizationalEntity": org, "share": urn, "totalShareStatistics": {
            "impressionCount": c["impressions"], "uniqueImpressionsCount": c["reach"],
            "clickCount": c["clicks"], "likeCount": c["likes"], "commentCount": c["comments"],
            "shareCount": c["shares"],
            "engagement": round((c["clicks"] + c["likes"] + c["comments"] + c["shares"])
                                / max(c["impressions"], 1), 4)}})
    return json_response({"elements": elements, "paging": {"count": 10, "start": 0,
                                                            "links": []}})
