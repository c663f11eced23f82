"""Accounts, verification and organizations through the gateway, with identity as its own process."""
import time
import uuid
from datetime import datetime, timezone

import requests

from kepu_common.contracts import make_event
from kepu_common.testing import publish_events
from services.identity.cli import create_admin

PASSWORD = "kepu2026science"


def post(platform, path, body, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(f"{platform.gateway_url}/api/v1{path}", json=body, headers=headers, timeout=20)


def get(platform, path, token):
    return requests.get(f"{platform.gateway_url}/api/v1{path}", headers={"Authorization": f"Bearer {token}"},
                        timeout=20)


def sign_up(platform, phone):
    sent = post(platform, "/auth/sms-code", {"phone": phone})
    assert sent.status_code == 202, sent.text
    registered = post(platform, "/auth/register", {"phone": phone, "code": sent.json()["debug_code"],
                                                   "password": PASSWORD})
    assert registered.status_code == 201, registered.text
    return registered.json()


def test_sign_up_sign_in_refresh_sign_out(platform):
    account = sign_up(platform, "13700001111")
    me = get(platform, "/me", account["tokens"]["access_token"])
    assert me.status_code == 200 and me.json()["phone"] == "13700001111"

    login = post(platform, "/auth/login", {"phone": "13700001111", "password": PASSWORD})
    assert login.status_code == 200
    refreshed = post(platform, "/auth/refresh", {"refresh_token": login.json()["tokens"]["refresh_token"]})
    assert refreshed.status_code == 200
    again = post(platform, "/auth/refresh", {"refresh_token": login.json()["tokens"]["refresh_token"]})
    assert again.status_code == 401 and again.json()["error"]["fields"] == {
        "refresh_token": "unknown, used, expired or revoked"}
    assert post(platform, "/auth/logout", {"refresh_token": refreshed.json()["refresh_token"]}).json() == {"revoked": True}


def test_bad_input_is_named(platform):
    wrong = post(platform, "/auth/register", {"phone": "13700002222", "code": "12345", "password": "x"})
    assert wrong.status_code == 400 and "code" in wrong.json()["error"]["fields"]
    bad_phone = post(platform, "/auth/sms-code", {"phone": "555"})
    assert bad_phone.status_code == 400 and "phone" in bad_phone.json()["error"]["fields"]
    post(platform, "/auth/sms-code", {"phone": "13700002222"})
    too_soon = post(platform, "/auth/sms-code", {"phone": "13700002222"})
    assert too_soon.status_code == 429 and int(too_soon.headers["Retry-After"]) > 0
    login = post(platform, "/auth/login", {"phone": "13700002222", "password": "nope12345"})
    assert login.status_code == 401


def test_first_admin_grants_a_reviewer_role_over_the_api(platform):
    create_admin(platform.database_url("identity"), "13700003333", PASSWORD)
    admin = post(platform, "/auth/login", {"phone": "13700003333", "password": PASSWORD}).json()
    user = sign_up(platform, "13700004444")
    grant = post(platform, f"/admin/users/{user['user']['id']}/roles",
                 {"role": "reviewer", "scope": "provincial:110000", "note": "北京审核"}, admin["tokens"]["access_token"])
    assert grant.status_code == 200, grant.text
    assert grant.json()["roles"] == [{"role": "reviewer", "scope": "provincial:110000"}]
    refused = post(platform, f"/admin/users/{user['user']['id']}/roles", {"role": "platform_admin"},
                   user["tokens"]["access_token"])
    assert refused.status_code == 403
    audit = get(platform, f"/admin/users/{user['user']['id']}/role-audit", admin["tokens"]["access_token"])
    assert [(a["action"], a["note"]) for a in audit.json()] == [("grant", "北京审核")]
    relogin = post(platform, "/auth/login", {"phone": "13700004444", "password": PASSWORD}).json()
    assert get(platform, "/auth/session", relogin["tokens"]["access_token"]).json()["roles"] == ["reviewer"]


def review_decides(platform, subject_type, subject_id, stage, decision="approved", comment=""):
    """Stands in for the review service (its own issue): publish the decision it would publish."""
    event = make_event("review_decided", "review", task_id=str(uuid.uuid4()), subject_type=subject_type,
                       subject_id=str(subject_id), stage=stage, decision=decision, comment=comment,
                       reviewer_id="journey-reviewer", decided_at=datetime.now(timezone.utc).isoformat())
    publish_events(platform.env["AMQP_URI"], [event])


def eventually(check, timeout=20.0):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.1)


def verified_communicator(platform, phone, id_number, **changes):
    account = sign_up(platform, phone)
    token = account["tokens"]["access_token"]
    body = {"real_name": "王科普", "id_number": id_number, "unit_name": "朝阳区第一中学", "unit_address": "北京市朝阳区",
            "communicator_type": "individual", "region_code": "110105", **changes}
    submitted = post(platform, "/me/verification", body, token)
    assert submitted.status_code == 202, submitted.text
    assert submitted.json()["id_number"] == id_number[:4] + "*" * 10 + id_number[-4:]
    review_decides(platform, "communicator_verification", submitted.json()["id"], "realname")
    assert eventually(lambda: get(platform, "/me", token).json()["verification"]["status"] == "approved")
    # roles live in the token: sign in again to carry the new communicator role
    return post(platform, "/auth/login", {"phone": phone, "password": PASSWORD}).json()["tokens"]["access_token"]


def test_communicator_registers_an_organization_that_a_second_one_joins(platform):
    token = verified_communicator(platform, "13700005555", "11010519491231002X")
    png = b"\x89PNG\r\n\x1a\n" + bytes(2048)
    licence = requests.post(f"{platform.gateway_url}/api/v1/orgs/licence", data=png, timeout=20,
                            headers={"Authorization": f"Bearer {token}", "Content-Type": "image/png"})
    assert licence.status_code == 201, licence.text
    org = post(platform, "/orgs", {"name": "北京市朝阳区青少年科技馆", "category": "other", "region_code": "110105",
                                   "licence_key": licence.json()["licence_key"], "contact_name": "王联络",
                                   "contact_phone": "13700005555"}, token)
    assert org.status_code == 202, org.text
    assert org.json()["status"] == "pending"
    review_decides(platform, "organization", org.json()["id"], "org")
    found = eventually(lambda: get(platform, "/orgs?q=" + requests.utils.quote("科技馆"), token).json())
    assert [o["name"] for o in found] == ["北京市朝阳区青少年科技馆"]

    second = verified_communicator(platform, "13700006666", "440106199001011235", region_code="440106",
                                   org_id=org.json()["id"])
    admin_token = post(platform, "/auth/login", {"phone": "13700005555", "password": PASSWORD}).json()["tokens"]["access_token"]
    members = get(platform, f"/orgs/{org.json()['id']}/members", admin_token)
    assert members.status_code == 200, members.text
    assert sorted(m["phone"] for m in members.json()) == ["137****5555", "137****6666"]
    assert get(platform, f"/orgs/{org.json()['id']}/members", second).status_code == 403


def test_licence_uploads_are_checked_before_anything_is_stored(platform):
    unverified = sign_up(platform, "13700007777")["tokens"]["access_token"]
    url = f"{platform.gateway_url}/api/v1/orgs/licence"
    refused = requests.post(url, data=bytes(100), timeout=20,
                            headers={"Authorization": f"Bearer {unverified}", "Content-Type": "image/png"})
    assert refused.status_code == 403  # only verified communicators register organizations
    token = verified_communicator(platform, "13700008888", "510104198512120012", region_code="510104")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "image/png"}
    renamed_exe = requests.post(url, data=b"MZ\x90\x00" + bytes(100), headers=headers, timeout=20)
    assert renamed_exe.status_code == 415 and renamed_exe.json()["error"]["fields"] == {"licence": "the bytes are not an image"}
    too_large = requests.post(url, data=b"\x89PNG\r\n\x1a\n" + bytes(11 * 1024 * 1024), headers=headers, timeout=60)
    assert too_large.status_code == 413
