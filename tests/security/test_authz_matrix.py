"""Workspace A's session and API key against workspace B's objects, on every route of the app.

Every route needs one row in MATRIX; a new route without a row fails
test_every_route_has_a_matrix_row with the line to add.
  scoped(...)  — its URL names an object: with B's id, A gets 404 and B is unchanged.
  refers(...)  — its body may name objects: with B's ids, A gets a 4xx and B is unchanged.
  own(...)     — works on A's own data only: B's objects never show and B is unchanged.
  public(...)  — no workspace data at all (health, static files, sign-in).
Bodies may use "{post}", "{channel}", "{media}"… for B's ids; url= fills non-object args
(and, for names the route does not have, its query string).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from tests.conftest import login
from tests.security.world import ARG_OBJECTS, csrf_token, make_world, object_for, routes, snapshot


@dataclass(frozen=True)
class Row:
    kind: str
    json: dict | None = None
    form: dict | None = None
    url: dict = field(default_factory=dict)


def scoped(json=None, form=None, **url):
    return Row("scoped", json, form, url)


def refers(json=None, form=None, **url):
    return Row("refers", json, form, url)


def own(json=None, form=None, **url):
    return Row("own", json, form, url)


def public(**url):
    return Row("public", url=url)


MATRIX: dict[str, Row] = {
    "static": public(filename="app.css"),
    "auth.login": public(),
    "auth.setup": public(),
    "auth.logout": own(),
    "posts.index": own(),
    "ops.healthz": public(),
    "ops.readyz": public(),
    "ops.prometheus_metrics": public(),
    "ops.alarm_banner": own(),
    "exports.index": own(),
    "exports.download": own(),
    "analytics.index": own(),
    "analytics.export": own(),
    "analytics.use_best_times": scoped(form={"days": "7"}),
    "api.analytics": own(),
    "api.post_metrics": scoped(),
    "api.list_channels": own(),
    "api.create_channel": own(json={"platform": "mastodon", "instance_url": "https://a.example",
                                    "access_token": "a-token"}),
    "api.get_channel": scoped(),
    "api.update_channel": scoped(json={"display_name": "taken over"}),
    "api.delete_channel": scoped(),
    "api.list_posts": own(),
    "api.create_post": refers(json={"channel_id": "{channel}", "text": "into B",
                                    "media_ids": ["{media}"]}),
    "api.get_post": scoped(),
    "api.update_post": scoped(json={"text": "rewritten by A"}),
    "api.delete_post": scoped(),
    "api.schedule_post": scoped(json={"schedule_at": "2099-02-01T00:00:00Z"}),
    "api.unschedule_post": scoped(),
    "api.cancel_post": scoped(),
    "api.retry_post": scoped(),
    "api.upload_media": own(),
    "api.list_media": own(),
    "api.get_media": scoped(),
    "api.describe_media": scoped(json={"alt_text": "renamed by A"}),
    "api.delete_media": scoped(),
    "api.list_webhooks": own(),
    "api.create_webhook": own(json={"url": "https://hooks.example/a"}),
    "api.get_webhook": scoped(),
    "api.delete_webhook": scoped(),
    "api.enable_webhook": scoped(),
    "api.rotate_webhook_secret": scoped(),
    "api.list_deliveries": scoped(),
    "api.resend_delivery": scoped(),
    "api.audit_log": own(),
    "api.list_notifications": own(),
    "api.read_notification": scoped(),
    "api.read_all_notifications": own(),
    "api.openapi": own(),
    "media.signed": refers(),  # no valid signature for B's file: 403
    "audit.index": own(),
    "audit.export": own(fmt="csv"),
    "calendar.index": own(),
    "calendar.move": refers(form={"post_id": "{post}", "day": "2099-02-01"}),
    "channel_pages.index": own(),
    "channel_pages.delete": scoped(),
    "channel_pages.disconnect": scoped(),
    "channel_pages.set_timezone": scoped(form={"timezone": "Asia/Tokyo"}),
    "channels.connect_form": own(platform="mastodon"),
    "channels.connect": own(platform="mastodon"),
    "channels.callback": own(platform="mastodon"),
    "channels.connect_sandbox": own(),
    "channels.connected": scoped(),
    "channels.choose_account": own(form={"choice": "1"}),  # only choices kept in A's own session
    "api.channel_post_options": scoped(),
    "compose.new": own(),
    "compose.upload_media": own(),
    "compose.editor": own(),
    "compose.preview": own(form={"channel_id": "{channel}", "part": "peek"}),  # B's is ignored
    "compose.create": refers(form={"channel_id": "{channel}", "part": "into B",
                                   "action": "draft"}),
    # B's channel and file are ignored: nothing of B's shows, no conversion of B's starts.
    "compose.choices": own(form={"channel_id": "{channel}", "media_id": "{media}"}),
    "compose.options": own(form={"channel_id": "{channel}", "media_id": "{media}"}),
    "compose.conversions_state": own(channel_id="{channel}", media_id="{media}"),
    "compose.edit_post": scoped(),
    "compose.save_edit": scoped(form={"channel_id": "{channel}", "part": "into B", "action": "save",
                                      "schedule_at": "2099-03-01T10:00", "timezone": "UTC"}),
    "compose.autosave_new": refers(form={"channel_id": "{channel}", "part": "into B"}),
    "compose.autosave_edit": scoped(form={"channel_id": "{channel}", "part": "into B",
                                          "timezone": "UTC"}),
    "compose.split": own(form={"channel_id": "{channel}", "part": "word " * 100,
                               "split": "{channel}"}),
    "compose.restore": own(form={"channel_id": "{channel}", "post_id": "{post}", "part": "peek"}),
    "notifications.index": own(),
    "notifications.bell": own(),
    "notifications.mark_read": scoped(),
    "notifications.mark_all_read": own(),
    "posts.detail": scoped(),
    "posts.status": scoped(),
    "posts.live_badges": own(form={"live": "{post}.0"}),
    "posts.cancel": scoped(),
    "posts.bulk_action": refers(form={"action": "cancel", "post_id": "{post}", "confirmed": "1"}),
    "posts.retry": scoped(),
    "posts.unschedule": scoped(),
    "posts.reschedule": scoped(form={"schedule_at": "2099-03-01T10:00", "timezone": "UTC"}),
    "settings.index": own(),
    "settings.members_page": own(),
    "settings.create_invite": own(form={"email": "new-member@example.com", "role": "member"}),
    "settings.revoke_invite": scoped(),
    "settings.change_role": scoped(form={"role": "member"}),
    "settings.remove_member": scoped(),
    "settings.reset_link": scoped(),
    "settings.account": own(),
    "settings.switch_workspace": refers(form={"workspace_id": "{workspace}"}),
    # A wrong current password: the walk signs A in again for every route.
    "settings.change_password": own(form={"current": "not it", "password": "a new long one"}),
    "auth.logout_everywhere": own(),
    "auth.accept_invite": public(token="not-a-link-token"),
    "auth.reset_password": public(token="not-a-link-token"),
    "settings.api_keys": own(),
    "settings.create_api_key": own(form={"name": "A's key"}),
    "settings.revoke_api_key": scoped(),
    "webhooks.index": own(),
    "webhooks.create": own(form={"url": "https://hooks.example/a"}),
    "webhooks.deliveries": scoped(),
    "webhooks.delete": scoped(),
    "webhooks.enable": scoped(),
    "webhooks.rotate": scoped(),
    "webhooks.resend": scoped(),
    "recurring.index": own(),
    "recurring.create": refers(form={"channel_id": "{channel}", "time": "09:00",
                                     "repeat": "daily", "text": "into B"}),
    "recurring.edit": scoped(form={"time": "10:00", "repeat": "daily", "text": "rewritten by A"}),
    "recurring.pause": scoped(),
    "recurring.resume": scoped(),
    "recurring.delete": scoped(),
    "recurring.add_slot": scoped(form={"weekday": "wed", "time": "08:00"}),
    "recurring.delete_slot": scoped(),
    "recurring.reorder": scoped(form={"post_id": ["{post}", "{post}"]}),
    "recurring.add_to_queue": scoped(),
    "api.list_rules": own(),
    "api.create_rule": refers(json={"channel_ids": ["{channel}"], "rule": {"hour": 9},
                                    "text": "into B", "media_ids": ["{media}"]}),
    "api.get_rule": scoped(),
    "api.update_rule": scoped(json={"text": "rewritten by A", "channel_ids": ["{channel}"]}),
    "api.delete_rule": scoped(),
    "api.pause_rule": scoped(),
    "api.resume_rule": scoped(),
    "api.rule_occurrences": scoped(),
    "api.list_slots": scoped(),
    "api.add_slots": scoped(json={"weekdays": ["wed"], "time": "08:00"}),
    "api.delete_slot": scoped(),
    "api.channel_queue": scoped(),
    "api.reorder_queue": scoped(json={"post_ids": ["{post}", "{post}"]}),
    "api.add_to_queue": scoped(),
}


def _fill(value, world):
    if isinstance(value, str):
        for kind in set(ARG_OBJECTS.values()) - {"user"}:
            value = value.replace("{" + kind + "}", str(world[kind]))
        return value.replace("{user}", str(world["user_id"]))
    if isinstance(value, list):
        return [_fill(v, world) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    return value


def _url(app, rule, row: Row, world: dict) -> str:
    args = {}
    for arg in rule.arguments:
        args[arg] = row.url.get(arg, object_for(world, arg))
        assert args[arg] is not None, (
            f"{rule.rule}: argument {arg!r} is unknown: add \"{arg}\": \"<kind>\" to ARG_OBJECTS "
            "in tests/security/world.py, or give it in the MATRIX row (e.g. scoped(name=...))")
    query = {k: _fill(v, world) for k, v in row.url.items() if k not in rule.arguments}
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **args, **query)


def test_every_route_has_a_matrix_row(app):
    missing = [f'    "{rule.endpoint}": scoped(),   # {sorted(rule.methods - {"HEAD", "OPTIONS"})} '
               f"{rule.rule}" for rule in app.url_map.iter_rules() if rule.endpoint not in MATRIX]
    assert not missing, (
        "routes without an authorization matrix row; add one line each to MATRIX in "
        "tests/security/test_authz_matrix.py (scoped / refers / own / public, see its "
        "docstring):\n" + "\n".join(sorted(set(missing))))
    stale = set(MATRIX) - {rule.endpoint for rule in app.url_map.iter_rules()}
    assert not stale, f"MATRIX rows for routes that no longer exist: {sorted(stale)}"


@pytest.fixture
def worlds(app, quiet_ops, db, make_user, monkeypatch):
    from tests.ops.test_alarm import _worker

    monkeypatch.setitem(app.config, "RATE_LIMITS", False)  # the walk signs in once per route
    _worker(db)  # a healthy installation: /readyz answers 200 and raises no alarm
    return make_world(db, make_user, "ALPHA"), make_world(db, make_user, "BRAVO")


def _call(app, client, method, url, row, a, b):
    body = {"json": _fill(row.json, b)} if row.json is not None and method != "GET" else {}
    if row.form is not None and method != "GET":
        body = {"data": _fill(row.form, b)}
    if url.startswith("/api/"):
        return client.open(url, method=method, headers={"Authorization": f"Bearer {a['token']}"},
                           **body)
    login(client, a["user"].email)
    headers = {"X-CSRFToken": csrf_token(client)}  # CSRF must not be what stops A here
    return client.open(url, method=method, headers=headers, **body)


def _check(row, answer, b, before, after) -> list[str]:
    problems = []
    if before != after:
        changed = [k for k in before if before[k] != after[k]]
        problems.append(f"changed workspace B's {changed}")
    text = answer.get_data(as_text=True) if answer.mimetype != "application/zip" else ""
    leaked = [m for m in (b["tag"], str(b["post"]), str(b["channel"]), str(b["media"]),
                          str(b["rule"]), str(b["slot"])) if m in text]
    if leaked:
        problems.append(f"showed B's {leaked}")
    if row.kind == "scoped" and answer.status_code != 404:
        problems.append(f"answered {answer.status_code}, not 404")
    if row.kind == "refers" and not 400 <= answer.status_code < 500:
        problems.append(f"answered {answer.status_code}, not a 4xx")
    if answer.status_code >= 500:
        problems.append(f"answered {answer.status_code}")
    return problems


def test_workspace_a_cannot_reach_workspace_b(app, db, worlds):
    a, b = worlds
    failures = []
    for rule, method in routes(app):
        row = MATRIX.get(rule.endpoint)
        if row is None:
            continue  # reported by test_every_route_has_a_matrix_row
        url = _url(app, rule, row, b)
        before = snapshot(db, b["workspace_id"])
        client = app.test_client()
        answer = _call(app, client, method, url, row, a, b)
        db.rollback()
        for problem in _check(row, answer, b, before, snapshot(db, b["workspace_id"])):
            failures.append(f"{method} {url} ({rule.endpoint}): {problem}")
    assert not failures, "\n".join(failures)


def test_the_walk_would_notice_a_leak(app, db, worlds):
    """Sanity: B's own key on B's post is not a 404, so the matrix really tells them apart."""
    _a, b = worlds
    answer = app.test_client().get(f"/api/v1/posts/{b['post']}",
                                   headers={"Authorization": f"Bearer {b['token']}"})
    assert answer.status_code == 200 and b["tag"] in answer.get_data(as_text=True)


def test_a_cannot_mix_b_objects_into_its_own_rule_or_queue(app, db, worlds):
    """The matrix's URLs name B's objects; here the URL (or the body) names A's own channel, rule
    or post and the body also names B's: still a 4xx, B's id is not echoed, and B is unchanged."""
    a, b = worlds
    a = {**a, "user": SimpleNamespace(email=a["user"].email)}  # the walk expires the session
    calls = [
        ("POST", f"/api/v1/channels/{a['channel']}/queue/reorder",
         refers(json={"post_ids": [str(a["post"]), "{post}"]})),
        ("POST", f"/recurring/channels/{a['channel']}/queue/reorder",
         refers(form={"post_id": [str(a["post"]), "{post}"]})),
        ("POST", "/api/v1/recurring-rules",
         refers(json={"channel_ids": [str(a["channel"]), "{channel}"], "rule": {"hour": 9},
                      "text": "into B"})),
        ("PATCH", f"/api/v1/recurring-rules/{a['rule']}",
         refers(json={"channel_ids": ["{channel}"]})),
        ("POST", "/api/v1/recurring-rules",
         refers(json={"channel_ids": [str(a["channel"])], "rule": {"hour": 9}, "text": "x",
                      "media_ids": ["{media}"]})),
        ("PATCH", f"/api/v1/recurring-rules/{a['rule']}", refers(json={"media_ids": ["{media}"]})),
        ("POST", "/api/v1/posts", refers(json={"channel_id": str(a["channel"]), "text": "x",
                                               "media_ids": ["{media}"]})),
        ("PATCH", f"/api/v1/posts/{a['post']}", refers(json={"media_ids": ["{media}"]})),
        ("POST", "/recurring", refers(form={"channel_id": [str(a["channel"]), "{channel}"],
                                            "time": "09:00", "repeat": "daily", "text": "x"})),
    ]
    failures = []
    for method, url, row in calls:
        before = snapshot(db, b["workspace_id"])
        answer = _call(app, app.test_client(), method, url, row, a, b)
        db.rollback()
        for problem in _check(row, answer, b, before, snapshot(db, b["workspace_id"])):
            failures.append(f"{method} {url}: {problem}")
    assert not failures, "\n".join(failures)
