"""The platform-specific post options the composer offers for a channel (and the API lists)."""

from __future__ import annotations

from app.errors import ValidationFailed
from app.platforms.registry import PUBLISHERS
from app.platforms.text import utf16_length


def post_options(platform: str, settings: dict) -> dict:
    """{option name: {"type", "choices"?, "required"?, "default"?}} for posts on this channel:
    what the platform's publisher declares (`options`, `options_for`)."""
    publisher = PUBLISHERS.get(platform)
    return publisher.options_for(settings) if publisher else {}


def _problem(spec: dict, value) -> str | None:
    kind = spec["type"]
    if kind == "boolean" and not isinstance(value, bool):
        return "must be true or false"
    if kind == "choice" and (not isinstance(value, str)
                             or spec.get("choices") and value not in spec["choices"]):
        return f"must be one of {', '.join(spec.get('choices') or ['a text'])}"
    if kind in ("text", "url") and not isinstance(value, str):
        return "must be a text"
    if kind == "text" and spec.get("max_length") \
            and (utf16_length if spec.get("utf16") else len)(value) > spec["max_length"]:
        unit = "UTF-16 units (most emoji count 2)" if spec.get("utf16") else "characters"
        return f"can be at most {spec['max_length']} {unit}"
    if kind == "list" and (not isinstance(value, list)
                           or len(value) > spec.get("max_items", len(value))):
        return f"must be a list of at most {spec.get('max_items')} items"
    return None


def check_options(platform: str, settings: dict, options: dict) -> None:
    """Refuse a bad value of an option this platform knows, naming it; other names are kept
    as they are. (Whether a required option is there is checked when the post is scheduled.)"""
    if not isinstance(options, dict):
        raise ValidationFailed("options must be an object", field="options")
    for name, spec in post_options(platform, settings).items():
        value = options.get(name)
        problem = None if value is None else _problem(spec, value)
        if problem:
            raise ValidationFailed(f"options.{name} {problem} (got {value!r:.60})",
                                   field=f"options.{name}")
    if platform in PUBLISHERS:
        PUBLISHERS[platform].check_option_rules(options)
