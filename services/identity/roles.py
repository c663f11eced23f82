"""Roles and their scopes, granted and revoked with an audit row each."""
from kepu_common.interfaces.contracts import REVIEW_STAGES
from kepu_common.interfaces.errors import Forbidden, InvalidInput, NotFound, RuleBroken
from services.identity import areas
from services.identity.contracts import ascii_digits, is_ascii_digits

ROLES = ("communicator", "org_admin", "district_admin", "street_admin", "reviewer", "platform_admin")


def validate(role, scope):
    """Reviewers are granted per stage ('provincial:<province code>' for provincial review)."""
    if role not in ROLES:
        raise InvalidInput("role_unknown", {"role": ("not_one_of", {"choices": "、".join(ROLES)})})
    if role == "reviewer":
        stage, _, province = (scope or "").partition(":")
        if stage not in REVIEW_STAGES:
            stages = "、".join(REVIEW_STAGES)
            raise InvalidInput("role_invalid", {"scope": ("review_stage_required", {"stages": stages})})
        if (stage == "provincial") != bool(province):
            raise InvalidInput("role_invalid", {"scope": "provincial_scope_format"})
        if province and not (is_ascii_digits(province, 6) and province.endswith("0000")):
            raise InvalidInput("role_invalid", {"scope": "province_code_invalid"})
    if role in areas.REQUIRED_LEVEL:
        return areas.check_scope(role, ascii_digits(scope or "").strip())
    return scope or ""


def of(cur, user_id):
    cur.execute("SELECT role, scope FROM user_roles WHERE user_id = %s ORDER BY role, scope", (user_id,))
    return [{"role": role, "scope": scope} for role, scope in cur.fetchall()]


def names(role_rows):
    return sorted({r["role"] for r in role_rows})


def require_platform_admin(cur, actor_id):
    if "platform_admin" not in names(of(cur, actor_id)):
        raise Forbidden("platform_admin_only", details={"required_roles": ["platform_admin"]})


def grant(cur, user_id, role, scope="", actor_id=None, note=""):
    scope = validate(role, scope)
    cur.execute("SELECT 1 FROM users WHERE id = %s", (user_id,))
    if cur.fetchone() is None:
        raise NotFound("user_not_found", {"user_id": "user_unknown"})
    cur.execute("INSERT INTO user_roles (user_id, role, scope) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                (user_id, role, scope))
    granted = cur.rowcount == 1
    if granted:
        cur.execute("INSERT INTO role_audit (user_id, role, scope, action, actor_id, actor_note) "
                    "VALUES (%s, %s, %s, 'grant', %s, %s)", (user_id, role, scope, actor_id, note))
    return granted


def revoke(cur, user_id, role, scope="", actor_id=None, note=""):
    cur.execute("DELETE FROM user_roles WHERE user_id = %s AND role = %s AND scope = %s", (user_id, role, scope or ""))
    revoked = cur.rowcount == 1
    if revoked:
        cur.execute("INSERT INTO role_audit (user_id, role, scope, action, actor_id, actor_note) "
                    "VALUES (%s, %s, %s, 'revoke', %s, %s)", (user_id, role, scope or "", actor_id, note))
    return revoked


def audit(cur, user_id):
    cur.execute("SELECT role, scope, action, actor_id, actor_note, at FROM role_audit WHERE user_id = %s ORDER BY id",
                (user_id,))
    keys = ("role", "scope", "action", "actor_id", "note", "at")
    return [dict(zip(keys, row)) for row in cur.fetchall()]


# roles that review or administer: only for accounts whose real-name verification was approved (the guide
# requires real-name registration of everyone who reviews or manages)
VERIFIED_ONLY = ("reviewer", "platform_admin", "org_admin", "district_admin", "street_admin")


def require_verified(cur, user_id, role):
    if role not in VERIFIED_ONLY:
        return
    cur.execute("SELECT 1 FROM verifications WHERE user_id = %s AND status = 'approved'", (user_id,))
    if cur.fetchone() is None:
        raise RuleBroken("role_needs_verified_account", {"user_id": ("account_not_verified", {"role": role})},
                         role=role)
