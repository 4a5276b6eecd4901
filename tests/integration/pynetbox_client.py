#!/usr/bin/python3
"""Drives a running Herald only through pynetbox, NetBox's own client (Debian's python3-pynetbox).

Usage: pynetbox_client.py <server url> <admin token> <receiver url>

The receiver answers 404, so a delivery fails and its background task can be requeued. Run by
tests/integration/pynetbox_test.cc, which starts `herald serve` and the receiver. Exits 0 when
every check passes; otherwise prints the failed check and exits 1.
"""
import sys
import time

import pynetbox

SERVER, TOKEN, RECEIVER = sys.argv[1:4]
nb = pynetbox.api(SERVER, token=TOKEN)
BASE = SERVER + "/api"  # for the calls made through nb.http_session
hooks = nb.extras.webhooks
rules = nb.extras.event_rules
AUTH = {"Authorization": "Token " + TOKEN}
DEADLINE_S = 30  # the most any wait for a state may take


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def expect_error(call, status, what):
    """Runs call(); expects pynetbox.RequestError with `status`; returns the parsed error body."""
    try:
        call()
    except pynetbox.RequestError as e:
        expect(e.req.status_code == status, f"{what}: status {e.req.status_code}: {e.error}")
        return e.req.json()
    raise AssertionError(f"{what}: no error")


def wait_for(fetch, ok, what):
    """Polls fetch() until ok(value), for at most DEADLINE_S seconds; returns the value."""
    end = time.monotonic() + DEADLINE_S
    while True:
        value = fetch()
        if ok(value):
            return value
        expect(time.monotonic() < end, f"{what}: still {value!r} after {DEADLINE_S} s")
        time.sleep(0.05)


# --- version and status ---------------------------------------------------------------------
expect(nb.version == "4.6", f"version {nb.version!r}")
status = nb.status()
expect("herald-version" in status and status["store"] == "sqlite", f"status {status}")

# --- webhooks: create one and in bulk ---------------------------------------------------------
first = hooks.create(name="hook-1", payload_url=RECEIVER, description="first")
expect(first.id > 0 and first.name == "hook-1" and first.http_method == "POST", dict(first))
bulk = hooks.create([{"name": f"bulk-{i:02d}", "payload_url": RECEIVER,
                      "http_method": "PUT" if i % 2 else "POST"} for i in range(60)])
expect(len(bulk) == 60 and all(b.id for b in bulk), f"bulk create gave {len(bulk)}")
# A bulk create is all or nothing, with NetBox's per-item errors.
body = expect_error(lambda: hooks.create([{"name": "fine", "payload_url": RECEIVER},
                                          {"name": "no-url"}]), 400, "bad bulk create")
expect(body[0] == {} and body[1] == {"payload_url": ["This field is required."]}, body)
expect(hooks.count(name="fine") == 0, "a refused bulk create saved an item")

# --- get, count, pagination --------------------------------------------------------------------
expect(hooks.count() == 61, f"count {hooks.count()}")
expect(hooks.get(first.id).description == "first", "get by id")
expect(hooks.get(name="hook-1").id == first.id, "get by filter")
expect(hooks.get(999999) is None, "get of a missing id")
paged = list(hooks.filter(name__isw="BULK-", limit=25))  # three pages through `next` links
expect(sorted(h.id for h in paged) == sorted(b.id for b in bulk), f"paged {len(paged)}")
expect(len(list(hooks.all())) == 61, "all()")
# NetBox 4.6's ?start= cursor pages, followed through their `next` links.
url, seen = f"{BASE}/extras/webhooks/?start=0&limit=20&name__isw=bulk", []
while url:
    page = nb.http_session.get(url, headers=AUTH).json()
    expect(page["count"] is None, "a cursor page has no count")
    seen += [r["id"] for r in page["results"]]
    url = page["next"]
expect(seen == sorted(b.id for b in bulk), f"cursor pages {seen}")

# --- filters with lookups ----------------------------------------------------------------------
expect(hooks.count(name__ic="BULK-0") == 10, "name__ic")
expect(hooks.count(http_method="PUT") == 30, "http_method")
expect(hooks.count(http_method=["PUT", "POST"]) == 61, "repeated values are OR'd")
expect(hooks.count(name__n=["hook-1", "bulk-00"]) == 59, "__n values are each excluded")
expect(hooks.count(id__gt=first.id, http_method__n="PUT") == 30, "id__gt with http_method__n")
expect(hooks.count(q="hook-") == 1, "q")
expect(hooks.count(description__empty=True) == 60, "description__empty")
expect(hooks.count(no_such_filter="x") == 61, "an unknown filter is ignored, as in NetBox")
body = expect_error(lambda: list(hooks.filter(id="abc")), 400, "bad id value")
expect(body == {"id": ["Enter a whole number."]}, body)
expect_error(lambda: list(hooks.filter(tag="prod")), 400, "tags are refused")
ordered = [h.name for h in hooks.filter(name__isw="bulk-0", ordering="-name")]
expect(ordered == [f"bulk-{i:02d}" for i in range(9, -1, -1)], f"ordering {ordered}")

# --- updates: .save(), .update(), bulk updates ------------------------------------------------
one = hooks.get(first.id)
one.description = "changed"
expect(one.save(), "save")
# The secret is write-only: reads answer `"secret": null` and `secret_set`, so `.save()` sends a
# secret set on a fetched record, and a record saved without touching it keeps its secret.
expect(one.secret is None and one.secret_set is False, dict(one))
one.secret = "s3cret"
expect(one.save(), "save the secret")
again = hooks.get(first.id)
expect(again.description == "changed" and again.secret_set is True and again.secret is None,
       dict(again))
again.description = "changed again"
expect(again.save(), "save without the secret")
expect(hooks.get(first.id).secret_set is True, "a save that leaves the secret out keeps it")
hooks.update([{"id": first.id, "description": "changed"}])
expect(again.update({"http_method": "PATCH"}), "record update")
expect(hooks.get(first.id).http_method == "PATCH", "record update stored")
updated = hooks.filter(name__isw="bulk-1").update(description="tenth")
expect(len(updated) == 10 and hooks.count(description="tenth") == 10, "RecordSet.update")
hooks.update([{"id": bulk[0].id, "description": "zero"}, {"id": bulk[1].id, "timeout": 9}])
expect(hooks.get(bulk[0].id).description == "zero" and hooks.get(bulk[1].id).timeout == 9,
       "Endpoint.update")
body = expect_error(lambda: hooks.update([{"id": bulk[2].id, "http_method": "NOPE"}]), 400,
                    "bad bulk update")
expect(body["errors"][0]["id"] == bulk[2].id and "http_method" in body["errors"][0]["errors"],
       body)

# --- choices ------------------------------------------------------------------------------------
choices = hooks.choices()
expect([c["value"] for c in choices["http_method"]] == ["GET", "POST", "PUT", "PATCH", "DELETE"],
       choices)
rule_choices = rules.choices()
expect([c["value"] for c in rule_choices["action_type"]] == ["webhook"], rule_choices)

# --- event rules ----------------------------------------------------------------------------------
rule = dict(object_types=["dcim.site"], event_types=["object_created"],
            action_object_type="extras.webhook")
r1 = rules.create(name="rule-1", action_object_id=first.id, **rule)
made = rules.create([dict(name="rule-a", action_object_id=bulk[0].id, **rule),
                     dict(name="rule-b", action_object_id=bulk[1].id, **rule,
                          description="delivers")])
expect(r1.action_type.value == "webhook" and len(made) == 2, "rule create")
expect(rules.count(object_type="dcim.site") == 3, "object_type")
expect(rules.count(event_type=["object_deleted", "object_created"]) == 3, "event_type")
expect(rules.count(action_object_id=[first.id, bulk[0].id]) == 2, "action_object_id")
r1.enabled = False
expect(r1.save() and rules.count(enabled=False) == 1, "rule save")
expect(rules.get(r1.id).conditions is None, "conditions read back")

# --- deletes --------------------------------------------------------------------------------------
expect(hooks.get(bulk[59].id).delete(), "delete one")
expect(hooks.get(bulk[59].id) is None, "deleted")
# A webhook's event rules are deleted with it, as in NetBox.
expect(hooks.get(bulk[0].id).delete(), "delete a webhook in use")
expect(rules.get(made[0].id) is None, "its rule went with it")
expect(hooks.filter(name__isw="bulk-3").delete(), "RecordSet.delete")
expect(hooks.count(name__isw="bulk-3") == 0, "bulk deleted")
expect(hooks.delete([bulk[40].id, bulk[41].id]), "Endpoint.delete")
expect(hooks.count() == 61 - 1 - 1 - 10 - 2, f"count after deletes {hooks.count()}")

# --- background tasks through nb.http_session -------------------------------------------------
event = {"event": "created", "object_type": "dcim.site", "username": "admin",
         "timestamp": "2026-03-06T15:11:23.503186+00:00", "data": {"id": 4, "name": "Site 4"}}
posted = nb.http_session.post(f"{BASE}/events/", json=event, headers=AUTH)
expect(posted.status_code == 202, f"ingest {posted.status_code} {posted.text}")
tasks_url = f"{BASE}/core/background-tasks/"
failed = wait_for(lambda: nb.http_session.get(tasks_url, params={"status": "failed"},
                                              headers=AUTH).json(),
                  lambda page: page["count"] == 1, "the failed delivery")
task = failed["results"][0]
expect(task["kwargs"]["event_rule"] == "rule-b" and task["status"] == "failed", task)
detail = nb.http_session.get(f"{tasks_url}{task['id']}/", headers=AUTH).json()
expect(detail["id"] == task["id"] and detail["attempt_log"][0]["status_code"] == 404, detail)
requeued = nb.http_session.post(f"{tasks_url}{task['id']}/requeue/", headers=AUTH)
expect(requeued.status_code == 200, f"requeue {requeued.status_code} {requeued.text}")
wait_for(lambda: nb.http_session.get(f"{tasks_url}{task['id']}/", headers=AUTH).json(),
         lambda t: t["status"] == "failed" and t["attempts"] == 2, "the requeued delivery")
listed = nb.http_session.get(tasks_url, params={"status": "all"}, headers=AUTH).json()
expect(listed["count"] == 1, listed)

print("pynetbox: every check passed")
