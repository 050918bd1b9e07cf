"""The composer: one text (or thread) for several channels, live previews counted on the server."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from app import db
from app.auth.web_auth import actor, current_membership, current_workspace_id, require_setup_done
from app.channels.pages import sandbox_link, timezone_names
from app.channels.service import list_channels
from app.errors import DomainError
from app.media import conversions
from app.posts import compose
from app.web import render

bp = Blueprint("compose", __name__, url_prefix="/compose")
MEDIA_SHOWN = 24  # the newest files the picker offers
STATUS_LABELS = {"queued": "queued for conversion", "processing": "converting",
                 "stalled": "converting (interrupted: starting again)", "ready": "ready",
                 "failed": "refused", "as_is": "ready as it is",
                 "not_started": "converted once the post is saved"}


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
        overrides={k.removeprefix("override-"): v for k, v in form.items()
                   if k.startswith("override-")},
        schedule_at=form.get("schedule_at", ""),
        timezone=form.get("timezone", "").strip() or current_membership().workspace.timezone,
        media_ids=form.getlist("media_id"),
        alt_texts={k.removeprefix("alt-"): v for k, v in form.items() if k.startswith("alt-")},
        options=_options_from_form(form))


def _page(draft: compose.Draft, errors: dict[str, str] | None = None, status: int = 200,
          fragment: str = "compose/_composer.html", fresh: bool = False) -> Response:
    """The composer (or one of its fragments); `fresh` asks TikTok for creator_info now."""
    from app.media.service import list_media
    from app.media.signing import signed_path

    workspace_id = current_workspace_id()
    channels = list_channels(db.session(), workspace_id)
    chosen = [c for c in channels if str(c.id) in draft.channel_ids]
    library = [(m, signed_path(m.workspace_id, m.id)) for m in
               list_media(db.session(), workspace_id, limit=MEDIA_SHOWN)]
    return render("compose/index.html", fragment, status=status, draft=draft,
                  channels=channels, previews=compose.previews(chosen, draft), library=library,
                  panels=compose.panels(db.session(), workspace_id, draft, chosen, fresh),
                  board=conversions.board(db.session(), workspace_id, draft.media_ids, chosen),
                  errors=errors or {}, zones=timezone_names(), sandbox_url=sandbox_link(),
                  labels=STATUS_LABELS)


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
def new() -> ResponseReturnValue:
    draft = compose.Draft(timezone=current_membership().workspace.timezone,
                          channel_ids=request.args.getlist("channel_id"))
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
                  panels=compose.panels(db.session(), workspace_id, draft, chosen, fresh)
                  if panels else [],
                  board=conversions.board(db.session(), workspace_id, draft.media_ids, chosen))
