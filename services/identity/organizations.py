"""Organization entry (机构入驻) and the directory. Plain functions over a cursor.

pending --approved--> approved (in the directory; the registrant becomes its org_admin)
pending --rejected--> rejected (the registrant may register again)
"""
import re
import uuid

import psycopg2

from kepu_common import filetypes, regions
from kepu_common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.identity import roles

CATEGORIES = {
    "ministry": "有关部委", "provincial_cast": "省科协", "city_cast": "市科协", "county_cast": "区县科协",
    "national_society": "全国学会", "enterprise": "企业", "society": "学会", "street": "街道", "community": "社区",
    "school": "学校", "other": "其他",
}
SUBJECT_TYPE = "organization"
LICENCE_MAX_BYTES = 10 * 1024 * 1024
_PHONE = re.compile(r"^[0-9+\-() ]{7,20}$")


def licence_prefix(user_id):
    return f"licences/{user_id}/"


def check_licence(storage, bucket, user_id, key):
    """The licence must be an image this user uploaded, within the size limit."""
    if not str(key).startswith(licence_prefix(user_id)):
        raise InvalidInput("Upload the licence first, then send its key.", {"licence_key": "not an upload of yours"})
    try:
        stat = storage.stat(bucket, key)
    except Exception:
        raise InvalidInput("The licence upload was not found.", {"licence_key": "no such upload"}) from None
    if stat.size > LICENCE_MAX_BYTES:
        raise InvalidInput("The licence image is too large.", {"licence_key": f"over {LICENCE_MAX_BYTES // 2**20} MB"})
    head = storage.open(bucket, key, 0, filetypes.HEAD_BYTES)
    try:
        content_type = filetypes.sniff(head.read())
    finally:
        head.close()
        head.release_conn()
    if content_type not in filetypes.IMAGE_TYPES:
        raise InvalidInput("The licence must be a JPEG, PNG or WebP image.", {"licence_key": "not an image"})
    return content_type


def is_verified_communicator(cur, user_id):
    return "communicator" in roles.names(roles.of(cur, user_id))


def register(cur, user_id, data, licence_type):
    if not is_verified_communicator(cur, user_id):
        raise Forbidden("Only a verified communicator can register an organization: complete real-name verification first.",
                        {"required_roles": ["communicator"]})
    region = regions.describe(data["region_code"])
    if not _PHONE.match(data["contact_phone"]):
        raise InvalidInput("Give a contact phone number.", {"contact_phone": "7-20 digits"})
    if data.get("parent_id"):
        cur.execute("SELECT status FROM organizations WHERE id = %s", (data["parent_id"],))
        row = cur.fetchone()
        if row is None or row[0] != "approved":
            raise InvalidInput("Choose the parent from the directory.", {"parent_id": "not a verified organization"})
    cur.execute("SELECT status FROM organizations WHERE name = %s AND (status = 'approved' OR "
                "(status = 'pending' AND registrant_id = %s))", (data["name"], user_id))
    if cur.fetchone():
        raise Conflict("An organization with this name is already registered or awaiting review.",
                       {"name": "already registered"})
    org_id = uuid.uuid4()
    cur.execute(
        "INSERT INTO organizations (id, name, category, region_code, region_path, parent_id, licence_key, "
        "contact_name, contact_phone, registrant_id, status) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'pending')",
        (org_id, data["name"], data["category"], region["code"], regions.path(region["code"]), data.get("parent_id"),
         data["licence_key"], data["contact_name"], data["contact_phone"], user_id),
    )
    snapshot = {"name": data["name"], "category": data["category"], "category_label": CATEGORIES[data["category"]],
                "region": region["full_name"], "region_code": region["code"], "parent_id": str(data.get("parent_id") or ""),
                "contact_name": data["contact_name"], "contact_phone": data["contact_phone"],
                "licence_key": data["licence_key"],
                # what the review UI previews: the bucket by purpose, never a URL (those expire)
                "files": [{"label": "营业执照", "purpose": "licences", "key": data["licence_key"],
                           "content_type": licence_type}]}
    return {"id": org_id, "province": region["province"], "snapshot": snapshot}


_COLUMNS = ("id", "name", "category", "region_code", "parent_id", "status", "review_comment", "created_at",
            "decided_at", "registrant_id")


def get(cur, org_id):
    cur.execute(f"SELECT {', '.join(_COLUMNS)} FROM organizations WHERE id = %s", (org_id,))
    row = cur.fetchone()
    if row is None:
        raise NotFound("No such organization.", {"org_id": "unknown"})
    org = dict(zip(_COLUMNS, row))
    org["category_label"] = CATEGORIES[org["category"]]
    org["region"] = regions.describe(org["region_code"])["full_name"]
    return org


def decide(cur, org_id, decision, comment, reviewer_id):
    """Apply a review decision to a pending organization; (registrant, status) or None if not pending."""
    cur.execute("SELECT registrant_id FROM organizations WHERE id = %s AND status = 'pending' FOR UPDATE", (org_id,))
    row = cur.fetchone()
    if row is None:
        return None
    registrant = row[0]
    if decision == "approved":
        try:
            cur.execute("SAVEPOINT approve")
            cur.execute("UPDATE organizations SET status = 'approved', review_comment = %s, decided_at = now() "
                        "WHERE id = %s", (comment or "", org_id))
        except psycopg2.errors.UniqueViolation:
            cur.execute("ROLLBACK TO SAVEPOINT approve")
            decision, comment = "rejected", "同名机构已通过认证 (an organization with this name is already verified)"
        else:
            roles.grant(cur, registrant, "org_admin", str(org_id), None, f"organization approved by {reviewer_id}")
            cur.execute("INSERT INTO memberships (user_id, org_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                        (registrant, org_id))
            return registrant, "approved"
    cur.execute("UPDATE organizations SET status = 'rejected', review_comment = %s, decided_at = now() WHERE id = %s",
                (comment or "", org_id))
    return registrant, "rejected"


def _escape_like(text):
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(cur, q=None, category=None, region=None, limit=10):
    """Verified organizations: exact name first, then names starting with q, then names containing it."""
    filters, args = ["status = 'approved'"], {"limit": limit}
    if category:
        filters.append("category = %(category)s")
        args["category"] = category
    if region:
        filters.append("region_path @> ARRAY[%(region)s]::text[]")
        args["region"] = region
    where = " AND ".join(filters)
    select = "SELECT id, name, category, region_code"
    if not q:
        cur.execute(f"{select}, 0 AS tier FROM organizations WHERE {where} ORDER BY name LIMIT %(limit)s", args)
    else:
        args.update(q=q, prefix=_escape_like(q) + "%")
        cur.execute(
            f"SELECT id, name, category, region_code, tier FROM ("
            f" ({select}, 0 AS tier, 0 AS len FROM organizations WHERE {where} AND name = %(q)s LIMIT %(limit)s)"
            f" UNION ALL"
            f" ({select}, 1, char_length(name) FROM organizations WHERE {where} AND name LIKE %(prefix)s"
            f"  AND name <> %(q)s ORDER BY char_length(name), name LIMIT %(limit)s)"
            f" UNION ALL"
            f" ({select}, 2, char_length(name) FROM organizations WHERE {where}"
            f"  AND cjk_grams(name) @> cjk_query_grams(%(q)s) AND strpos(name, %(q)s) > 1 LIMIT %(limit)s)"
            f") AS hits ORDER BY tier, len, name LIMIT %(limit)s", args)
    keys = ("id", "name", "category", "region_code", "match")
    found = [dict(zip(keys, row)) for row in cur.fetchall()]
    for org in found:
        org["match"] = ("exact", "prefix", "contains")[org["match"]]
        org["category_label"] = CATEGORIES[org["category"]]
        org["region"] = regions.describe(org["region_code"])["full_name"]
    return found


def abandoned_licences(cur, storage, bucket, older_than):
    """Licence uploads no organization refers to, older than older_than (a datetime): to be removed."""
    candidates = [obj.object_name for obj in storage.client.list_objects(bucket, prefix="licences/", recursive=True)
                  if obj.last_modified is not None and obj.last_modified < older_than]
    if not candidates:
        return []
    cur.execute("SELECT licence_key FROM organizations WHERE licence_key = ANY(%s)", (candidates,))
    used = {row[0] for row in cur.fetchall()}
    return [key for key in candidates if key not in used]
