"""Running the WSGI app under gunicorn from our own commands (serve, web)."""

from __future__ import annotations

from collections.abc import Callable

from gunicorn.app.base import BaseApplication


class Gunicorn(BaseApplication):
    def __init__(self, app_factory: Callable, options: dict):
        self.app_factory = app_factory
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self):
        return self.app_factory()
