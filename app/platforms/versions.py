"""The platform API versions OpenPost pins, their sunset dates, and how near each sunset is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# Warn this many days before a pinned version's sunset: time to test and ship the next one.
WARN_DAYS = 60


@dataclass(frozen=True)
class Pinned:
    platforms: str
    version: str
    sunset: date | None  # None: the platform has announced no end
    source: str
    # What the platform does with a call to the version once it is sunset.
    after: str = "calls fail"


def pinned() -> list[Pinned]:
    """Each pinned version, read from the module of the platform that sends it."""
    from app.platforms import graph
    from app.platforms.linkedin import api as linkedin
    from app.platforms.threads import publisher as threads

    return [Pinned("linkedin", linkedin.VERSION, linkedin.SUNSET, linkedin.VERSIONS_DOC,
                   linkedin.AFTER_SUNSET),
            Pinned("instagram, facebook", graph.VERSION, graph.SUNSET, graph.VERSIONS_DOC,
                   graph.AFTER_SUNSET),
            Pinned("threads", threads.VERSION, threads.SUNSET, threads.VERSIONS_DOC)]


def check(today: date, versions: list[Pinned] | None = None) -> list[dict]:
    """One row per pinned version: "ok", "warning" (sunset within WARN_DAYS) or "error"
    (sunset reached: the platform refuses or reroutes every call)."""
    rows = []
    for pin in pinned() if versions is None else versions:
        days = (pin.sunset - today).days if pin.sunset else None
        level = ("ok" if days is None or days > WARN_DAYS
                 else "error" if days <= 0 else "warning")
        rows.append({"platforms": pin.platforms, "version": pin.version,
                     "sunset": pin.sunset.isoformat() if pin.sunset else None,
                     "days_left": days, "level": level, "source": pin.source, "after": pin.after})
    return rows


def describe(row: dict) -> str:
    """One line for a human: the version, its sunset and what to do."""
    head = f"{row['platforms']} {row['version']}"
    if row["sunset"] is None:
        return f"{head}: no sunset announced"
    if row["level"] == "error":
        return (f"ERROR: {head} was sunset on {row['sunset']}: {row['after']}; pin a "
                f"supported version ({row['source']})")
    if row["level"] == "warning":
        return (f"WARNING: {head} is sunset on {row['sunset']} ({row['days_left']} days): pin a "
                f"newer version ({row['source']})")
    return f"{head}: sunset {row['sunset']} ({row['days_left']} days)"
