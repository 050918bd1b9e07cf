"""JSON at the two hot edges, API responses and JSONB columns, with orjson (same output types)."""

from __future__ import annotations

import json

import orjson
from flask import Flask, Response
from flask.json.provider import DefaultJSONProvider
from psycopg.adapt import Loader

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


class OrjsonProvider(DefaultJSONProvider):
    """Flask's JSON provider, serialising with orjson; anything orjson refuses (non-string keys,
    integers past 64 bits, pretty printing) falls back to the standard library. Keys stay sorted
    as Flask sorts them; text is UTF-8 where the standard library escapes it (the same JSON)."""

    def _orjson(self, obj, extra: int = 0) -> bytes:
        options = _OPTIONS | extra | (orjson.OPT_SORT_KEYS if self.sort_keys else 0)
        return orjson.dumps(obj, default=self.default, option=options)

    def dumps(self, obj, **kwargs) -> str:
        if not kwargs:
            try:
                return self._orjson(obj).decode()
            except TypeError:
                pass
        return super().dumps(obj, **kwargs)

    def response(self, *args, **kwargs) -> Response:
        """jsonify(): compact bytes straight from orjson (Flask's own path always passes
        formatting arguments, which `dumps` leaves to the standard library)."""
        if self.compact is False or (self.compact is None and self._app.debug):
            return super().response(*args, **kwargs)
        try:
            body = self._orjson(self._prepare_response_obj(args, kwargs), orjson.OPT_APPEND_NEWLINE)
        except TypeError:
            return super().response(*args, **kwargs)
        return self._app.response_class(body, mimetype=self.mimetype)


class _JsonLoader(Loader):
    """JSON and JSONB columns (text format) parsed by orjson straight from psycopg's buffer:
    psycopg's own loader copies each value to bytes first, and an API page holds hundreds."""

    def load(self, data) -> object:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:  # what orjson refuses, e.g. integers past 64 bits
            return json.loads(bytes(data))


def init_app(app: Flask) -> None:
    import psycopg

    app.json = OrjsonProvider(app)
    for name in ("json", "jsonb"):
        psycopg.adapters.register_loader(name, _JsonLoader)
