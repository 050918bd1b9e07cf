"""Dashboard pages for posts."""

from __future__ import annotations

from flask import Blueprint
from flask_login import login_required

from app import db
from app.auth.web_auth import current_workspace_id, require_setup_done
from app.channels.service import list_channels
from app.posts import service
from app.web import render

bp = Blueprint("posts", __name__)


@bp.get("/")
@require_setup_done
@login_required
def index():
    workspace_id = current_workspace_id()
    channels = {c.id: c for c in list_channels(db.session, workspace_id)}
    posts = service.list_posts(db.session, workspace_id, limit=100)
    return render("posts/index.html", posts=posts, channels=channels)
