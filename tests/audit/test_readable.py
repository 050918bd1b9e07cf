"""The audit log and a post's history read as people talk: names, not ids; fields changed
from → to, not raw JSON (still reachable); filters by who and what."""

from __future__ import annotations

import re

from app.audit import service as audit
from app.auth import service as auth
from tests.conftest import login


def _row(html: str, entry_id) -> str:
    return re.search(rf'<tr id="audit-{entry_id}">.*?</tr>', html, re.S).group(0)


def test_entries_name_who_and_show_what_changed(client, db, workspace, make_channel):
    from app.channels import service as channels

    ws, owner = workspace
    owner.name = "Ana Lima"
    db.commit()
    channel = make_channel(ws)
    channels.update_channel(db, ws, channel.id, f"user:{owner.id}", timezone="Europe/Berlin")
    key, _token = auth.create_api_key(db, ws, f"user:{owner.id}", name="ci robot")
    entry = audit.record(db, ws, f"api_key:{key.prefix}", "thing.done",
                         before={"colour": "red", "size": 3}, after={"colour": "blue", "size": 3,
                                                                     "shape": "round"})
    db.commit()
    login(client, owner.email)
    html = client.get("/settings/audit-log").get_data(as_text=True)
    updated = re.search(r'<tr id="audit-\d+">(?:(?!</tr>).)*Channel updated.*?</tr>', html,
                        re.S).group(0)
    assert f"Ana Lima ({owner.email})" in updated and f"user:{owner.id}" not in \
        updated.split("<details")[0]
    assert re.search(r'timezone</span>:\s*<del>UTC</del> → <ins>Europe/Berlin</ins>', updated)
    row = _row(html, entry.id)
    assert "API key “ci robot”" in row and "Thing done" in row
    assert re.search(r"colour</span>:\s*<del>red</del> → <ins>blue</ins>", row)
    assert re.search(r"shape</span>:\s*<ins>round</ins>", row)
    assert "size</span>" not in row  # unchanged fields are not listed
    raw = re.search(r"<details class=\"raw\">.*?</details>", row, re.S).group(0)
    assert "&#34;colour&#34;: &#34;red&#34;" in raw or '"colour": "red"' in raw


def test_filter_menus_offer_people_and_actions_by_name(client, db, workspace):
    ws, owner = workspace
    audit.record(db, ws, f"user:{owner.id}", "channel.deleted")
    audit.record(db, ws, "system", "webhook.disabled")
    db.commit()
    login(client, owner.email)
    html = client.get("/settings/audit-log").get_data(as_text=True)
    actor_menu = re.search(r'<select id="f-actor".*?</select>', html, re.S).group(0)
    assert f'<option value="user:{owner.id}" >{owner.email}</option>' in actor_menu
    assert '<option value="system" >OpenPost</option>' in actor_menu
    action_menu = re.search(r'<select id="f-action".*?</select>', html, re.S).group(0)
    assert ">All channel actions<" in action_menu and ">Webhook disabled<" in action_menu
    mine = client.get(f"/settings/audit-log?actor=user:{owner.id}").get_data(as_text=True)
    entries = mine.split('<section id="audit-entries">')[1]
    assert "Channel deleted" in entries and "Webhook disabled" not in entries


def test_a_long_value_is_cut_in_the_table_and_whole_in_the_raw_entry(client, db, workspace):
    ws, owner = workspace
    entry = audit.record(db, ws, "system", "thing.done", after={"text": "x" * 500})
    db.commit()
    login(client, owner.email)
    row = _row(client.get("/settings/audit-log").get_data(as_text=True), entry.id)
    shown, raw = row.split("<details")
    assert "x" * 79 + "…" in shown and "x" * 81 not in shown
    assert "x" * 500 in raw
