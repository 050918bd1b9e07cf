"""Bounds on what any request may carry, checked before a handler sees it, plus shared parsers.

PostgreSQL text cannot hold NUL, UTF-8 cannot hold a lone surrogate (a JSON "\\ud800" escape
makes one), and a deeply nested JSON body exhausts Python's recursion: each used to end in a
500 somewhere deep in a handler. The query and form fields of every request are checked before
its handler runs; a JSON body is checked by the one function that parses it (json_body), after
the API key and rate limit, so an anonymous client cannot make the server parse a large body.
"""

from __future__ import annotations

import json
import math
import re

from flask import Flask, current_app, g, request

from app.errors import DomainError, ValidationFailed

MAX_JSON_DEPTH = 32  # real API bodies (a post with per-platform options) need a handful
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")
_WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


class BadJson(DomainError):
    status = 400
    code = "invalid_json"


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload_too_large"


def init_app(app: Flask) -> None:
    app.before_request(check_request)


def check_request() -> None:
    """Refuse NUL and lone surrogates in the query, form fields and file names."""
    _check_pairs(request.args.items(multi=True), "query parameter")
    if request.mimetype in _FORMS:
        _check_pairs(request.form.items(multi=True), "field")
        _check_pairs(((name, f.filename or "") for name, f in request.files.items(multi=True)),
                     "file name of")


def _check_pairs(pairs, what: str) -> None:
    for name, value in pairs:
        for text in (name or "", value or ""):  # a multipart part may come without a name
            if _BAD_CHARS.search(text):
                raise ValidationFailed(f"{what} {_printable(name or '')!r} "
                                       f"{_bad_char_problem(text)}", field=_printable(name or ""))


def json_body(raw: bytes):
    """The request body `raw` parsed by load_json, once per request."""
    if "json_body" not in g:
        check_json_size(raw)
        g.json_body = load_json(raw)
    return g.json_body


def check_json_size(raw: bytes) -> None:
    most = current_app.config["MAX_JSON_BYTES"]
    if len(raw) > most:
        raise PayloadTooLarge(f"the body is larger than {most} bytes")


def load_json(raw: bytes):
    """Parse JSON, refusing nesting past MAX_JSON_DEPTH and strings PostgreSQL cannot store."""
    try:
        data = json.loads(raw, parse_constant=_not_a_number, parse_float=_finite)
    except RecursionError as exc:
        raise BadJson(f"the body is nested too deeply (at most {MAX_JSON_DEPTH} levels)") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadJson(f"the body is not valid JSON: {exc}") from exc
    _check_tree(data)
    return data


def _not_a_number(name: str):
    raise BadJson(f"the body is not valid JSON: {name} is not a number JSON allows")


def _finite(text: str) -> float:
    """Python reads 1e999 as infinity, which neither JSON nor PostgreSQL's jsonb can hold."""
    value = float(text)
    if not math.isfinite(value):
        _not_a_number(text[:40])
    return value


def _check_tree(data) -> None:
    """Walk without recursion (the depth is what is being checked): depth, NUL, surrogates."""
    stack = [(data, (), 1)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise BadJson(f"the body is nested too deeply (at most {MAX_JSON_DEPTH} levels)")
        if isinstance(value, str) and _BAD_CHARS.search(value):
            field = ".".join(map(str, path)) or None
            raise ValidationFailed(f"{field or 'the body'} {_bad_char_problem(value)}", field=field)
        items = (value.items() if isinstance(value, dict)
                 else enumerate(value) if isinstance(value, list) else ())
        for key, item in items:
            if isinstance(key, str) and _BAD_CHARS.search(key):
                raise ValidationFailed(f"a key {_bad_char_problem(key)}", field=".".join(map(str, path)))
            stack.append((item, (*path, key), depth + 1))


def _bad_char_problem(text: str) -> str:
    if "\x00" in text:
        return "must not contain NUL characters (\\u0000)"
    return "must not contain a lone surrogate (an unpaired \\ud800-\\udfff escape)"


def _printable(name: str) -> str:
    return _BAD_CHARS.sub("?", name)[:64]


def whole_number(value: str, field: str, low: int, high: int) -> int:
    """ASCII digits only, from low to high: int() and str.isdigit() accept other scripts' digits
    and superscripts ('²' passes isdigit() and then fails int())."""
    if not _WHOLE_NUMBER.fullmatch(value or "") or not low <= int(value) <= high:
        raise ValidationFailed(f"{field} must be a whole number from {low} to {high}",
                               field=field)
    return int(value)
