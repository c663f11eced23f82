import subprocess
import sys

import pytest

from kepu_common.errors import Forbidden, InvalidInput
from services.identity.cli import create_admin
from services.identity.service import IdentityService
from services.identity.tests.test_accounts import PASSWORD, call, register, sql


@pytest.fixture
def identity(start_service):
    return start_service(IdentityService)


@pytest.fixture
def admin_id(identity):
    return str(create_admin(identity.config["DATABASE_URL"], "13900000001", PASSWORD))


def test_cli_creates_an_admin_who_signs_in_with_the_role(identity, admin_id):
    login = call(identity, "login", {"phone": "13900000001", "password": PASSWORD})
    assert {"role": "platform_admin", "scope": ""} in login["user"]["roles"]
    assert call(identity, "role_audit", admin_id)[0]["note"] == "granted by the create-admin command"


def test_cli_command_line(identity):
    env = {"DATABASE_URL": identity.config["DATABASE_URL"], "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "services.identity.cli", "create-admin", "--phone", "13900000002",
                             "--password-stdin"], input="weak\n", capture_output=True, text=True, env=env)
    assert result.returncode == 2 and "too weak" in result.stderr
    result = subprocess.run([sys.executable, "-m", "services.identity.cli", "create-admin", "--phone", "13900000002",
                             "--password-stdin"], input=PASSWORD + "\n", capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert sql(identity, "SELECT role FROM user_roles") == [("platform_admin",)]


def test_admin_grants_reviewer_stage_with_province_and_it_is_audited(identity, admin_id):
    user = register(identity, "13800138100")["user"]
    granted = call(identity, "grant_role", {"actor_id": admin_id, "user_id": user["id"], "role": "reviewer",
                                            "scope": "provincial:440000", "note": "广东省审核员"})
    assert granted["roles"] == [{"role": "reviewer", "scope": "provincial:440000"}]
    audit = call(identity, "role_audit", user["id"])
    assert [(a["action"], a["actor_id"], a["note"]) for a in audit] == [("grant", admin_id, "广东省审核员")]
    events = sql(identity, "SELECT payload->>'role', payload->>'scope' FROM outbox WHERE event_type = 'role_granted' "
                           "AND payload->>'user_id' = %s", (user["id"],))
    assert events == [("reviewer", "provincial:440000")]
    tokens = call(identity, "login", {"phone": "13800138100", "password": PASSWORD})["tokens"]
    assert tokens["access_token"]


@pytest.mark.parametrize("role,scope", [
    ("reviewer", ""), ("reviewer", "provincial"), ("reviewer", "national:110000"), ("reviewer", "provincial:440100"),
    ("wizard", ""),
])
def test_bad_grants_are_refused(identity, admin_id, role, scope):
    user = register(identity, "13800138101")["user"]
    with pytest.raises(InvalidInput):
        call(identity, "grant_role", {"actor_id": admin_id, "user_id": user["id"], "role": role, "scope": scope})
    assert sql(identity, "SELECT count(*) FROM role_audit WHERE user_id = %s", (user["id"],)) == [(0,)]


def test_only_platform_admins_grant(identity):
    user = register(identity, "13800138102")["user"]
    with pytest.raises(Forbidden):
        call(identity, "grant_role", {"actor_id": user["id"], "user_id": user["id"], "role": "platform_admin"})


def test_revoke_is_audited(identity, admin_id):
    user = register(identity, "13800138103")["user"]
    call(identity, "grant_role", {"actor_id": admin_id, "user_id": user["id"], "role": "reviewer", "scope": "initial"})
    left = call(identity, "revoke_role", {"actor_id": admin_id, "user_id": user["id"], "role": "reviewer",
                                          "scope": "initial"})
    assert left["roles"] == []
    assert [a["action"] for a in call(identity, "role_audit", user["id"])] == ["grant", "revoke"]
