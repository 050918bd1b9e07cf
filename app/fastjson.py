"""JSON at the two hot edges, API responses and JSONB columns, with orjson (same output types)."""

from __future__ import annotations

import json

import orjson
from flask import Flask
from flask.json.provider import DefaultJSONProvider

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


class OrjsonProvider(DefaultJSONProvider):
    """Flask's JSON provider, serialising with orjson; anything orjson refuses (non-string keys,
    integers past 64 bits, pretty printing) falls back to the standard library."""

    def dumps(self, obj, **kwargs) -> str:
        if not kwargs:
            try:
                return orjson.dumps(obj, default=self.default, option=_OPTIONS).decode()
            except TypeError:
                pass
        return super().dumps(obj, **kwargs)


def _loads(data) -> object:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(bytes(data) if isinstance(data, memoryview) else data)


def init_app(app: Flask) -> None:
    from psycopg.types.json import set_json_loads

    app.json = OrjsonProvider(app)
    set_json_loads(_loads)
