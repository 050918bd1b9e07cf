"""`openpost doctor` on the platform API versions OpenPost pins: silent while a sunset is far,
a warning within 60 days of it, an error (and exit 1) once it has passed."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from app.ops import doctor
from app.platforms import graph, versions
from app.platforms.linkedin import api as linkedin


@pytest.fixture
def publishing(quiet_ops, db):
    """A live worker and nothing overdue: the only thing doctor can find is a version."""
    db.execute(sa.text("INSERT INTO workers (id, host, pid, version, last_tick_at, posts_claimed, "
                       "in_flight) VALUES ('w-versions', 'h', 1, 't', now(), 0, 0)"))
    db.commit()  # into the test's outer transaction, which is still rolled back at the end
    return db


def _row(report: dict, platforms: str) -> dict:
    return next(r for r in report["api_versions"] if r["platforms"] == platforms)


def test_every_pinned_version_is_far_from_its_sunset_today(publishing, db):
    report = doctor.run(db, today=date(2026, 12, 4))
    assert {r["level"] for r in report["api_versions"]} == {"ok"} and report["ok"] is True
    assert _row(report, "linkedin")["version"] == linkedin.VERSION
    assert _row(report, "instagram, facebook")["version"] == graph.VERSION
    assert "WARNING" not in doctor.render(report) and "ERROR" not in doctor.render(report)


def test_doctor_warns_60_days_before_a_sunset(publishing, db):
    day = date.fromordinal(linkedin.SUNSET.toordinal() - 55)
    report = doctor.run(db, today=day)
    row = _row(report, "linkedin")
    assert row["level"] == "warning" and row["days_left"] == 55
    assert report["ok"] is True, "a warning alone does not fail the doctor"
    assert (f"WARNING: linkedin {linkedin.VERSION} is sunset on {linkedin.SUNSET.isoformat()} "
            "(55 days)") in doctor.render(report)


def test_doctor_fails_once_a_pinned_version_is_sunset(publishing, db):
    report = doctor.run(db, today=graph.SUNSET)
    assert _row(report, "instagram, facebook")["level"] == "error"
    assert report["ok"] is False
    assert f"ERROR: instagram, facebook {graph.VERSION} was sunset on" in doctor.render(report)


def test_a_version_without_an_announced_sunset_never_warns():
    [row] = versions.check(date(2040, 1, 1), [versions.Pinned("threads", "v1.0", None, "doc")])
    assert row["level"] == "ok" and versions.describe(row) == "threads v1.0: no sunset announced"


def test_doctor_says_what_each_platform_does_with_a_sunset_version(publishing, db):
    """LinkedIn refuses a sunset version (426); Graph answers it with the next version it
    serves (https://developers.facebook.com/docs/graph-api/guides/versioning): saying "calls
    fail" for Graph would send an operator looking for failures that never come."""
    text = doctor.render(doctor.run(db, today=max(graph.SUNSET, linkedin.SUNSET)))
    graph_line = next(line for line in text.splitlines() if f"facebook {graph.VERSION}" in line)
    linkedin_line = next(line for line in text.splitlines() if f"linkedin {linkedin.VERSION}" in line)
    assert "answered by the next version Meta serves" in graph_line
    assert "calls fail" not in graph_line
    assert "refused (426 NONEXISTENT_VERSION)" in linkedin_line
