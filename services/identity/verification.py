"""Communicator verification (科普员认证): submission and the review decision. Plain functions over a cursor.

pending --approved--> approved (the user becomes a communicator)
pending --rejected--> rejected (the user may submit again)
"""
import uuid

import psycopg2

from kepu_common import regions
from kepu_common.errors import Conflict, InvalidInput
from services.identity import idcards, roles

COMMUNICATOR_TYPES = {"individual": "个人用户", "district_admin": "区县级管理员", "street_admin": "乡镇街道管理员"}
SUBJECT_TYPE = "communicator_verification"


def submit(cur, vault, user_id, data):
    number = idcards.normalize(data["id_number"])
    region = regions.describe(data["region_code"])
    if data.get("org_id"):
        cur.execute("SELECT status FROM organizations WHERE id = %s", (data["org_id"],))
        row = cur.fetchone()
        if row is None or row[0] != "approved":
            raise InvalidInput("Choose an organization from the directory.", {"org_id": "not a verified organization"})
    cur.execute("SELECT 1 FROM verifications WHERE user_id = %s AND status IN ('pending', 'approved')", (user_id,))
    if cur.fetchone():
        raise Conflict("A verification is already pending or approved for this account.",
                       {"verification": "already submitted"})
    verification_id = uuid.uuid4()
    try:
        cur.execute("SAVEPOINT submit")
        cur.execute(
            "INSERT INTO verifications (id, user_id, real_name, id_lookup, id_sealed, id_masked, unit_name, "
            "unit_address, communicator_type, region_code, region_path, org_id, status) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'pending')",
            (verification_id, user_id, data["real_name"], vault.lookup_key(number), vault.seal(number, user_id),
             idcards.mask(number), data["unit_name"], data["unit_address"], data["communicator_type"],
             region["code"], regions.path(region["code"]), data.get("org_id")),
        )
    except psycopg2.errors.UniqueViolation as exc:
        cur.execute("ROLLBACK TO SAVEPOINT submit")
        if "verifications_one_open" in str(exc):
            raise Conflict("A verification is already pending or approved for this account.",
                           {"verification": "already submitted"}) from None
        raise Conflict("This ID number is already verified on another account.", {"id_number": "already in use"}) from None
    snapshot = {
        "real_name": data["real_name"], "id_number": idcards.mask(number),
        "unit_name": data["unit_name"], "unit_address": data["unit_address"],
        "communicator_type": data["communicator_type"],
        "communicator_type_label": COMMUNICATOR_TYPES[data["communicator_type"]],
        "region": region["full_name"], "region_code": region["code"], "org_id": str(data.get("org_id") or ""),
    }
    return {"id": verification_id, "province": region["province"], "snapshot": snapshot}


def latest(cur, user_id):
    cur.execute(
        "SELECT id, status, real_name, id_masked, unit_name, unit_address, communicator_type, region_code, org_id, "
        "review_comment, submitted_at, decided_at FROM verifications WHERE user_id = %s "
        "ORDER BY submitted_at DESC LIMIT 1", (user_id,))
    row = cur.fetchone()
    if row is None:
        return None
    keys = ("id", "status", "real_name", "id_masked", "unit_name", "unit_address", "communicator_type",
            "region_code", "org_id", "review_comment", "submitted_at", "decided_at")
    return dict(zip(keys, row))


def decide(cur, verification_id, decision, comment, reviewer_id):
    """Apply a review decision to a pending submission; returns (user_id, status) or None if not pending."""
    status = {"approved": "approved", "rejected": "rejected"}[decision]
    cur.execute(
        "UPDATE verifications SET status = %s, review_comment = %s, decided_at = now() "
        "WHERE id = %s AND status = 'pending' RETURNING user_id, org_id",
        (status, comment or "", verification_id),
    )
    row = cur.fetchone()
    if row is None:
        return None  # decided already, or superseded: a redelivered or stale decision changes nothing
    user_id, org_id = row
    if status == "approved":
        roles.grant(cur, user_id, "communicator", "", None, f"real-name verification approved by {reviewer_id}")
        if org_id is not None:
            cur.execute("INSERT INTO memberships (user_id, org_id) VALUES (%s, %s) "
                        "ON CONFLICT (user_id) DO UPDATE SET org_id = EXCLUDED.org_id, joined_at = now()",
                        (user_id, org_id))
    return user_id, status
