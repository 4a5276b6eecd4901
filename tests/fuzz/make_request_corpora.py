#!/usr/bin/env python3
"""Writes the seed corpora of handler_fuzz and ingest_fuzz (tests/fuzz/{handler,ingest}_corpus/).

handler_fuzz seeds: byte 0 = credential (0 none, 1 admin token, 2 read-only token, 3 ingest-only
token, 4 bogus token, 5 admin UI session, 6 read-only UI session, 7 admin token and session), then
one raw HTTP/1.1 request. "{csrf}", "{hook}" and "{rule}" are filled in by the fuzzer.
Run from the repository root: python3 tests/fuzz/make_request_corpora.py
"""
import json
import os
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
NONE, ADMIN, RO, INGEST, BOGUS, ADMIN_UI, RO_UI, BOTH = range(8)

DEVICE = {"event": "created", "timestamp": "2026-11-27T09:31:33.123456+00:00",
          "object_type": "dcim.device", "username": "admin", "request_id": "b7c1",
          "data": {"id": 7, "name": "web01", "status": {"value": "active", "label": "Active"},
                   "tags": [{"name": "x"}]},
          "snapshots": {"prechange": None, "postchange": {"name": "web01"}}}
WEBHOOK = {"name": "h2", "payload_url": "http://127.0.0.1:9/x", "http_method": "PUT",
           "http_content_type": "application/json", "additional_headers": "X-A: {{ event }}",
           "body_template": "{{ data|tojson }}", "secret": "s", "ssl_verification": False,
           "timeout": 5, "max_attempts": 3, "retry_policy": "fixed", "retry_interval": 10}
RULE = {"name": "r2", "object_types": ["dcim.site"], "event_types": ["object_deleted"],
        "enabled": True, "action_type": "webhook", "action_object_type": "extras.webhook",
        "action_object_id": "{hook}", "action_data": {"k": 1},
        "conditions": {"attr": "status.value", "value": "active"}}


def request(method, target, body=b"", headers=()):
    if isinstance(body, str):
        body = body.encode()
    head = f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
    for k, v in headers:
        head += f"{k}: {v}\r\n"
    if body or method in ("POST", "PUT", "PATCH"):
        head += f"Content-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


def jpost(method, target, obj, ctype="application/json"):
    body = obj if isinstance(obj, str) else json.dumps(obj)
    return request(method, target, body, [("Content-Type", ctype)])


def form(target, fields):
    body = urllib.parse.urlencode([("csrf", "{csrf}")] + fields).replace("%7Bcsrf%7D", "{csrf}")
    body = body.replace("%7Bhook%7D", "{hook}").replace("%7Brule%7D", "{rule}")
    return request("POST", target, body, [("Content-Type", "application/x-www-form-urlencoded"),
                                          ("Origin", "http://127.0.0.1:8080")])


def handler_seeds():
    s = []
    for cred in (NONE, ADMIN, RO, INGEST, BOGUS):
        for path in ("/api/", "/api", "/api/status/", "/api/extras/webhooks/",
                     "/api/extras/webhooks/{hook}/", "/api/extras/event-rules/",
                     "/api/extras/event-rules/{rule}/", "/api/events/", "/api/events/1/",
                     "/api/core/background-queues/", "/api/core/background-tasks/",
                     "/api/core/background-tasks/?status=failed&limit=2&offset=1",
                     "/api/extras/webhooks/?name=hook&brief=1", "/metrics", "/api/nope/x/y/z/"):
            s.append((cred, request("GET", path)))
    s.append((NONE, request("HEAD", "/api/status/")))
    for cred in (ADMIN, INGEST, RO, NONE):
        s.append((cred, jpost("POST", "/api/events/", DEVICE)))
    s.append((ADMIN, jpost("POST", "/api/events/", [DEVICE, dict(DEVICE, event="updated")])))
    s.append((ADMIN, jpost("POST", "/api/events/", json.dumps(DEVICE) + "\n" + json.dumps(DEVICE) + "\n",
                           "application/x-ndjson")))
    s.append((ADMIN, jpost("POST", "/api/events/", {"event": "job_started", "object_type": "core.job",
                                                    "data": None})))
    s.append((ADMIN, request("POST", "/api/events/", json.dumps(DEVICE),
                             [("Content-Type", "application/json"), ("Expect", "100-continue")])))
    s.append((ADMIN, jpost("POST", "/api/extras/webhooks/", WEBHOOK)))
    s.append((ADMIN, jpost("PUT", "/api/extras/webhooks/{hook}/", dict(WEBHOOK, name="hook"))))
    s.append((ADMIN, jpost("PATCH", "/api/extras/webhooks/{hook}/", {"timeout": 9})))
    s.append((ADMIN, request("DELETE", "/api/extras/webhooks/99/")))
    s.append((ADMIN, jpost("POST", "/api/extras/event-rules/", json.dumps(RULE).replace('"{hook}"', "{hook}"))))
    s.append((ADMIN, jpost("PATCH", "/api/extras/event-rules/{rule}/", {"enabled": False})))
    s.append((ADMIN, jpost("PUT", "/api/extras/event-rules/{rule}/", dict(RULE, action_object_id=1))))
    s.append((ADMIN, request("DELETE", "/api/extras/event-rules/99/")))
    for action in ("requeue", "enqueue", "stop", "delete"):
        s.append((ADMIN, request("POST", f"/api/core/background-tasks/00000000-0000-0000-0000-000000000000/{action}/")))
    s.append((RO, jpost("POST", "/api/extras/webhooks/", WEBHOOK)))
    s.append((ADMIN, request("OPTIONS", "/api/extras/webhooks/")))
    s.append((ADMIN, request("POST", "/api/events/", "x" * 300,
                             [("Transfer-Encoding", "chunked")]).replace(b"Content-Length: 300\r\n", b"")))
    s.append((ADMIN, b"POST /api/events/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                     b"Content-Type: application/json\r\n\r\n5\r\n{\"a\":\r\n3\r\n 1}\r\n0\r\n\r\n"))
    # UI pages.
    for cred in (NONE, ADMIN_UI, RO_UI):
        for path in ("/", "/login", "/login?next=/webhooks/", "/webhooks/", "/webhooks/new",
                     "/webhooks/{hook}", "/webhooks/{hook}/edit", "/webhooks/{hook}/preview",
                     "/rules/", "/rules/new", "/rules/{rule}", "/rules/{rule}/edit",
                     "/rules/{rule}/check", "/events/", "/events/1", "/queues", "/tasks/",
                     "/tasks/?status=failed&page=2&q=%3Cscript%3E", "/tasks/x",
                     "/static/app.css", "/static/app.js", "/favicon.ico", "/nope"):
            s.append((cred, request("GET", path)))
    s.append((NONE, form("/login", [("token", "bogus"), ("next", "/rules/")])))
    s.append((ADMIN_UI, form("/webhooks/new", [(k, str(v)) for k, v in WEBHOOK.items()])))
    s.append((ADMIN_UI, form("/webhooks/{hook}/edit", [("name", "hook"), ("payload_url", "http://127.0.0.1:9/"),
                                                       ("http_method", "POST"), ("body_template", "{{ event }}")])))
    s.append((ADMIN_UI, form("/webhooks/{hook}/preview", [("sample", json.dumps(DEVICE)), ("action", "render")])))
    s.append((RO_UI, form("/webhooks/{hook}/preview", [("sample", json.dumps(DEVICE))])))
    s.append((ADMIN_UI, form("/rules/new", [("name", "r3"), ("object_types", "dcim.device"),
                                            ("event_types", "object_created"), ("action_object_id", "{hook}"),
                                            ("conditions", '{"attr": "name", "value": "x"}'),
                                            ("action_data", '{"a": 1}'), ("enabled", "on")])))
    s.append((ADMIN_UI, form("/rules/{rule}/edit", [("name", "rule"), ("object_types", "dcim.device"),
                                                    ("event_types", "object_updated"), ("action_object_id", "{hook}")])))
    s.append((ADMIN_UI, form("/rules/{rule}/check", [("sample", json.dumps(DEVICE))])))
    s.append((ADMIN_UI, form("/webhooks/99/delete", [])))
    s.append((ADMIN_UI, form("/rules/99/delete", [])))
    s.append((ADMIN_UI, form("/tasks/requeue-failed", [])))
    for action in ("requeue", "enqueue", "stop", "delete"):
        s.append((ADMIN_UI, form(f"/tasks/00000000-0000-0000-0000-000000000000/{action}", [])))
    s.append((RO_UI, form("/webhooks/new", [("name", "x")])))
    s.append((NONE, form("/webhooks/new", [("name", "x")])))
    s.append((ADMIN_UI, form("/logout", [])))
    s.append((BOTH, request("GET", "/api/extras/webhooks/{hook}/")))
    return s


def ingest_seeds():
    one = json.dumps(DEVICE)
    return [
        b"\x00" + one.encode(),
        b"\x00" + json.dumps([DEVICE, dict(DEVICE, event="updated", object_type="dcim.site",
                                              data={"id": 1, "status": {"value": "a"}})]).encode(),
        b"\x01" + (one + "\n" + json.dumps(dict(DEVICE, event="deleted")) + "\n").encode(),
        b"\x00" + json.dumps({"event": "updated", "model": "interface", "object_type": "dcim.interface",
                              "data": {"id": 3}, "snapshots": {"prechange": {"enabled": True},
                                                                "postchange": {"enabled": False}}}).encode(),
        b"\x00" + json.dumps({"event": "job_completed", "object_type": "core.job", "data": None,
                              "context": {"a": 1}, "request": {"id": "x"}}).encode(),
        b"\x00" + json.dumps({"event": "created", "object_type": "dcim.device",
                              "data": {"id": 5, "name": "db12", "tags": ["x", "y"]}}).encode(),
        b"\x00[]",
        b"\x00{\"event\": 1}",
        b"\x01{}\n\n{\"event\": \"created\"}\n",
    ]


def write(dirname, seeds):
    path = os.path.join(HERE, dirname)
    os.makedirs(path, exist_ok=True)
    for f in os.listdir(path):
        os.remove(os.path.join(path, f))
    for i, seed in enumerate(seeds):
        with open(os.path.join(path, f"seed{i:03d}"), "wb") as f:
            f.write(seed)


write("handler_corpus", [bytes([cred]) + req for cred, req in handler_seeds()])
write("ingest_corpus", ingest_seeds())
