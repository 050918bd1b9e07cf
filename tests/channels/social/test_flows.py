"""Carousels, videos and text posts on Instagram, Facebook, LinkedIn and TikTok, published to the
sandbox over real HTTP: what the platform ends up showing."""

from __future__ import annotations

import pytest

from tests.media.conftest import jpeg, video


def photos(stored, count: int, size=(1080, 1080)) -> list[dict]:
    return [stored(jpeg(*size), f"p{i}.jpg", alt=f"photo {i}") for i in range(count)]


def clip(stored, seconds: float = 3.0) -> dict:
    return stored(video(seconds=seconds, fps=25, size=(160, 120)), "clip.mp4")


def test_instagram_carousel_of_three(social, stored):
    p = social("instagram")
    result, _ = p.run("Three photos #sandbox", photos(stored, 3))
    [post] = p.posts()
    assert post["media_type"] == "CAROUSEL" and len(post["children"]) == 3
    assert post["caption"] == "Three photos #sandbox"
    assert result.provider_post_id == post["id"] and result.live_url == post["permalink"]
    children = [r for r in p.requests("container") if r["form"].get("is_carousel_item") == "true"]
    assert len(children) == 3 and all("/m/" in r["form"]["image_url"] for r in children)


def test_instagram_reel_waits_for_processing(social, stored):
    p = social("instagram")
    p.configure(video_polls=3)
    result, recorder = p.run("A reel", [clip(stored)])
    [post] = p.posts()
    assert post["media_type"] == "REELS" and "v=instagram" in post["url"]
    assert len(p.requests("status")) >= 4, "polled until FINISHED"
    assert recorder.parts[0].extra["container_id"] == post["container"]


def test_instagram_refused_video_is_a_media_error(social, stored):
    from app.platforms.errors import MediaRejected

    p = social("instagram")
    p.configure(fail_video=True)
    with pytest.raises(MediaRejected):
        p.run("A reel", [clip(stored)])
    assert p.posts() == []


def test_facebook_text_and_multi_photo(social, stored):
    p = social("facebook")
    text, _ = p.run("Just words")
    result, _ = p.run("Four photos", photos(stored, 4, (800, 600)))
    words, album = p.posts()
    assert words["message"] == "Just words" and words["photos"] == []
    assert album["message"] == "Four photos" and len(album["photos"]) == 4
    uploads = p.requests("photo")
    assert len(uploads) == 4 and all(r["form"]["published"] == "false" for r in uploads)
    assert result.provider_post_id == album["id"] and result.live_url == album["permalink"]


def test_facebook_video_is_uploaded_in_chunks_with_the_page_token(social, stored):
    p = social("facebook")
    p.configure(video_chunk_bytes=4096)
    result, _ = p.run("A video", [clip(stored)])
    [post] = p.posts()
    assert post["kind"] == "video" and post["message"] == "A video" and post["bytes"] > 4096
    phases = [r["form"]["upload_phase"] for r in p.requests("video")]
    assert phases[0] == "start" and phases[-1] == "finish" and phases.count("transfer") > 1
    offsets = [int(r["form"]["start_offset"]) for r in p.requests("video")
               if r["form"]["upload_phase"] == "transfer"]
    assert offsets == list(range(0, post["bytes"], 4096))
    assert p.requests("session") == [] and p.requests("transfer") == [], "no user-token upload"
    assert result.provider_post_id == post["id"]


def test_linkedin_multi_image_post(social, stored):
    p = social("linkedin")
    result, _ = p.run("Five images", photos(stored, 5))
    [post] = p.posts()
    images = post["content"]["multiImage"]["images"]
    assert len(images) == 5 and images[0]["altText"] == "photo 0"
    assert result.provider_post_id == post["id"].strip()
    assert result.live_url == f"https://www.linkedin.com/feed/update/{post['id']}/"
    assert all(r["headers"]["linkedin-version"].isdigit()
               and r["headers"]["x-restli-protocol-version"] == "2.0.0"
               for r in p.requests("post") + p.requests("image_init"))


def test_linkedin_text_is_escaped_and_hashtags_kept(social):
    p = social("linkedin")
    p.run("Ask (politely) for [help] @ 3*4 #launch_day")
    [post] = p.posts()
    assert post["commentary"] == ("Ask \\(politely\\) for \\[help\\] \\@ 3\\*4 "
                                  "{hashtag|\\#|launch\\_day}")


def test_linkedin_video_in_parts_with_etags(social, stored):
    p = social("linkedin")
    p.configure(part_bytes=2048, video_polls=2)
    result, _ = p.run("A video", [clip(stored)])
    [post] = p.posts()
    assert post["content"]["media"]["id"].startswith("urn:li:video:")
    assert len(p.requests("upload")) > 1
    finalize = [r for r in p.requests("video") if r["args"].get("action") == "finalizeUpload"]
    assert len(finalize) == 1 and len(finalize[0]["json"]["finalizeUploadRequest"]
                                       ["uploadedPartIds"]) == len(p.requests("upload"))


def test_tiktok_video_in_chunks(social, stored):
    p = social("tiktok")
    p.configure(min_chunk=1024)
    result, _ = p.run("A TikTok", [clip(stored)], tweak=lambda pub: setattr(pub, "chunk_size", 1024))
    [post] = p.posts()
    assert post["kind"] == "video" and post["title"] == "A TikTok"
    ranges = [r["headers"]["content-range"] for r in p.requests("upload")]
    assert len(ranges) > 1 and ranges[0].startswith("bytes 0-1023/")
    assert result.live_url == f"https://www.tiktok.com/@{p.handle}/video/{post['id']}"
    assert p.requests("creator_info"), "creator_info is asked before posting"


def test_tiktok_photo_post(social, stored):
    p = social("tiktok")
    result, _ = p.run("Photos", photos(stored, 3, (1080, 1350)))
    [post] = p.posts()
    assert post["kind"] == "photo" and len(post["images"]) == 3
    assert all("v=tiktok" in url for url in post["images"])


def test_tiktok_private_post_has_no_public_link(social, stored):
    p = social("tiktok")
    result, _ = p.run("Just me", [clip(stored)], options={"privacy_level": "SELF_ONLY"})
    assert len(p.posts()) == 1
    assert result.live_url is None and "privately" in result.warnings[0]


def test_instagram_carousel_mixing_a_video_waits_for_every_child(social, stored):
    p = social("instagram")
    p.configure(video_polls=2)
    p.run("Mixed", [stored(jpeg(1080, 1080), "a.jpg"), clip(stored)])
    [post] = p.posts()
    containers = p.sandbox.state.bucket("instagram", "containers")
    kinds = sorted(containers[c]["media_type"] for c in post["children"])
    assert kinds == ["IMAGE", "VIDEO"]
    assert all(containers[c]["status"] == "FINISHED" for c in post["children"])
