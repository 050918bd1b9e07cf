"""The LinkedIn fake's organizations: members' roles on them (organizationAcls, the
roleAssignee finder), organization lookups, and who may post or upload as an organization.

Sources, behaviour by behaviour:
- Roles and the roleAssignee finder, its `role`/`state` filters, the paging envelope and the
  r_organization_admin / rw_organization_admin permission:
  https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-access-control-by-role
  ("Find a Member's Organization Access Control Information").
- Organization lookup by id (`localizedName`, `vanityName`; 404 for an unknown id):
  https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-lookup-api
  ("Retrieve an Organization").
- Who may post as an organization (ADMINISTRATOR, CONTENT_ADMINISTRATOR or
  DIRECT_SPONSORED_CONTENT_POSTER, approved, with w_organization_social; otherwise 403
  ACCESS_DENIED):
  https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api
  ("Permissions"), and the error body of
  https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/error-handling.
"""

from __future__ import annotations

from flask import Blueprint, request

from app.platforms.linkedin.fake_auth import error, rest, scopes
from app.sandbox.core import json_response, signed_in, state

bp = Blueprint("sandbox_linkedin_orgs", __name__, url_prefix="/linkedin/rest")
# Roles that may post for an organization.
POSTING_ROLES = {"ADMINISTRATOR", "CONTENT_ADMINISTRATOR", "DIRECT_SPONSORED_CONTENT_POSTER"}


def new_organization(name: str) -> str:
    org_id = state().next_id()[-8:]
    state().bucket("linkedin", "organizations")[org_id] = {"id": int(org_id),
                                                          "localizedName": name,
                                                          "vanityName": name.lower().replace(" ", "-")}
    return f"urn:li:organization:{org_id}"


def grant(member: dict, name: str, role: str = "ADMINISTRATOR", status: str = "APPROVED") -> str:
    """A new organization on which the member holds `role` (APPROVED, REQUESTED, ...)."""
    urn = new_organization(name)
    member["roles"].append({"organization": urn, "role": role, "state": status})
    return urn


def may_act_as(member: dict, author: str):
    """None when the request's token may post or upload as `author`, else LinkedIn's 403."""
    if author == member["urn"]:
        # Posting or uploading as the member needs w_member_social ("Post, comment, and like
        # posts on behalf of an authenticated member"), refused as an organization without
        # w_organization_social is. https://learn.microsoft.com/en-us/linkedin/marketing/
        # usecases/page-management/organic-posts-usecase (Permissions)
        if "w_member_social" in scopes():
            return None
        return error(403, f"Not enough permissions to act as {author}", "ACCESS_DENIED", 100)
    allowed = any(r["organization"] == author and r["role"] in POSTING_ROLES
                  and r["state"] == "APPROVED" for r in member.get("roles", []))
    if allowed and "w_organization_social" in scopes():
        return None
    return error(403, f"Not enough permissions to act as {author}", "ACCESS_DENIED", 100)


@bp.get("/organizationAcls")
@signed_in(rest)
def acls(member):
    if not scopes() & {"r_organization_admin", "rw_organization_admin"}:
        return error(403, "Not enough permissions to access: organizationAcls.FINDER-roleAssignee",
                     "ACCESS_DENIED", 100)
    if request.args.get("q") != "roleAssignee":
        return error(400, "q must be roleAssignee (or organization)", "ILLEGAL_ARGUMENT")
    wanted = {k: request.args.get(k) for k in ("role", "state") if request.args.get(k)}
    found = [{"roleAssignee": member["urn"], **r} for r in member.get("roles", [])
             if all(r[k] == v for k, v in wanted.items())]
    return json_response({"paging": {"count": int(request.args.get("count", 10)), "start": 0,
                                     "links": []}, "elements": found})


@bp.get("/organizations/<org_id>")
@signed_in(rest)
def organization(_member, org_id: str):
    found = state().bucket("linkedin", "organizations").get(org_id)
    return json_response(found) if found else error(404, f"Organization {org_id} not found")
