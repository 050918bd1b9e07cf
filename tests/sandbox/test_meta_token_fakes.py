"""The Instagram and Threads fakes refresh long-lived tokens as Meta documents."""

from __future__ import annotations

import pytest

GRANTS = {"instagram": "ig_refresh_token", "threads": "th_refresh_token"}


def _refresh(p, grant: str | None = None):
    return p.http.get(f"{p.sandbox.url}/{p.name}/refresh_access_token",
                      params={"grant_type": grant or GRANTS[p.name], "access_token": p.token})


@pytest.mark.parametrize("name", sorted(GRANTS))
def test_a_day_old_token_is_refreshed_for_sixty_days(platforms, name):
    p = platforms(name)
    p.token_action("age", seconds=2 * 86_400)
    body = _refresh(p).json()
    assert body["expires_in"] == 60 * 86_400 and body["access_token"] != p.token


@pytest.mark.parametrize("name", sorted(GRANTS))
def test_refresh_refuses_a_young_token_an_expired_one_and_a_wrong_grant(platforms, name):
    p = platforms(name)
    assert _refresh(p).json()["error"]["code"] == 190, "under 24 hours old"
    p.token_action("age", seconds=2 * 86_400)
    assert _refresh(p, grant="fb_exchange_token").status_code == 400
    p.token_action("expire")
    expired = _refresh(p)
    assert expired.status_code == 400
    assert expired.json()["error"]["code"] == 190 and "expired" in expired.json()["error"]["message"]
