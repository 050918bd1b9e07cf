"""The sandbox exists only where someone asked for it: off for `openpost web`, wsgi.py and any
public bind; on for `openpost serve` on loopback or with OPENPOST_SANDBOX=on; =off always wins."""

from __future__ import annotations

import logging
import runpy

import pytest
from click.testing import CliRunner

from tests.conftest import ROOT


@pytest.fixture
def production_env(monkeypatch, database_url, engine):
    """The environment of a deployment: no OPENPOST_SANDBOX, the database in DATABASE_URL. Apps
    built here configure the global session; the suite's engine is put back afterwards."""
    from app import db

    monkeypatch.delenv("OPENPOST_SANDBOX", raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    # `serve` sets OPENPOST_PUBLIC_URL when unset: set-then-delete makes the teardown undo that.
    monkeypatch.setenv("OPENPOST_PUBLIC_URL", "unset")
    monkeypatch.delenv("OPENPOST_PUBLIC_URL")
    yield monkeypatch
    db.configure_engine(engine)


def _built_by(command: list[str], monkeypatch):
    """The app the CLI command would serve (gunicorn is replaced by a stand-in that builds it)."""
    from app import cli, server

    built = {}

    class Stand(server.Gunicorn):
        def run(self):
            built["app"] = self.app_factory()
            built["bind"] = self.options["bind"]

    monkeypatch.setattr(server, "Gunicorn", Stand)
    monkeypatch.setattr(cli, "_prepared_url", lambda: None)
    result = CliRunner().invoke(cli.main, command, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return built["app"]


def _requests_page(app):
    return app.test_client().get("/sandbox/_control/requests")


def test_wsgi_entry_point_does_not_mount_the_sandbox(production_env, caplog):
    caplog.set_level(logging.INFO, logger="app.sandbox.mount")
    app = runpy.run_path(str(ROOT / "wsgi.py"))["app"]
    assert "sandbox" not in app.extensions
    assert _requests_page(app).status_code == 404
    assert "sandbox not mounted" in caplog.text


def test_openpost_web_does_not_mount_the_sandbox(production_env):
    app = _built_by(["web", "--host", "0.0.0.0"], production_env)  # noqa: S104
    assert _requests_page(app).status_code == 404
    app = _built_by(["web"], production_env)  # even on loopback: web is the production command
    assert _requests_page(app).status_code == 404


def test_serve_on_a_public_address_does_not_mount_the_sandbox(production_env, caplog):
    caplog.set_level(logging.INFO, logger="app.sandbox.mount")
    app = _built_by(["serve", "--host", "0.0.0.0"], production_env)  # noqa: S104
    assert _requests_page(app).status_code == 404
    assert "not a loopback address" in caplog.text


def test_serve_on_loopback_mounts_the_sandbox_for_trying_it(production_env, caplog):
    caplog.set_level(logging.INFO, logger="app.sandbox.mount")
    app = _built_by(["serve", "--host", "127.0.0.1"], production_env)
    assert "sandbox" in app.extensions
    # Mounted, and still closed to anonymous visitors.
    assert _requests_page(app).status_code == 401
    assert "sandbox mounted at /sandbox (openpost serve on the loopback address" in caplog.text


def test_serve_on_loopback_behind_a_public_address_does_not_mount_it(production_env, caplog):
    """The one-machine deployment: serve on loopback behind a reverse proxy."""
    caplog.set_level(logging.INFO, logger="app.sandbox.mount")
    production_env.setenv("OPENPOST_PUBLIC_URL", "https://posts.example.org")
    app = _built_by(["serve", "--host", "127.0.0.1"], production_env)
    assert _requests_page(app).status_code == 404
    assert "OPENPOST_PUBLIC_URL https://posts.example.org is not a loopback address" in caplog.text


def test_the_setting_wins_both_ways(production_env):
    production_env.setenv("OPENPOST_SANDBOX", "off")
    assert _requests_page(_built_by(["serve"], production_env)).status_code == 404
    production_env.setenv("OPENPOST_SANDBOX", "on")
    assert _requests_page(_built_by(["web", "--host", "0.0.0.0"], production_env)).status_code \
        == 401  # noqa: S104


def test_an_unknown_setting_is_refused_by_name():
    from app.sandbox.mount import decide

    with pytest.raises(ValueError, match="OPENPOST_SANDBOX must be on or off"):
        decide("maybe", "127.0.0.1")
    assert decide("", "::1")[0] and decide("", "localhost")[0]
    assert not decide("", "192.168.1.10")[0] and not decide("", None)[0]
