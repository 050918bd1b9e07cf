"""Where the web process starts the publishing engine when it runs both (openpost serve)."""

from __future__ import annotations


def start_in_web_process() -> None:
    from jobs import runner

    runner.start_in_process()
