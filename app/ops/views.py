"""Health, readiness, metrics and the alarm banner: what operators and monitors look at."""

from __future__ import annotations

import hmac
import logging
import threading
import time

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, jsonify, request
from flask_login import current_user, login_required

from app import config, db
from app.ops import alarm, metrics
from app.web import render

log = logging.getLogger(__name__)
bp = Blueprint("ops", __name__)

CHECK_EVERY_S = 15  # how often a web process may run the alarm check on behalf of dead workers
_last_check = {"at": 0.0}
_check_lock = threading.Lock()


def init_app(app: Flask) -> None:
    app.context_processor(_alarm_context)


class _LazyStatus:
    """The alarm status, read from the database only if the page actually shows the banner
    (context processors also run for every small htmx partial)."""

    def __init__(self):
        self._status: alarm.Status | None = None

    def __getattr__(self, name: str):
        if self._status is None:
            from app.auth.web_auth import current_workspace_id

            self._status = alarm.status(db.session, current_workspace_id())
        return getattr(self._status, name)


def _alarm_context() -> dict:
    """`ops_alarm` for the banner on every signed-in page (this workspace's overdue posts)."""
    if request.path.startswith("/api/") or not current_user.is_authenticated:
        return {}
    return {"ops_alarm": _LazyStatus()}


@bp.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    """Ready when the database answers, migrations are current and a worker is alive."""
    try:
        db.session.execute(sa.text("SELECT 1"))
        current = db.migrations_current(db.session.connection())
        status = alarm.status(db.session)
    except Exception as exc:
        db.session.rollback()
        log.warning("readiness: database unreachable: %s", type(exc).__name__)
        return _ready_answer({"database": {"ok": False, "error": type(exc).__name__}})
    db.session.rollback()
    _maybe_check_alarm()
    return _ready_answer({
        "database": {"ok": True},
        "migrations": {"ok": current, **({} if current else {
            "hint": "run `openpost db upgrade`"})},
        "workers": {"ok": status.live_workers > 0, "live": status.live_workers,
                    "last_tick_at": status.as_json()["last_tick_at"]},
        "publishing": {"ok": status.overdue == 0, "overdue_posts": status.overdue,
                       "oldest_due_at": status.as_json()["oldest_due_at"]},
    }, status)


def _ready_answer(checks: dict, status: alarm.Status | None = None):
    ok = all(check["ok"] for check in checks.values())
    body = {"status": "ok" if ok else "unavailable", "checks": checks}
    if status is not None:
        body["alarm"] = {"alarming": status.alarming, "reason": status.reason}
    response = jsonify(body)
    response.status_code = 200 if ok else 503
    return response


def _maybe_check_alarm() -> None:
    """Raise the alert from web processes too (readiness probes, open dashboards): when every
    worker is dead, nobody else can. At most once per CHECK_EVERY_S per process."""
    if not _check_lock.acquire(blocking=False):
        return
    try:
        if time.monotonic() - _last_check["at"] < CHECK_EVERY_S:
            return
        _last_check["at"] = time.monotonic()
        alarm.check_and_alert(db.session)
    except Exception:
        db.session.rollback()
        log.exception("the alarm check failed")
    finally:
        _check_lock.release()


@bp.get("/metrics")
def prometheus_metrics():
    """Prometheus text format; behind OPENPOST_METRICS_TOKEN (a bearer token) when it is set."""
    token = config.settings().metrics_token
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if token and not hmac.compare_digest(given.encode(), token.encode()):
        return Response("send Authorization: Bearer <OPENPOST_METRICS_TOKEN>\n", status=401,
                        mimetype="text/plain", headers={"WWW-Authenticate": "Bearer"})
    body = metrics.exposition(db.session)
    db.session.rollback()
    return Response(body, headers={"Content-Type": metrics.CONTENT_TYPE})


@bp.get("/ops/alarm")
@login_required
def alarm_banner():
    """The banner alone, polled by the banner itself so it appears and clears without a reload.

    An open dashboard is also a reason to run the (throttled) alarm check from here."""
    _maybe_check_alarm()
    return render("ops/_alarm.html")
