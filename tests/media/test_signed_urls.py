"""Signed media links: they work until they expire, only for their workspace, untampered."""

import io
import time
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.media.conftest import jpeg


def uploaded(api, data):
    body = api.post("/media", data={"file": (io.BytesIO(data), "a.jpg")},
                    content_type="multipart/form-data").get_json()
    return body


def path_and_query(url):
    parts = urlsplit(url)
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}


def test_signed_link_serves_the_original(api, client, local_storage):
    data = jpeg(320, 240)
    body = uploaded(api, data)
    path, query = path_and_query(body["url"])
    answer = client.get(f"{path}?{urlencode(query)}")
    assert answer.status_code == 200 and answer.data == data
    assert answer.content_type == "image/jpeg"


def test_tampered_link_is_403(api, client, local_storage):
    path, query = path_and_query(uploaded(api, jpeg())["url"])
    for field, value in (("s", "0" * 64), ("e", str(int(time.time()) + 99999))):
        answer = client.get(f"{path}?{urlencode(dict(query, **{field: value}))}")
        assert answer.status_code == 403


def test_expired_link_is_403(api, client, app, local_storage):
    from app.media.signing import signed_url

    body = uploaded(api, jpeg())
    with app.test_request_context():
        old = signed_url(api.workspace_id, body["id"], ttl=60, now=time.time() - 3600)
    path, query = path_and_query(old)
    answer = client.get(f"{path}?{urlencode(query)}")
    assert answer.status_code == 403 and b"expired" in answer.data


def test_link_is_scoped_to_its_workspace(api, client, app, make_user, local_storage):
    from app.media.signing import signed_url

    body = uploaded(api, jpeg())
    other_ws = make_user().memberships[0].workspace_id
    with app.test_request_context():
        forged = signed_url(other_ws, body["id"])  # validly signed, but for another workspace
    path, query = path_and_query(forged)
    assert client.get(f"{path}?{urlencode(query)}").status_code == 404
    path, query = path_and_query(body["url"])
    query["w"] = str(other_ws)  # swapping the workspace breaks the signature
    assert client.get(f"{path}?{urlencode(query)}").status_code == 403
