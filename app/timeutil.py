"""Time at the edges: parse user-given schedule times and zones, render in local time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import orjson

from app.errors import ValidationFailed

# Times outside these years are refused: nobody schedules there, and near year 1 or 9999 a time
# zone conversion or a day's arithmetic overflows Python's datetime.
FIRST_YEAR, LAST_YEAR = 1900, 2200
_EARLIEST = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)
_LATEST = datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC)


# Messages name a field as the form shows it, never by its parameter name.
WORDS = {"schedule_at": "the date and time", "from": "the first day", "to": "the last day"}


def words(field: str) -> str:
    return WORDS.get(field, field)


def zone(name: str, field: str = "timezone") -> ZoneInfo:
    if not isinstance(name, str) or not name or name not in _zones():
        raise ValidationFailed(f"unknown timezone {name!r}: use an IANA name such as "
                               "'Europe/Paris'", field=field)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed(f"unknown timezone {name!r}", field=field) from exc


_ZONES: set[str] | None = None


def _zones() -> set[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = available_timezones() | {"UTC"}
    return _ZONES


def localize(naive: datetime, tz: ZoneInfo, field: str = "schedule_at") -> datetime:
    """Attach tz to a wall-clock time, refusing times that a DST change skips or repeats."""
    early, late = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
    if early.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
        raise ValidationFailed(
            f"{naive:%Y-%m-%d %H:%M} does not exist in {tz.key} (clocks go forward); "
            "choose another time", field=field)
    if early.utcoffset() != late.utcoffset():
        raise ValidationFailed(
            f"{naive:%Y-%m-%d %H:%M} happens twice in {tz.key} (clocks go back); "
            "give the time with a UTC offset to say which one", field=field)
    return early.astimezone(UTC)


def parse_schedule(value: str, tz_name: str | None, field: str = "schedule_at") -> datetime:
    """ISO 8601 with an offset, or a local time read in tz_name. Returns an aware UTC time."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(f"{words(field)} is missing: choose a date and time", field=field)
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValidationFailed(
            f"{value!r} is not an ISO 8601 date and time (e.g. 2026-03-01T09:30:00+01:00)",
            field=field) from exc
    if parsed.tzinfo is None and not tz_name:
        raise ValidationFailed("a time without a UTC offset needs a timezone", field=field)
    tz = zone(tz_name) if parsed.tzinfo is None else None
    try:
        moment = parsed.astimezone(UTC) if tz is None else localize(parsed, tz, field=field)
    except OverflowError:
        moment = None
    return in_range(moment, field)


def in_range(moment: datetime | None, field: str) -> datetime:
    """The moment (naive means UTC), if it lies in the years FIRST_YEAR to LAST_YEAR."""
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment is None or not _EARLIEST <= moment < _LATEST:
        raise ValidationFailed(f"{words(field)} must be in the years {FIRST_YEAR} to {LAST_YEAR}",
                               field=field)
    return moment


def parse_day(value: str, field: str) -> date:
    """A date like 2026-03-01, in the years FIRST_YEAR to LAST_YEAR."""
    try:
        day = date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(f"{field} must be a date like 2026-03-01", field=field) from exc
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValidationFailed(f"{field} must be a date in the years {FIRST_YEAR} to {LAST_YEAR}",
                               field=field)
    return day


@overload
def to_local(moment: datetime, tz_name: str) -> datetime: ...
@overload
def to_local(moment: datetime | None, tz_name: str) -> datetime | None: ...
def to_local(moment: datetime | None, tz_name: str) -> datetime | None:
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(tz_name))


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z: isoformat()'s text, written by orjson (several times faster,
    and the API's lists format hundreds of these per page)."""
    if not moment:
        return None
    return orjson.dumps(moment.astimezone(UTC), option=orjson.OPT_UTC_Z)[1:-1].decode()
