"""Operator commands: `openpost doctor`, `openpost jobs`, `openpost export`, `openpost keys rotate`,
and the benchmarks `openpost bench web`, `openpost bench media` and `openpost bench metrics`
(their code lives in bench/)."""

from __future__ import annotations

import sys

import click


def _setup():
    """Migrated database and an app (so the session is bound), as the other commands do."""
    from app.cli import _app, _prepared_url

    _prepared_url()
    return _app()


@click.command()
@click.option("--json", "as_json", is_flag=True, help="print the state as one JSON object")
def doctor(as_json: bool) -> None:
    """Is OpenPost publishing? Prints why not, and exits 1 when it is not.

    Unlike the other commands it does not migrate: a database behind the code is reported.
    """
    import json
    import os

    from app import create_app, db
    from app.ops import doctor as checks
    from app.ops import production

    os.environ.setdefault("OPENPOST_LOG_LEVEL", "CRITICAL")  # the report is the output
    settings = production.warnings()  # the environment as given, before the app reads it
    try:
        os.environ.setdefault("DATABASE_URL", db.database_url())
        create_app()
        report = checks.run(db.session)
    except Exception as exc:
        report = checks.unreachable(exc)
    report = {**report, "settings": settings}
    click.echo(json.dumps(report, default=str) if as_json else checks.render(report))
    sys.exit(0 if report["ok"] else 1)


@click.command("jobs")
@click.option("--json", "as_json", is_flag=True, help="print the schedule as one JSON object")
def jobs_command(as_json: bool) -> None:
    """The deployment's scheduled jobs: which process holds the scheduler, and each job's
    last and next run. Reads the job store; starts no scheduler."""
    import json

    from app import db
    from jobs import schedule_store

    _setup()
    engine = db.session.get_bind()
    holder, listed = schedule_store.holder(engine), schedule_store.list_jobs(engine)
    if as_json:
        click.echo(json.dumps({"holder": holder.as_json() if holder else None,
                               "jobs": [job.as_json() for job in listed]}))
        return
    click.echo(f"holder: {holder.host} pid {holder.pid}, since {_utc(holder.since)}" if holder
               else "holder: none (no engine process is running: start `openpost worker` or "
                    "`openpost serve`; the jobs run when one does)")
    rows = [("JOB", "TRIGGER", "LAST RUN", "OUTCOME", "NEXT RUN", "DETAIL")] + [
        (j.id, j.trigger, _utc(j.last_run_at), j.last_outcome or "-", _utc(j.next_run_at)
         if j.next_run_at else "paused", j.last_detail) for j in listed]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False))
                   + "  " + row[5])


def _utc(moment) -> str:
    from datetime import UTC

    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "never"


@click.command("export")
@click.option("--workspace", required=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True),
              help="the zip to write (default: openpost-<workspace>-<date>.zip here)")
def export_command(workspace: str, output: str | None) -> None:
    """Export a workspace's posts, channels, media and audit log as one zip."""
    import re
    from datetime import UTC, datetime

    from app import db
    from app.auth import service as auth
    from app.errors import DomainError
    from app.exports import service

    _setup()
    try:
        ws = auth.get_workspace(db.session, workspace)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", workspace).strip("-") or "workspace"
    output = output or f"openpost-{slug}-{datetime.now(UTC):%Y%m%d-%H%M%S}.zip"
    with open(output, "wb") as out:
        manifest = service.write_export(db.session, ws.id, out, actor="cli",
                                        read_media=service.media_reader())
    counts = ", ".join(f"{n} {name}" for name, n in manifest["counts"].items())
    click.echo(f"wrote {output}: {counts}, {manifest['media_files']} media file(s)")


@click.group()
def keys() -> None:
    """Encryption keys for secrets at rest."""


@keys.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every channel credential, webhook secret and stored media file with the
    newest key.

    Put the new key first in OPENPOST_ENCRYPTION_KEYS (keep the old ones after it), run this
    (again after an interruption: it continues where it stopped), then remove the old keys
    once it says they can be removed.
    """
    import time

    from app import db
    from app.ops import keys as rotation

    _setup()
    shown = [0.0]

    def progress(seen: int, total: int, done: int, size: int) -> None:
        if seen == total or time.monotonic() - shown[0] >= 2:
            shown[0] = time.monotonic()
            click.echo(f"media files: {seen}/{total} checked, {done} re-encrypted "
                       f"({size:,} bytes)")

    try:
        counts = rotation.rotate(db.session, progress)
    except rotation.RotationFailed as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"re-encrypted {counts['channels']} channels, {counts['webhook_endpoints']} "
               f"webhook endpoints, {counts['media_files']} media files "
               f"({counts['media_bytes']:,} bytes)")
    if not rotation.media_encrypted_here():
        click.echo("media files are in S3, encrypted by the provider with its own keys: "
                   "OPENPOST_ENCRYPTION_KEYS does not cover them")
    left = rotation.describe(rotation.leftovers(db.session))
    if left:
        raise click.ClickException("still on an older key (keep it, run this again): "
                                   + "; ".join(left))
    click.echo("everything is on the newest key; older keys can be removed")


@click.command("web")
@click.option("--seconds", default=10.0, show_default=True, help="how long to drive load")
@click.option("--clients", default=16, show_default=True, help="concurrent connections")
@click.option("--workers", default=None, type=int, help="gunicorn workers (default: 2 × cores)")
@click.option("--threads", default=2, show_default=True, help="threads per gunicorn worker")
@click.option("--posts", default=50, show_default=True, help="posts in the listed workspace")
def bench_web(seconds: float, clients: int, workers: int | None, threads: int,
              posts: int) -> None:
    """Drive GET /api/v1/posts and the login page over loopback; prints one JSON line last."""
    from bench import web

    web.main(seconds=seconds, clients=clients, workers=workers, threads=threads, posts=posts)


@click.command("media")
def bench_media() -> None:
    """Peak memory of one upload check and one conversion at the media limits; prints one
    JSON line last."""
    from bench import media

    media.main()


@click.command("metrics")
@click.option("--posts", default=2000, show_default=True, help="published posts to measure")
@click.option("--channels", default=2, show_default=True, help="channels per platform")
def bench_metrics(posts: int, channels: int) -> None:
    """Collect figures from the sandbox fakes of all eight platforms; prints one JSON line
    last."""
    from bench import metrics

    metrics.main(posts=posts, channels_per_platform=channels)


def register(main: click.Group) -> None:
    main.commands["bench"].add_command(bench_metrics)
    main.commands["bench"].add_command(bench_web)
    main.commands["bench"].add_command(bench_media)
    for command in (doctor, jobs_command, export_command, keys):
        main.add_command(command)
