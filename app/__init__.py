"""OpenPost: a self-hostable social-media scheduler. `create_app` builds the Flask app."""

from __future__ import annotations

from flask import Flask

__version__ = "0.1.0"


def create_app(overrides: dict | None = None) -> Flask:
    """Build the app from the environment (and `overrides`); nothing starts at import time."""
    from app import config, logs

    app = Flask(__name__, instance_path=str(config.instance_path()))
    app.config.update(config.load())
    app.config.update(overrides or {})
    logs.setup()
    setup_database(app)
    setup_requests(app)
    setup_auth(app)
    setup_sandbox(app)  # before the proxy fix wraps the WSGI app, so /sandbox gets it too
    register_blueprints(app)
    return app


def setup_database(app: Flask) -> None:
    from app import db

    url = app.config.get("DATABASE_URL") or db.database_url()
    app.config["DATABASE_URL"] = url
    # A web process reuses its connections within milliseconds while busy: ping only those
    # that sat unused for a second, not one per request.
    engine = app.config.get("ENGINE") or db.make_engine(url, ping_idle_seconds=1.0)
    app.extensions["engine"] = engine
    db.configure_engine(engine)

    @app.teardown_appcontext
    def remove_session(_exc=None):
        db.session.remove()


def setup_requests(app: Flask) -> None:
    from app import inputs, web

    web.init_app(app)
    inputs.init_app(app)  # before the rate limits and CSRF check, which read the same fields


def setup_auth(app: Flask) -> None:
    from app.auth import web_auth

    web_auth.init_app(app)


def setup_sandbox(app: Flask) -> None:
    """The fake platforms under /sandbox, so a new user can try publishing without an account:
    only for `openpost serve` on loopback or with OPENPOST_SANDBOX=on (app/sandbox/mount.py)."""
    from app.sandbox import mount

    mount.setup(app)


def register_blueprints(app: Flask) -> None:
    from app import fastjson, security
    from app.analytics.views import bp as analytics
    from app.api import blueprint as api
    from app.audit.views import bp as audit
    from app.auth.settings_views import bp as settings
    from app.auth.views import bp as auth
    from app.auth.web_auth import csrf
    from app.channels.pages import bp as channel_pages
    from app.channels.views import bp as channels
    from app.exports import views as exports
    from app.media.views import bp as media
    from app.notifications.views import bp as notifications
    from app.ops import views as ops
    from app.posts.views import bp as posts
    from app.posts.views_calendar import bp as calendar
    from app.posts.views_compose import bp as compose
    from app.recurring.views import bp as recurring
    from app.webhooks.views import bp as webhooks

    app.register_blueprint(auth)
    app.register_blueprint(posts)
    for dashboard in (calendar, compose, channel_pages, notifications, settings, analytics,
                      recurring):
        app.register_blueprint(dashboard)
    app.register_blueprint(api)
    app.register_blueprint(media)
    app.register_blueprint(webhooks)
    app.register_blueprint(audit)
    app.register_blueprint(channels)
    csrf.exempt(api)  # bearer-key authenticated, no cookies
    app.register_blueprint(ops.bp)
    app.register_blueprint(exports.bp)
    ops.init_app(app)
    security.init_app(app)
    fastjson.init_app(app)
