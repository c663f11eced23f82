"""Accounts, verification and organizations through the gateway, with identity as its own process."""
import time
import uuid
from datetime import datetime, timezone

import requests

from kepu_common.contracts import make_event
from kepu_common.testing import publish_events
from services.identity.cli import create_admin

PASSWORD = "kepu2026science"


def post(platform, path, body, token=None, headers=None):
    headers = {**({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})}
    return requests.post(f"{platform.gateway_url}/api/v1{path}", json=body, headers=headers, timeout=20)


def get(platform, path, token, headers=None):
    return requests.get(f"{platform.gateway_url}/api/v1{path}",
                        headers={"Authorization": f"Bearer {token}", **(headers or {})}, timeout=20)


def has_chinese(text):
    return any("\u4e00" <= char <= "\u9fff" for char in text)


def refused(send, status, code, fields=None):
    """send(headers) makes the request; its error comes in Chinese by default and in English with
    Accept-Language: en, with the same code and the same field codes. Returns the Chinese answer."""
    answers = {"zh": send({}), "en": send({"Accept-Language": "en"})}
    for language, response in answers.items():
        assert response.status_code == status, (language, response.text)
        error = response.json()["error"]
        assert error["code"] == code, error
        assert {name: value["code"] for name, value in error["fields"].items()} == (fields or {}), error
        messages = [error["message"]] + [value["message"] for value in error["fields"].values()]
        if language == "zh":
            assert all(has_chinese(message) for message in messages), messages
        else:
            assert not any(has_chinese(message) for message in messages), messages
    return answers["zh"]


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
    second = post(platform, "/auth/login", {"phone": "13700001111", "password": PASSWORD}).json()["tokens"]
    assert post(platform, "/auth/logout", {"refresh_token": second["refresh_token"]}).json() == {"revoked": True}
    # the rotated token presented again: its whole family is revoked, the newer token too
    refused(lambda headers: post(platform, "/auth/refresh", {"refresh_token": login.json()["tokens"]["refresh_token"]},
                                 headers=headers), 401, "unauthorized", {"refresh_token": "refresh_token_invalid"})
    assert post(platform, "/auth/refresh", {"refresh_token": refreshed.json()["refresh_token"]}).status_code == 401
    assert post(platform, "/auth/logout", {"refresh_token": refreshed.json()["refresh_token"]}).json() == {"revoked": False}


def test_bad_input_is_named(platform):
    refused(lambda headers: post(platform, "/auth/register", {"phone": "13700002222", "code": "12345", "password": "x"},
                                 headers=headers), 400, "validation_failed", {"code": "sms_code_format"})
    refused(lambda headers: post(platform, "/auth/register", {"phone": "13700002222", "code": "123456",
                                                              "password": "onlyletters"}, headers=headers),
            400, "validation_failed", {"password": "password_letters_and_digits"})
    refused(lambda headers: post(platform, "/auth/sms-code", {"phone": "555"}, headers=headers),
            400, "validation_failed", {"phone": "phone_invalid"})
    post(platform, "/auth/sms-code", {"phone": "13700002222"})
    refused(lambda headers: post(platform, "/auth/register", {"phone": "13700002222", "code": "000000",
                                                              "password": PASSWORD}, headers=headers),
            400, "validation_failed", {"code": "sms_code_wrong"})
    too_soon = refused(lambda headers: post(platform, "/auth/sms-code", {"phone": "13700002222"}, headers=headers),
                       429, "rate_limited")
    wait = too_soon.json()["error"]["details"]["retry_after"]
    assert int(too_soon.headers["Retry-After"]) == wait > 0 and str(wait) in too_soon.json()["error"]["message"]
    refused(lambda headers: post(platform, "/auth/login", {"phone": "13700002222", "password": "nope12345"},
                                 headers=headers), 401, "unauthorized")


def test_first_admin_grants_a_reviewer_role_over_the_api(platform):
    create_admin(platform.database_url("identity"), "13700003333", PASSWORD)
    admin = post(platform, "/auth/login", {"phone": "13700003333", "password": PASSWORD}).json()
    user = sign_up(platform, "13700004444")
    grant = post(platform, f"/admin/users/{user['user']['id']}/roles",
                 {"role": "reviewer", "scope": "provincial:110000", "note": "北京审核"}, admin["tokens"]["access_token"])
    assert grant.status_code == 200, grant.text
    assert grant.json()["roles"] == [{"role": "reviewer", "scope": "provincial:110000"}]
    refused(lambda headers: post(platform, f"/admin/users/{user['user']['id']}/roles", {"role": "platform_admin"},
                                 user["tokens"]["access_token"], headers), 403, "forbidden")
    refused(lambda headers: post(platform, f"/admin/users/{user['user']['id']}/roles", {"role": "reviewer"},
                                 admin["tokens"]["access_token"], headers), 400, "validation_failed",
            {"scope": "review_stage_required"})
    audit = get(platform, f"/admin/users/{user['user']['id']}/role-audit", admin["tokens"]["access_token"])
    assert [(a["action"], a["note"]) for a in audit.json()] == [("grant", "北京审核")]  # the refused one left none
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
    refused(lambda headers: get(platform, f"/orgs/{org.json()['id']}/members", second, headers), 403, "forbidden")
    refused(lambda headers: post(platform, "/orgs", {"name": "北京市朝阳区青少年科技馆", "category": "other",
                                                     "region_code": "110199", "licence_key": licence.json()["licence_key"],
                                                     "contact_name": "王联络", "contact_phone": "13700005555"},
                                 token, headers), 400, "validation_failed", {"region_code": "region_unknown"})
    refused(lambda headers: post(platform, "/orgs", {"name": "北京市朝阳区青少年科技馆", "category": "museum",
                                                     "region_code": "110105", "licence_key": "licences/x",
                                                     "contact_name": "王联络", "contact_phone": "13700005555"},
                                 token, headers), 400, "validation_failed", {"category": "not_one_of"})


def test_licence_uploads_are_checked_before_anything_is_stored(platform):
    unverified = sign_up(platform, "13700007777")["tokens"]["access_token"]
    url = f"{platform.gateway_url}/api/v1/orgs/licence"
    # only verified communicators register organizations
    refused(lambda headers: requests.post(url, data=bytes(100), timeout=20, headers={
        "Authorization": f"Bearer {unverified}", "Content-Type": "image/png", **headers}), 403, "forbidden")
    token = verified_communicator(platform, "13700008888", "510104198512120012", region_code="510104")
    png = {"Authorization": f"Bearer {token}", "Content-Type": "image/png"}
    refused(lambda headers: requests.post(url, data=b"MZ\x90\x00" + bytes(100), headers={**png, **headers},
                                          timeout=20), 415, "unsupported_media_type", {"licence": "not_an_image"})
    refused(lambda headers: requests.post(url, data=b"\x89PNG\r\n\x1a\n" + bytes(11 * 1024 * 1024),
                                          headers={**png, **headers}, timeout=60),
            413, "too_large", {"licence": "file_too_large"})


def test_verification_errors_say_what_is_wrong_in_the_readers_language(platform):
    verified_communicator(platform, "13700009990", "110105198001011238")
    other = sign_up(platform, "13700009991")["tokens"]["access_token"]
    body = {"real_name": "李科普", "unit_name": "朝阳区第一中学", "unit_address": "北京市朝阳区",
            "communicator_type": "individual", "region_code": "110105"}
    refused(lambda headers: post(platform, "/me/verification", {**body, "id_number": "110105198001011239"}, other,
                                 headers), 400, "validation_failed", {"id_number": "id_checksum"})
    # the same ID number typed with full-width digits is the same number
    refused(lambda headers: post(platform, "/me/verification", {**body, "id_number": "１１０１０５１９８００１０１１２３８"},
                                 other, headers), 409, "conflict", {"id_number": "id_number_taken"})
    refused(lambda headers: post(platform, "/me/verification", {**body, "id_number": "110105198001011246",
                                                                "communicator_type": "boss", "real_name": "李"},
                                 other, headers), 400, "validation_failed",
            {"communicator_type": "not_one_of", "real_name": "length_between"})
