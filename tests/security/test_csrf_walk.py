"""CSRF: every state-changing route, called from a signed-in browser without a token, is refused.

The routes are read from the app's URL map, so a new route is walked without any edit here.
The URLs name the user's own objects: without the CSRF check each request would succeed.
"""

from tests.conftest import login
from tests.security.world import make_world, object_for, routes, snapshot

CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
# Endpoints that must accept state-changing requests from other sites, each with its reason.
# None today; an entry here needs a reason a reviewer would accept.
CSRF_EXEMPT: dict[str, str] = {}


def _url(app, rule, world):
    from flask import url_for

    args = {arg: object_for(world, arg) for arg in rule.arguments}
    missing = [arg for arg, value in args.items() if value is None]
    assert not missing, (f"{rule.rule}: add {missing} to ARG_OBJECTS in tests/security/world.py "
                         "so the CSRF walk can build its URL")
    with app.test_request_context():
        return url_for(rule.endpoint, **args)


def test_no_state_change_without_a_csrf_token(app, quiet_ops, db, make_user, monkeypatch):
    from tests.ops.test_alarm import _worker

    monkeypatch.setitem(app.config, "RATE_LIMITS", False)
    _worker(db)
    world = make_world(db, make_user, "OWN")
    client = app.test_client()
    login(client, world["user"].email)
    walked, failures = 0, []
    for rule, method in routes(app):
        if method not in CHANGING or rule.endpoint in CSRF_EXEMPT:
            continue
        url = _url(app, rule, world)
        before = snapshot(db, world["workspace_id"])
        answer = client.open(url, method=method, json={} if url.startswith("/api/") else None,
                             data=None if url.startswith("/api/") else {"text": "x"})
        db.rollback()
        walked += 1
        # The API takes no cookies at all: a browser session there is simply unauthenticated.
        expected = 401 if url.startswith("/api/") else 400
        if answer.status_code != expected:
            failures.append(f"{method} {url}: answered {answer.status_code}, not {expected}")
        if snapshot(db, world["workspace_id"]) != before:
            failures.append(f"{method} {url}: changed data without a CSRF token")
        if client.get("/").status_code != 200:
            failures.append(f"{method} {url}: signed the user out without a CSRF token")
            login(client, world["user"].email)
    assert walked >= 10
    assert not failures, "\n".join(failures)


def test_the_same_request_with_the_token_goes_through(app, db, make_user):
    """Sanity for the walk: the refusal above is the CSRF check, not something else."""
    from tests.security.world import csrf_token

    world = make_world(db, make_user, "OWN")
    client = app.test_client()
    login(client, world["user"].email)
    assert client.post("/logout").status_code == 400
    assert client.post("/logout", headers={"X-CSRFToken": csrf_token(client)}).status_code == 302
