"""Communicator verification (科普员认证): submission and the review decision. Plain functions over a cursor.

pending --approved--> approved (the user becomes a communicator; effects.verification_decided)
pending --rejected--> rejected (the user may submit again)
"""
import uuid

import psycopg2

from kepu_common.interfaces.errors import Conflict, InvalidInput
from kepu_common.interfaces.messages import label
from services.identity import areas, idcards, members, organizations
from services.identity.contracts import letter_prefix

SUBJECT_TYPE = "communicator_verification"
# the communicator types that claim to administer an area: they show an appointment letter (任命文件)
AREA_ADMIN_TYPES = ("district_admin", "street_admin")


def check_letter(storage, bucket, user_id, communicator_type, key):
    """A district or street admin's claim needs the appointment letter this user uploaded (an image, as a
    licence is checked); anyone else's letter is not asked for. Its content type, or None without one."""
    if communicator_type not in AREA_ADMIN_TYPES:
        return None
    if not key:
        raise InvalidInput("appointment_letter_required", {"appointment_letter_key": "appointment_letter_required"})
    return organizations.check_upload(storage, bucket, letter_prefix(user_id), key, "appointment_letter_key",
                                       "appointment_letter")


def placed(data):
    """The division a verification names, and the township it adds: (describe() of the division, county or
    above, township code or None). A township is given as region_code (9 digits) or as township_code under
    region_code's county (or a city without counties); one outside it is refused."""
    code = data["region_code"]
    if data.get("township_code"):
        county = areas.describe(code)
        if areas.level_of(county) != "county":
            raise InvalidInput("township_needs_county", {"township_code": "township_needs_county"})
        code = areas.township_in(data["township_code"], county["code"])["code"]
    region = areas.for_communicator(data["communicator_type"], code)
    if region["level"] == "township":
        return region, region["county"], region["code"]
    return region, region["code"], None


def grants_of(cur, communicator_type, area):
    """What approving an area admin's claim grants, for the reviewer: the role, the area and how many
    communicators' real names and phones it opens (counted now)."""
    if communicator_type not in AREA_ADMIN_TYPES:
        return None
    cur.execute("SELECT count(*) FROM verifications WHERE status = 'approved' AND region_path @> ARRAY[%s]::text[]",
                (area["code"],))
    return {"grants_role": label("communicator_type", communicator_type), "grants_area": area["full_name"],
            "grants_people": cur.fetchone()[0]}


def _already_submitted():
    return Conflict("verification_exists")


def submit(cur, vault, user_id, data, letter_type=None):
    number = idcards.normalize(data["id_number"])
    region, county_or_above, township = placed(data)
    chosen_org = members.require_directory_org(cur, data["org_id"]) if data.get("org_id") else None
    cur.execute("SELECT 1 FROM verifications WHERE user_id = %s AND status IN ('pending', 'approved')", (user_id,))
    if cur.fetchone():
        raise _already_submitted()
    verification_id = uuid.uuid4()
    try:
        cur.execute("SAVEPOINT submit")
        cur.execute(
            "INSERT INTO verifications (id, user_id, real_name, id_lookup, id_sealed, id_masked, unit_name, "
            "unit_address, communicator_type, region_code, township_code, region_path, org_id, status, "
            "appointment_letter_key) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'pending', %s)",
            (verification_id, user_id, data["real_name"], vault.lookup_key(number), vault.seal(number, user_id),
             idcards.mask(number), data["unit_name"], data["unit_address"], data["communicator_type"],
             county_or_above, township, region["path"], data.get("org_id"),
             data.get("appointment_letter_key") if letter_type else None),
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
    grants = grants_of(cur, data["communicator_type"], region)
    if grants:
        # what approval opens (the real names and phones of N communicators), and the letter that backs the claim
        snapshot["grants"] = grants
        snapshot["files"] = [{"label": label("snapshot", "appointment_letter"), "purpose": "licences",
                              "key": data["appointment_letter_key"], "content_type": letter_type}]
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


# --- re-verification: a verified communicator changes unit, township or organization -----------------------
CHANGE_SUBJECT_TYPE = "verification_change"
_CHANGE_KEYS = ("id", "status", "unit_name", "unit_address", "township_code", "org_id", "review_comment",
                "submitted_at", "decided_at")


def approved(cur, user_id):
    """The user's approved verification (locked), or None."""
    cur.execute("SELECT id, real_name, unit_name, unit_address, communicator_type, region_code, township_code, "
                "org_id FROM verifications WHERE user_id = %s AND status = 'approved' FOR UPDATE", (user_id,))
    row = cur.fetchone()
    keys = ("id", "real_name", "unit_name", "unit_address", "communicator_type", "region_code", "township_code",
            "org_id")
    return dict(zip(keys, row)) if row else None


def request_change(cur, user_id, data):
    """A change of unit, township or organization, reviewed while the approved verification stays in force.
    Adding a township to an individual communicator's verification that has none applies at once (the
    county was verified; the township only places them in a street admin's list). Returns (change, review
    snapshot or None when applied at once, province)."""
    current = approved(cur, user_id)
    if current is None:
        raise Conflict("verification_change_needs_verified", {"_schema": "not_verified"})
    wanted = {key: data.get(key) for key in ("unit_name", "unit_address", "township_code", "org_id")}
    if not any(value for value in wanted.values()):
        raise InvalidInput("verification_change_empty", {"_schema": "nothing_to_change"})
    cur.execute("SELECT 1 FROM verification_changes WHERE user_id = %s AND status = 'pending'", (user_id,))
    if cur.fetchone():
        raise Conflict("verification_change_pending")
    township = None
    if wanted["township_code"]:
        county = areas.describe(current["region_code"])
        if areas.level_of(county) != "county":
            raise InvalidInput("township_needs_county", {"township_code": "township_needs_county"})
        township = areas.township_in(wanted["township_code"], county["code"])
    chosen_org = members.require_directory_org(cur, wanted["org_id"]) if wanted["org_id"] else None
    change = {"id": uuid.uuid4(), "unit_name": wanted["unit_name"] or current["unit_name"],
              "unit_address": wanted["unit_address"] or current["unit_address"],
              "township_code": township["code"] if township else current["township_code"],
              "org_id": wanted["org_id"] or None}
    path = township["path"] if township else areas.path(current["township_code"] or current["region_code"])
    at_once = (township is not None and current["township_code"] is None and current["communicator_type"] == "individual"
               and not wanted["unit_name"] and not wanted["unit_address"] and not wanted["org_id"])
    cur.execute("INSERT INTO verification_changes (id, user_id, verification_id, unit_name, unit_address, "
                "township_code, region_path, org_id, status, decided_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, CASE WHEN %s THEN now() END)",
                (change["id"], user_id, current["id"], change["unit_name"], change["unit_address"],
                 change["township_code"], path, change["org_id"], "approved" if at_once else "pending", at_once))
    if at_once:
        apply_change(cur, change["id"])
        return change, None, None
    region = areas.describe(change["township_code"] or current["region_code"])
    snapshot = {"real_name": current["real_name"],
                "communicator_type": current["communicator_type"],
                "communicator_type_label": label("communicator_type", current["communicator_type"]),
                "unit_name": change["unit_name"], "unit_address": change["unit_address"], "region": region["full_name"],
                "region_code": current["region_code"], "org_id": str(change["org_id"] or ""),
                "chosen_org": chosen_org or "",
                # what it was: the reviewer compares
                "previous_unit_name": current["unit_name"],
                "previous_region": areas.describe(current["township_code"] or current["region_code"])["full_name"]}
    return change, snapshot, region["province"]


def pending_change(cur, change_id):
    cur.execute("SELECT c.id, c.user_id, c.org_id, c.township_code, v.township_code, v.communicator_type, v.id "
                "FROM verification_changes c JOIN verifications v ON v.id = c.verification_id "
                "WHERE c.id = %s AND c.status = 'pending' FOR UPDATE OF c", (change_id,))
    row = cur.fetchone()
    keys = ("id", "user_id", "org_id", "township_code", "previous_township", "communicator_type", "verification_id")
    return dict(zip(keys, row)) if row else None


def decide_change(cur, change_id, status, comment):
    cur.execute("UPDATE verification_changes SET status = %s, review_comment = %s, decided_at = now() WHERE id = %s",
                (status, comment or "", change_id))
    if status == "approved":
        apply_change(cur, change_id)


def apply_change(cur, change_id):
    """The approved verification takes the change's unit and township (its region path with it)."""
    cur.execute("UPDATE verifications v SET unit_name = c.unit_name, unit_address = c.unit_address, "
                "township_code = c.township_code, region_path = c.region_path "
                "FROM verification_changes c WHERE c.id = %s AND v.id = c.verification_id", (change_id,))


def latest_change(cur, user_id):
    cur.execute(f"SELECT {', '.join(_CHANGE_KEYS)} FROM verification_changes WHERE user_id = %s "
                f"ORDER BY submitted_at DESC LIMIT 1", (user_id,))
    row = cur.fetchone()
    return dict(zip(_CHANGE_KEYS, row)) if row else None
