"""Load for the restart tests: a stream of events written to identity's outbox, and gateway traffic,
each recording what happened so the test can count it afterwards.

Both run as green threads in the test process (the root conftest patched sockets and psycopg2).
"""
import time
import uuid

import eventlet
import psycopg2
import psycopg2.extras
import requests

from kepu_common.interfaces.contracts import make_event
from kepu_common.bus.outbox import notify_channel


class EventStream:
    """Commits `total` ping events to identity's outbox, `batch` per transaction, as the service's own
    transactions would (rows plus NOTIFY). Survives the database going away: a batch whose commit is in
    doubt is looked up after reconnecting and written again only if it is not there."""

    def __init__(self, database_url, total, tag, batch=1000, pause=0.0):
        self.database_url = database_url
        self.total = total
        self.tag = tag
        self.batch = batch
        self.pause = pause
        self.written = 0
        self.event_ids = []
        self.write_failures = 0
        self._thread = None

    def start(self):
        self._thread = eventlet.spawn(self._run)
        return self

    def wait(self, timeout):
        with eventlet.Timeout(timeout):
            self._thread.wait()

    def wait_written(self, count, timeout):
        deadline = time.monotonic() + timeout
        while self.written < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {self.written} of {count} events written in {timeout}s")
            eventlet.sleep(0.1)

    def _rows(self, start):
        rows = []
        for n in range(start, min(start + self.batch, self.total)):
            event = make_event("ping", "identity", ping_id=str(uuid.uuid4()), message=f"{self.tag}-{n}")
            rows.append((event["event_id"], "ping", psycopg2.extras.Json(event)))
            if n % 100 == 0:
                eventlet.sleep(0)  # building a batch is CPU work: let the gateway clients' green threads run
        return rows

    def _committed(self, event_id):
        with psycopg2.connect(self.database_url) as conn, conn.cursor() as cur:
            cur.execute("SELECT 1 FROM outbox WHERE event_id = %s", (event_id,))
            return cur.fetchone() is not None

    def _write(self, rows):
        conn = psycopg2.connect(self.database_url)
        try:
            with conn, conn.cursor() as cur:
                psycopg2.extras.execute_values(
                    cur, "INSERT INTO outbox (event_id, event_type, payload) VALUES %s", rows, page_size=len(rows))
                cur.execute(f"NOTIFY {notify_channel('identity')}")
        finally:
            conn.close()

    def _run(self):
        while self.written < self.total:
            rows = self._rows(self.written)
            while True:
                try:
                    self._write(rows)
                    break
                except psycopg2.Error:
                    self.write_failures += 1
                    eventlet.sleep(0.5)
                    try:
                        if self._committed(rows[0][0]):
                            break  # the commit went through before the connection dropped
                    except psycopg2.Error:
                        pass
            self.event_ids.extend(row[0] for row in rows)
            self.written += len(rows)
            if self.pause:
                eventlet.sleep(self.pause)


class GatewayTraffic:
    """`clients` loops against the gateway: record a ping in identity (a write that emits an event) and
    read metrics' health (an RPC that reaches its database), one after the other."""

    def __init__(self, gateway_url, token, tag, clients=4, pause=0.02, client_timeout=30):
        self.url = gateway_url + "/api/v1/system"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.tag = tag
        self.clients = clients
        self.pause = pause
        self.client_timeout = client_timeout
        self.records = []
        self.running = False
        self._threads = []

    def start(self):
        self.running = True
        self._threads = [eventlet.spawn(self._client, n) for n in range(self.clients)]
        return self

    def stop(self):
        self.running = False
        for thread in self._threads:
            thread.wait()

    def _client(self, n):
        session = requests.Session()
        i = 0
        while self.running:
            i += 1
            if i % 2:
                self._request(session, "ping", "POST", "/pings", json={"message": f"{self.tag}-{n}-{i}"})
            else:
                self._request(session, "health", "GET", "/services/metrics")
            eventlet.sleep(self.pause)

    def _request(self, session, kind, method, path, **kwargs):
        started = time.monotonic()
        try:
            response = session.request(method, self.url + path, headers=self.headers, timeout=self.client_timeout,
                                        **kwargs)
            status, body = response.status_code, _json(response)
        except requests.RequestException as exc:
            status, body = None, {"transport_error": str(exc)}
        self.records.append({"kind": kind, "started": started, "ended": time.monotonic(), "status": status,
                             "body": body})


def _json(response):
    try:
        return response.json()
    except ValueError:
        return {"text": response.text[:200]}


def dependency_of(record):
    return ((record["body"] or {}).get("error") or {}).get("details", {}).get("dependency")


def summarize(records, down_at, back_at):
    """Counts of what the gateway answered before, during and after the outage.

    `unnamed` are failures that are not a 503 naming a dependency; `failed_after_back` are failures of
    requests sent after the part was back (recovery); `recovered_after_s` is how long after the part was
    back the last failure was sent.
    """
    ok = [r for r in records if r["status"] is not None and r["status"] < 400]
    failed = [r for r in records if r not in ok]
    named = {}
    unnamed = []
    for record in failed:
        code = ((record["body"] or {}).get("error") or {}).get("code")
        if record["status"] == 503 and code == "dependency_unavailable" and dependency_of(record):
            named[dependency_of(record)] = named.get(dependency_of(record), 0) + 1
        else:
            unnamed.append(record)
    after = [r for r in failed if r["started"] >= back_at]
    return {
        "requests": len(records),
        "ok": len(ok),
        "ok_during_outage": sum(1 for r in ok if down_at <= r["started"] < back_at),
        "unavailable_by_dependency": named,
        "unnamed_failures": len(unnamed),
        "unnamed_examples": [(r["kind"], r["status"], r["body"]) for r in unnamed[:3]],
        "failed_after_back": len(after),
        "failed_after_back_by_dependency": _count(dependency_of(r) for r in after),
        "recovered_after_s": round(max((r["started"] for r in after), default=back_at) - back_at, 2),
        "slowest_s": round(max((r["ended"] - r["started"] for r in records), default=0.0), 2),
        "slowest_failed_s": round(max((r["ended"] - r["started"] for r in failed), default=0.0), 2),
    }


def _count(values):
    counts = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def accepted_ping_ids(records):
    return [r["body"]["id"] for r in records if r["kind"] == "ping" and r["status"] == 202]
