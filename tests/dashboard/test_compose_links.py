"""The composer refuses a Threads part with more than 5 different links, next to the part,
and its preview says why."""

from __future__ import annotations

from tests.dashboard.test_compose import _refused

SIX = " ".join(f"see https://example{i}.com/page" for i in range(6))


def test_a_threads_part_with_six_links_is_refused_next_to_it(signed_in, db, make_channel):
    threads = make_channel(signed_in.workspace_id, platform="threads")
    _refused(signed_in, db, {"channel_id": threads.id, "part": ["Intro", SIX], "action": "now"},
             "parts-1-text", "6 different links; Threads takes at most 5 a post")


def test_the_preview_says_a_threads_part_has_too_many_links(signed_in, make_channel):
    threads = make_channel(signed_in.workspace_id, platform="threads")
    html = signed_in.post("/compose/preview", {"channel_id": threads.id,
                                               "part": ["Intro", SIX]}).get_data(as_text=True)
    assert "6 different links, at most 5" in html
    assert 'data-ok="no"' in html
