#!/usr/bin/python3
"""Events/s from NetBox into Herald through contrib/netbox/herald_pipeline.py (issue 12).

Starts the real `herald serve` on a free loopback port with a temporary SQLite store and one
catch-all event rule (its webhook points at a closed loopback port, so tasks are created as in
production and their deliveries fail fast without a receiver slowing ingest), then calls the
pipeline's `send` as NetBox's request cycle would, once per "request", with 1, 10, 100 and
1,000 events per request. Each run is bounded by a count and a time. The figure covers building
NetBox's bodies, JSON encoding, the HTTP post and Herald's durable commit (202), single-threaded:
one NetBox process. It never asserts; it prints events/s next to NetBox's own webhook path
(36–66 deliveries/s per worker on these machines, measured separately).

    python3 bench/netbox_pipeline_bench.py build/herald [--seconds 5]
"""

import argparse
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# NetBox's webhook path on these machines, deliveries/s per RQ worker (issue 12).
NETBOX_WEBHOOK_PATH = "36-66"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("herald_bin")
    ap.add_argument("--seconds", type=float, default=5.0, help="time bound per batch size")
    ap.add_argument("--max-events", type=int, default=50000, help="count bound per batch size")
    args = ap.parse_args()

    os.environ["HERALD_BIN"] = os.path.abspath(args.herald_bin)
    os.environ["HERALD_CONTRIB"] = os.path.join(ROOT, "contrib", "netbox")
    # The integration test's NetBox stand-ins and Herald launcher serve here too.
    sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
    import netbox_pipeline_test as t  # noqa: E402  (reads the two variables above)

    hp = t.hp
    workdir = tempfile.mkdtemp(prefix="herald-netbox-bench-")
    herald = t.Herald(workdir, t.free_port()).start()
    try:
        token = herald.token("--ingest-only", "--name", "bench")
        hook = herald.api("api/extras/webhooks/", {
            "name": "nowhere", "payload_url": "http://127.0.0.1:{}/".format(t.free_port())})
        herald.api("api/extras/event-rules/", {
            "name": "everything", "object_types": ["dcim.site"],
            "event_types": ["object_created", "object_updated", "object_deleted"],
            "action_type": "webhook", "action_object_type": "extras.webhook",
            "action_object_id": hook["id"]})
        pipeline = hp.Pipeline(hp.Settings(herald.url(), token, os.path.join(workdir, "spool"),
                                           timeout=30))
        print("NetBox -> Herald through herald_pipeline.py (one NetBox process, loopback)")
        print("{:>16} {:>10} {:>10} {:>12} {:>8}".format(
            "events/request", "requests", "events", "events/s", "spooled"))
        next_id = 1
        for per_request in (1, 10, 100, 1000):
            sent = requests = 0
            start = time.perf_counter()
            deadline = start + args.seconds
            while time.perf_counter() < deadline and sent + per_request <= args.max_events:
                events = [t.netbox_event(next_id + i) for i in range(per_request)]
                next_id += per_request
                pipeline.send(events)
                sent += per_request
                requests += 1
            elapsed = time.perf_counter() - start
            print("{:>16} {:>10} {:>10} {:>12.0f} {:>8}".format(
                per_request, requests, sent, sent / elapsed, len(pipeline.spool.pending())))
        print("NetBox's webhook path (RQ worker, one request per event): {} events/s".format(
            NETBOX_WEBHOOK_PATH))
    finally:
        herald.stop()
        herald.log.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
