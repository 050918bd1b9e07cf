"""Settings → Export: download the workspace as a zip (owners and admins)."""

from __future__ import annotations

import re
import tempfile
from datetime import UTC, datetime

from flask import Blueprint, send_file
from flask_login import login_required

from app import db
from app.auth.web_auth import actor, current_membership, current_workspace_id, roles_required
from app.exports import service
from app.web import render

bp = Blueprint("exports", __name__, url_prefix="/settings/export")


@bp.get("")
@login_required
@roles_required("owner", "admin")
def index():
    return render("exports/index.html")


@bp.post("")
@login_required
@roles_required("owner", "admin")
def download():
    workspace = current_membership().workspace
    spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115 (send_file closes it)
    service.write_export(db.session, current_workspace_id(), spool, actor=actor(),
                         read_media=service.media_reader())
    spool.seek(0)
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", workspace.name).strip("-") or "workspace"
    name = f"openpost-{slug}-{datetime.now(UTC):%Y%m%d-%H%M%S}.zip"
    return send_file(spool, mimetype="application/zip", as_attachment=True, download_name=name)
