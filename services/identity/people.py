"""People as others may read them: a masked real name for everyone, the full name and a masked phone only
for the admins concerned (PIPL: the least that serves the purpose; docs/architecture.md "Who sees names").

Leaderboards name a communicator by the real name masked (王*明). The recognition list serves a
commendation: the platform admin, the area admins of the person's district or street, the admins of the
person's organization, and the admins of a 科协 (a city, county or provincial CAST, which writes the
commendations) whose region contains the person see the full name and the phone masked (138****1234).
Plain functions over a cursor; masked() is pure.
"""
from services.identity import roles

# organizations whose admins act for their region's communicators (the 科协 that commend them)
CAST_CATEGORIES = ("provincial_cast", "city_cast", "county_cast")
AREA_ROLES = ("district_admin", "street_admin")


def masked(real_name):
    """王小明 -> 王*明, 王明 -> 王*, 欧阳小明 -> 欧**明, 阿依古丽·买买提 -> 阿******提; None for no name."""
    name = (real_name or "").strip()
    if not name:
        return None
    if len(name) <= 2:
        return name[0] + "*" * (len(name) - 1) if len(name) == 2 else "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def _areas_of(cur, actor_id):
    """(sees everyone, area codes, organization ids) the actor administers."""
    granted = [(r["role"], r["scope"]) for r in roles.of(cur, actor_id)]
    if ("platform_admin", "") in granted:
        return True, set(), set()
    area_codes = {scope for role, scope in granted if role in AREA_ROLES and scope}
    org_ids = {scope for role, scope in granted if role == "org_admin" and scope}
    if org_ids:
        cur.execute("SELECT region_code FROM organizations WHERE id = ANY(%s::uuid[]) AND status = 'approved' "
                    "AND category = ANY(%s)", (sorted(org_ids), list(CAST_CATEGORIES)))
        area_codes.update(row[0] for row in cur.fetchall())
    return False, area_codes, org_ids


def concerns(everyone, area_codes, org_ids, person):
    """Whether an admin with these areas and organizations is concerned with the person. Pure."""
    if everyone:
        return True
    if person["org_id"] is not None and str(person["org_id"]) in org_ids:
        return True
    path = set(person["region_path"] or ())
    return any(code in path for code in area_codes)


def read(cur, user_ids, actor_id=None):
    """[{user_id, masked_name, real_name, phone}] for the users with an approved real-name verification
    (others are left out); real_name and phone are None unless actor_id is an admin concerned."""
    if not user_ids:
        return []
    cur.execute(
        "SELECT DISTINCT ON (v.user_id) v.user_id, v.real_name, v.region_path, m.org_id, u.phone_masked "
        "FROM verifications v JOIN users u ON u.id = v.user_id LEFT JOIN memberships m ON m.user_id = v.user_id "
        "WHERE v.user_id = ANY(%s::uuid[]) AND v.status = 'approved' ORDER BY v.user_id, v.decided_at DESC",
        (sorted({str(u) for u in user_ids}),))
    people = [dict(zip(("user_id", "real_name", "region_path", "org_id", "phone"), row)) for row in cur.fetchall()]
    everyone, area_codes, org_ids = _areas_of(cur, actor_id) if actor_id else (False, set(), set())
    found = []
    for person in people:
        full = concerns(everyone, area_codes, org_ids, person)
        found.append({"user_id": person["user_id"], "masked_name": masked(person["real_name"]),
                      "real_name": person["real_name"] if full else None,
                      "phone": person["phone"] if full else None})
    return found
