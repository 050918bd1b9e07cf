"""The platform packages stand on their own: no import cycles, and every platform has the
files docs/platforms.md asks of it."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import sys
import types

import pytest

import app.platforms
from app.config import PLATFORMS
from app.media import specs
from app.platforms import registry, text
from app.platforms.common import ThreadPublisher
from tests.conftest import ROOT

PACKAGE = ROOT / "app" / "platforms"


def _module_names() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(app.platforms.__path__, "app.platforms."))


def _module_of(path, top) -> str:
    parts = list(path.relative_to(top).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(*roots, top=ROOT) -> dict[str, set[str]]:
    """Module -> the modules under `roots` it imports anywhere in its text: at the top, inside
    functions, and type-only imports too (each can make a cycle once someone runs it)."""
    modules = {_module_of(p, top): p for root in roots for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1]
                                    + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                           for a in node.names]
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each import cycle once, as the modules along it."""
    found, state = [], {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                found.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    return found


def test_every_platform_module_imports():
    for name in _module_names():
        importlib.import_module(name)


def test_the_platform_packages_have_no_import_cycle():
    # app/channels and app/sandbox too: the sign-in flow and the sandbox use the packages
    graph = import_graph(PACKAGE, ROOT / "app" / "channels", ROOT / "app" / "sandbox")
    assert len(graph) > 60, sorted(graph)  # the walk saw the packages
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_the_platforms_do_not_reach_up_into_the_channel_records():
    """Only TikTok's composer call (a stored channel, its token refreshed by the one locked
    path) uses app/channels; publishers, uploads, sign-ins and fakes stand on their own."""
    graph = import_graph(PACKAGE, ROOT / "app" / "channels")
    upward = {(m, t) for m, targets in graph.items() if m.startswith("app.platforms.")
              for t in targets if t.startswith("app.channels.")}
    assert upward == {("app.platforms.tiktok.creator", "app.channels.tokens")}


def test_the_cycle_check_sees_a_cycle_through_a_function_level_import(tmp_path):
    pkg = tmp_path / "app" / "platforms"
    (pkg / "demo").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "demo" / "__init__.py").write_text("")
    (pkg / "demo" / "publisher.py").write_text("from app.platforms.demo import video\n")
    (pkg / "demo" / "video.py").write_text(
        "def upload():\n    from app.platforms.demo.publisher import api_url\n")
    graph = import_graph(pkg, top=tmp_path)
    assert cycles(graph) == [["app.platforms.demo.publisher", "app.platforms.demo.video",
                              "app.platforms.demo.publisher"]]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_each_platform_package_declares_what_the_checklist_asks(platform):
    """docs/platforms.md, "Adding a platform": the files a package must have and what each
    declares; the registry finds them by name."""
    from app.sandbox import fake_blueprints

    publisher = registry.PUBLISHERS[platform]
    assert publisher.platform == platform
    assert publisher.name and isinstance(publisher.options_for({}), dict)
    for method in ("validate", "publish", "reconcile"):
        assert callable(getattr(publisher, method)), method
    oauth, connect = registry.module(platform, "oauth"), registry.module(platform, "connect")
    assert oauth or connect, f"{platform} has no way to connect (oauth.py or connect.py)"
    if oauth:
        assert oauth.SCOPES and isinstance(oauth.PKCE, bool) and callable(oauth.finish)
        assert hasattr(oauth, "consent") or callable(oauth.authorize_url)
    if connect:
        assert callable(connect.direct)
    rules = registry.module(platform, "rules")
    assert rules, f"{platform} has no rules.py"
    assert rules.text_rules({}, {}).platform == platform
    # a long text becomes a thread exactly where the publisher publishes threads
    assert text.rules_for(platform).threads == issubclass(publisher, ThreadPublisher)
    assert specs.IMAGES[platform] is rules.IMAGE and specs.VIDEOS[platform] is rules.VIDEO
    fakes = registry.fakes(platform)
    assert fakes[0].__name__ == f"app.platforms.{platform}.fake"
    assert fake_blueprints(fakes[0]), "fake.py serves no blueprint"
    assert callable(fakes[0].control_account)  # POST /_control/accounts
    assert registry.module(platform, "nothing") is None


def test_the_registry_lists_the_platforms_of_the_contract_and_nothing_else():
    assert tuple(registry.PUBLISHERS) == PLATFORMS
    assert registry.module("youtube", "publisher") is None
    folders = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists())
    assert folders == sorted(PLATFORMS)


def test_a_new_platform_s_text_and_media_rules_come_from_its_own_package(monkeypatch):
    """docs/platforms.md, "Adding a platform": rules.py in the folder and the name in PLATFORMS
    are all the splitter, the preview and the media tables need."""
    package, rules = types.ModuleType("app.platforms.demo"), types.ModuleType("app.platforms.demo.rules")
    rules.text_rules = lambda settings, options: text.Rules(
        "demo", int(settings.get("limit", 12)), text.grapheme_length, "letters", threads=True)
    rules.IMAGE = specs.ImageSpec(("JPEG",), 1000, max_count=2)
    rules.IMAGE_RENDITIONS = True
    monkeypatch.setitem(sys.modules, "app.platforms.demo", package)
    monkeypatch.setitem(sys.modules, "app.platforms.demo.rules", rules)
    for module in (registry, specs):
        monkeypatch.setattr(module, "PLATFORMS", (*PLATFORMS, "demo"))

    shown = text.preview("demo", {"limit": 10}, "one two three four")
    assert [(p["text"], p["count"], p["limit"], p["unit"]) for p in shown] == \
        [("one two", 7, 10, "letters"), ("three four", 10, 10, "letters")]
    assert text.plan("demo", {}, ["one two three four"], {"auto_thread": False}) == \
        ["one two three four"]
    assert specs.IMAGES["demo"].max_count == 2 and "demo" in specs.IMAGES
    assert "demo" not in specs.VIDEOS and "demo" in specs.IMAGE_RENDITIONS
    assert "demo" not in specs.MIXED_CAROUSELS
    with pytest.raises(LookupError):
        text.rules_for("youtube")
