"""/api/v1/posts: create, list, read, edit, delete, and the lifecycle actions."""

from __future__ import annotations

import uuid

from flask import g, jsonify, request

from app import db, fastjson
from app.api import blueprint, idempotency, paging, parse
from app.api.schemas import PostCreate, PostUpdate, ScheduleBody
from app.errors import ValidationFailed
from app.posts import reads, service
from app.posts.lifecycle import PostState
from app.posts.serialize import EVENT_COLUMNS, SUMMARY_COLUMNS, keep_datetime, post_json
from app.timeutil import parse_schedule


def _one(post):
    """The post, with its version as the ETag (an If-Match on PATCH refuses a stale edit)."""
    answer = jsonify(post_json(post, reads.post_events(db.session, [post.id])[post.id]))
    answer.headers["ETag"] = f'"{post.version}"'
    return answer


def _if_match() -> int | None:
    value = request.headers.get("If-Match", "").strip().removeprefix("W/").strip('"')
    if not value:
        return None
    if not value.isdigit():
        raise ValidationFailed("If-Match must be the ETag a read of this post gave",
                               field="If-Match")
    return int(value)


def _parts(parts):
    return None if parts is None else [p.model_dump(mode="json") for p in parts]


@blueprint.post("/posts")
def create_post():
    """Create a post; with an Idempotency-Key header, a retried request creates nothing new."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        body, status = _create_post(db.session)
        return jsonify(body), status
    body, status, headers = idempotency.once(g.workspace_id, key, _create_post)
    return jsonify(body), status, headers


def _create_post(sess):
    body = parse(PostCreate)
    post = service.create_post(
        sess, g.workspace_id, g.actor, channel_id=body.channel_id, text=body.text,
        parts=_parts(body.parts), media_ids=body.media_ids, schedule_at=body.schedule_at,
        timezone=body.timezone, options=body.options, group_id=body.group_id)
    return post_json(post, reads.post_events(sess, [post.id])[post.id]), 201


def _query_time(name: str):
    value = request.args.get(name)
    return parse_schedule(value, "UTC", field=name) if value else None


@blueprint.get("/posts")
def list_posts():
    state = request.args.get("state")
    if state and state not in {s.value for s in PostState}:
        raise ValidationFailed(f"state must be one of {', '.join(s.value for s in PostState)}",
                               field="state")
    try:
        channel_id = uuid.UUID(request.args["channel_id"]) if "channel_id" in request.args \
            else None
    except ValueError as exc:
        raise ValidationFailed("channel_id must be a UUID", field="channel_id") from exc
    size = paging.limit()
    posts = reads.list_posts(db.session, g.workspace_id, state=state, channel_id=channel_id,
                               start=_query_time("from"), end=_query_time("to"),
                               after=paging.decode(), limit=size, columns=SUMMARY_COLUMNS)
    events = reads.post_events(db.session, [p.id for p in posts], columns=EVENT_COLUMNS)
    return fastjson.response_with_times(paging.page(
        posts, size, lambda p: post_json(p, events[p.id], stamp=keep_datetime)))


@blueprint.get("/posts/<uuid:post_id>")
def get_post(post_id: uuid.UUID):
    return _one(service.get_post(db.session, g.workspace_id, post_id))


@blueprint.patch("/posts/<uuid:post_id>")
def update_post(post_id: uuid.UUID):
    body = parse(PostUpdate)
    given = body.model_fields_set
    changes = {name: getattr(body, name) for name in
               ("channel_id", "text", "media_ids", "schedule_at", "timezone", "options")
               if name in given}
    if "parts" in given:
        changes["parts"] = _parts(body.parts)
    post = service.update_post(db.session, g.workspace_id, post_id, g.actor,
                               expect_version=_if_match(), **changes)
    return _one(post)


@blueprint.delete("/posts/<uuid:post_id>")
def delete_post(post_id: uuid.UUID):
    service.delete_post(db.session, g.workspace_id, post_id, g.actor)
    return "", 204


def _with_timezone(body: ScheduleBody):
    if body.schedule_at and body.timezone:
        return parse_schedule(body.schedule_at, body.timezone)
    return body.schedule_at


@blueprint.post("/posts/<uuid:post_id>/schedule")
def schedule_post(post_id: uuid.UUID):
    body = parse(ScheduleBody, optional=True)
    return _one(service.schedule(db.session, g.workspace_id, post_id, g.actor,
                                 _with_timezone(body)))


@blueprint.post("/posts/<uuid:post_id>/unschedule")
def unschedule_post(post_id: uuid.UUID):
    return _one(service.unschedule(db.session, g.workspace_id, post_id, g.actor))


@blueprint.post("/posts/<uuid:post_id>/cancel")
def cancel_post(post_id: uuid.UUID):
    return _one(service.cancel(db.session, g.workspace_id, post_id, g.actor))


@blueprint.post("/posts/<uuid:post_id>/retry")
def retry_post(post_id: uuid.UUID):
    body = parse(ScheduleBody, optional=True)
    return _one(service.retry(db.session, g.workspace_id, post_id, g.actor,
                              _with_timezone(body)))
