"""A real OpenPost web server on a random loopback port, its own database, and a real Chromium."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import ROOT, _server_url

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"  # screenshots, kept as CI artifacts


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def browser_db():
    """A database of its own: the server commits for real, and the first-run page needs it empty."""
    from app import db

    admin = sa.engine.make_url(_server_url())
    name = f"openpost_browser_{os.getpid()}_{secrets.token_hex(3)}"
    admin_engine = sa.create_engine(admin.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = admin.set(database=name).render_as_string(hide_password=False)
    db.upgrade(url)
    engine = db.make_engine(url)
    yield url, engine
    engine.dispose()
    with admin_engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin_engine.dispose()


@pytest.fixture(scope="module")
def server_env() -> dict:
    """Environment a test module adds to the server's (a module overrides this fixture)."""
    return {}


@pytest.fixture(scope="module")
def live_server(browser_db, tmp_path_factory, server_env):
    """`openpost web` (gunicorn) in a subprocess; no publishing engine runs beside it."""
    url, engine = browser_db
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url,
           "OPENPOST_INSTANCE_PATH": str(tmp_path_factory.mktemp("browser-instance")),
           **server_env}
    log = (tmp_path_factory.mktemp("browser-log") / "server.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "web", "--host", "127.0.0.1",  # noqa: S603
                             "--port", str(port), "--workers", "1"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/login", timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the web server did not start; see {log.name}")
            time.sleep(0.2)
        yield base, engine
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-background-networking", "--disable-gpu"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def page(browser, live_server):
    # Tall enough that a drag never scrolls: Chromium drops a drag that scrolls mid-way.
    context = browser.new_context(viewport={"width": 1280, "height": 1600})
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.script_errors = errors
    yield page
    context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def new_page(browser, width: int, height: int = 900):
    """(context, page) at a viewport width, collecting the page's script errors."""
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.script_errors = errors
    return context, page


def sign_in(page, base: str, email: str, password: str) -> None:
    """Sign in through the login form and land on the Posts list."""
    page.goto(base + "/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def owner_with_mastodon(engine, email: str, password: str, handles: list[str]) -> tuple:
    """(email, workspace id, [channel ids]): a new owner and a Mastodon channel (in UTC) for each
    handle, made the way the app makes them."""
    from sqlalchemy.orm import Session

    from app.auth.service import create_user
    from app.channels.service import connect

    with Session(engine, expire_on_commit=False) as sess:
        user = create_user(sess, email, password, email.split("@")[0])
        ws = user.memberships[0].workspace_id
        return user.email, ws, [connect(sess, ws, "test", platform="mastodon", handle=h,
                                        timezone="UTC", credentials={"access_token": "t"},
                                        settings={}).id for h in handles]
