"""A post's history says who did what by name, and what each step was."""

from __future__ import annotations

import re


def test_post_history_names_people_and_the_engine(signed_in, db, make_channel):
    from app.auth.models import User
    from app.posts import service

    db.get(User, signed_in.user.id).name = "Ana Lima"
    db.commit()
    channel = make_channel(signed_in.workspace_id)
    actor = f"user:{signed_in.user.id}"
    post = service.create_post(db, signed_in.workspace_id, actor, channel_id=channel.id,
                               text="hello")
    service.update_post(db, signed_in.workspace_id, post.id, actor, text="hello again")
    service.cancel(db, signed_in.workspace_id, post.id, "worker:host-1")
    html = signed_in.get(f"/posts/{post.id}").get_data(as_text=True)
    history = html.split("<h2>History</h2>")[1]
    assert re.search(rf"created as draft\s*<span class=\"muted\">by Ana Lima "
                     rf"\({signed_in.user.email}\)", history)
    assert re.search(r"edited\s*<span class=\"muted\">by Ana Lima", history)
    assert re.search(r"draft → canceled\s*<span class=\"muted\">by the publishing engine",
                     history)
    assert "user:" not in history
