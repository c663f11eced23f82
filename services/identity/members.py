"""Who belongs where: organization members, and the communicators of an area. Plain functions over a cursor."""
from kepu_common.interfaces.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.identity import areas, roles

AREA_ROLES = ("district_admin", "street_admin")


def require_directory_org(cur, org_id, field="org_id", message="choose_org_from_directory"):
    """org_id must be a verified organization (one a user can pick from the directory); its name."""
    cur.execute("SELECT status, name FROM organizations WHERE id = %s", (org_id,))
    row = cur.fetchone()
    if row is None or row[0] != "approved":
        raise InvalidInput(message, {field: "org_not_verified"})
    return row[1]


def org_of(cur, user_id):
    cur.execute("SELECT org_id FROM memberships WHERE user_id = %s", (user_id,))
    row = cur.fetchone()
    return row[0] if row else None


def place(cur, user_id, org_id, move=True):
    """Record that user_id belongs to org_id: a communicator belongs to at most one organization, and
    moves when they join another (unless move is False). Returns (previous org or None, org now)."""
    previous = org_of(cur, user_id)
    if previous is not None and (not move or str(previous) == str(org_id)):
        return previous, previous
    cur.execute("INSERT INTO memberships (user_id, org_id) VALUES (%s, %s) "
                "ON CONFLICT (user_id) DO UPDATE SET org_id = EXCLUDED.org_id, joined_at = now()", (user_id, org_id))
    return previous, org_id


def join(cur, user_id, org_id, move=False):
    """A communicator joins org_id. One who belongs to another organization is refused (409, naming it)
    unless they say move: then they leave it for this one (member_left, member_joined)."""
    require_directory_org(cur, org_id)
    current = belongs_to(cur, user_id)
    if current is not None and str(current["id"]) != str(org_id) and not move:
        raise Conflict("already_in_another_org", {"move": ("move_to_join", {"name": current["name"]})},
                       details={"current_org": {"id": str(current["id"]), "name": current["name"]}},
                       name=current["name"])
    return place(cur, user_id, org_id)


def leave(cur, user_id, org_id=None):
    """The user leaves their organization (when org_id is given, only if it is that one); returns its id.
    Leaving one they are not in is refused (409) and changes nothing."""
    current = org_of(cur, user_id)
    if current is None:
        raise Conflict("not_in_an_org", {"org_id": "not_a_member"})
    if org_id is not None and str(org_id) != str(current):
        raise Conflict("not_a_member_of_org", {"org_id": "not_a_member"})
    cur.execute("DELETE FROM memberships WHERE user_id = %s", (user_id,))
    return current


def _org_refs(cur, org_ids):
    if not org_ids:
        return []
    cur.execute("SELECT id, name, status FROM organizations WHERE id = ANY(%s::uuid[]) ORDER BY name",
                ([str(i) for i in org_ids],))
    return [dict(zip(("id", "name", "status"), row)) for row in cur.fetchall()]


def belongs_to(cur, user_id):
    """{id, name, status} of the user's organization, or None."""
    org_id = org_of(cur, user_id)
    found = _org_refs(cur, [org_id] if org_id else [])
    return found[0] if found else None


def administers(cur, user_id):
    """{id, name, status} of each organization the user is org_admin of."""
    return _org_refs(cur, [scope for role, scope in _granted(cur, user_id) if role == "org_admin" and scope])


def remove(cur, org_id, user_id):
    """An organization's admin removes a member."""
    cur.execute("DELETE FROM memberships WHERE user_id = %s AND org_id = %s RETURNING org_id", (user_id, org_id))
    if cur.fetchone() is None:
        raise NotFound("not_a_member", {"user_id": "not_a_member"})
    return org_id


def _granted(cur, actor_id):
    return [(r["role"], r["scope"]) for r in roles.of(cur, actor_id)]


def require_org_admin(cur, actor_id, org_id):
    granted = _granted(cur, actor_id)
    if ("org_admin", str(org_id)) not in granted and ("platform_admin", "") not in granted:
        raise Forbidden("org_members_admins_only", details={"required_roles": ["org_admin"]})


def require_area_admin(cur, actor_id, area_code):
    granted = _granted(cur, actor_id)
    if ("platform_admin", "") in granted:
        return
    if not any(role in AREA_ROLES and scope and areas.is_within(area_code, scope) for role, scope in granted):
        raise Forbidden("area_admins_only", details={"required_roles": list(AREA_ROLES)})


_LATEST = ("LEFT JOIN LATERAL (SELECT status, real_name, communicator_type, region_code, township_code, submitted_at, "
           "decided_at "
           "FROM verifications v WHERE v.user_id = u.id ORDER BY submitted_at DESC LIMIT 1) AS v ON true")


def _page(rows, page, page_size):
    """{items, page, page_size, has_more} from page_size + 1 rows read."""
    return {"items": rows[:page_size], "page": page, "page_size": page_size, "has_more": len(rows) > page_size}


def org_members(cur, org_id, page=1, page_size=20):
    cur.execute(
        f"SELECT u.id, u.phone_masked, u.created_at, m.joined_at, v.status, v.real_name, v.communicator_type, "
        f"v.region_code, v.township_code "
        f"FROM memberships m JOIN users u ON u.id = m.user_id {_LATEST} "
        f"WHERE m.org_id = %s ORDER BY m.joined_at, u.id LIMIT %s OFFSET %s",
        (org_id, page_size + 1, (page - 1) * page_size))
    keys = ("user_id", "phone", "registered_at", "joined_at", "verification_status", "real_name",
            "communicator_type", "region_code", "township_code")
    return _page([_shape(dict(zip(keys, row))) for row in cur.fetchall()], page, page_size)


AREA_EXPORT_MAX = 50_000  # one CSV; a bigger area is exported by its townships or by period


def _area_where(area_code, registered_from=None, registered_to=None):
    """The approved communicators inside the area, registered in the period (days in Asia/Shanghai)."""
    where = ["v.status = 'approved'", "v.region_path @> ARRAY[%s]::text[]"]
    args = [area_code]
    if registered_from:
        where.append("u.created_at >= (%s::date)::timestamp AT TIME ZONE 'Asia/Shanghai'")
        args.append(registered_from)
    if registered_to:
        where.append("u.created_at < (%s::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'")
        args.append(registered_to)
    return " AND ".join(where), args


def area_ids(cur, area_code, registered_from=None, registered_to=None, limit=AREA_EXPORT_MAX):
    """Every communicator's id in the area and period (sorting by shares happens where shares are known)."""
    where, args = _area_where(area_code, registered_from, registered_to)
    cur.execute(f"SELECT u.id FROM verifications v JOIN users u ON u.id = v.user_id WHERE {where} "
                f"ORDER BY u.created_at, u.id LIMIT %s", (*args, limit))
    return [row[0] for row in cur.fetchall()]


def area_communicators(cur, area_code, page=1, page_size=20, sort="registered_at", registered_from=None,
                       registered_to=None, user_ids=None):
    """A page of the area's communicators, with the total. user_ids: exactly these (those of them inside the
    area and period), in this order (the gateway sorted them by shares, or asks for every one for the CSV)."""
    area_code = areas.describe(area_code, "code")["code"]
    where, args = _area_where(area_code, registered_from, registered_to)
    cur.execute(f"SELECT count(*) FROM verifications v JOIN users u ON u.id = v.user_id WHERE {where}", args)
    total = cur.fetchone()[0]
    select = ("SELECT u.id, u.phone_masked, u.created_at, v.decided_at, v.real_name, v.communicator_type, "
              "v.region_code, v.township_code, o.name "
              "FROM verifications v JOIN users u ON u.id = v.user_id "
              "LEFT JOIN memberships m ON m.user_id = u.id LEFT JOIN organizations o ON o.id = m.org_id ")
    keys = ("user_id", "phone", "registered_at", "verified_at", "real_name", "communicator_type", "region_code",
            "township_code", "organization")
    if user_ids is not None:
        ids = [str(i) for i in user_ids]
        cur.execute(f"{select} WHERE {where} AND u.id = ANY(%s::uuid[])", (*args, ids))
        found = {str(row[0]): _shape(dict(zip(keys, row))) for row in cur.fetchall()}
        rows = [found[i] for i in ids if i in found]
        return {"items": rows, "page": page, "page_size": page_size, "has_more": page * page_size < total,
                "total": total}
    order = "u.created_at DESC, u.id DESC" if sort == "-registered_at" else "u.created_at, u.id"
    cur.execute(f"{select} WHERE {where} ORDER BY {order} LIMIT %s OFFSET %s",
                (*args, page_size + 1, (page - 1) * page_size))
    return {**_page([_shape(dict(zip(keys, row))) for row in cur.fetchall()], page, page_size), "total": total}


def _shape(row):
    # row["phone"] is users.phone_masked already
    if row.get("region_code"):
        row["region"] = areas.describe(row.get("township_code") or row["region_code"])["full_name"]
    row["shares"] = None  # joined in from the metrics service once it counts shares
    return row
