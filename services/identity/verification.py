"""Communicator verification (科普员认证): submission and the review decision. Plain functions over a cursor.

pending --approved--> approved (the user becomes a communicator; effects.verification_decided)
pending --rejected--> rejected (the user may submit again)
"""
import uuid

import psycopg2

from kepu_common.errors import Conflict
from kepu_common.messages import label
from services.identity import areas, idcards, members

SUBJECT_TYPE = "communicator_verification"


def _already_submitted():
    return Conflict("verification_exists")


def submit(cur, vault, user_id, data):
    number = idcards.normalize(data["id_number"])
    region = areas.for_communicator(data["communicator_type"], data["region_code"])
    county_or_above = region["county"] if region["level"] == "township" else region["code"]
    township = region["code"] if region["level"] == "township" else None
    chosen_org = members.require_directory_org(cur, data["org_id"]) if data.get("org_id") else None
    cur.execute("SELECT 1 FROM verifications WHERE user_id = %s AND status IN ('pending', 'approved')", (user_id,))
    if cur.fetchone():
        raise _already_submitted()
    verification_id = uuid.uuid4()
    try:
        cur.execute("SAVEPOINT submit")
        cur.execute(
            "INSERT INTO verifications (id, user_id, real_name, id_lookup, id_sealed, id_masked, unit_name, "
            "unit_address, communicator_type, region_code, township_code, region_path, org_id, status) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'pending')",
            (verification_id, user_id, data["real_name"], vault.lookup_key(number), vault.seal(number, user_id),
             idcards.mask(number), data["unit_name"], data["unit_address"], data["communicator_type"],
             county_or_above, township, region["path"], data.get("org_id")),
        )
    except psycopg2.errors.UniqueViolation as exc:
        cur.execute("ROLLBACK TO SAVEPOINT submit")
        if "verifications_one_open" in str(exc):
            raise _already_submitted() from None
        raise Conflict("id_number_taken", {"id_number": "id_number_taken"}) from None
    snapshot = {
        "real_name": data["real_name"], "id_number": idcards.mask(number),
        "unit_name": data["unit_name"], "unit_address": data["unit_address"],
        "communicator_type": data["communicator_type"],
        "communicator_type_label": label("communicator_type", data["communicator_type"]),
        # the region reads down to the township (北京市朝阳区建外街道): what a reviewer checks a street admin against
        "region": region["full_name"], "region_code": county_or_above, "org_id": str(data.get("org_id") or ""),
        # the reviewer checks the unit named above against the organization chosen from the directory
        "chosen_org": chosen_org or "",
    }
    return {"id": verification_id, "province": region["province"], "snapshot": snapshot}


def latest(cur, user_id):
    """The user's latest verification, its ID number masked, or None."""
    cur.execute(
        "SELECT id, status, real_name, id_masked, unit_name, unit_address, communicator_type, region_code, "
        "township_code, org_id, review_comment, submitted_at, decided_at FROM verifications WHERE user_id = %s "
        "ORDER BY submitted_at DESC LIMIT 1", (user_id,))
    row = cur.fetchone()
    if row is None:
        return None
    keys = ("id", "status", "real_name", "id_number", "unit_name", "unit_address", "communicator_type",
            "region_code", "township_code", "org_id", "review_comment", "submitted_at", "decided_at")
    return dict(zip(keys, row))


def pending(cur, verification_id):
    """The pending verification, locked, or None when it was decided already (a redelivered or stale decision)."""
    cur.execute("SELECT id, user_id, org_id, region_code, township_code, communicator_type, real_name FROM verifications "
                "WHERE id = %s AND status = 'pending' FOR UPDATE", (verification_id,))
    row = cur.fetchone()
    keys = ("id", "user_id", "org_id", "region_code", "township_code", "communicator_type", "real_name")
    return dict(zip(keys, row)) if row else None


def record_decision(cur, verification_id, status, comment):
    cur.execute("UPDATE verifications SET status = %s, review_comment = %s, decided_at = now() WHERE id = %s",
                (status, comment, verification_id))
