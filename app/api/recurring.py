"""/api/v1/recurring-rules, a channel's posting slots and queue, and "Add to queue"."""

from __future__ import annotations

import uuid

from flask import g, jsonify

from app import db
from app.api import blueprint, parse
from app.api.schemas import QueueOrder, RuleCreate, RuleUpdate, SlotCreate
from app.errors import ValidationFailed
from app.posts import reads
from app.posts.serialize import post_json
from app.posts.service import db_now
from app.recurring import reads as rule_reads
from app.recurring import rules, slots
from app.timeutil import iso


def _rule(rule):
    return rule_reads.rule_json(rule, db_now(db.session))


def _parts(parts):
    return None if parts is None else [p.model_dump(mode="json") for p in parts]


@blueprint.get("/recurring-rules")
def list_rules():
    return jsonify({"data": [_rule(r) for r in rules.list_rules(db.session, g.workspace_id)]})


@blueprint.post("/recurring-rules")
def create_rule():
    body = parse(RuleCreate)
    rule = rules.create_rule(
        db.session, g.workspace_id, g.actor, channel_ids=body.channel_ids,
        rule=body.rule.fields(), name=body.name, text=body.text, parts=_parts(body.parts),
        media_ids=body.media_ids, options=body.options, overrides=body.overrides,
        timezone=body.timezone, starts_at=body.starts_at, ends_at=body.ends_at,
        count=body.count)
    return jsonify(_rule(rule)), 201


@blueprint.get("/recurring-rules/<uuid:rule_id>")
def get_rule(rule_id: uuid.UUID):
    return jsonify(_rule(rules.get_rule(db.session, g.workspace_id, rule_id)))


@blueprint.patch("/recurring-rules/<uuid:rule_id>")
def update_rule(rule_id: uuid.UUID):
    body = parse(RuleUpdate)
    changes = {}
    for name in body.model_fields_set:
        value = getattr(body, name)
        if value is None and name not in ("ends_at", "count", "text", "parts"):
            raise ValidationFailed(f"{name} cannot be null", field=name)
        changes[name] = (body.rule.fields() if name == "rule" else
                         _parts(value) if name == "parts" else value)
    if not changes:
        raise ValidationFailed("nothing to change", field=None)
    return jsonify(_rule(rules.update_rule(db.session, g.workspace_id, rule_id, g.actor,
                                           **changes)))


@blueprint.delete("/recurring-rules/<uuid:rule_id>")
def delete_rule(rule_id: uuid.UUID):
    rules.delete_rule(db.session, g.workspace_id, rule_id, g.actor)
    return "", 204


@blueprint.post("/recurring-rules/<uuid:rule_id>/pause")
def pause_rule(rule_id: uuid.UUID):
    return jsonify(_rule(rules.pause_rule(db.session, g.workspace_id, rule_id, g.actor)))


@blueprint.post("/recurring-rules/<uuid:rule_id>/resume")
def resume_rule(rule_id: uuid.UUID):
    return jsonify(_rule(rules.resume_rule(db.session, g.workspace_id, rule_id, g.actor)))


@blueprint.get("/recurring-rules/<uuid:rule_id>/occurrences")
def rule_occurrences(rule_id: uuid.UUID):
    rule = rules.get_rule(db.session, g.workspace_id, rule_id)
    return jsonify({"data": [{**o, "occurs_at": iso(o["occurs_at"])} for o in
                             rule_reads.occurrences(db.session, rule, db_now(db.session))]})


@blueprint.get("/channels/<uuid:channel_id>/slots")
def list_slots(channel_id: uuid.UUID):
    return jsonify({"data": [slots.slot_json(s) for s in
                             slots.list_slots(db.session, g.workspace_id, channel_id)]})


@blueprint.post("/channels/<uuid:channel_id>/slots")
def add_slots(channel_id: uuid.UUID):
    body = parse(SlotCreate)
    made = slots.add_slots(db.session, g.workspace_id, g.actor, channel_id,
                           list(body.weekdays), body.time)
    return jsonify({"data": [slots.slot_json(s) for s in made]}), 201


@blueprint.delete("/channels/<uuid:channel_id>/slots/<uuid:slot_id>")
def delete_slot(channel_id: uuid.UUID, slot_id: uuid.UUID):
    slots.delete_slot(db.session, g.workspace_id, g.actor, channel_id, slot_id)
    return "", 204


def _queue(channel_id):
    queued = slots.queue(db.session, g.workspace_id, channel_id)
    events = reads.post_events(db.session, [p.id for p in queued])
    has_slots = slots.list_slots(db.session, g.workspace_id, channel_id)
    free = slots.next_free(db.session, g.workspace_id, channel_id) if has_slots else None
    return jsonify({"data": [post_json(p, events[p.id]) for p in queued],
                    "next_free_slot": iso(free)})


@blueprint.get("/channels/<uuid:channel_id>/queue")
def channel_queue(channel_id: uuid.UUID):
    return _queue(channel_id)


@blueprint.post("/channels/<uuid:channel_id>/queue/reorder")
def reorder_queue(channel_id: uuid.UUID):
    body = parse(QueueOrder)
    slots.reorder(db.session, g.workspace_id, g.actor, channel_id, body.post_ids)
    return _queue(channel_id)


@blueprint.post("/posts/<uuid:post_id>/queue")
def add_to_queue(post_id: uuid.UUID):
    post = slots.add_to_queue(db.session, g.workspace_id, g.actor, post_id)
    return jsonify(post_json(post, reads.post_events(db.session, [post.id])[post.id]))
