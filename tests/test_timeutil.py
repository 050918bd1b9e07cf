"""Schedule times: offsets, local times in IANA zones, and DST gaps and overlaps refused."""

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.errors import ValidationFailed
from app.timeutil import iso, parse_schedule


def test_offset_time_is_converted_to_utc():
    assert parse_schedule("2026-03-01T09:30:00+01:00", None) == datetime(2026, 3, 1, 8, 30,
                                                                          tzinfo=UTC)


def test_zulu_suffix():
    assert parse_schedule("2026-03-01T09:30:00Z", None) == datetime(2026, 3, 1, 9, 30,
                                                                     tzinfo=UTC)


@pytest.mark.parametrize("local,expected_utc_hour", [
    ("2026-03-28T09:00:00", 8),   # Paris in winter time: UTC+1
    ("2026-03-30T09:00:00", 7),   # after the spring change: UTC+2
])
def test_local_time_across_a_dst_change(local, expected_utc_hour):
    assert parse_schedule(local, "Europe/Paris").hour == expected_utc_hour


def test_time_in_the_spring_gap_is_refused():
    with pytest.raises(ValidationFailed, match="does not exist in Europe/Paris"):
        parse_schedule("2026-03-29T02:30:00", "Europe/Paris")


def test_time_in_the_autumn_overlap_is_refused():
    with pytest.raises(ValidationFailed, match="happens twice in America/New_York"):
        parse_schedule("2026-11-01T01:30:00", "America/New_York")


def test_local_time_needs_a_zone():
    with pytest.raises(ValidationFailed, match="needs a timezone"):
        parse_schedule("2026-03-01T09:30:00", None)


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../../etc/passwd", "utc+1"])
def test_unknown_zone_is_named(zone):
    with pytest.raises(ValidationFailed, match="timezone"):
        parse_schedule("2026-03-01T09:30:00", zone)


@pytest.mark.parametrize("value", ["tomorrow", "2026-13-01T00:00:00Z", "", "12:00"])
def test_garbage_time_is_refused(value):
    with pytest.raises(ValidationFailed):
        parse_schedule(value, "UTC")


@settings(max_examples=500, deadline=None)
@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                    timezones=st.timezones()))
def test_iso_is_isoformat_in_utc_with_a_z(moment):
    # What API clients parse: microseconds only when there are some, never an offset but Z.
    assert iso(moment) == moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
