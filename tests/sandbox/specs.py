"""The official specs, for checking what our publishers send: OpenAPI (jsonschema) and AT Protocol
lexicons (a small validator for the lexicon types posts use)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import grapheme
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPECS = Path(__file__).resolve().parents[2].parent / "shared" / "specs"


def require(name: str) -> Path:
    path = SPECS / name
    if not path.exists():
        pytest.skip(f"the official spec {name} is not available at {SPECS} (reference data kept "
                    "beside the repository)")
    return path


@cache
def _openapi(name: str) -> dict:
    return json.loads(require(name).read_text())


def openapi_errors(spec: str, pointer: str, instance) -> list[str]:
    """Schema errors of `instance` against the schema at `pointer` in an OpenAPI document."""
    document = _openapi(spec)
    registry = Registry().with_resource("urn:spec", Resource.from_contents(
        document, default_specification=DRAFT202012))
    validator = Draft202012Validator({"$ref": f"urn:spec#{pointer}"}, registry=registry)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)]


@cache
def _lexicon(nsid: str) -> dict:
    return json.loads(require("bluesky-lexicons/" + nsid.replace(".", "/") + ".json").read_text())


def _resolve(ref: str, context: str) -> tuple[dict, str]:
    nsid, _, name = ref.partition("#")
    nsid = nsid or context
    return _lexicon(nsid)["defs"][name or "main"], nsid


def lexicon_errors(ref: str, value, context: str = "", path: str = "") -> list[str]:
    """Errors of `value` against a lexicon definition (object, ref, union, array, string, ...)."""
    schema, nsid = _resolve(ref, context)
    if schema.get("type") == "record":
        schema = schema["record"]
    if schema.get("type") == "procedure":
        schema = schema["input"]["schema"]
    return _check(schema, value, nsid, path)



def output_errors(nsid: str, value) -> list[str]:
    """Errors of a response body against a query's or procedure's output schema."""
    return _check(_lexicon(nsid)["defs"]["main"]["output"]["schema"], value, nsid, "")


def known_values(ref: str, field: str) -> list[str]:
    schema, _nsid = _resolve(ref, "")
    return schema["properties"][field]["knownValues"]

def _check(schema: dict, value, nsid: str, path: str) -> list[str]:
    kind = schema.get("type")
    if kind == "ref":
        return lexicon_errors(schema["ref"], value, nsid, path)
    if kind == "union":
        if not isinstance(value, dict) or "$type" not in value:
            return [f"{path}: a union member needs $type"]
        wanted = value["$type"]
        full = [nsid + r if r.startswith("#") else r for r in schema["refs"]]
        if wanted not in {r.removesuffix("#main") for r in full}:
            return [f"{path}: {wanted} is not one of {full}"]
        return lexicon_errors(wanted, value, nsid, path)
    if kind == "object":
        return _object(schema, value, nsid, path)
    if kind == "array":
        if not isinstance(value, list):
            return [f"{path}: not an array"]
        errors = [f"{path}: more than {schema['maxLength']} items"] \
            if "maxLength" in schema and len(value) > schema["maxLength"] else []
        for i, item in enumerate(value):
            errors += _check(schema["items"], item, nsid, f"{path}/{i}")
        return errors
    if kind == "string":
        if not isinstance(value, str):
            return [f"{path}: not a string"]
        errors = []
        if "maxLength" in schema and len(value.encode()) > schema["maxLength"]:
            errors.append(f"{path}: longer than {schema['maxLength']} bytes")
        if "maxGraphemes" in schema and grapheme.length(value) > schema["maxGraphemes"]:
            errors.append(f"{path}: longer than {schema['maxGraphemes']} graphemes")
        return errors
    if kind == "integer":
        ok = isinstance(value, int) and value >= schema.get("minimum", value)
        return [] if ok else [f"{path}: not a valid integer"]
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{path}: not a boolean"]
    if kind == "blob":
        ok = isinstance(value, dict) and value.get("$type") == "blob" and \
            value.get("size", 0) <= schema.get("maxSize", value.get("size", 0))
        return [] if ok else [f"{path}: not a blob within {schema.get('maxSize')} bytes"]
    return []  # unknown, cid-link, bytes: not used by what we send


def _object(schema: dict, value, nsid: str, path: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path}: not an object"]
    errors = [f"{path}: {name} is required" for name in schema.get("required", [])
              if name not in value]
    for name, item in value.items():
        if name in schema.get("properties", {}):
            errors += _check(schema["properties"][name], item, nsid, f"{path}/{name}")
    return errors
