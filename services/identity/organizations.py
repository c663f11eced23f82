"""Organization entry (机构入驻) and the directory. Plain functions over a cursor.

pending --approved--> approved (in the directory; the registrant becomes its org_admin: effects.org_decided)
pending --rejected--> rejected (the registrant may register again)
"""
import re
import uuid

from kepu_common.domain import filetypes, regions
from kepu_common.interfaces.errors import Conflict, Forbidden, InvalidInput, NotFound
from kepu_common.interfaces.messages import label
from kepu_common.domain.supervising import chosen_under, directory_filter
from services.identity import areas, members, org_names, phones, roles
from services.identity.constants import LICENCE_MAX_BYTES
from services.identity.contracts import ascii_digits, licence_prefix

SUBJECT_TYPE = "organization"
_PHONE = re.compile(r"^[0-9+\-() ]{7,20}$")


def check_licence(storage, bucket, user_id, key):
    """The licence must be an image this user uploaded, within the size limit."""
    return check_upload(storage, bucket, licence_prefix(user_id), key, "licence_key", "licence")


def check_upload(storage, bucket, prefix, key, field, kind):
    """An image uploaded through POST /orgs/licence (kind licence) or /me/appointment-letter (kind
    appointment_letter) under prefix (the uploader's own), within the size limit: its content type."""
    if not str(key).startswith(prefix):
        raise InvalidInput(f"{kind}_key_not_yours", {field: "not_your_upload"})
    try:
        stat = storage.stat(bucket, key)
    except Exception:
        raise InvalidInput(f"{kind}_not_found", {field: "no_such_upload"}) from None
    if stat.size > LICENCE_MAX_BYTES:
        max_mb = LICENCE_MAX_BYTES // 2**20
        raise InvalidInput(f"{kind}_too_large", {field: ("file_too_large", {"max_mb": max_mb})}, max_mb=max_mb)
    head = storage.open(bucket, key, 0, filetypes.HEAD_BYTES)
    try:
        content_type = filetypes.sniff(head.read())
    finally:
        head.close()
        head.release_conn()
    if content_type not in filetypes.IMAGE_TYPES:
        raise InvalidInput(f"{kind}_not_an_image", {field: "not_an_image"})
    return content_type


def is_verified_communicator(cur, user_id):
    return "communicator" in roles.names(roles.of(cur, user_id))


def register(cur, vault, user_id, data, licence_type):
    if not is_verified_communicator(cur, user_id):
        raise Forbidden("verify_before_registering_org", details={"required_roles": ["communicator"]})
    region = areas.division(data["region_code"])
    contact_phone = ascii_digits(data["contact_phone"]).strip()
    if not _PHONE.match(contact_phone):
        raise InvalidInput("contact_phone_invalid", {"contact_phone": "contact_phone_invalid"})
    data = {**data, "contact_phone": contact_phone}
    if data.get("parent_id"):
        members.require_directory_org(cur, data["parent_id"], "parent_id", "choose_parent_from_directory")
    cur.execute("SELECT status FROM organizations WHERE name = %s AND (status = 'approved' OR "
                "(status = 'pending' AND registrant_id = %s))", (data["name"], user_id))
    if cur.fetchone():
        raise Conflict("org_name_taken", {"name": "org_name_taken"})
    org_id = uuid.uuid4()
    cur.execute(
        "INSERT INTO organizations (id, name, name_key, category, region_code, region_path, parent_id, licence_key, "
        "contact_name, contact_phone_sealed, contact_phone_masked, registrant_id, status) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'pending')",
        (org_id, data["name"], org_names.search_key(data["name"]), data["category"], region["code"],
         regions.path(region["code"]), data.get("parent_id"),
         data["licence_key"], data["contact_name"], vault.seal(contact_phone, org_id), phones.masked(contact_phone),
         user_id),
    )
    snapshot = {"name": data["name"], "category": data["category"],
                "category_label": label("org_category", data["category"]),
                "region": region["full_name"], "region_code": region["code"],
                "parent_id": str(data.get("parent_id") or ""),
                "contact_name": data["contact_name"],
                # the review snapshot travels in an event and stays in review's database: the phone masked (the
                # reviewer checks the licence and the name; the full number stays sealed in identity)
                "contact_phone": phones.masked(contact_phone),
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
        raise NotFound("org_not_found", {"org_id": "org_unknown"})
    org = dict(zip(_COLUMNS, row))
    org["region"] = regions.describe(org["region_code"])["full_name"]
    return org


def pending(cur, org_id):
    """The pending organization, locked, or None when it was decided already."""
    cur.execute("SELECT id, registrant_id, name FROM organizations WHERE id = %s AND status = 'pending' FOR UPDATE",
                (org_id,))
    row = cur.fetchone()
    return dict(zip(("id", "registrant_id", "name"), row)) if row else None


def approved_name_exists(cur, name):
    """An approved organization has this name (names are unique among approved ones: organizations_verified_name)."""
    cur.execute("SELECT 1 FROM organizations WHERE name = %s AND status = 'approved'", (name,))
    return cur.fetchone() is not None


def record_decision(cur, org_id, status, comment):
    cur.execute("UPDATE organizations SET status = %s, review_comment = %s, decided_at = now() WHERE id = %s",
                (status, comment, org_id))


def _escape_like(text):
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(cur, q=None, category=None, region=None, limit=10, supervising_category=None):
    """Verified organizations the query finds by their name or its short form (org_names): exact first,
    then prefix, then the names containing it; shorter names first within each.

    supervising_category: only the units chosen under that supervising category (kepu_common.domain.supervising:
    a municipality's district CAST under city_cast, not county_cast), the rule the activities service
    applies; every hit says the category it is chosen under."""
    filters, args = ["status = 'approved'"], {"limit": limit}
    if category:
        filters.append("category = %(category)s")
        args["category"] = category
    if supervising_category:
        condition, params = directory_filter(supervising_category)
        filters.append(condition)
        args.update(params)
    if region:
        filters.append("region_path @> ARRAY[%(region)s]::text[]")
        args["region"] = region
    where = " AND ".join(filters)
    select = "SELECT id, name, category, region_code"
    text, key = (org_names.normalize(q), org_names.search_key(q)) if q else ("", "")
    if not key:
        cur.execute(f"{select}, 0 AS tier FROM organizations WHERE {where} ORDER BY name LIMIT %(limit)s", args)
    else:
        args.update(q=text, key=key, prefix=_escape_like(text) + "%", key_prefix=_escape_like(key) + "%")
        # each tier is its own indexed query cut at limit, and leaves out what an earlier tier finds
        exact = "(name = %(q)s OR name_key = %(key)s)"
        prefix = "(name LIKE %(prefix)s OR name_key LIKE %(key_prefix)s)"
        grams = "cjk_grams(name || ' ' || name_key) @> cjk_query_grams(%(q)s)"
        if key != text:
            grams = f"({grams} OR cjk_grams(name || ' ' || name_key) @> cjk_query_grams(%(key)s))"
        cur.execute(
            f"SELECT id, name, category, region_code, tier FROM ("
            f" ({select}, 0 AS tier FROM organizations WHERE {where} AND {exact} LIMIT %(limit)s)"
            f" UNION ALL"
            f" ({select}, 1 FROM organizations WHERE {where} AND {prefix} AND NOT {exact}"
            f"  ORDER BY char_length(name), name LIMIT %(limit)s)"
            f" UNION ALL"
            f" ({select}, 2 FROM organizations WHERE {where} AND {grams}"
            f"  AND (strpos(name, %(q)s) > 0 OR strpos(name_key, %(key)s) > 0) AND NOT {prefix} LIMIT %(limit)s)"
            f") AS hits ORDER BY tier, char_length(name), name LIMIT %(limit)s", args)
    keys = ("id", "name", "category", "region_code", "match")
    found = [dict(zip(keys, row)) for row in cur.fetchall()]
    for org in found:
        org["match"] = org_names.TIERS[org["match"]]
        org["region"] = regions.describe(org["region_code"])["full_name"]
        org["supervising_category"] = chosen_under(org["category"], regions.path(org["region_code"]))
    return found


def abandoned_licences(cur, storage, bucket, older_than):
    """Licence and appointment-letter uploads nothing refers to (no organization, no verification), older
    than older_than (a datetime): to be removed."""
    candidates = [obj.object_name for prefix in ("licences/", "appointments/")
                  for obj in storage.client.list_objects(bucket, prefix=prefix, recursive=True)
                  if obj.last_modified is not None and obj.last_modified < older_than]
    if not candidates:
        return []
    cur.execute("SELECT licence_key FROM organizations WHERE licence_key = ANY(%s) "
                "UNION SELECT appointment_letter_key FROM verifications WHERE appointment_letter_key = ANY(%s)",
                (candidates, candidates))
    used = {row[0] for row in cur.fetchall()}
    return [key for key in candidates if key not in used]
