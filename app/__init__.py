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
    register_blueprints(app)
    setup_sandbox(app)
    return app


def setup_database(app: Flask) -> None:
    from app import db

    url = app.config.get("DATABASE_URL") or db.database_url()
    app.config["DATABASE_URL"] = url
    engine = app.config.get("ENGINE") or db.make_engine(url)
    app.extensions["engine"] = engine
    db.configure_engine(engine)

    @app.teardown_appcontext
    def remove_session(_exc=None):
        db.session.remove()


def setup_requests(app: Flask) -> None:
    from app import web

    web.init_app(app)


def setup_auth(app: Flask) -> None:
    from app.auth import web_auth

    web_auth.init_app(app)


def setup_sandbox(app: Flask) -> None:
    """The fake platforms under /sandbox, so a new user can try publishing without an account
    (OPENPOST_SANDBOX=off removes them)."""
    import os

    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from app.sandbox import create_sandbox

    if os.environ.get("OPENPOST_SANDBOX", "on").lower() in ("off", "0", "false", "no"):
        return
    sandbox = create_sandbox()
    app.extensions["sandbox"] = sandbox
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/sandbox": sandbox})


def register_blueprints(app: Flask) -> None:
    from app.api import blueprint as api
    from app.auth.views import bp as auth
    from app.auth.web_auth import csrf
    from app.channels.views import bp as channels
    from app.media.views import bp as media
    from app.posts.views import bp as posts

    app.register_blueprint(auth)
    app.register_blueprint(posts)
    app.register_blueprint(api)
    app.register_blueprint(channels)
    app.register_blueprint(media)
    csrf.exempt(api)  # bearer-key authenticated, no cookies
