"""The fakes' API version tables: which LinkedIn-Version and Graph versions answer on a given
day, as the platforms publish them. Tests move the fake's day with {"today": "YYYY-MM-DD"}."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Blueprint, g, request
from werkzeug.routing import BaseConverter

from app.platforms.threads.fake import graph_error
from app.sandbox.pull import settings

# LinkedIn Marketing versions and their sunset dates, from the migrations table
# https://learn.microsoft.com/en-us/linkedin/marketing/integrations/migrations ("API Migration
# Status"). A version not listed lives a year: it is released on the 1st of its month and
# sunset mid-month a year later (https://learn.microsoft.com/en-us/linkedin/marketing/versioning:
# "supported and stable for a minimum of one year before sunset").
LINKEDIN_SUNSETS = {"202407": date(2025, 7, 22),
                    "202408": date(2025, 8, 18), "202409": date(2025, 9, 15),
                    "202410": date(2025, 10, 15), "202411": date(2025, 11, 17),
                    "202510": date(2026, 10, 15), "202511": date(2026, 11, 16),
                    "202601": date(2027, 1, 15), "202602": date(2027, 2, 15),
                    "202603": date(2027, 3, 16)}
# A month the table skips (202511 is followed by 202601): never released.
LINKEDIN_SKIPPED = {"202512"}
# Graph API versions: release and expiry ("Available Graph API Versions",
# https://developers.facebook.com/docs/graph-api/changelog/versions/). None: "TBD".
GRAPH_VERSIONS = {"v20.0": (date(2024, 5, 21), date(2026, 9, 24)),
                  "v21.0": (date(2024, 10, 2), date(2027, 1, 21)),
                  "v22.0": (date(2025, 1, 21), date(2027, 5, 20)),
                  "v23.0": (date(2025, 5, 29), date(2027, 10, 8)),
                  "v24.0": (date(2025, 10, 8), date(2028, 2, 18)),
                  "v25.0": (date(2026, 2, 18), date(2028, 7, 29)),
                  "v26.0": (date(2026, 7, 29), None),
                  "v27.0": (date(2026, 11, 4), None)}


def today(platform: str) -> date:
    """The fake's day: the real one unless a test set {"today": "YYYY-MM-DD"}."""
    given = settings(platform).get("today")
    return date.fromisoformat(given) if given else datetime.now(UTC).date()


def linkedin_active(version: str, day: date) -> bool:
    """Whether LinkedIn serves `version` (YYYYMM, or YYYYMM.RR for a revision) on `day`."""
    base = version.split(".")[0]
    if len(base) != 6 or not base.isdigit() or not 1 <= int(base[4:]) <= 12 \
            or base in LINKEDIN_SKIPPED:
        return False
    released = date(int(base[:4]), int(base[4:]), 1)
    sunset = LINKEDIN_SUNSETS.get(base, date(released.year + 1, released.month, 15))
    return released <= day < sunset


def graph_served(version: str, day: date) -> str | None:
    """The Graph version that answers a call made to `version` on `day`: itself while it lives;
    after expiry "any calls made to it will be defaulted to the next oldest usable version"
    (https://developers.facebook.com/docs/graph-api/guides/versioning, "Version Schedules");
    None for a version Meta never released (Graph answers "Unknown path components")."""
    if version not in GRAPH_VERSIONS or GRAPH_VERSIONS[version][0] > day:
        return None
    usable = [v for v, (released, ends) in GRAPH_VERSIONS.items()
              if released <= day and (ends is None or day < ends)]
    return next((v for v in usable if _number(v) >= _number(version)), None)


def _number(version: str) -> float:
    return float(version.lstrip("v"))


class GraphVersionConverter(BaseConverter):
    """A Graph version in a path: /v25.0/..."""

    regex = r"v\d+\.\d+"


def graph_versioned(bp: Blueprint, platform: str) -> None:
    """Serve the blueprint's /<graph_version:version>/ routes as Graph does: a live version
    answers itself, an expired one is answered by the next oldest usable version
    (https://developers.facebook.com/docs/graph-api/guides/versioning, "Version Schedules"),
    and the `facebook-api-version` response header names the version that answered
    (https://developers.facebook.com/docs/graph-api/guides/debugging, "Determining Version used
    by API Requests"). A version never released is an unknown path: 400, code 2500 (3p,
    observed: github.com/arsduo/koala/issues/611)."""

    @bp.url_value_preprocessor
    def take_version(_endpoint, values):
        if values and "version" in values:
            g.graph_version = values.pop("version")

    @bp.before_request
    def check_version():
        asked = g.get("graph_version")
        if asked is None:
            return None
        g.graph_served = graph_served(asked, today(platform))
        if g.graph_served is None:
            return graph_error(f"Unknown path components: {request.path.split(asked, 1)[1]}",
                               2500)
        return None

    @bp.after_request
    def name_version(response):
        if g.get("graph_served"):
            response.headers["facebook-api-version"] = g.graph_served
        return response
