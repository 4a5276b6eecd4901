"""Post NetBox's events straight to Herald, from NetBox's EVENTS_PIPELINE.

NetBox calls every function listed in its ``EVENTS_PIPELINE`` setting with the list of events a
request queued, after the request committed. List this module's ``send_events`` there:

    EVENTS_PIPELINE = ["extras.events.process_event_queue", "herald_pipeline.send_events"]

and it posts the whole list to Herald's ``POST /api/events/`` as one JSON array, each event in
NetBox's default webhook body shape, with an ingest-only token and an ``Idempotency-Key`` header
(the SHA-256 of the exact body bytes, so a resent batch carries the same key).

It never raises into NetBox's request. If Herald is unreachable, slower than the timeout, or
answers 5xx (or 408/429), the batch is written to a spool directory (one file per batch: temp
file, fsync, rename, directory fsync) and a background thread resends spooled batches oldest
first, with exponential backoff, deleting each only after Herald's 202. Any other answer (4xx,
or a status that shows the URL is not Herald's events endpoint) is logged at ERROR and the batch
is moved to ``<spool>/rejected/``: it is never retried blindly (move it back to resend it).
While older batches wait in the spool, new ones join the spool too, so Herald sees them in order.
Several NetBox processes may share one spool: a lock file lets one of them flush at a time.

Settings come from ``PLUGINS_CONFIG["herald_pipeline"]`` in NetBox's configuration when Django
settings are importable, else from environment variables (see ``Settings``). Standard library
only; see docs/netbox.md for the operator guide. ``python3 herald_pipeline.py --flush`` sends
the spool once from the command line and exits (0 when the spool is empty afterwards).
"""

import datetime
import decimal
import fcntl
import hashlib
import json
import logging
import os
import threading
import time
import urllib.error
import urllib.request
import uuid

logger = logging.getLogger("netbox.herald_pipeline")

# NetBox's event type -> the `event` value of its webhook body (SPEC §5.1).
EVENT_NAMES = {
    "object_created": "created",
    "object_updated": "updated",
    "object_deleted": "deleted",
    "job_started": "job_started",
    "job_completed": "job_ended",
    "job_failed": "job_ended",
    "job_errored": "job_ended",
}

# Statuses that mean "try again later" rather than "this batch is wrong".
RETRYABLE_STATUSES = {408, 429}


class Settings:
    """Where and how to post. Each field is read from PLUGINS_CONFIG["herald_pipeline"][key]
    when NetBox's Django settings are importable and hold it, else from the environment variable
    named beside it."""

    FIELDS = {
        # key: (environment variable, default)
        "url": ("HERALD_URL", "http://127.0.0.1:8080/"),
        "token": ("HERALD_TOKEN", ""),
        "spool_dir": ("HERALD_SPOOL_DIR", "/var/spool/netbox-herald"),
        "timeout": ("HERALD_TIMEOUT", "2"),
        "max_backoff": ("HERALD_MAX_BACKOFF", "60"),
    }

    def __init__(self, url, token, spool_dir, timeout=2.0, max_backoff=60.0):
        base = url if url.endswith("/") else url + "/"
        # Accept either Herald's base URL or the events endpoint itself.
        self.events_url = base if base.endswith("/api/events/") else base + "api/events/"
        self.token = token
        self.spool_dir = spool_dir
        self.timeout = float(timeout)
        self.max_backoff = float(max_backoff)

    @classmethod
    def load(cls):
        plugin = {}
        try:
            from django.conf import settings as django_settings  # NetBox's settings, if any

            plugin = dict(getattr(django_settings, "PLUGINS_CONFIG", {}).get("herald_pipeline", {}))
        except Exception:  # not inside NetBox (or settings not configured): environment only
            plugin = {}
        values = {}
        for key, (env, default) in cls.FIELDS.items():
            values[key] = plugin[key] if key in plugin else os.environ.get(env, default)
        return cls(**values)


# --- NetBox's serialisation ------------------------------------------------------------------


class NetBoxJSONEncoder(json.JSONEncoder):
    """Encodes values as DRF's JSON encoder does for NetBox's webhook bodies (SPEC §5.4):
    datetimes in ISO 8601 with "+00:00" written "Z", dates and times in ISO, timedeltas as a
    string of total seconds, Decimals as floats, UUIDs as strings, bytes decoded, mappings as
    objects and other iterables as arrays. Anything else (a lazy translation string, say)
    becomes its str() so that encoding never fails inside NetBox's request."""

    def default(self, o):
        if isinstance(o, datetime.datetime):
            text = o.isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        if isinstance(o, (datetime.date, datetime.time)):
            return o.isoformat()
        if isinstance(o, datetime.timedelta):
            return str(o.total_seconds())
        if isinstance(o, decimal.Decimal):
            return float(o)
        if isinstance(o, uuid.UUID):
            return str(o)
        if isinstance(o, bytes):
            return o.decode()
        if hasattr(o, "tolist"):
            return o.tolist()
        if hasattr(o, "keys") and hasattr(o, "__getitem__"):
            return {k: o[k] for k in o.keys()}
        if hasattr(o, "__iter__"):
            return list(o)
        return str(o)


def encode(value):
    """NetBox's `json.dumps` layout: ", " and ": " separators, ASCII only, insertion order."""
    return json.dumps(value, cls=NetBoxJSONEncoder)


def _object_type(value):
    """An ObjectType/ContentType (app_label and model) or already a "dcim.site" string."""
    if hasattr(value, "app_label") and hasattr(value, "model"):
        return "{}.{}".format(value.app_label, value.model)
    return None if value is None else str(value)


def _request_dict(req, username, legacy):
    """The `request` key of the body: 4.6 {id, method, path, user}; 4.7 adds path_info and GET."""
    if req is None or isinstance(req, dict):
        return req
    rid = getattr(req, "id", None)
    out = {
        "id": None if rid is None else str(rid),
        "method": getattr(req, "method", None),
        "path": getattr(req, "path", None),
        "user": username,
    }
    if not legacy:  # NetBox 4.7's shape
        out["path_info"] = getattr(req, "path_info", None)
        get = getattr(req, "GET", None)
        out["GET"] = {k: get[k] for k in get.keys()} if get is not None else {}
    return out


def webhook_body(event, timestamp):
    """One queued NetBox event (SPEC §4.2: object_type, event_type, data, snapshots, request,
    user, and in 4.6 username and request_id) as the dict NetBox's default webhook body would
    be, keys in NetBox's order (SPEC §5.1). `data` is read through the event's own mapping, so
    NetBox's lazy serialisation runs as it would for a webhook."""
    event_type = event["event_type"]
    user = event.get("user")
    username = getattr(user, "username", None) or event.get("username")
    legacy = "request_id" in event or "username" in event  # NetBox <= 4.6 events carry them
    body = {
        "event": EVENT_NAMES.get(event_type, event_type),
        "timestamp": timestamp,
        "object_type": _object_type(event.get("object_type")),
    }
    if legacy:
        body["username"] = username
        rid = event.get("request_id")
        body["request_id"] = None if rid is None else str(rid)
    body["data"] = event["data"] if "data" in event else None
    request = event.get("request")
    if request is not None:
        body["request"] = _request_dict(request, username, legacy)
    snapshots = event.get("snapshots")
    if snapshots:
        body["snapshots"] = snapshots
    return body


def batch_bytes(events, now=None):
    """The request body for a list of events: a JSON array, UTF-8 (ASCII in fact)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    timestamp = now.isoformat()  # NetBox's webhook timestamp: microseconds and "+00:00"
    return encode([webhook_body(e, timestamp) for e in events]).encode()


def idempotency_key(body):
    """A stable key for a batch: the SHA-256 of its exact bytes (a resend sends the same bytes)."""
    return hashlib.sha256(body).hexdigest()


# --- Posting ----------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are not followed: urllib would turn the POST into a bodiless GET."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)

SENT, RETRY, REJECTED = "sent", "retry", "rejected"


def post_batch(settings, body):
    """Posts one batch. Returns (SENT | RETRY | REJECTED, detail); never raises."""
    req = urllib.request.Request(settings.events_url, data=body, method="POST")
    req.add_header("Content-Type", "application/json")
    req.add_header("Authorization", "Token " + settings.token)
    req.add_header("Idempotency-Key", idempotency_key(body))
    try:
        with _opener.open(req, timeout=settings.timeout) as resp:
            status, text = resp.status, resp.read(2048)
    except urllib.error.HTTPError as err:
        status, text = err.code, err.read(2048)
    except Exception as err:  # refused, reset, timeout, DNS, TLS: Herald is not there now
        return RETRY, "{}: {}".format(type(err).__name__, err)
    detail = "HTTP {} {}".format(status, text.decode("utf-8", "replace").strip())
    if status == 202:
        return SENT, detail
    if status >= 500 or status in RETRYABLE_STATUSES:
        return RETRY, detail
    return REJECTED, detail


# --- The spool --------------------------------------------------------------------------------


def _fsync_dir(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Spool:
    """One file per batch, named so that name order is arrival order; `rejected/` beside them."""

    def __init__(self, path):
        self.path = path
        self.rejected = os.path.join(path, "rejected")
        self._seq = 0
        self._lock = threading.Lock()

    def _ensure(self):
        os.makedirs(self.rejected, exist_ok=True)

    def pending(self):
        """Spooled batch files, oldest first."""
        try:
            names = os.listdir(self.path)
        except FileNotFoundError:
            return []
        return sorted(n for n in names if n.endswith(".json"))

    def write(self, body, rejected=False):
        """Writes a batch atomically and durably (temp file, fsync, rename, directory fsync) into
        the spool, or straight into rejected/. Returns the file's path."""
        self._ensure()
        with self._lock:
            self._seq += 1
            name = "{:020d}-{}-{:06d}.json".format(time.time_ns(), os.getpid(), self._seq)
        folder = self.rejected if rejected else self.path
        tmp = os.path.join(folder, "." + name + ".tmp")  # not *.json: flushers skip it
        with open(tmp, "wb") as f:
            f.write(body)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, os.path.join(folder, name))
        _fsync_dir(folder)
        return os.path.join(folder, name)

    def read(self, name):
        with open(os.path.join(self.path, name), "rb") as f:
            return f.read()

    def remove(self, name):
        os.unlink(os.path.join(self.path, name))
        _fsync_dir(self.path)

    def reject(self, name):
        self._ensure()
        os.rename(os.path.join(self.path, name), os.path.join(self.rejected, name))
        _fsync_dir(self.rejected)
        _fsync_dir(self.path)

    def flush_lock(self):
        """A lock file held while flushing, so processes sharing the spool take turns."""
        self._ensure()
        return open(os.path.join(self.path, ".flush.lock"), "a")


# --- The pipeline -----------------------------------------------------------------------------


class Pipeline:
    """Sends batches now, or spools them and resends them from a background thread."""

    POLL_SECONDS = 30.0  # how often an idle flusher looks for batches spooled by other processes

    def __init__(self, settings):
        self.settings = settings
        self.spool = Spool(settings.spool_dir)
        self._wake = threading.Event()
        self._thread = None
        self._thread_lock = threading.Lock()
        self._stopping = False

    def send(self, events):
        """The EVENTS_PIPELINE step: never raises."""
        try:
            if isinstance(events, dict):  # a queue keyed by object, should NetBox pass one
                events = events.values()
            events = list(events or [])
            if not events:
                return
            body = batch_bytes(events)
        except Exception:
            logger.exception("Herald: could not serialise %s event(s); they are NOT sent",
                             _count(events))
            return
        try:
            if self.spool.pending():  # older batches first: join the queue
                self._spool(body, "older batches are waiting in the spool")
                return
            outcome, detail = post_batch(self.settings, body)
            if outcome == SENT:
                return
            if outcome == REJECTED:
                path = self.spool.write(body, rejected=True)
                logger.error("Herald REJECTED a batch of %d event(s) (%s); kept as %s",
                             len(events), detail, path)
                return
            self._spool(body, detail)
        except Exception:
            logger.exception("Herald: could not send or spool %d event(s); they are LOST",
                             len(events))

    def _spool(self, body, why):
        path = self.spool.write(body)
        logger.warning("Herald: batch spooled as %s (%s)", path, why)
        self.start()
        self._wake.set()

    def start(self):
        """Starts the background flusher once per process."""
        with self._thread_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="herald-spool", daemon=True)
                self._thread.start()

    def stop(self, timeout=None):
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self):
        first = min(1.0, self.settings.max_backoff)
        backoff = first
        while not self._stopping:
            try:
                outcome = self.flush()
            except Exception:
                logger.exception("Herald: spool flush failed")
                outcome = RETRY
            if outcome == RETRY:
                delay, backoff = backoff, min(backoff * 2, self.settings.max_backoff)
            else:
                delay, backoff = self.POLL_SECONDS, first
            self._wake.wait(delay)
            self._wake.clear()

    def flush(self):
        """Sends spooled batches in order until the spool is empty (returns SENT) or Herald
        cannot take one now (RETRY). Another process flushing the same spool ⇒ RETRY."""
        with self.spool.flush_lock() as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return RETRY
            for name in self.spool.pending():
                try:
                    body = self.spool.read(name)
                except FileNotFoundError:  # flushed by another process meanwhile
                    continue
                outcome, detail = post_batch(self.settings, body)
                if outcome == SENT:
                    self.spool.remove(name)
                    logger.info("Herald: spooled batch %s delivered", name)
                elif outcome == REJECTED:
                    self.spool.reject(name)
                    logger.error("Herald REJECTED spooled batch %s (%s); moved to %s", name,
                                 detail, self.spool.rejected)
                else:
                    logger.warning("Herald: spooled batch %s not sent yet (%s)", name, detail)
                    return RETRY
            return SENT


def _count(events):
    """len(events) for log lines, or "?" (logging must not raise either)."""
    try:
        return len(events)
    except Exception:
        return "?"


_default = None
_default_lock = threading.Lock()


def _pipeline():
    global _default
    with _default_lock:
        if _default is None:
            _default = Pipeline(Settings.load())
            if _default.spool.pending():  # batches left by an earlier run
                _default.start()
        return _default


def send_events(events):
    """The function to list in NetBox's EVENTS_PIPELINE."""
    try:
        _pipeline().send(events)
    except Exception:
        logger.exception("Herald: pipeline failed; %s event(s) not sent", _count(events))


def main(argv):
    """`python3 herald_pipeline.py --flush`: send the spool once (settings from the environment)."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    if argv[1:] != ["--flush"]:
        print("usage: herald_pipeline.py --flush")
        return 2
    pipeline = Pipeline(Settings.load())
    pipeline.flush()
    left = len(pipeline.spool.pending())
    print("{} batch(es) left in {}".format(left, pipeline.spool.path))
    return 0 if left == 0 else 1


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv))
