"""The OpenAPI 3.1 document at /api/v1/openapi.json, built from the pydantic models in use.

Request bodies come from app/api/schemas.py (the models `parse` validates with) and response
bodies from app/api/responses.py; this module only adds the route table that ties them to
paths, methods and query parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import jsonify
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from app import __version__
from app.api import blueprint
from app.api import responses as out
from app.api import schemas as inp
from app.config import PLATFORMS


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    summary: str
    response: type[BaseModel] | None
    status: int = 200
    body: type[BaseModel] | None = None
    query: tuple[tuple[str, dict, str], ...] = ()
    errors: tuple[int, ...] = field(default=(401, 404, 422))
    headers: tuple[tuple[str, dict, str], ...] = ()
    also_ok: tuple[int, ...] = ()       # other success statuses with the same body


STRING, UUID = {"type": "string"}, {"type": "string", "format": "uuid"}
LIMIT = ("limit", {"type": "integer", "minimum": 1, "maximum": 200}, "page size")
CURSOR = ("cursor", STRING, "next_cursor of the previous page")
TIME = {"type": "string", "format": "date-time"}
STATES = {"type": "string", "enum": ["draft", "scheduled", "publishing", "published", "failed",
                                     "canceled"]}
IDEMPOTENCY = (("Idempotency-Key", {"type": "string", "minLength": 1, "maxLength": 255},
                "a retry with the same key and body returns the first answer"),)
AUDIT_QUERY = (("action", STRING, "exact action, or a prefix ending in a dot"),
               ("actor", STRING, "e.g. user:<id>, api_key:<prefix>, system"),
               ("from", TIME, "entries at or after"), ("to", TIME, "entries before"),
               LIMIT, ("cursor", STRING, "next_cursor of the previous page"))

RULE_ERRORS = (401, 404, 409, 422)
RECURRING = (
    Route("get", "/recurring-rules", "List recurring rules", out.RuleList),
    Route("post", "/recurring-rules", "Create a recurring rule; its posts of the coming horizon "
          "are made at once", out.Rule, 201, inp.RuleCreate, errors=(401, 422)),
    Route("get", "/recurring-rules/{id}", "Read a recurring rule", out.Rule),
    Route("patch", "/recurring-rules/{id}", "Edit a rule; its scheduled posts follow",
          out.Rule, body=inp.RuleUpdate, errors=RULE_ERRORS),
    Route("delete", "/recurring-rules/{id}", "Delete a rule; its scheduled posts are canceled",
          None, 204),
    Route("post", "/recurring-rules/{id}/pause", "Pause a rule; its scheduled posts are "
          "canceled", out.Rule, errors=RULE_ERRORS),
    Route("post", "/recurring-rules/{id}/resume", "Resume a rule from now on", out.Rule,
          errors=RULE_ERRORS),
    Route("get", "/recurring-rules/{id}/occurrences", "The rule's next occurrences: its posts, "
          "then times beyond the horizon", out.OccurrenceList),
    Route("get", "/channels/{id}/slots", "The channel's weekly posting slots", out.SlotList),
    Route("post", "/channels/{id}/slots", "Add weekly posting slots", out.SlotList, 201,
          inp.SlotCreate, errors=RULE_ERRORS),
    Route("delete", "/channels/{id}/slots/{slot_id}", "Delete a posting slot", None, 204),
    Route("get", "/channels/{id}/queue", "The channel's scheduled posts and its next free slot",
          out.Queue, errors=(401, 404, 422)),
    Route("post", "/channels/{id}/queue/reorder", "Give the queued posts' times out again in "
          "this order", out.Queue, body=inp.QueueOrder, errors=RULE_ERRORS),
    Route("post", "/posts/{id}/queue", "Schedule a draft or failed post at its channel's next "
          "free slot", out.Post, errors=RULE_ERRORS),
)

ROUTES = (
    Route("get", "/channels", "List channels", out.ChannelList,
          query=(("platform", {"type": "string", "enum": list(PLATFORMS)}, "only this platform"),
                 ("status", {"type": "string", "enum": ["connected", "disconnected"]},
                  "only channels in this status"))),
    Route("post", "/channels", "Connect a channel with direct credentials (200: an account the "
          "workspace already has, repaired in place)", out.Channel, 201, inp.ChannelCreate,
          also_ok=(200,)),
    Route("get", "/channels/{id}", "Read a channel", out.Channel),
    Route("patch", "/channels/{id}", "Edit a channel", out.Channel, body=inp.ChannelUpdate),
    Route("delete", "/channels/{id}", "Delete a channel", None, 204, errors=(401, 404, 409)),
    Route("get", "/posts", "List posts, newest first", out.PostList,
          query=(("state", STATES, "only posts in this state"),
                 ("channel_id", UUID, "only this channel's posts"),
                 ("from", TIME, "scheduled at or after"), ("to", TIME, "scheduled before"),
                 LIMIT, CURSOR)),
    Route("post", "/posts", "Create a post (draft, or scheduled with schedule_at)", out.Post,
          201, inp.PostCreate, headers=IDEMPOTENCY),
    Route("get", "/posts/{id}", "Read a post with its events", out.Post),
    Route("patch", "/posts/{id}", "Edit a draft, scheduled or failed post", out.Post,
          body=inp.PostUpdate, errors=(401, 404, 409, 422)),
    Route("delete", "/posts/{id}", "Delete a draft, canceled or failed post", None, 204,
          errors=(401, 404, 409)),
    *(Route("post", f"/posts/{{id}}/{action}", f"{action.capitalize()} a post", out.Post,
            body=body, errors=(401, 404, 409, 422))
      for action, body in (("schedule", inp.ScheduleBody), ("unschedule", None),
                           ("cancel", None), ("retry", inp.ScheduleBody))),
    Route("get", "/webhooks", "List webhook endpoints", out.WebhookList,
          query=(LIMIT, CURSOR)),
    Route("post", "/webhooks", "Add a webhook endpoint; its secret is shown once",
          out.WebhookCreated, 201, inp.WebhookCreate),
    Route("get", "/webhooks/{id}", "Read a webhook endpoint", out.Webhook),
    Route("delete", "/webhooks/{id}", "Delete a webhook endpoint", None, 204),
    Route("post", "/webhooks/{id}/enable", "Enable a disabled endpoint again", out.Webhook),
    Route("post", "/webhooks/{id}/rotate-secret",
          "New signing secret; the old one signs beside it for 24 hours", out.WebhookCreated),
    Route("get", "/webhooks/{id}/deliveries", "The endpoint's deliveries, newest first",
          out.DeliveryList,
          query=(("status", {"type": "string", "enum": ["pending", "succeeded", "failed"]},
                  "only deliveries in this status"), LIMIT, CURSOR)),
    Route("post", "/webhooks/{id}/deliveries/{delivery_id}/resend",
          "Send the same event (same webhook-id) again", out.Delivery, 202,
          errors=(401, 404, 409)),
    Route("get", "/audit-log", "The workspace's audit log, newest first", out.AuditList,
          query=AUDIT_QUERY),
    Route("get", "/notifications", "Notifications, newest first", out.NotificationList,
          query=(("unread", {"type": "boolean"}, "only unread ones"), LIMIT, CURSOR)),
    Route("post", "/notifications/{id}/read", "Mark one notification read", out.Marked),
    Route("post", "/notifications/read", "Mark every notification read", out.Marked),
    Route("get", "/channels/{id}/post-options", "What a post on this channel may set in options",
          out.PostOptions),
    Route("post", "/media", "Upload a file (multipart/form-data); its type is read from the bytes",
          out.Media, 201, inp.MediaUpload, errors=(401, 413, 422)),
    Route("get", "/media", "List media, newest first", out.MediaList),
    Route("get", "/posts/{id}/metrics", "A published post's latest figures and every "
          "measurement (a figure the platform does not give is null)", out.PostMetrics),
    Route("get", "/analytics", "Figures per channel and local day of publication",
          out.Analytics, errors=(401, 404, 422),
          query=(("channel_id", UUID, "only this channel"),
                 ("from", {"type": "string", "format": "date"}, "first day (default: 30 days "
                  "before to)"),
                 ("to", {"type": "string", "format": "date"}, "last day (default: today)"),
                 ("days", {"type": "integer", "enum": [7, 30, 90]}, "the last 7, 30 or 90 days"))),
    Route("get", "/media/{id}", "Read a media file's description and a signed link", out.Media),
    Route("patch", "/media/{id}", "Set a media file's alt text", out.Media, body=inp.MediaUpdate),
    Route("delete", "/media/{id}", "Delete a media file no scheduled post uses", None, 204,
          errors=(401, 404, 409)),
    *RECURRING,
)
MULTIPART = {inp.MediaUpload}


def _operation(route: Route, refs: dict) -> dict:
    params = [{"name": name, "in": "path", "required": True, "schema": UUID}
              for name in ("id", "delivery_id", "slot_id") if f"{{{name}}}" in route.path]
    params += [{"name": n, "in": "query", "required": False, "schema": s, "description": d}
               for n, s, d in route.query]
    params += [{"name": n, "in": "header", "required": False, "schema": s, "description": d}
               for n, s, d in route.headers]
    ok = {"description": "success"}
    if route.response is not None:
        ok["content"] = {"application/json": {"schema": refs[(route.response, "serialization")]}}
    error = {"application/json": {"schema": refs[(out.Error, "serialization")]}}
    operation = {"summary": route.summary, "parameters": params,
                 "responses": {str(route.status): ok, **{str(code): ok for code in route.also_ok},
                               **{str(code): {"description": "error", "content": error}
                                  for code in sorted({400, *route.errors})}}}
    if route.body is not None:
        kind = "multipart/form-data" if route.body in MULTIPART else "application/json"
        operation["requestBody"] = {"required": route.path not in (
            "/posts/{id}/schedule", "/posts/{id}/retry"),
            "content": {kind: {"schema": refs[(route.body, "validation")]}}}
    return operation


def document() -> dict:
    models = {(r.body, "validation") for r in ROUTES if r.body}
    models |= {(r.response, "serialization") for r in ROUTES if r.response}
    models.add((out.Error, "serialization"))
    refs, defs = models_json_schema(sorted(models, key=lambda m: m[0].__name__),
                                    ref_template="#/components/schemas/{model}")
    paths: dict[str, dict] = {}
    for route in ROUTES:
        paths.setdefault(route.path, {})[route.method] = _operation(route, refs)
    return {"openapi": "3.1.0",
            "info": {"title": "OpenPost API", "version": __version__},
            "servers": [{"url": "/api/v1"}],
            "security": [{"bearer": []}],
            "paths": paths,
            "components": {"schemas": defs.get("$defs", {}),
                           "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}}}


@blueprint.get("/openapi.json")
def openapi():
    return jsonify(document())
