"""Webhook delivery benchmark: events fanned out to many loopback endpoints, one of them slow.

    python -m bench.webhooks [--endpoints 20] [--events 50] [--slow-ms 2000] [--threads 8]

Uses DATABASE_URL (or the embedded server), a throwaway workspace it erases afterwards, and
real HTTP receivers on 127.0.0.1. Prints one JSON line of figures last: deliveries per second,
and how long the fast endpoints took to receive everything while the slow one was still busy.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def receiver(delay: float, log: list):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            self.rfile.read(int(self.headers.get("content-length", 0)))
            time.sleep(delay)
            log.append(time.monotonic())
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def seed(sess, n_endpoints: int, n_events: int, urls: list[str]):
    from app.auth.models import Workspace
    from app.outbox import service as outbox
    from app.webhooks import service as webhooks

    ws = Workspace(name=f"bench-{uuid.uuid4().hex[:8]}")
    sess.add(ws)
    sess.commit()
    for url in urls:
        webhooks.create_endpoint(sess, ws.id, "bench", url=url)
    for i in range(n_events):
        outbox.enqueue(sess, ws.id, "webhook", "post.published", {"post": {"id": str(i)}})
    sess.commit()
    return ws


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoints", type=int, default=20)
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--slow-ms", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    os.environ["OPENPOST_ALLOW_PRIVATE_HOSTS"] = "1"
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from app import create_app, db
    from app.auth.models import Workspace
    from app.webhooks import delivery

    db.upgrade(db.database_url())
    create_app()
    slow_log: list = []
    fast_logs = [[] for _ in range(args.endpoints - 1)]
    servers = [receiver(args.slow_ms / 1000, slow_log)] + [receiver(0, log) for log in fast_logs]
    ws = seed(db.session(), args.endpoints, args.events,
              [f"http://127.0.0.1:{s.server_port}/hook" for s in servers])
    db.session.remove()
    started = time.monotonic()
    attempts = delivery.deliver_due(threads=args.threads, budget=3600)
    elapsed = time.monotonic() - started
    fast_done = max((max(log) for log in fast_logs if log), default=started) - started
    sess = db.session()
    sess.delete(sess.get(Workspace, ws.id))
    sess.commit()
    db.session.remove()
    for server in servers:
        server.shutdown()
    print(json.dumps({"endpoints": args.endpoints, "events": args.events,
                      "threads": args.threads, "slow_endpoint_ms": args.slow_ms,
                      "deliveries": attempts, "seconds": round(elapsed, 2),
                      "deliveries_per_s": round(attempts / elapsed, 1),
                      "fast_endpoints_done_after_s": round(fast_done, 2),
                      "slow_endpoint_delivered": len(slow_log)}))


if __name__ == "__main__":
    main()
