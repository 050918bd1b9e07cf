"""Templates ask the state machine (app.posts.lifecycle) what a post's state allows; none lists
states itself, so a change to the lifecycle reaches every page."""

from __future__ import annotations

import re
from pathlib import Path

import app
from app.posts.lifecycle import PostState

TEMPLATES = Path(app.__file__).parent / "templates"
NAMES = "|".join(s.value for s in PostState)
# `post.state == "failed"`, `state in ("draft", ...)`, `"scheduled" == e.to_state`...
COMPARES_STATE = re.compile(r"state\s*(?:==|!=|(?:not\s+)?in\b)\s*[(\[\"']"
                            rf"|[\"'](?:{NAMES})[\"']\s*(?:==|!=|(?:not\s+)?in\b)")
TAG = re.compile(r"\{[%{].*?[%}]\}", re.DOTALL)


def test_no_template_compares_a_post_state_with_state_names():
    found = [f"{path.relative_to(TEMPLATES)}: {tag}"
             for path in sorted(TEMPLATES.rglob("*.html"))
             for tag in TAG.findall(path.read_text()) if COMPARES_STATE.search(tag)]
    assert found == []
