"""API responses written by orjson (the same JSON as Flask's own provider writes).

JSON and JSONB columns are read by psycopg's own loader (docs/performance.md says why)."""

from __future__ import annotations

import json
from datetime import datetime

import orjson
from flask import Flask, Response, current_app
from flask.json.provider import DefaultJSONProvider

from app.timeutil import iso

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


def response_with_times(obj) -> Response:
    """jsonify() for a body holding aware UTC datetimes: orjson writes each as ISO 8601 with a Z,
    the text timeutil.iso() gives, without a Python call per value. What orjson refuses goes
    through the standard library with iso(), to the same JSON."""
    try:
        body = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS | orjson.OPT_UTC_Z
                            | orjson.OPT_APPEND_NEWLINE)
    except TypeError:
        body = (json.dumps(obj, default=_stamp, sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False) + "\n").encode()
    return current_app.response_class(body, mimetype="application/json")


def _stamp(value):
    if isinstance(value, datetime):
        return iso(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def init_app(app: Flask) -> None:
    app.json = OrjsonProvider(app)
