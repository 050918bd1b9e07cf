"""Benchmarks: each prints its figures as one JSON line, last (docs/performance.md).

engine/ is `openpost bench`; web, media and metrics are `openpost bench web|media|metrics`;
the others run as `python -m bench.<name>`. Installed with the app, so the `openpost bench`
commands work from any install; the app imports this package only inside those commands."""
