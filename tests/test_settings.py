"""Configuration is read in one place: app/config.py's Settings."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from app import config
from jobs.config import EngineConfig

ROOT = Path(__file__).resolve().parent.parent
# The one module that reads OPENPOST_* variables from the environment.
CONFIG_MODULES = {"app/config.py"}


def _openpost_name(node: ast.AST | None) -> bool:
    """A variable name written as "OPENPOST_…" or f"OPENPOST_{…}…"."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and node.value.startswith("OPENPOST_")
    if isinstance(node, ast.JoinedStr) and node.values:
        return _openpost_name(node.values[0])
    return False


def _is_environ(node: ast.AST) -> bool:
    """os.environ, or environ imported from os."""
    return (isinstance(node, ast.Attribute) and node.attr == "environ"
            and isinstance(node.value, ast.Name) and node.value.id == "os") \
        or (isinstance(node, ast.Name) and node.id == "environ")


def _reads(node: ast.AST) -> bool:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        func = node.func
        getter = (_is_environ(func.value) and func.attr in ("get", "pop")
                  or isinstance(func.value, ast.Name) and func.value.id == "os"
                  and func.attr == "getenv")
        walk = _is_environ(func.value) and func.attr in ("items", "keys", "values")
        return walk or getter and bool(node.args) and _openpost_name(node.args[0])
    if isinstance(node, ast.Subscript):
        return isinstance(node.ctx, ast.Load) and _is_environ(node.value) \
            and _openpost_name(node.slice)
    if isinstance(node, ast.Compare):
        return _openpost_name(node.left) and any(_is_environ(c) for c in node.comparators)
    return False


def environment_reads(source: str) -> list[int]:
    """Lines that read an OPENPOST_* variable from the environment directly: os.environ.get,
    os.getenv, os.environ[...] (not as an assignment target), `in os.environ`, and any walk
    over os.environ's names or values (such a walk can pick OPENPOST_* variables)."""
    return [node.lineno for node in ast.walk(ast.parse(source)) if _reads(node)]


def test_the_detector_sees_the_ways_a_module_can_read_a_variable():
    assert environment_reads('import os\nx = os.environ.get("OPENPOST_X", "")') == [2]
    assert environment_reads('import os\nx = os.getenv(f"OPENPOST_{p.upper()}_API_URL")') == [2]
    assert environment_reads('import os\nx = os.environ["OPENPOST_S3_BUCKET"]') == [2]
    assert environment_reads('import os\nx = "OPENPOST_A" in os.environ') == [2]
    assert environment_reads('import os\nx = [v for k, v in os.environ.items()]') == [2]
    # Setting a variable for a child process, or reading one that is not OpenPost's, is fine.
    assert environment_reads('import os\nos.environ.setdefault("OPENPOST_LOG_LEVEL", "X")\n'
                             'os.environ["OPENPOST_A"] = "1"\nx = os.environ.get("PATH")') == []


def test_no_module_outside_the_config_module_reads_an_openpost_variable():
    offenders = []
    for path in sorted([*ROOT.glob("app/**/*.py"), *ROOT.glob("jobs/**/*.py"), ROOT / "wsgi.py"]):
        name = path.relative_to(ROOT).as_posix()
        if name in CONFIG_MODULES:
            continue
        offenders += [f"{name}:{line}" for line in environment_reads(path.read_text())]
    assert offenders == [], "read these through app.config.settings(): " + ", ".join(offenders)


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("OPENPOST_MAX_BODY_BYTES", "64MB", "OPENPOST_MAX_BODY_BYTES must be a whole number, got '64MB'"),
    ("OPENPOST_SESSION_IDLE_DAYS", "a month",
     "OPENPOST_SESSION_IDLE_DAYS must be a number, got 'a month'"),
    ("OPENPOST_API_RATE", "lots",
     "OPENPOST_API_RATE must be like 600/60 (requests/seconds), got 'lots'"),
    ("OPENPOST_ALLOW_PRIVATE_HOSTS", "maybe",
     "OPENPOST_ALLOW_PRIVATE_HOSTS must be one of 1/true/yes/on or 0/false/no/off, got 'maybe'"),
])
def test_a_bad_value_stops_the_app_with_an_error_naming_the_variable(monkeypatch, tmp_path,
                                                                      variable, value, message):
    from app import create_app

    monkeypatch.setenv("OPENPOST_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError) as caught:
        create_app()
    assert str(caught.value) == message


def test_a_bad_engine_value_names_the_variable(monkeypatch):
    monkeypatch.setenv("OPENPOST_LEASE_SECONDS", "half a minute")
    with pytest.raises(ValueError, match="^OPENPOST_LEASE_SECONDS must be a number, "
                                         "got 'half a minute'$"):
        EngineConfig.from_env()


def test_settings_are_read_when_asked_and_typed(monkeypatch):
    monkeypatch.setenv("OPENPOST_MAX_IMAGE_PIXELS", "1000")
    monkeypatch.setenv("OPENPOST_LOGIN_RATE", "5/60")
    monkeypatch.setenv("OPENPOST_CONCURRENCY", "3")
    monkeypatch.setenv("OPENPOST_HOUSEKEEPING", "off")
    monkeypatch.setenv("OPENPOST_MASTODON_CLIENT_ID", "app-1")
    monkeypatch.delenv("OPENPOST_MASTODON_CLIENT_SECRET", raising=False)
    current = config.settings()
    assert current.max_image_pixels == 1000 and current.login_rate == (5, 60)
    assert current.platform("mastodon") == config.Platform("app-1", "", "")
    engine = EngineConfig.from_env()
    assert engine.concurrency == 3 and engine.housekeeping is False
    with pytest.raises(dataclasses.FrozenInstanceError):
        current.max_image_pixels = 1  # type: ignore[misc]


def test_every_named_variable_has_a_meaning_and_a_default():
    described = config.describe()
    assert len({name for name, *_ in described}) == len(described)
    for name, _type, _default, meaning in described:
        assert name.startswith("OPENPOST_") and meaning


def test_the_configuration_reference_names_every_setting():
    reference = (ROOT / "docs/deploy.md").read_text()
    missing = [name for name, *_ in config.describe() if f"| `{name}` |" not in reference]
    assert missing == [], f"docs/deploy.md's configuration reference lacks {missing}"
