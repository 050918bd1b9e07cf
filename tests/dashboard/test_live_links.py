"""A live URL is shown as a link only when it is a web address, whatever is stored."""

import pytest


@pytest.mark.parametrize("url", ["javascript:alert(document.cookie)", "data:text/html,x",
                                 "vbscript:x"])
def test_a_stored_non_web_live_url_is_never_a_link(signed_in, db, make_channel, make_post, url):
    post = make_post(make_channel(signed_in.workspace_id), state="published")
    post.live_url = url
    post.parts = [{"text": "one", "media_ids": []}, {"text": "two", "media_ids": []}]
    post.results = [{"index": 0, "provider_post_id": "1", "live_url": url}]
    db.commit()
    for path in (f"/posts/{post.id}", f"/posts/{post.id}/status", "/"):
        page = signed_in.get(path).get_data(as_text=True)
        assert f'href="{url}"' not in page, path
        assert "View live post" not in page and "Part 1 live" not in page


def test_a_web_live_url_is_a_link(signed_in, db, make_channel, make_post):
    post = make_post(make_channel(signed_in.workspace_id), state="published")
    post.parts = [{"text": "one", "media_ids": []}, {"text": "two", "media_ids": []}]
    post.results = [{"index": 0, "provider_post_id": "1", "live_url": post.live_url}]
    db.commit()
    page = signed_in.get(f"/posts/{post.id}").get_data(as_text=True)
    assert f'href="{post.live_url}"' in page
    assert "View live post" in page and "Part 1 live" in page
