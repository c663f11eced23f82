"""Identity's directory and role grants, kept from its events: organizations (for supervising units and
partners) and who acts for which organization (org admins, platform admins)."""

from kepu_common.interfaces.errors import Forbidden
from kepu_common.domain.org_admins import acting_org, is_platform_admin, orgs_of  # noqa: F401 (used by service.py)

ORG_STATUS_OF_EVENT = {"org_registered": "pending", "org_verified": "verified", "org_rejected": "rejected"}


def apply_org_event(cur, event_type, event):
    if event_type == "org_registered":
        # a decision may have arrived first (separate queues): keep its status
        cur.execute("INSERT INTO organizations (id, name, category, region_code) VALUES (%s, %s, %s, %s) "
                    "ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, category = EXCLUDED.category, "
                    "region_code = EXCLUDED.region_code",
                    (str(event["org_id"]), event["name"], event["category"], event["region_code"]))
    else:
        cur.execute("INSERT INTO organizations (id, name, category, region_code, status) VALUES (%s, '', '', '', %s) "
                    "ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status",
                    (str(event["org_id"]), ORG_STATUS_OF_EVENT[event_type]))


def orgs(cur, ids):
    """{id: org} for the given ids (unknown ones are missing)."""
    ids = sorted({str(i) for i in ids if i is not None})
    if not ids:
        return {}
    cur.execute("SELECT id, name, category, region_code, status FROM organizations WHERE id = ANY(%s::uuid[])",
                (ids,))
    return {str(row[0]): dict(zip(("id", "name", "category", "region_code", "status"), row)) for row in cur.fetchall()}


def require_platform_admin(cur, user_id):
    if not is_platform_admin(cur, user_id):
        raise Forbidden("campaign_platform_admin_only", details={"required_roles": ["platform_admin"]})


def apply_reviewer_event(cur, event, granted):
    """Reviewer grants of the activity stages ('national', 'provincial:<province>'), kept to let the reviewers
    of an activity's route look at its follow-up evidence."""
    if event["role"] != "reviewer":
        return
    scope = event.get("scope") or ""
    if scope.partition(":")[0] not in ("provincial", "national"):
        return
    if granted:
        cur.execute("INSERT INTO activity_reviewers (user_id, scope) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                    (str(event["user_id"]), scope))
    else:
        cur.execute("DELETE FROM activity_reviewers WHERE user_id = %s AND scope = %s", (str(event["user_id"]), scope))


def is_reviewer(cur, user_id, scopes):
    cur.execute("SELECT 1 FROM activity_reviewers WHERE user_id = %s AND scope = ANY(%s)", (str(user_id), list(scopes)))
    return cur.fetchone() is not None


def apply_verified_event(cur, event):
    cur.execute("INSERT INTO verified_users (user_id) VALUES (%s) ON CONFLICT DO NOTHING", (str(event["user_id"]),))


def require_verified(cur, user_id):
    """Seed 004: 注册后请实名认证 — only real-name-verified people publish (kept from identity's user_verified)."""
    cur.execute("SELECT 1 FROM verified_users WHERE user_id = %s", (str(user_id),))
    if cur.fetchone() is None:
        raise Forbidden("activity_publisher_not_verified", {"user_id": "real_name_not_verified"},
                        details={"required": "real_name_verification"})
