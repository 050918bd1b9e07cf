"""Where the web process starts the publishing engine when it runs both (openpost serve)."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def start_in_web_process() -> None:
    try:
        from jobs import runner
    except ImportError:
        log.warning("the publishing engine is not installed; posts will not be published")
        return
    runner.start_in_process()
