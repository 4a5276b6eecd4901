#!/usr/bin/python3
"""Writes the bench templates' contexts: a JSON array of distinct NetBox webhook contexts
(SPEC 5.1: event, timestamp, model, username, request_id, data, snapshots), deterministic for a
given count, so Herald (`herald template bench`, bench/jinja_bench) and Python Jinja2 render the
same objects and no result can come from a cache of earlier renders.

Usage: gen_contexts.py OUT.json [COUNT]   (COUNT defaults to 1000)
"""
import json
import random
import sys

SITES = ["ams1", "fra2", "lon3", "nyc4", "sjc5", "sin6", "syd7"]
ROLES = ["access-switch", "core-router", "firewall", "server", "pdu"]
STATUSES = ["active", "planned", "staged", "failed", "offline", "decommissioning"]
EVENTS = ["created", "updated", "updated", "updated", "deleted"]
USERS = ["alice", "bob", "carol", "dave", "netbox-bot"]


def device(rng, i):
    return {
        "id": 1000 + i,
        "url": "/api/dcim/devices/%d/" % (1000 + i),
        "display": "dev-%04d" % i,
        "name": "dev-%04d" % i,
        "status": {"value": rng.choice(STATUSES), "label": "x"},
        "site": {"id": rng.randint(1, 50), "name": rng.choice(SITES), "slug": "s"},
        "role": {"id": rng.randint(1, 9), "name": rng.choice(ROLES)},
        "serial": "SN%08X" % rng.getrandbits(32),
        "asset_tag": None if rng.random() < 0.5 else "AT-%d" % rng.randint(1, 99999),
        "primary_ip4": None if rng.random() < 0.3 else {"address": "10.%d.%d.%d/24" % (
            rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254))},
        "comments": rng.choice(["", "rack A", "moved \"temporarily\"", "ünïcode <b>note</b>"]),
        "tags": sorted(rng.sample(["prod", "lab", "pci", "edge", "legacy"], rng.randint(0, 3))),
        "custom_fields": {"owner_team": rng.choice(["neteng", "sre", None]),
                          "priority": rng.randint(1, 5)},
    }


def hardware(rng):
    """Platform, tenant and interfaces (read by bench/jinja_bench's body template), drawn from
    their own generator so the fields above stay as they were."""
    return {
        "platform": None if rng.random() < 0.2 else {"id": rng.randint(1, 9),
                                                      "name": rng.choice(["eos", "junos", "nx-os"])},
        "tenant": None if rng.random() < 0.5 else {"id": rng.randint(1, 9),
                                                    "name": rng.choice(["acme", "globex"])},
        "interfaces": [{
            "name": "Ethernet%d" % (n + 1),
            "enabled": rng.random() < 0.8,
            "mtu": rng.choice([None, 1500, 9000, 9214]),
            "description": rng.choice([None, "", "uplink spine%d" % n, "to \"core\" ü"]),
        } for n in range(rng.randint(1, 6))],
    }


def context(rng, i):
    post = device(rng, i)
    post.update(hardware(random.Random(1_000_000 + i)))
    post["status"]["label"] = post["status"]["value"].capitalize()
    event = rng.choice(EVENTS)
    pre = json.loads(json.dumps(post))
    for key in rng.sample(["serial", "comments", "asset_tag", "tags", "status"], rng.randint(1, 4)):
        if key == "status":
            pre["status"] = {"value": "planned", "label": "Planned"}
        elif key == "tags":
            pre["tags"] = ["lab"]
        else:
            pre[key] = "old-%s-%d" % (key, i)
    snapshots = {"prechange": None if event == "created" else pre,
                 "postchange": None if event == "deleted" else post}
    return {
        "event": event,
        "timestamp": "2026-03-%02dT%02d:%02d:%02d.%03d+00:00" % (
            1 + i % 28, i % 24, i % 60, (i * 7) % 60, i % 1000),
        "model": "device",
        "username": rng.choice(USERS),
        "request_id": "%08x-0000-4000-8000-%012x" % (i, rng.getrandbits(48)),
        "data": post,
        "snapshots": snapshots,
    }


def main():
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    rng = random.Random(14)
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        json.dump([context(rng, i) for i in range(count)], f)


if __name__ == "__main__":
    main()
