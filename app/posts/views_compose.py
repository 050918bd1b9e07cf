"""The composer: one text (or thread) for several channels, live previews counted on the server."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING

from flask import Blueprint, Response, flash, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from app import db
from app.auth.web_auth import actor, current_membership, current_workspace_id, require_setup_done
from app.channels.pages import sandbox_link, timezone_names
from app.channels.service import list_channels
from app.errors import DomainError
from app.media import conversions
from app.platforms.registry import display_name
from app.posts import compose, edit, service
from app.posts.models import Post
from app.timeutil import parse_schedule, zone
from app.web import render

if TYPE_CHECKING:
    from app.media.models import Media

bp = Blueprint("compose", __name__, url_prefix="/compose")
MEDIA_SHOWN = 24  # the newest files the picker offers
STATUS_LABELS = {"queued": "queued for conversion", "processing": "converting",
                 "stalled": "converting (interrupted: starting again)", "ready": "ready",
                 "failed": "refused", "as_is": "ready as it is",
                 "not_started": "converted once the post is saved"}


@bp.app_template_filter("platform_name")
def platform_name(platform: str) -> str:
    return display_name(platform)


def _options_from_form(form: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """`opt-<channel id>-<name>` fields, grouped by channel (a channel id has 36 characters)."""
    grouped: dict[str, dict[str, str]] = {}
    for key, value in form.items():
        if key.startswith("opt-") and key[40:41] == "-":
            grouped.setdefault(key[4:40], {})[key[41:]] = value
    return grouped


def _draft_from_form() -> compose.Draft:
    form = request.form
    return compose.Draft(
        channel_ids=form.getlist("channel_id"),
        parts=form.getlist("part") or [""],
        overrides={k.removeprefix("override-"): v for k, v in form.lists()
                   if k.startswith("override-")},
        schedule_at=form.get("schedule_at", ""),
        timezone=form.get("timezone", "").strip() or current_membership().workspace.timezone,
        media_ids=form.getlist("media_id"),
        alt_texts={k.removeprefix("alt-"): v for k, v in form.items() if k.startswith("alt-")},
        options=_options_from_form(form))


def _editing() -> Post | None:
    """The saved post the submitted composer edits (its hidden post_id), if any."""
    raw = request.form.get("post_id", "") if request.method == "POST" else ""
    try:
        return service.get_post(db.session(), current_workspace_id(), uuid.UUID(raw)) if raw \
            else None
    except ValueError:
        return None


def _page(draft: compose.Draft, errors: dict[str, str] | None = None, status: int = 200,
          fragment: str = "compose/_composer.html", fresh: bool = False,
          post: Post | None = None) -> Response:
    """The composer (or one of its fragments), new or editing `post` (by default the post the
    form names); `fresh` asks TikTok for creator_info now."""
    from app.media.service import list_media
    from app.media.signing import signed_path

    workspace_id = current_workspace_id()
    post = post or _editing()
    channels = list_channels(db.session(), workspace_id)
    chosen = [c for c in channels if str(c.id) in draft.channel_ids]
    library = [(m, signed_path(m.workspace_id, m.id)) for m in
               list_media(db.session(), workspace_id, limit=MEDIA_SHOWN)]
    thumbs = _thumbs(workspace_id, draft, dict((str(m.id), (m, u)) for m, u in library))
    version = request.form.get("version", type=int) or (post.version if post else None)
    return render("compose/index.html", fragment, status=status, draft=draft,
                  channels=channels, previews=compose.previews(chosen, draft), library=library,
                  panels=compose.panels(db.session(), workspace_id, draft, chosen, fresh),
                  board=conversions.board(db.session(), workspace_id, draft.media_ids, chosen),
                  errors=errors or {}, zones=timezone_names(), sandbox_url=sandbox_link(),
                  labels=STATUS_LABELS, post=post, version=version, thumbs=thumbs,
                  autosave_key=url_for("compose.edit_post", post_id=post.id) if post
                  else url_for("compose.new"))


def _thumbs(workspace_id: uuid.UUID, draft: compose.Draft, shown: dict[str, tuple[Media, str]]
            ) -> list[tuple[Media, str]]:
    """The chosen files with their addresses, in the order chosen (for the previews)."""
    from app.media.conversions import chosen_media
    from app.media.signing import signed_path

    missing = [m for m in draft.media_ids if m not in shown]
    for m in chosen_media(db.session(), workspace_id, missing) if missing else []:
        shown[str(m.id)] = (m, signed_path(m.workspace_id, m.id))
    return [shown[m] for m in draft.media_ids if m in shown]


def _slot(field: str | None, draft: compose.Draft) -> str:
    """The field an error shows beside; one the form has no place for goes on top."""
    known = {"channel_id", "schedule_at", "timezone", "action", "op", "file", "media_id"}
    known |= {f"parts[{i}].text" for i in range(len(draft.parts))}
    known |= {f"override-{c}" for c in draft.channel_ids}
    if field and field.startswith("opt-") and field[4:40] in draft.channel_ids:
        return field
    return field if field in known else "form"


@bp.get("")
@require_setup_done
@login_required
def new() -> Response:
    """A blank composer, or one set to the time (and channel) of a calendar slot clicked."""
    tz_name = request.args.get("timezone", "").strip() or current_membership().workspace.timezone
    zone(tz_name)
    at = request.args.get("schedule_at", "").strip()
    if at:
        parse_schedule(at, tz_name)  # a malformed time is refused here, not carried on
    draft = compose.Draft(timezone=tz_name, channel_ids=request.args.getlist("channel_id"),
                          schedule_at=at)
    return _page(draft, fresh=True)


@bp.post("/preview")
@login_required
def preview() -> ResponseReturnValue:
    """Counters for each chosen channel; the browser never counts."""
    return _page(_draft_from_form(), fragment="compose/_previews.html")


@bp.post("/editor")
@login_required
def editor() -> ResponseReturnValue:
    """Add, remove or reorder a thread's parts; answers the whole composer."""
    draft = _draft_from_form()
    try:
        draft.parts = compose.edit_parts(draft.parts, request.form.get("op", ""))
    except DomainError as exc:
        return _page(draft, {exc.field or "form": exc.message}, exc.status)
    return _page(draft)


@bp.post("")
@login_required
def create() -> ResponseReturnValue:
    draft = _draft_from_form()
    action = request.form.get("action", "")
    try:
        posts = compose.create_group(db.session(), current_workspace_id(), actor(), draft, action)
    except DomainError as exc:
        if exc.status == 404:
            raise
        db.session.rollback()
        return _page(draft, {_slot(exc.field, draft): exc.message}, exc.status,
                     fragment="compose/_composer.html")
    verb = {"draft": "Saved as draft", "schedule": "Scheduled", "now": "Publishing now"}[action]
    flash(f"{verb}: {len(posts)} post{'s' if len(posts) != 1 else ''}.")
    return redirect(url_for("posts.index"))


@bp.post("/split")
@login_required
def split() -> Response:
    """The user asked for a thread: the text one channel gets, split by its platform's rules."""
    draft = _draft_from_form()
    try:
        compose.split_thread(db.session(), current_workspace_id(), draft,
                             request.form.get("split", ""))
    except DomainError as exc:
        return _page(draft, {"form": exc.message}, exc.status)
    return _page(draft)


@bp.post("/form")
@login_required
def restore() -> Response:
    """The composer rebuilt from fields the browser kept (its autosave, after a reload)."""
    return _page(_draft_from_form())


@bp.get("/<uuid:post_id>")
@require_setup_done
@login_required
def edit_post(post_id: uuid.UUID) -> Response:
    """A saved post in the composer: every field, its channels and time can change."""
    post = service.get_post(db.session(), current_workspace_id(), post_id)
    return _page(edit.draft_of(post), fresh=True, post=post)


@bp.post("/<uuid:post_id>")
@login_required
def save_edit(post_id: uuid.UUID) -> ResponseReturnValue:
    draft = _draft_from_form()
    # A new composer's draft that autosave made keeps its Save as draft button: it saves.
    action = {"draft": "save"}.get(request.form.get("action", ""), request.form.get("action", ""))
    workspace_id = current_workspace_id()
    try:
        _drop_unticked(post_id, draft)
        posts = edit.save_group(db.session(), workspace_id, actor(), post_id,
                                request.form.get("version", type=int), draft, action,
                                request.form.getlist("autosaved_channel"))
    except DomainError as exc:
        if exc.status == 404:
            raise
        db.session.rollback()
        return _page(draft, {_slot(exc.field, draft): exc.message}, exc.status,
                     post=service.get_post(db.session(), workspace_id, post_id))
    verb = {"save": "Saved", "schedule": "Scheduled", "now": "Publishing now"}[action]
    added = f" (and {len(posts) - 1} new post{'s' if len(posts) > 2 else ''} for the added " \
            "channels)" if len(posts) > 1 else ""
    if request.form.get("action") == "draft" or request.form.getlist("autosaved_channel"):
        # A new composer whose draft autosave made ends as a new composer does, whatever the
        # button: back on the Posts list, counting the posts.
        verb = {"draft": "Saved as draft"}.get(request.form.get("action", ""), verb)
        flash(f"{verb}: {len(posts)} post{'s' if len(posts) != 1 else ''}.")
        return redirect(url_for("posts.index"))
    flash(f"{verb}: the post is {posts[0].state}{added}.")
    return redirect(url_for("posts.detail", post_id=post_id))


@bp.post("/autosave")
@login_required
def autosave_new() -> ResponseReturnValue:
    """The first autosave of a new composer: its draft (one per chosen channel) is made."""
    draft = _draft_from_form()
    try:
        posts = compose.create_group(db.session(), current_workspace_id(), actor(), draft, "draft")
    except DomainError as exc:
        db.session.rollback()
        return _autosaved(None, exc)
    return _autosaved(posts[0])


@bp.post("/<uuid:post_id>/autosave")
@login_required
def autosave_edit(post_id: uuid.UUID) -> ResponseReturnValue:
    """A later autosave: the draft is saved through the same locked edit as Save."""
    try:
        draft = _draft_from_form()
        _drop_unticked(post_id, draft)
        post = edit.autosave(db.session(), current_workspace_id(), actor(), post_id,
                             request.form.get("version", type=int), draft)
    except DomainError as exc:
        if exc.status == 404:
            raise
        db.session.rollback()
        return _autosaved(None, exc)
    return _autosaved(post)


def _drop_unticked(post_id: uuid.UUID, draft: compose.Draft) -> None:
    made = request.form.getlist("autosaved_channel")
    if made:
        edit.drop_unticked(db.session(), current_workspace_id(), actor(), post_id, made,
                           draft.channel_ids)


def _autosaved(post: Post | None, exc: DomainError | None = None) -> ResponseReturnValue:
    """What the composer's script needs: the draft's address and version, or why not saved."""
    if post is None:
        assert exc is not None
        return jsonify(error=exc.message), exc.status
    return jsonify(post_id=str(post.id), version=post.version,
                   url=url_for("compose.edit_post", post_id=post.id),
                   autosave=url_for("compose.autosave_edit", post_id=post.id))


@bp.post("/media")
@login_required
def upload_media() -> ResponseReturnValue:
    """Upload a file from the composer; it comes back chosen for this post."""
    from app.media.service import upload

    draft = _draft_from_form()
    file = request.files.get("file")
    if file is None or not file.filename:
        return _page(draft, {"file": "choose a file to upload"}, 422)
    try:
        media = upload(db.session(), current_workspace_id(), actor(), file.filename, file.read(),
                       alt_text=request.form.get("new_alt_text", "").strip())
    except DomainError as exc:
        db.session.rollback()
        return _page(draft, {_slot(exc.field, draft): exc.message}, exc.status)
    draft.media_ids.append(str(media.id))
    compose.start_conversions(db.session(), current_workspace_id(), draft)
    return _page(draft)


@bp.post("/choices")
@login_required
def choices() -> ResponseReturnValue:
    """Channels or files chosen: start the conversions they need (the workers make them) and
    show each TikTok channel's options as creator_info gives them now."""
    draft = _draft_from_form()
    compose.start_conversions(db.session(), current_workspace_id(), draft)
    return _fragment("compose/_choices.html", draft, fresh=True)


@bp.post("/options")
@login_required
def options() -> ResponseReturnValue:
    """An option changed: the channels' options again (what one choice allows may change)."""
    return _fragment("compose/_channel_options.html", _draft_from_form())


@bp.get("/conversions")
@login_required
def conversions_state() -> ResponseReturnValue:
    """The conversion states of the chosen files for the chosen channels (polled while any
    is queued or converting)."""
    draft = compose.Draft(channel_ids=request.args.getlist("channel_id"),
                          media_ids=request.args.getlist("media_id"))
    return _fragment("compose/_conversions.html", draft, panels=False)


def _fragment(template: str, draft: compose.Draft, fresh: bool = False, panels: bool = True
              ) -> Response:
    workspace_id = current_workspace_id()
    chosen = compose.chosen_channels(db.session(), workspace_id, draft)
    return render(template, template, draft=draft, errors={}, labels=STATUS_LABELS,
                  previews=compose.previews(chosen, draft),
                  panels=compose.panels(db.session(), workspace_id, draft, chosen, fresh)
                  if panels else [],
                  board=conversions.board(db.session(), workspace_id, draft.media_ids, chosen))
