"""The number of SQL statements behind a page does not grow with the number of posts on it."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event


@contextmanager
def counting(engine):
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _statements(engine, signed_in, path) -> int:
    with counting(engine) as statements:
        answer = signed_in.get(path)
    assert answer.status_code == 200
    return len(statements)


@pytest.mark.parametrize("path", ["/calendar?date={day}", "/calendar?view=week&date={day}", "/",
                                  "/?state=scheduled", "/?from={day}"])
def test_page_queries_stay_the_same_with_5_or_50_posts(engine, signed_in, make_channel,
                                                       make_post, path):
    channels = [make_channel(signed_in.workspace_id), make_channel(signed_in.workspace_id)]
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    states = ["scheduled", "failed", "published", "publishing", "draft"]

    def add(first, last):
        for i in range(first, last):
            make_post(channels[i % 2], states[i % 5], text=f"post {i}",
                      when=start + timedelta(hours=i % 5))
    url = path.format(day=start.date().isoformat())
    add(0, 5)
    signed_in.get(url)  # warm-up: the first request loads things once
    few = _statements(engine, signed_in, url)
    add(5, 50)
    many = _statements(engine, signed_in, url)
    assert few > 3 and many == few, f"{url}: {few} statements with 5 posts, {many} with 50"
