"""The OpenAPI document is generated from the live models, and the API survives fuzzing by it."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from app.api import schemas
from app.api.openapi import document


def test_document_is_public_and_built_from_the_request_models(client):
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    doc = answer.get_json()
    assert doc["openapi"].startswith("3.1")
    post_body = doc["paths"]["/posts"]["post"]["requestBody"]["content"]["application/json"]
    name = post_body["schema"]["$ref"].rsplit("/", 1)[1]
    generated = doc["components"]["schemas"][name]
    assert set(generated["properties"]) == set(schemas.PostCreate.model_fields)
    assert generated["additionalProperties"] is False
    hook = doc["components"]["schemas"]["WebhookCreate"]["properties"]["events"]
    assert "channel.disconnected" in str(hook)
    assert doc == document()
    for path in ("/webhooks", "/webhooks/{id}", "/webhooks/{id}/deliveries", "/audit-log",
                 "/notifications", "/channels", "/posts/{id}/cancel"):
        assert path in doc["paths"], path


def test_every_api_route_is_documented(app):
    import re

    documented = {(path, method.upper()) for path, ops in document()["paths"].items()
                  for method in ops}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint == "api.openapi":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "{id}" if m.group(1).endswith("_id") and
                      m.group(1) not in ("delivery_id", "slot_id") else "{" + m.group(1) + "}",
                      rule.rule.removeprefix("/api/v1"))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, f"{method} {path} is not in openapi.json"


@pytest.fixture
def auth_headers(workspace, make_api_key, make_channel):
    make_channel(workspace[0])
    return make_api_key(workspace[0])


# The same document the app serves (test_document_is_public... checks they agree).
schema = schemathesis.openapi.from_dict(document())


@schema.parametrize()
@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_no_server_errors_and_answers_match_the_document(case, app, auth_headers):
    response = case.call(app=app, headers=auth_headers)
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])


def test_real_answers_match_the_documented_shapes(api, db, make_channel):
    from app.api import responses
    from app.notifications import service as notifications
    from app.webhooks import delivery

    channel = make_channel(api.workspace_id)
    responses.Channel.model_validate(api.get(f"/channels/{channel.id}").get_json())
    responses.ChannelList.model_validate(api.get("/channels").get_json())
    post = api.post("/posts", json={"channel_id": str(channel.id), "parts": [{"text": "a"}],
                                    "schedule_at": "2099-01-01T10:00:00+00:00"}).get_json()
    responses.Post.model_validate(post)
    responses.PostList.model_validate(api.get("/posts").get_json())
    hook = api.post("/webhooks", json={"url": "https://93.184.216.34/"}).get_json()
    responses.WebhookCreated.model_validate(hook)
    responses.WebhookList.model_validate(api.get("/webhooks").get_json())
    api.post(f"/posts/{post['id']}/cancel")
    delivery.fan_out(db)
    responses.DeliveryList.model_validate(
        api.get(f"/webhooks/{hook['id']}/deliveries").get_json())
    responses.AuditList.model_validate(api.get("/audit-log").get_json())
    notifications.notify(db, api.workspace_id, "post_failed", "t", post_id=post["id"])
    db.commit()
    listed = api.get("/notifications").get_json()
    responses.NotificationList.model_validate(listed)
    assert listed["data"] and api.get("/audit-log").get_json()["data"]
    responses.PostOptions.model_validate(api.get(f"/channels/{channel.id}/post-options").get_json())


def test_media_answers_match_the_documented_shapes(api, local_storage):
    import io

    from app.api import responses
    from tests.media.conftest import jpeg

    made = api.post("/media", data={"file": (io.BytesIO(jpeg()), "a.jpg")},
                    content_type="multipart/form-data")
    assert made.status_code == 201
    responses.Media.model_validate(made.get_json())
    responses.MediaList.model_validate(api.get("/media").get_json())
    described = api.patch(f"/media/{made.get_json()['id']}", json={"alt_text": "a field"})
    responses.Media.model_validate(described.get_json())
    assert described.get_json()["alt_text"] == "a field"
