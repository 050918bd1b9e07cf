"""`openpost doctor`: the database, the migrations, the workers, the alarm and the production
settings, for a human."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app import db
from app.ops import alarm, keys
from app.ops.models import WorkerHeartbeat
from app.platforms import versions
from app.timeutil import iso
from jobs import schedule_store


def unreachable(exc: Exception) -> dict:
    """The report when the database cannot be read at all (down, or never migrated)."""
    return {"ok": False, "database": f"unreachable: {type(exc).__name__}",
            "error": str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__}


def run(sess: Session, today: date | None = None) -> dict:
    """Checks as data; runs the alarm check too, so an incident seen here is alerted. `today`
    (default: the database's date) dates the check of the pinned platform API versions."""
    migrations = db.migrations_current(sess.connection())
    sess.rollback()
    if not migrations:
        return {"ok": False, "database": "reachable", "migrations_current": False}
    status = alarm.check_and_alert(sess)
    workers = [{"id": w.id, "host": w.host, "pid": w.pid, "version": w.version,
                "last_tick_at": iso(w.last_tick_at), "stopped_at": iso(w.stopped_at),
                "seconds_since_tick": round((status.now - w.last_tick_at).total_seconds(), 1),
                "in_flight": w.in_flight, "posts_claimed": w.posts_claimed}
               for w in sess.scalars(sa.select(WorkerHeartbeat)
                                     .order_by(WorkerHeartbeat.last_tick_at.desc()).limit(20))]
    try:
        old_keys = keys.leftovers(sess)
    except (OSError, ValueError) as exc:  # unreadable media folder, malformed key
        old_keys = {"error": f"could not check ({type(exc).__name__}: {exc})"}
    sess.rollback()
    pins = versions.check(today or status.now.date())
    sunset = any(p["level"] == "error" for p in pins)
    holder = schedule_store.holder(sess.get_bind())
    return {"ok": migrations and not status.alarming and not sunset, "database": "reachable",
            "migrations_current": migrations, "workers": workers, "alarm": status.as_json(),
            "scheduler": holder.as_json() if holder else None, "api_versions": pins,
            "older_keys": old_keys}


def render(report: dict) -> str:
    settings = _settings_lines(report.get("settings", []))
    if report["database"] != "reachable":
        return "\n".join([f"database: {report['database']} ({report['error']})", *settings])
    return "\n".join([*_database_lines(report), *settings])


def _settings_lines(warnings: list[str]) -> list[str]:
    if not warnings:
        return ["production settings: ok"]
    return ["production settings:", *(f"  {w}" for w in warnings)]


def _database_lines(report: dict) -> list[str]:
    lines = ["database: reachable",
             "migrations: " + ("current" if report["migrations_current"]
                               else "BEHIND: run `openpost db upgrade`")]
    if not report["migrations_current"]:
        return lines
    live = report["alarm"]["live_workers"]
    lines.append(f"workers: {live} live")
    for w in report["workers"]:
        state = "stopped" if w["stopped_at"] else f"ticked {w['seconds_since_tick']}s ago"
        lines.append(f"  {w['id']} ({w['host']} pid {w['pid']}): {state}, "
                     f"{w['in_flight']} in flight")
    held = report["scheduler"]
    since = held and datetime.fromisoformat(held["since"]).strftime("%Y-%m-%d %H:%M:%S UTC")
    lines.append(f"scheduler: held by {held['host']} pid {held['pid']} since {since} "
                 "(`openpost jobs` lists its jobs)" if held else
                 "scheduler: no process holds it (the recurring duties wait for a worker)")
    overdue = report["alarm"]["overdue_posts"]
    lines.append(f"overdue posts: {overdue}")
    if report["alarm"]["alarming"]:
        lines.append("ALARM: posts are not being published: " + report["alarm"]["reason"])
    else:
        lines.append("publishing: ok")
    lines.append("api versions:")
    lines += [f"  {versions.describe(p)}" for p in report["api_versions"]]
    lines.append("encryption keys: " + _keys_line(report["older_keys"]))
    return lines


def _keys_line(older: dict) -> str:
    if "error" in older:
        return older["error"]
    left = keys.describe(older)
    return ("still on an older key (run `openpost keys rotate`): " + "; ".join(left) if left
            else "everything on the newest key")
