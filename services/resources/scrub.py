"""The integrity scrub: stored files re-read at a bounded rate, their SHA-256 compared with the one recorded
when the upload was checked, mismatches and missing objects reported (scrub_findings, a Prometheus gauge,
the admin list GET /api/v1/admin/storage/findings).

It walks completed uploads in id order, one object at a time; after each object the finding (or its
clearing) and the place reached are committed together, so a run stopped anywhere (time budget, a
restart, storage going away) resumes after the last object it finished. One pass ends when no upload
is left after the place reached; the next run starts the next pass. Never two at once: a run holds a
PostgreSQL advisory lock (session level) and a second one, in this process or another replica, skips.

A storage outage is not a finding: the run stops (Unavailable) and the object is checked again next time.
"""
import hashlib
import logging
import time
from dataclasses import dataclass, field

from minio.error import S3Error

from kepu_common.interfaces.errors import Unavailable
from services.resources.constants import FINDING_KINDS

log = logging.getLogger(__name__)

LOCK_KEY = 0x6B657075_5C5C  # pg_try_advisory_lock key of the scrub ("kepu" and a tag)
READ_CHUNK = 1024 * 1024
MISSING_CODES = {"NoSuchKey", "NoSuchObject", "NotFound"}
_UPLOAD_COLUMNS = ("id", "org_id", "object_key", "sha256", "size")
_FINDING_COLUMNS = ("id", "upload_id", "object_key", "kind", "expected_sha256", "actual_sha256", "actual_size",
                    "found_at", "last_seen_at", "resolved_at", "resource_id", "resource_title", "org_id")


class Pacer:
    """Keeps reading at or under `bytes_per_second`: after each chunk, sleeps until the bytes read so far
    could have been read at that rate since the pacer started. clock and sleep are given (tests pass
    their own; the service passes time.monotonic and eventlet.sleep)."""

    def __init__(self, bytes_per_second, clock=time.monotonic, sleep=time.sleep):
        if bytes_per_second <= 0:
            raise ValueError("the scrub's rate must be positive")
        self.rate, self.clock, self.sleep = bytes_per_second, clock, sleep
        self.started = clock()
        self.total = 0

    def took(self, size):
        self.total += size
        ahead = self.total / self.rate - (self.clock() - self.started)
        if ahead > 0:
            self.sleep(ahead)


@dataclass
class Summary:
    """What one run did."""

    checked: int = 0
    bytes_read: int = 0
    found: dict = field(default_factory=lambda: {kind: 0 for kind in FINDING_KINDS})
    cleared: int = 0
    pass_finished: bool = False
    stopped: str = ""  # why it stopped early: "budget", "storage_unavailable", "locked"


def outcome(expected_sha256, expected_size, actual_sha256, actual_size):
    """'ok', or the kind of finding, for an object that was read whole."""
    if actual_sha256 == expected_sha256.lower() and actual_size == expected_size:
        return "ok"
    return "mismatch"


def read_object(storage, bucket, key, pacer, chunk=READ_CHUNK):
    """(sha256, size) of the stored object, read at the pacer's rate; None when it is gone.
    Unavailable (storage unreachable, credentials refused, bucket missing) passes through."""
    from kepu_common.data.storage import translated

    try:
        response = storage.open(bucket, key)
    except S3Error as exc:
        if exc.code in MISSING_CODES:
            return None
        raise
    digest, size = hashlib.sha256(), 0
    try:
        with translated(bucket):
            for part in response.stream(chunk):
                digest.update(part)
                size += len(part)
                pacer.took(len(part))
    finally:
        response.close()
        response.release_conn()
    return digest.hexdigest(), size


def try_lock(cur):
    cur.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,))
    return cur.fetchone()[0]


def unlock(cur):
    cur.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))


def place(cur):
    cur.execute("SELECT last_upload_id FROM scrub_state FOR UPDATE")
    return cur.fetchone()[0]


def next_upload(cur, after):
    """The next completed upload after `after` (None: from the start)."""
    cur.execute(f"SELECT {', '.join(_UPLOAD_COLUMNS)} FROM uploads WHERE status = 'complete' "
                f"AND (%s::uuid IS NULL OR id > %s::uuid) ORDER BY id LIMIT 1", (after, after))
    row = cur.fetchone()
    return dict(zip(_UPLOAD_COLUMNS, row)) if row else None


def record(cur, upload, kind, actual=None):
    """Commit one object's outcome: a finding opened or refreshed, or an open one cleared; and the place."""
    actual_sha256, actual_size = actual or (None, None)
    if kind == "ok":
        cur.execute("UPDATE scrub_findings SET resolved_at = now() WHERE upload_id = %s AND resolved_at IS NULL",
                    (upload["id"],))
        cleared = cur.rowcount
    else:
        cur.execute(
            "INSERT INTO scrub_findings (upload_id, object_key, kind, expected_sha256, actual_sha256, actual_size) "
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (upload_id) WHERE resolved_at IS NULL DO UPDATE SET "
            "kind = EXCLUDED.kind, actual_sha256 = EXCLUDED.actual_sha256, actual_size = EXCLUDED.actual_size, "
            "last_seen_at = now()",
            (upload["id"], upload["object_key"], kind, upload["sha256"], actual_sha256, actual_size))
        cleared = 0
    cur.execute("UPDATE scrub_state SET last_upload_id = %s, objects_checked = objects_checked + 1, "
                "bytes_read = bytes_read + %s, pass_started_at = coalesce(pass_started_at, now())",
                (upload["id"], actual_size or 0))
    return cleared


def report_missing(cur, resource_id):
    """A resource's file found gone outside a pass (a download asked for it): reported at once, as the
    scrub would (opened, or refreshed if already open)."""
    cur.execute(
        "INSERT INTO scrub_findings (upload_id, object_key, kind, expected_sha256) "
        "SELECT u.id, u.object_key, 'missing', u.sha256 FROM resources r JOIN uploads u ON u.id = r.file_upload_id "
        "WHERE r.id = %s ON CONFLICT (upload_id) WHERE resolved_at IS NULL DO UPDATE SET kind = 'missing', "
        "actual_sha256 = NULL, actual_size = NULL, last_seen_at = now()", (resource_id,))


def finish_pass(cur):
    cur.execute("UPDATE scrub_state SET last_upload_id = NULL, passes_finished = passes_finished + 1, "
                "last_pass_at = now(), pass_started_at = NULL")


def run(conn, storage, bucket, pacer, max_objects=None, deadline=None, clock=time.monotonic):
    """One run of the scrub on `conn` (a psycopg2 connection of its own for the run): checks objects until
    the pass ends, `max_objects` are checked or `deadline` (a clock() value) passes. Returns a Summary."""
    summary = Summary()
    with conn, conn.cursor() as cur:
        locked = try_lock(cur)
    if not locked:
        summary.stopped = "locked"
        return summary
    try:
        while True:
            if max_objects is not None and summary.checked >= max_objects or deadline is not None and clock() >= deadline:
                summary.stopped = "budget"
                return summary
            with conn, conn.cursor() as cur:
                upload = next_upload(cur, place(cur))
                if upload is None:
                    finish_pass(cur)
                    summary.pass_finished = True
                    return summary
            try:
                actual = read_object(storage, bucket, upload["object_key"], pacer)
            except Unavailable as exc:
                log.warning("integrity scrub stopped: storage unavailable (%s); resumes at the next run", exc)
                summary.stopped = "storage_unavailable"
                return summary
            kind = "missing" if actual is None else outcome(upload["sha256"], upload["size"], *actual)
            with conn, conn.cursor() as cur:
                summary.cleared += record(cur, upload, kind, actual)
            summary.checked += 1
            summary.bytes_read += actual[1] if actual else 0
            if kind != "ok":
                summary.found[kind] += 1
                log.error("integrity scrub: %s object %s of upload %s", kind, upload["object_key"], upload["id"])
    finally:
        with conn, conn.cursor() as cur:
            unlock(cur)


def findings(cur, status="open", kind=None, limit=50, offset=0):
    """(findings on the page, whether more follow, how many in all) newest first, with the resource the
    file belongs to (if any): status "open" (not resolved), "resolved" or "all"."""
    filters, args = [], []
    if status == "open":
        filters.append("f.resolved_at IS NULL")
    elif status == "resolved":
        filters.append("f.resolved_at IS NOT NULL")
    if kind:
        filters.append("f.kind = %s")
        args.append(kind)
    where = ("WHERE " + " AND ".join(filters)) if filters else ""
    cur.execute(f"SELECT count(*) FROM scrub_findings f {where}", args)
    total = cur.fetchone()[0]
    cur.execute(
        "SELECT f.id, f.upload_id, f.object_key, f.kind, f.expected_sha256, f.actual_sha256, f.actual_size, "
        "f.found_at, f.last_seen_at, f.resolved_at, r.id, r.title, u.org_id FROM scrub_findings f "
        "JOIN uploads u ON u.id = f.upload_id LEFT JOIN resources r ON r.file_upload_id = f.upload_id "
        f"{where} ORDER BY f.found_at DESC, f.id DESC LIMIT %s OFFSET %s", args + [limit + 1, offset])
    rows = [dict(zip(_FINDING_COLUMNS, row)) for row in cur.fetchall()]
    return rows[:limit], len(rows) > limit, total


def open_counts(cur):
    """{kind: open findings}, every kind present (0 when none): what the gauge exports."""
    cur.execute("SELECT kind, count(*) FROM scrub_findings WHERE resolved_at IS NULL GROUP BY kind")
    counts = dict.fromkeys(FINDING_KINDS, 0)
    counts.update(dict(cur.fetchall()))
    return counts


def state(cur):
    cur.execute("SELECT last_upload_id, pass_started_at, passes_finished, last_pass_at, objects_checked, bytes_read "
                "FROM scrub_state")
    return dict(zip(("last_upload_id", "pass_started_at", "passes_finished", "last_pass_at", "objects_checked",
                     "bytes_read"), cur.fetchone()))
