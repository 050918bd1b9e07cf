"""The `openpost` command line (docs/architecture.md, Command line)."""

from __future__ import annotations

import os
import sys
from functools import partial

import click

# gunicorn's access line, with the request id our app put on the response.
ACCESS_LOG = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms [%({x-op-request-id}o)s]'


@click.group()
def main() -> None:
    """OpenPost: schedule posts and publish them on time, exactly once."""


def _prepared_url() -> str:
    """The database URL, with migrations applied (embedded server started when needed)."""
    from app import db

    url = db.database_url()
    db.upgrade(url)
    os.environ.setdefault("DATABASE_URL", url)
    return url


def _app(**overrides):
    from app import create_app

    return create_app(overrides)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Web and scheduler in one process."""
    # Links the server hands out (emails, media for platforms, the sandbox) use this address.
    os.environ.setdefault("OPENPOST_PUBLIC_URL", f"http://{host}:{port}")
    from app.server import Gunicorn

    _prepared_url()
    click.echo(f"OpenPost on http://{host}:{port}  (Ctrl-C stops it)")

    def post_worker_init(_worker):
        from app import engine_hooks

        engine_hooks.start_in_web_process()

    # The sandbox is mounted by default only when this bind is loopback (the try-it path).
    Gunicorn(partial(_app, SANDBOX_SERVE_HOST=host),
             {"bind": f"{host}:{port}", "workers": 1, "threads": 8,
              "worker_class": "gthread", "post_worker_init": post_worker_init,
              "accesslog": "-", "access_log_format": ACCESS_LOG,
              "graceful_timeout": 30}).run()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--threads", default=4, show_default=True, type=int, help="threads per worker")
@click.option("--access-log/--no-access-log", default=True, show_default=True)
def web(host: str, port: int, workers: int, threads: int, access_log: bool) -> None:
    """Web only (gunicorn); run `openpost worker` beside it."""
    from app.server import Gunicorn

    _prepared_url()
    Gunicorn(_app, {"bind": f"{host}:{port}", "workers": workers, "threads": threads,
                    "worker_class": "gthread", "accesslog": "-" if access_log else None,
                    "access_log_format": ACCESS_LOG}).run()


@main.group(name="db")
def db_group() -> None:
    """Database maintenance."""


@db_group.command()
def upgrade() -> None:
    """Apply migrations."""
    _prepared_url()
    click.echo("database is up to date")


@main.group()
def user() -> None:
    """Users."""


@user.command("create")
@click.argument("email")
@click.option("--workspace", required=True, help="created if it does not exist")
@click.option("--password", help="prompted for when not given")
@click.option("--role", type=click.Choice(["owner", "admin", "member"]), default="owner")
@click.option("--timezone", default="UTC", show_default=True)
def user_create(email: str, workspace: str, password: str | None, role: str,
                timezone: str) -> None:
    """Create a user (and the workspace)."""
    from app import db
    from app.auth import service
    from app.errors import DomainError

    _prepared_url()
    _app()
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        created = service.create_user(db.session, email, password, workspace, role=role,
                                      timezone=timezone)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"created {created.email} in workspace {workspace}")


@main.group()
def apikey() -> None:
    """API keys."""


@apikey.command("create")
@click.option("--workspace", required=True)
@click.option("--name", default="", help="a label to recognise the key by")
def apikey_create(workspace: str, name: str) -> None:
    """Print a new API key once, alone on the last line."""
    from app import db
    from app.auth import service
    from app.errors import DomainError

    _prepared_url()
    _app()
    try:
        ws = service.get_workspace(db.session, workspace)
        key, token = service.create_api_key(db.session, ws.id, "cli", name=name)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"API key {key.prefix}… for workspace {workspace} (shown once):", err=True)
    click.echo(token)


@main.group()
def outbox() -> None:
    """Webhook and email delivery from the outbox."""


@outbox.command("deliver")
@click.option("--once", is_flag=True, help="one pass, then exit (default: every second)")
def outbox_deliver(once: bool) -> None:
    """Deliver due webhooks and alert emails, and seal new audit entries."""
    import json
    import time

    from jobs.outbox import run_outbox_once

    _prepared_url()
    _app()
    while True:
        done = run_outbox_once()
        if once or any(done.values()):
            click.echo(json.dumps(done))
        if once:
            return
        time.sleep(1)


@main.group()
def audit() -> None:
    """The audit log."""


@audit.command("verify")
@click.option("--workspace", help="only this workspace's chain (default: every chain)")
def audit_verify(workspace: str | None) -> None:
    """Check the hash chain; name the first broken link and exit non-zero."""
    from app import db
    from app.audit import chain
    from app.auth import service
    from app.errors import DomainError

    _prepared_url()
    _app()
    try:
        ws_id = service.get_workspace(db.session, workspace).id if workspace else None
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    while chain.seal(db.session()):
        pass
    checked, problem = chain.verify(db.session, ws_id, every=ws_id is None)
    if problem:
        click.echo(f"audit chain broken: {problem}", err=True)
        sys.exit(1)
    click.echo(f"audit chain intact: {checked} entries verified")
@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8025, show_default=True, type=int)
def sandbox(host: str, port: int) -> None:
    """Serve the spec-faithful fake platforms (all eight)."""
    from app.sandbox.server import SandboxServer

    server = SandboxServer(host, port, quiet=False)
    click.echo(f"sandbox on {server.url}: /x, /bluesky/xrpc, /mastodon, /threads, /instagram, "
               "/facebook, /linkedin, /tiktok, /_control (loopback clients only) "
               f"(e.g. OPENPOST_X_API_URL={server.url}/x)  Ctrl-C stops it")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server.server_close()


@main.command()
@click.option("--concurrency", type=int, help="publish threads (default 16, or "
              "OPENPOST_CONCURRENCY)")
def worker(concurrency: int | None) -> None:
    """Scheduler and publisher, no web; run as many as you like."""
    from jobs import runner

    _prepared_url()
    runner.run_worker(concurrency)


@main.group(invoke_without_command=True)
@click.option("--posts", default=10_000, show_default=True, help="posts in the burst")
@click.option("--workers", default=4, show_default=True, help="worker processes")
@click.option("--latency-ms", default=20.0, show_default=True, help="platform latency")
@click.option("--rate", type=float, help="steady mode: posts due per second")
@click.option("--duration", type=float, default=30.0, show_default=True,
              help="steady mode: seconds")
@click.option("--chaos", is_flag=True, help="SIGKILL a worker every 3 s for 30 s, restart "
              "PostgreSQL once (a server of the run's own) and inject platform faults")
@click.option("--rolling-restart", is_flag=True,
              help="while publishing, restart every worker in turn (SIGTERM, then a new one)")
@click.option("--concurrency", default=64, show_default=True, help="publish threads per worker")
@click.option("--no-idempotency", is_flag=True,
              help="publish as to a platform without idempotency keys (a lost attempt can "
              "only fail as outcome_unknown)")
@click.pass_context
def bench(ctx: click.Context, **options) -> None:
    """The publishing benchmark (bench/engine/); prints one JSON line of figures last.

    `openpost bench web`, `media` and `metrics` measure the web app, media handling and
    analytics collection instead."""
    if options["chaos"] and options["rolling_restart"]:
        raise click.UsageError("--chaos and --rolling-restart cannot be combined: choose one")
    if ctx.invoked_subcommand is None:
        from bench.engine import run

        run.main(**options)


@main.command("bench-worker", hidden=True)
@click.option("--concurrency", type=int)
@click.option("--no-idempotency", is_flag=True,
              help="publish as to a platform without idempotency keys nor look-ups")
def bench_worker(concurrency: int | None, no_idempotency: bool) -> None:
    """A worker publishing to the loopback platform (benchmark and tests)."""
    from bench.engine import worker

    worker.main(concurrency, no_idempotency)


@main.command("bench-platform", hidden=True)
@click.option("--port", default=0, type=int)
@click.option("--latency-ms", default=20.0)
def bench_platform(port: int, latency_ms: float) -> None:
    """Serve the loopback platform (prints its URL first)."""
    from bench.engine import fakeplatform

    fakeplatform.main(port, latency_ms)


from app.auth.cli import register as _register_members  # noqa: E402
from app.ops.cli import register as _register_ops  # noqa: E402

_register_ops(main)
_register_members(main)

if __name__ == "__main__":
    sys.exit(main())
