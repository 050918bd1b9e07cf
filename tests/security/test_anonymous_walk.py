"""A deployment made as docs/deploy.md says exposes nothing without a login: every route of the
production app, asked anonymously with every method it takes, answers a refusal or a redirect to
the sign-in page, except the few pages meant to be public."""

from __future__ import annotations

import runpy
import uuid

import pytest

from tests.conftest import ROOT

# Public on purpose: signing in, health probes for load balancers, the API's description,
# and the static files the sign-in page needs.
PUBLIC = {"/login", "/healthz", "/readyz", "/api/v1/openapi.json", "/static/<path:filename>"}
REFUSED = {302, 400, 401, 403, 404, 405, 410, 429}


@pytest.fixture
def production_app(monkeypatch, database_url, engine):
    """The app wsgi.py serves, with the deploy guide's environment (no sandbox variable, a
    metrics token)."""
    from app import db

    monkeypatch.delenv("OPENPOST_SANDBOX", raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("OPENPOST_METRICS_TOKEN", "a-long-random-scrape-token")
    monkeypatch.setenv("OPENPOST_PUBLIC_URL", "https://posts.example.org")
    app = runpy.run_path(str(ROOT / "wsgi.py"))["app"]
    yield app
    db.configure_engine(engine)


def _url(rule) -> str:
    values = {}
    for name, converter in rule._converters.items():
        kind = type(converter).__name__
        values[name] = (uuid.uuid4() if kind == "UUIDConverter" else
                        1 if kind in ("IntegerConverter", "FloatConverter") else "x")
    return rule.build(values, append_unknown=False)[1]


def test_no_route_answers_an_anonymous_visitor(production_app):
    client = production_app.test_client()
    answered = {}
    for rule in production_app.url_map.iter_rules():
        if rule.rule in PUBLIC:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(_url(rule), method=method, base_url="https://posts.example.org",
                                   environ_base={"REMOTE_ADDR": "203.0.113.9"})
            location = response.headers.get("Location", "")
            if response.status_code not in REFUSED or (
                    response.status_code == 302 and not location.endswith(("/login", "/setup"))
                    and "/login?" not in location):
                answered[f"{method} {rule.rule}"] = (response.status_code, location)
    assert not answered, f"answered without a login: {answered}"
    assert client.get("/sandbox/_control/requests").status_code == 404
    assert client.get("/setup", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code in (302, 403)


def test_metrics_need_the_token_set_in_the_deploy_guide(production_app):
    client = production_app.test_client()
    assert client.get("/metrics").status_code == 401
    scraped = client.get("/metrics", headers={"Authorization": "Bearer a-long-random-scrape-token"})
    assert scraped.status_code == 200 and b"openpost_workers_live" in scraped.data
