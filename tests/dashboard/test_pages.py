"""Every dashboard page: full page or fragment by HX-Request, CSP-clean markup, labelled fields."""

from __future__ import annotations

import re

import pytest

PAGES = {"/": "post-list", "/calendar": "calendar", "/calendar?view=week": "calendar",
         "/notifications": "notifications", "/settings/api-keys": "api-keys"}
ALL = [*PAGES, "/compose", "/channels", "/settings/members"]


@pytest.fixture
def furnished(signed_in, make_channel, make_post):
    channel = make_channel(signed_in.workspace_id)
    for state in ("scheduled", "failed", "published", "draft"):
        make_post(channel, state)
    return signed_in


@pytest.mark.parametrize("path", list(PAGES))
def test_htmx_gets_the_fragment_and_a_browser_the_page(furnished, path):
    page = furnished.get(path)
    fragment = furnished.get(path, htmx=True)
    assert page.get_data(as_text=True).lstrip().startswith("<!doctype html>")
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and re.match(rf'\s*<section id="{PAGES[path]}"', body)
    assert "HX-Request" in page.headers["Vary"] and "HX-Request" in fragment.headers["Vary"]


@pytest.mark.parametrize("path", ALL)
def test_pages_keep_to_the_content_security_policy(furnished, path):
    html = furnished.get(path).get_data(as_text=True)
    assert not re.search(r"\sstyle=", html), "inline style attribute"
    assert not re.search(r"<style", html), "inline style element"
    assert not re.search(r"<script(?![^>]*\ssrc=)", html), "inline script"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"


@pytest.mark.parametrize("path", ALL)
def test_every_visible_field_has_a_label(furnished, path):
    html = furnished.get(path).get_data(as_text=True)
    fields = re.findall(r'<(?:input|select|textarea)\b(?![^>]*type="hidden")[^>]*>', html)
    for field in fields:
        ident = re.search(r'\sid="([^"]+)"', field)
        assert ident, f"{path}: a field without an id cannot be labelled: {field}"
        assert f'for="{ident.group(1)}"' in html, f"{path}: no label for {ident.group(1)}"
