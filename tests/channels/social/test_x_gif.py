"""X GIFs go through the chunked upload with media_category tweet_gif (the simple upload takes
images only), and the sandbox refuses a GIF on the simple upload as X documents."""

from __future__ import annotations

import io

from PIL import Image

from tests.channels.social.test_thread_platform_media import run


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (64, 48), color) for color in ("red", "blue", "green")]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


def test_x_gif_is_sent_chunked_as_tweet_gif(platforms, stored):
    p = platforms("x")
    run(p, "A GIF", [stored(animated_gif(), "dance.gif", alt="three colours")])
    [post] = p.posts()
    [init] = p.requests("initialize")
    assert (init["json"]["media_category"], init["json"]["media_type"]) == ("tweet_gif", "image/gif")
    assert p.requests("upload") == [], "the simple upload is for images only"
    assert p.requests("finalize") and p.requests("append")
    upload = p.sandbox.state.bucket("x", "uploads")[post["media_ids"][0]]
    assert upload["state"] == "succeeded"
    assert upload["metadata"] == {"alt_text": {"text": "three colours"}}


def test_sandbox_refuses_a_gif_on_the_simple_upload(platforms):
    p = platforms("x")
    headers = {"Authorization": f"Bearer {p.token}"}
    response = p.http.post(f"{p.sandbox.url}/x/2/media/upload", headers=headers,
                           files={"media": ("a.gif", animated_gif(), "image/gif")},
                           data={"media_category": "tweet_gif"})
    assert response.status_code == 400
    assert "chunked" in response.text
    assert p.sandbox.state.bucket("x", "media") == {}


def big_animated_gif(frames: int = 26, side: int = 512) -> bytes:
    """An animated GIF of noise, over 5 MB (noise does not compress)."""
    import os

    images = [Image.frombytes("L", (side, side), os.urandom(side * side)) for _ in range(frames)]
    out = io.BytesIO()
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=100, loop=0)
    return out.getvalue()


def test_x_gif_over_5_mb_stays_an_animated_gif(platforms, stored):
    """X takes GIFs up to 15 MB (https://docs.x.com/x-api/media, Media types & size
    restrictions): a 6 MB GIF is sent as it is, not flattened to a still JPEG under 5 MB."""
    data = big_animated_gif()
    assert 5 * 1024 * 1024 < len(data) < 15 * 1024 * 1024
    p = platforms("x")
    run(p, "A big GIF", [stored(data, "big.gif")])
    [post] = p.posts()
    [init] = p.requests("initialize")
    assert (init["json"]["media_type"], init["json"]["total_bytes"]) == ("image/gif", len(data))
    assert p.sandbox.state.bucket("x", "uploads")[post["media_ids"][0]]["state"] == "succeeded"
