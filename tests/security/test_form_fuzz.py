"""Property-based: every dashboard handler, fed any text in any of its fields by a signed-in user
with a valid CSRF token, answers without a server error.

Routes come from the app's URL map and field names from the templates and the handlers' source,
so a new form is fuzzed without an edit here.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import login
from tests.security.world import csrf_token, make_world, object_for, routes

APP = Path(__file__).resolve().parents[2] / "app"
EXAMPLES = settings(max_examples=10, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
# Values that broke handlers before: NUL, digits that are not ASCII, the ends of the calendar,
# huge and negative numbers, long text.
NASTY = ["", " ", "\x00", "a\x00b", "²", "٣", "1_0", "-1", "0", "9" * 40, "9999-12-31",
         "0001-01-01", "9999-12-31T23:59", "0001-01-01T00:00", "2026-03-29T02:30",
         "Europe/Paris", "Not/AZone", "https://93.184.216.34/", "javascript:alert(1)",
         "<script>x</script>", "x" * 20_000, "mastodon", "owner", "on"]
# Each of these is also sent in every field at once, on every route, whatever hypothesis picks.
ALWAYS = ["\x00", "²", "٣", "9" * 40, "-1", "9999-12-31", "0001-01-01", "9999-12-31T23:59",
          "0001-01-01T00:00", "x" * 20_000]
# Routes whose answer is signing out: they run last, and the session is restored after.
LAST = ("logout", "delete", "revoke", "disconnect", "remove", "sign_out")
# A readiness probe answers 503 by design while no worker runs.
NOT_A_FORM = {"ops.readyz"}


def _field_names() -> set[str]:
    """Every field name a template or a handler uses."""
    names = set()
    for template in (APP / "templates").rglob("*.html"):
        names |= set(re.findall(r'name="([a-z_][a-z0-9_-]*)"', template.read_text()))
    for module in APP.rglob("*.py"):
        if "sandbox" not in module.parts:
            names |= set(re.findall(r'form(?:\.get|\.getlist)?\(?\[?"([a-z_][a-z0-9_-]*)"',
                                    module.read_text()))
    return names - {"csrf_token"}


def _names_for(app, rule, known: set[str]) -> list[str]:
    """The field names the route's handler module mentions (a fuzzed field it never reads
    proves nothing), or every known name when it mentions none."""
    source = Path(inspect.getsourcefile(inspect.unwrap(app.view_functions[rule.endpoint])))\
        .read_text()
    mentioned = known & set(re.findall(r'"([a-z_][a-z0-9_-]*)"', source))
    return sorted(mentioned or known)


def _dynamic_names(world) -> list[str]:
    """Fields named after objects: per-channel overrides and options, per-media alt text."""
    channel, media = world["channel"], world["media"]
    return [f"override-{channel}", f"opt-{channel}-privacy_level", f"alt-{media}"]


def _text(world):
    ids = [str(world[k]) for k in ("channel", "media", "post", "webhook", "api_key")]
    return st.one_of(st.sampled_from(ALWAYS + NASTY + ids), st.text(max_size=60),
                     st.integers(-10**20, 10**20).map(str))


def _fields(names, world):
    return st.dictionaries(st.sampled_from(names), _text(world), max_size=3)


def _url(app, rule, world) -> str:
    from flask import url_for

    with app.test_request_context():
        return url_for(rule.endpoint, **{a: object_for(world, a) for a in rule.arguments})


def _dashboard_routes(app, methods):
    chosen = [(rule, method) for rule, method in routes(app)
              if method in methods and not rule.rule.startswith(("/api/", "/static/"))
              and rule.endpoint not in {"auth.setup", "auth.login", *NOT_A_FORM}]
    return sorted(chosen, key=lambda rm: any(word in rm[0].endpoint for word in LAST))


@pytest.fixture
def fuzz_world(app, db, make_user, monkeypatch):
    """A signed-in owner's workspace with one object of each kind; no rate limits, and every
    third-party platform answering 401 (a connect form must not reach the internet)."""
    from app.channels import views as channel_views

    monkeypatch.setitem(app.config, "RATE_LIMITS", False)
    refuse = httpx.MockTransport(lambda request: httpx.Response(401, json={"error": "no"}))
    monkeypatch.setattr(channel_views, "make_client",
                        lambda *a, **kw: httpx.Client(transport=refuse))
    world = make_world(db, make_user, "FUZZ")
    client = app.test_client()
    assert login(client, world["user"].email).status_code == 302
    return world, client


def _signed_in(client, world) -> str:
    if client.get("/").status_code != 200:
        assert login(client, world["user"].email).status_code == 302
    return csrf_token(client)


def _fuzz(db, names, strategy, send) -> None:
    """Run `send(sent)` on `strategy`'s examples and on each ALWAYS value in every field named
    `names`; none may answer with a server error."""
    @given(strategy)
    @EXAMPLES
    def check(sent):
        answer, described = send(sent)
        db.rollback()
        assert answer.status_code < 500, f"{described} {sent!r}: {answer.status_code}"

    for value in ALWAYS:
        check = example(dict.fromkeys(names, value))(check)
    check()


def test_any_text_in_any_form_field_gets_an_answer(app, db, fuzz_world):
    world, client = fuzz_world
    known = _field_names() | set(_dynamic_names(world))
    walked = 0
    for rule, method in _dashboard_routes(app, {"POST", "PUT", "PATCH", "DELETE"}):
        url, token = _url(app, rule, world), _signed_in(client, world)
        headers = {"X-CSRFToken": token, "HX-Request": "true"}
        names = _names_for(app, rule, known) + _dynamic_names(world)
        _fuzz(db, names, _fields(names, world), lambda data, url=url, method=method, headers=headers: (
            client.open(url, method=method, data=data, headers=headers), f"{method} {url}"))
        walked += 1
    assert walked >= 20


def test_any_query_string_on_any_page_gets_an_answer(app, db, fuzz_world):
    world, client = fuzz_world
    known = _field_names() | {"limit", "before", "after", "cursor", "page", "next"}
    for rule, _method in _dashboard_routes(app, {"GET"}):
        url, names = _url(app, rule, world), _names_for(app, rule, known)
        _fuzz(db, names, _fields(names, world), lambda args, url=url: (
            client.get(url, query_string=args, headers={"HX-Request": "true"}), f"GET {url}"))
