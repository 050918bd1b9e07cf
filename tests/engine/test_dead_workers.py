"""Dead workers are found by their liveness lock in seconds, not after the lease; a PostgreSQL
restart (every lock freed, every worker alive) reclaims nothing; a worker cut off from the
database stops publishing before anyone can take its posts over."""

import contextlib
import signal
import socket
import threading
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app import db
from app.platforms.base import PartResult, PublishResult
from app.platforms.registry import PUBLISHERS
from app.posts.models import Post, PostEvent
from bench.engine import data
from bench.engine.publisher import LoopbackPublisher
from jobs.config import EngineConfig
from jobs.worker import Worker
from tests.engine.conftest import FAST, Space, forget_workers, wait_until

# A lease far longer than any test: a post taken over here was not taken over by its lease.
LONG_LEASE = {"lease_seconds": 600, "tick_seconds": 0.2, "dead_after_seconds": 1.0,
              "retry_base_seconds": 0.1}


def _reclaimed(space, ids) -> set:
    """Posts whose lease was ended because their worker was found gone."""
    with Session(space.engine) as sess:
        return set(sess.scalars(sa.select(PostEvent.post_id).where(
            PostEvent.post_id.in_(ids), PostEvent.detail["lease_ended"].astext == "worker_gone")))


def _claimed_by(space, ids) -> dict:
    with Session(space.engine) as sess:
        return dict(sess.execute(sa.select(Post.id, Post.claimed_by).where(
            Post.id.in_(ids), Post.state == "publishing")).all())


def _worker_of(space, pid: int) -> str | None:
    with Session(space.engine) as sess:
        return sess.scalar(sa.text("SELECT id FROM workers WHERE pid = :pid AND host = :host "
                                   "AND stopped_at IS NULL"),
                           {"pid": pid, "host": socket.gethostname()})


def test_a_killed_workers_posts_are_published_long_before_its_lease_ends(space, platform, spawn):
    channels = [space.channel(platform.base_url) for _ in range(4)]
    ids = space.posts(channels, n=20)
    platform.paused = True  # the victim's calls reach the platform and hang there
    victim = spawn(concurrency=4, **LONG_LEASE)
    wait_until(lambda: platform.requests >= 3 and len(_claimed_by(space, ids)) == 20, 120)
    victim_id = _worker_of(space, victim.pid)
    assert set(_claimed_by(space, ids).values()) == {victim_id}
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    platform.paused = False
    spawn(concurrency=4, **LONG_LEASE)
    # With a 600 s lease, only the dead worker's free lock can hand its posts over in time.
    assert space.wait_terminal(ids, timeout=60) == {"published": 20}
    assert _reclaimed(space, ids) == set(ids)
    assert set(platform.created_counts().values()) == {1}  # the Idempotency-Key settled them


def test_a_database_restart_reclaims_no_live_workers_posts(private_server, platform, spawn):
    url, restart = private_server
    engine = db.make_engine(url, pool_size=2)
    try:
        with Session(engine) as sess:
            space = Space(engine, data.make_workspace(sess))
        channels = [space.channel(platform.base_url) for _ in range(4)]
        ids = space.posts(channels, n=24)
        # A platform without idempotency keys: a live worker's post taken over by mistake
        # would fail as outcome_unknown instead of being published.
        platform.paused = True  # every post is inside its platform call across the restart
        # Room in either worker for all 24 calls at once (no channel or platform cap below it).
        settings = {**LONG_LEASE, "dead_after_seconds": 3.0, "http_timeout_seconds": 600,
                    "channel_limit": 6, "platform_share": 1.0}
        for _ in range(2):
            spawn(concurrency=25, args=["--no-idempotency"], url=url, **settings)
        wait_until(lambda: platform.requests >= 24, 120)  # (no keys: counted as they come)
        restart()
        platform.paused = False
        assert space.wait_terminal(ids, timeout=90) == {"published": 24}
        assert set(platform.created_counts().values()) == {1}
        assert len(platform.created_counts()) == 24
        assert _reclaimed(space, ids) == set()
    finally:
        engine.dispose()


class Partition:
    """A TCP relay between one worker and PostgreSQL that can be cut like a network partition:
    the server sees the worker's connections end (as its keepalive would), while the worker's
    own connections go silent, neither answered nor closed, until `heal`."""

    def __init__(self, host: str, port: int):
        self.upstream = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cut_off = False
        self.pairs: list[tuple[socket.socket, socket.socket | None]] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                if self.cut_off:  # a new connection gets no answer either
                    self.pairs.append((client, None))
                    continue
                server = self._connect()
                self.pairs.append((client, server))
            for src, dst in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _connect(self) -> socket.socket:
        host, port = self.upstream
        if host.startswith("/"):  # the embedded server listens on a Unix socket in this folder
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            server.connect(f"{host}/.s.PGSQL.{port}")
            return server
        return socket.create_connection(self.upstream)

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                return
            if not data or self.cut_off:
                if not self.cut_off:
                    for sock in (src, dst):
                        sock.close()
                return
            try:
                dst.sendall(data)
            except OSError:
                return

    def cut(self) -> None:
        with self.lock:
            self.cut_off = True
            for _client, server in self.pairs:
                if server is not None:
                    _hang_up(server)

    def heal(self) -> None:
        with self.lock:
            self.cut_off = False
            for client, _server in self.pairs:
                _hang_up(client)
            self.pairs = []

    def close(self) -> None:
        self.listener.close()
        self.heal()


def _hang_up(sock: socket.socket) -> None:
    """Close a relayed connection so its peer sees the end at once (a bare close() leaves a
    thread blocked in recv() holding it open)."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


class LookupPublisher(LoopbackPublisher):
    """A platform without idempotency keys whose posts can be looked up (here, by their text
    in the loopback platform's records): the case where only fencing prevents a double post,
    since the new owner re-posts whatever it does not find."""

    send_key = False
    platform_records: list = []

    def reconcile(self, job):
        text = job.parts[0].text
        for record_text, _at, sid, *_ in list(self.platform_records):
            if record_text == text:
                return PublishResult(sid, None, parts=[PartResult(0, sid, None)])
        return None


def test_a_worker_cut_off_from_the_database_stops_publishing_before_its_posts_are_taken_over(
        space, platform, monkeypatch, workers, pg, database_url):
    monkeypatch.setitem(PUBLISHERS, "mastodon", LookupPublisher)
    monkeypatch.setattr(LookupPublisher, "platform_records", platform.records)
    platform.paused = True  # the calls wait inside the platform until the test lets them end
    channels = [space.channel(platform.base_url) for _ in range(4)]
    ids = space.posts(channels, n=80)
    settings = {**FAST, "lease_seconds": 600, "tick_seconds": 0.5, "dead_after_seconds": 3.0,
                "concurrency": 2, "channel_limit": 1, "http_timeout_seconds": 600}
    server = sa.engine.make_url(database_url)
    with pg.connect() as conn:  # where the server really is (a Unix socket for the embedded one)
        info = conn.connection.dbapi_connection.info
        partition = Partition(info.host, info.port)
    engine = db.make_engine(server.set(host="127.0.0.1", port=partition.port, query={})
                            .render_as_string(hide_password=False), pool_size=8)
    # Its maintenance sweep never runs: the elected sweeps are the other worker's to run.
    cut_off = Worker(engine, EngineConfig(**{**settings, "maintenance_seconds": 3600}),
                     worker_id=f"test-{uuid.uuid4().hex[:6]}")
    try:
        cut_off.start()
        # It holds every post: one inside its platform call (a platform may not take every
        # thread), the rest in its queue.
        wait_until(lambda: platform.in_flight()
                   and list(_claimed_by(space, ids).values()) == [cut_off.id] * 80, 120)
        partition.cut()  # it can still reach the platform, no longer the database
        workers(1, **settings)
        # Its own clock passes its fence (no beat confirmed since the cut) before the queued
        # posts' turn comes: it sends none of them.
        wait_until(lambda: not cut_off._unfenced(), 120)
        platform.paused = False
        assert space.wait_terminal(ids, timeout=60) == {"published": 80}
        taken_over = _reclaimed(space, ids)
        assert taken_over  # its queued posts went to the other worker, in seconds
        assert set(platform.created_counts().values()) == {1}  # and none went out twice
        assert cut_off.fenced > 0
        partition.heal()  # back: whatever it reports now is refused (its tokens are stale)
        wait_until(lambda: cut_off.results.empty() and cut_off.liveness.conn is not None, 120)
        assert space.wait_terminal(ids) == {"published": 80}
        assert set(platform.created_counts().values()) == {1}
    finally:
        partition.heal()
        cut_off.stop(grace=1.0)
        partition.close()
        engine.dispose()
        forget_workers(pg, ids=[cut_off.id])


def test_reclaim_needs_the_lock_free_and_the_heartbeat_silent(space, pg):
    """The rule itself, on rows: a silent worker holding its lock is alive (a stalled one is
    left to its lease); a beating one without its lock is alive (it retakes the lock)."""
    from app.posts import lifecycle, publishing
    from jobs import heartbeat
    from jobs.liveness import Liveness

    channel = space.channel("http://127.0.0.1:9")
    names = {k: f"test-{k}-{uuid.uuid4().hex[:6]}" for k in ("locked", "beating", "gone")}
    held = Liveness(pg, names["locked"])
    assert held.confirm()
    try:
        space.posts([channel], n=3)
        for name in names.values():
            with Session(pg) as sess, sess.begin():
                lifecycle.claim_due(sess, name, 1, 600)
                heartbeat.beat(sess, name, 1, 1)
        with Session(pg) as sess, sess.begin():
            sess.execute(sa.text("UPDATE workers SET last_tick_at = now() - interval '1 minute' "
                                 "WHERE id IN (:a, :b)"),
                         {"a": names["locked"], "b": names["gone"]})
        with Session(pg) as sess, sess.begin():
            gone, ended = publishing.reclaim_dead(sess, 5.0, actor="test")
        assert [g for g in gone if g in names.values()] == [names["gone"]]
        assert ended >= 1
        with Session(pg) as sess:
            claimed = dict(sess.execute(sa.text(
                "SELECT claimed_by, lease_until < now() + interval '1 minute' FROM posts "
                "WHERE claimed_by = ANY(:n)"), {"n": list(names.values())}).all())
        assert claimed == {names["locked"]: False, names["beating"]: False, names["gone"]: True}
    finally:
        held.release()
        forget_workers(pg, ids=list(names.values()))
