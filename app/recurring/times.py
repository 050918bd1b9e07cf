"""A recurring rule's times: APScheduler CronTrigger fire times in the rule's zone, one per
instant, a repeated wall time once (README.md, Recurring posts: daylight saving time)."""

from __future__ import annotations

from datetime import UTC, datetime

from apscheduler.triggers.cron import CronTrigger

from app.errors import ValidationFailed
from app.recurring.models import RecurringRule
from app.timeutil import zone

# The fields a rule may set (APScheduler CronTrigger's); "second" is kept at 0 for users.
CRON_FIELDS = ("year", "month", "day", "week", "day_of_week", "hour", "minute")
MAX_COUNT = 1000
SCAN_LIMIT = 5000  # times one walk looks at, at most

def make_trigger(cron: dict, tz_name: str, starts_at: datetime | None = None,
                 ends_at: datetime | None = None) -> CronTrigger:
    tz = zone(tz_name)
    if not isinstance(cron, dict) or not cron:
        raise ValidationFailed("give the rule as cron fields, e.g. {\"day_of_week\": "
                               "\"mon-fri\", \"hour\": 9, \"minute\": 0}", field="rule")
    fields = {}
    for name, value in cron.items():
        if name not in (*CRON_FIELDS, "second"):
            raise ValidationFailed(f"unknown rule field {name!r}: use {', '.join(CRON_FIELDS)}",
                                   field=f"rule.{name}")
        if isinstance(value, bool) or not isinstance(value, (int, str)) or \
                not str(value).strip() or len(str(value)) > 100:
            raise ValidationFailed(f"rule.{name} must be a number or a cron expression",
                                   field=f"rule.{name}")
        fields[name] = str(value).strip()
    try:
        return CronTrigger(**{"second": "0", **fields}, timezone=tz, start_date=starts_at,
                           end_date=ends_at)
    except (ValueError, TypeError) as exc:
        raise ValidationFailed(f"invalid rule: {exc}", field="rule") from exc


def _first_instance(moment: datetime, tz) -> bool:
    """False for the second instance of a wall time the clocks go back over."""
    local = moment.astimezone(tz)
    return not (local.fold == 1 and local.replace(fold=0).utcoffset() != local.utcoffset())


def fire_times(trigger: CronTrigger, start: datetime, until: datetime | None = None,
               limit: int = SCAN_LIMIT):
    """The trigger's times from `start` (inclusive) to `until` (inclusive), in UTC: one per
    instant, and a repeated wall time once."""
    prev, cursor, seen = None, start, None
    for _ in range(limit):
        fire = trigger.get_next_fire_time(prev, cursor)
        if fire is None:
            return
        moment = fire.astimezone(UTC)
        if until is not None and moment > until:
            return
        if moment != seen and _first_instance(moment, trigger.timezone):
            yield moment
        seen = moment
        prev = cursor = fire


def last_time(rule: RecurringRule) -> datetime | None:
    """When the rule ends: the earlier of ends_at and its count-th occurrence."""
    if rule.count is None:
        return rule.ends_at
    times = list(fire_times(rule_trigger(rule), rule.starts_at, rule.ends_at, limit=MAX_COUNT * 3))
    counted = times[:rule.count]
    return counted[-1] if len(counted) == rule.count else (rule.ends_at or
                                                           (counted[-1] if counted else None))


def rule_trigger(rule: RecurringRule) -> CronTrigger:
    return make_trigger(rule.cron, rule.timezone, rule.starts_at, rule.ends_at)


def job_trigger(rule: RecurringRule) -> CronTrigger:
    return make_trigger(rule.cron, rule.timezone, rule.starts_at, last_time(rule))


def upcoming(rule: RecurringRule, after: datetime, n: int) -> list[datetime]:
    """The rule's next n times from `after`, inside its end (paused or not)."""
    end = last_time(rule)
    out = []
    for moment in fire_times(rule_trigger(rule), max(after, rule.starts_at), end):
        out.append(moment)
        if len(out) >= n:
            break
    return out
