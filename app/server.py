"""Running the WSGI app under gunicorn from our own commands (serve, web)."""

from __future__ import annotations

import gc
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
        """The app, built in each worker; what it built lasts as long as the worker, so it is
        moved out of the garbage collector's sight (gc.freeze): otherwise each full collection
        walks those ~170k objects again, most of a millisecond per request on a small machine."""
        app = self.app_factory()
        gc.freeze()
        return app
