"""How long the composer's preview takes per platform for growing texts: `python -m bench.preview`."""

from __future__ import annotations

import json
import statistics
import time

from app.platforms.text import preview

SENTENCE = ("Scheduling posts is easier with a plan. Write once, publish everywhere, on time! "
            "https://example.com/article #launch 日本語 \U0001F680 ")


def measure(platform: str, length: int, runs: int = 5) -> dict:
    source = (SENTENCE * (length // len(SENTENCE) + 1))[:length]
    times, parts = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        parts = len(preview(platform, {}, source, options={"numbering": True}))
        times.append((time.perf_counter() - started) * 1000)
    return {"platform": platform, "chars": length, "parts": parts,
            "median_ms": round(statistics.median(times), 1)}


if __name__ == "__main__":
    rows = [measure(p, n) for n in (280, 2_000, 10_000) for p in ("x", "bluesky", "mastodon", "threads")]
    print(json.dumps(rows))
