"""The media flows' requests checked against the specs, the signed links URL-pulling platforms
receive, and the new fakes refusing what their platforms refuse."""

from __future__ import annotations

import pytest

from app.platforms.graph import VERSION as GRAPH
from app.platforms.linkedin.api import VERSION as LINKEDIN
from app.platforms.polling import instant
from app.platforms.registry import get_publisher
from tests.channels.jobs import client, make_job
from tests.media.conftest import jpeg, video
from tests.sandbox.specs import lexicon_errors, openapi_errors


def publish(p, text, media, options=None):
    job, _ = make_job(p.name, p.settings, p.credentials, text, handle=p.handle, media=media,
                      options=options)
    with client() as http:
        publisher = get_publisher(p.name, http)
        publisher.poller = instant()
        return publisher.publish(job)


def served(app_client, url: str):
    """What the OpenPost server hands a platform that fetches this signed link."""
    return app_client.get("/" + url.split("://", 1)[1].split("/", 1)[1])


def test_x_chunked_upload_follows_the_openapi_spec(platforms, stored):
    p = platforms("x")
    publish(p, "A video", [stored(video(seconds=1.0, fps=25), "v.mp4")])
    [init] = p.requests("initialize")
    assert openapi_errors("x-openapi.json", "/components/schemas/InitializeMediaUploadRequest",
                          init["json"]) == []
    for append in p.requests("append"):
        fields = {"segment_index": int(append["form"]["segment_index"]),
                  **{name: "binary" for name in append["files"]}}
        assert openapi_errors("x-openapi.json", "/components/schemas/AppendMediaUploadRequest",
                              fields) == []
    status = p.requests("status")[0]
    assert status["args"]["command"] == "STATUS" and status["args"]["media_id"]


def test_bluesky_video_record_follows_the_lexicons(platforms, stored):
    p = platforms("bluesky")
    publish(p, "A video", [stored(video(seconds=1.0, fps=25), "v.mp4", alt="Colours")])
    [create] = p.requests("create")
    record = create["json"]["record"]
    assert lexicon_errors("app.bsky.feed.post", record) == []
    assert lexicon_errors("app.bsky.embed.video", record["embed"]) == []
    assert record["embed"]["alt"] == "Colours"


def test_instagram_pulls_the_reel_rendition_from_its_signed_link(social, stored, client):
    p = social("instagram")
    publish(p, "A reel", [stored(video(seconds=3.0, fps=25, size=(160, 120)), "v.mp4")])
    url = p.requests("container")[0]["form"]["video_url"]
    answer = served(client, url)
    assert answer.status_code == 200 and answer.mimetype == "video/mp4"
    from app.media.sniff import probe

    assert probe(answer.data).video_codec == "h264", "the converted rendition, not the original"


def test_tiktok_pulls_jpeg_renditions_of_png_photos(social, stored, client):
    p = social("tiktok")
    publish(p, "Photos", [stored(jpeg(900, 1200, fmt="PNG"), f"{i}.png") for i in range(2)],
            options={"privacy_level": "SELF_ONLY"})
    [init] = p.requests("photo_init")
    for url in init["json"]["source_info"]["photo_images"]:
        answer = served(client, url)
        assert answer.status_code == 200 and answer.mimetype == "image/jpeg"
    forged = init["json"]["source_info"]["photo_images"][0].replace("v=tiktok", "v=instagram")
    assert served(client, forged).status_code == 403


def test_linkedin_fake_requires_the_version_headers(social):
    p = social("linkedin")
    answer = p.http.post(f"{p.sandbox.url}/linkedin/rest/posts", json={},
                         headers={"Authorization": f"Bearer {p.credentials['access_token']}"})
    assert answer.status_code == 400 and "LinkedIn-Version" in answer.json()["message"]


@pytest.mark.parametrize(("version", "day"), [
    ("202411", None),  # sunset on 17 Nov 2025
    (LINKEDIN, "2027-03-16"),  # the pinned version on its sunset day
    ("203001", None),  # not released yet
    ("202512", None),  # LinkedIn released no December 2025 version
])
def test_linkedin_fake_refuses_a_version_that_is_not_active(social, version, day):
    p = social("linkedin")
    if day:
        p.configure(today=day)
    answer = p.http.post(f"{p.sandbox.url}/linkedin/rest/posts", json={}, headers={
        "Authorization": f"Bearer {p.credentials['access_token']}",
        "LinkedIn-Version": version, "X-Restli-Protocol-Version": "2.0.0"})
    assert answer.status_code == 426
    assert answer.json() == {"status": 426, "code": "NONEXISTENT_VERSION",
                             "message": f"Requested version {version}01 is not active"}


@pytest.mark.parametrize(("asked", "day", "answered"), [
    (GRAPH, None, GRAPH),
    ("v21.0", "2027-01-20", "v21.0"),
    ("v21.0", "2027-01-21", "v22.0"),  # expired: the next oldest usable version answers
])
def test_graph_fake_answers_with_the_version_meta_would_use(social, asked, day, answered):
    p = social("facebook")
    if day:
        p.configure(today=day)
    answer = p.http.get(f"{p.sandbox.url}/facebook/{asked}/me/accounts",
                        params={"access_token": p.account["user_access_token"]})
    assert answer.status_code == 200 and answer.headers["facebook-api-version"] == answered


def test_fake_day_must_be_a_date(social):
    p = social("linkedin")
    answer = p.http.post(f"{p.sandbox.url}/_control/settings",
                         json={"platform": "linkedin", "today": "next tuesday"})
    assert answer.status_code == 400 and "YYYY-MM-DD" in answer.json()["error"]
    p.run("Still posting")
    assert len(p.posts()) == 1


def test_graph_fake_does_not_know_a_version_meta_never_released(social):
    p = social("instagram")
    answer = p.http.post(f"{p.sandbox.url}/instagram/v99.0/{p.settings['account_id']}/media",
                         data={"image_url": "https://example.com/a.jpg",
                               "access_token": p.credentials["access_token"]})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == 2500
    assert answer.json()["error"]["message"].startswith("Unknown path components: /")


def test_tiktok_fake_takes_chunks_only_in_order(social):
    p = social("tiktok")
    p.configure(min_chunk=10)
    auth = {"Authorization": f"Bearer {p.credentials['access_token']}"}
    init = p.http.post(f"{p.sandbox.url}/tiktok/v2/post/publish/video/init/", headers=auth, json={
        "post_info": {"privacy_level": "SELF_ONLY", "title": "t"},
        "source_info": {"source": "FILE_UPLOAD", "video_size": 40, "chunk_size": 20,
                        "total_chunk_count": 2}}).json()["data"]
    skipped = p.http.put(init["upload_url"], content=b"x" * 20,
                         headers={"Content-Range": "bytes 20-39/40"})
    assert skipped.status_code == 416
    first = p.http.put(init["upload_url"], content=b"x" * 20,
                       headers={"Content-Range": "bytes 0-19/40"})
    assert first.status_code == 206


@pytest.mark.parametrize("children", [1, 11])
def test_instagram_fake_refuses_carousels_outside_two_to_ten(social, children):
    p = social("instagram")
    token, uid = p.credentials["access_token"], p.settings["account_id"]
    ids = []
    for _ in range(children):
        made = p.http.post(f"{p.sandbox.url}/instagram/{GRAPH}/{uid}/media", data={
            "image_url": "https://example.com/a.jpg", "is_carousel_item": "true",
            "access_token": token}).json()
        p.http.get(f"{p.sandbox.url}/instagram/{GRAPH}/{made['id']}",
                   params={"access_token": token, "fields": "status_code"})
        ids.append(made["id"])
    refused = p.http.post(f"{p.sandbox.url}/instagram/{GRAPH}/{uid}/media", data={
        "media_type": "CAROUSEL", "children": ",".join(ids), "access_token": token})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == 100


def test_facebook_fake_attaches_only_unpublished_photos_of_the_page(social):
    p = social("facebook")
    token, page = p.credentials["access_token"], p.settings["page_id"]
    published = p.http.post(f"{p.sandbox.url}/facebook/{GRAPH}/{page}/photos", data={
        "url": "https://example.com/a.jpg", "access_token": token}).json()["id"]
    refused = p.http.post(f"{p.sandbox.url}/facebook/{GRAPH}/{page}/feed", data={
        "message": "m", "attached_media": f'[{{"media_fbid": "{published}"}}]',
        "access_token": token})
    assert refused.status_code == 400 and "not an unpublished photo" in \
        refused.json()["error"]["message"]


@pytest.fixture
def live_openpost(app, db, monkeypatch):
    """OpenPost itself served on a loopback port, so a fake platform can fetch signed links."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("OPENPOST_PUBLIC_URL", f"http://127.0.0.1:{server.server_port}")
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_instagram_downloads_the_reel_from_openpost(social, stored, live_openpost):
    p = social("instagram")
    p.configure(fetch_media=True)
    publish(p, "A fetched reel", [stored(video(seconds=3.0, fps=25, size=(160, 120)), "v.mp4")])
    [pulled] = p.sandbox.state.bucket("instagram", "pulled").values()
    assert pulled["content_type"] == "video/mp4" and pulled["bytes"] > 1000
    assert len(p.posts()) == 1


def test_unreachable_public_url_is_a_media_error_naming_the_fetch(social, stored, monkeypatch):
    from app.platforms.errors import MediaRejected

    monkeypatch.setenv("OPENPOST_PUBLIC_URL", "http://127.0.0.1:9")
    p = social("instagram")
    p.configure(fetch_media=True)
    with pytest.raises(MediaRejected) as caught:
        publish(p, "Nobody can fetch this", [stored(jpeg(1080, 1080))])
    assert "could not be fetched" in caught.value.message
    assert p.posts() == []


def test_tiktok_fake_limits_init_calls_to_six_a_minute(social):
    p = social("tiktok")
    auth = {"Authorization": f"Bearer {p.credentials['access_token']}"}
    body = {"post_info": {"privacy_level": "SELF_ONLY", "title": "t"},
            "source_info": {"source": "FILE_UPLOAD", "video_size": 40, "chunk_size": 40,
                            "total_chunk_count": 1}}
    codes = [p.http.post(f"{p.sandbox.url}/tiktok/v2/post/publish/video/init/", headers=auth,
                         json=body).status_code for _ in range(7)]
    assert codes == [200] * 6 + [429]


def test_linkedin_fake_posts_for_an_organization_only_with_its_role_and_scopes(social):
    member, admin = social("linkedin"), social("linkedin", organization=True)
    org = admin.settings["author_urn"]

    def call(method, path, p, **kw):
        return p.http.request(method, f"{p.sandbox.url}/linkedin/rest/{path}", headers={
            "Authorization": f"Bearer {p.credentials['access_token']}",
            "LinkedIn-Version": LINKEDIN, "X-Restli-Protocol-Version": "2.0.0"}, **kw)

    def post_as(p, author):
        return call("POST", "posts", p, json={
            "author": author, "commentary": "c", "visibility": "PUBLIC",
            "distribution": {"feedDistribution": "MAIN_FEED"}, "lifecycleState": "PUBLISHED"})

    acls = call("GET", "organizationAcls", admin, params={"q": "roleAssignee"}).json()
    assert [(a["organization"], a["role"], a["state"]) for a in acls["elements"]] == [
        (org, "ADMINISTRATOR", "APPROVED")]
    assert call("GET", "organizationAcls", member, params={"q": "roleAssignee"}).status_code \
        == 403, "reading roles needs r_organization_admin"
    assert post_as(member, org).status_code == 403, "no role on the organization"
    roles = member.sandbox.state.account("linkedin", member.settings["account_id"])["roles"]
    roles.append({"organization": org, "role": "ADMINISTRATOR", "state": "APPROVED"})
    assert post_as(member, org).status_code == 403, "the role without w_organization_social"
    assert post_as(admin, org).status_code == 201


def test_linkedin_fake_429_is_linkedins_and_names_no_reset(social):
    """LinkedIn's 429 says nothing of when to retry (its limits reset at midnight UTC,
    https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/rate-limits)."""
    p = social("linkedin")
    p.fault("post", "429")
    answer = p.http.post(f"{p.sandbox.url}/linkedin/rest/posts", json={}, headers={
        "Authorization": f"Bearer {p.credentials['access_token']}",
        "LinkedIn-Version": LINKEDIN, "X-Restli-Protocol-Version": "2.0.0"})
    assert answer.status_code == 429
    assert answer.json() == {"status": 429, "serviceErrorCode": 101, "message":
                             "Resource level throttle limit for calls to this resource is reached."}
    assert not {h.lower() for h in answer.headers} & {"retry-after", "x-ratelimit-reset",
                                                      "ratelimit-reset"}


def test_x_gif_upload_follows_the_openapi_spec(platforms, stored):
    from tests.channels.social.test_x_gif import animated_gif

    p = platforms("x")
    publish(p, "A GIF", [stored(animated_gif(), "a.gif")])
    [init] = p.requests("initialize")
    assert openapi_errors("x-openapi.json", "/components/schemas/InitializeMediaUploadRequest",
                          init["json"]) == []
    assert init["json"]["media_category"] == "tweet_gif"
    [finalize] = p.requests("finalize")
    assert finalize["json"] is None and not finalize["form"], "finalize takes no body"


def test_x_fake_refuses_fields_the_v2_upload_does_not_take(platforms):
    """InitializeMediaUploadRequest and AppendMediaUploadRequest allow no other properties:
    the v1.1 `command` field is refused."""
    p = platforms("x")
    auth, base = {"Authorization": f"Bearer {p.token}"}, f"{p.sandbox.url}/x/2/media/upload"
    fields = {"media_type": "image/gif", "total_bytes": 3, "media_category": "tweet_gif"}
    assert p.http.post(f"{base}/initialize", headers=auth,
                       json={"command": "INIT", **fields}).status_code == 400
    media_id = p.http.post(f"{base}/initialize", headers=auth, json=fields).json()["data"]["id"]
    refused = p.http.post(f"{base}/{media_id}/append", headers=auth,
                          files={"media": ("c", b"GIF", "application/octet-stream")},
                          data={"segment_index": "0", "command": "APPEND"})
    assert refused.status_code == 400
    taken = p.http.post(f"{base}/{media_id}/append", headers=auth,
                        files={"media": ("c", b"GIF", "application/octet-stream")},
                        data={"segment_index": "0"})
    assert taken.status_code == 200
