"""Templates ask the state machine (app.posts.lifecycle) what a post's state allows; none lists
states itself, so a change to the lifecycle reaches every page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

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


# What a post's page offers in each state: (reschedule form, unschedule, cancel forms, retry).
OFFERS = {
    "draft": ("Plan a time", False, 1, False),
    "scheduled": ("Reschedule", True, 1, False),
    "publishing": (None, False, 0, False),
    "published": (None, False, 0, False),
    "failed": ("Retry at a time", False, 1, True),
    "canceled": (None, False, 0, False),
}


@pytest.mark.parametrize("state", sorted(OFFERS))
def test_a_posts_page_offers_what_its_state_allows(signed_in, make_channel, make_post, state):
    post = make_post(make_channel(signed_in.workspace_id), state)
    html = signed_in.get(f"/posts/{post.id}").get_data(as_text=True)
    heading, unschedule, cancels, retry = OFFERS[state]
    found = re.search(r"<h2>(Retry at a time|Reschedule|Plan a time)</h2>", html)
    assert (found.group(1) if found else None) == heading
    assert (f"/posts/{post.id}/unschedule" in html) is unschedule
    assert html.count(f"/posts/{post.id}/cancel") == cancels
    assert (f"/posts/{post.id}/retry\"" in html) is retry
    assert ('hx-trigger="every 2s"' in html) is (state in ("scheduled", "publishing"))
