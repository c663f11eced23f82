"""Accounts, verification and organizations through the gateway, with identity as its own process."""
import time
import uuid
from datetime import datetime, timezone

import psycopg2
import requests

from kepu_common.interfaces.contracts import make_event
from kepu_common.devtools.testing import publish_events
from services.identity.cli import create_admin
from tests import images

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
    assert post(platform, "/auth/refresh", {"refresh_token": refreshed.json()["tokens"]["refresh_token"]}).status_code == 401
    assert post(platform, "/auth/logout", {"refresh_token": refreshed.json()["tokens"]["refresh_token"]}).json() == {"revoked": False}


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
    # the admin finds the account by its phone (exact, answered masked) instead of asking for its id
    found = get(platform, "/admin/users?phone=137-0000-4444", admin["tokens"]["access_token"])
    assert found.status_code == 200, found.text
    assert [(u["id"], u["phone"], u["verified"]) for u in found.json()] == [(user["user"]["id"], "137****4444", False)]
    assert get(platform, "/admin/users?phone=13700004445", admin["tokens"]["access_token"]).json() == []
    refused(lambda headers: get(platform, "/admin/users?phone=1370000444", admin["tokens"]["access_token"], headers),
            400, "validation_failed", {"phone": "phone_invalid"})
    refused(lambda headers: get(platform, "/admin/users?phone=13700004444", user["tokens"]["access_token"], headers),
            403, "forbidden")
    # a reviewer role goes only to a real-name-verified account: refused, nothing stored
    refused(lambda headers: post(platform, f"/admin/users/{user['user']['id']}/roles",
                                 {"role": "reviewer", "scope": "provincial:110000"}, admin["tokens"]["access_token"],
                                 headers), 422, "rule_broken", {"user_id": "account_not_verified"})
    assert get(platform, f"/admin/users/{user['user']['id']}/role-audit", admin["tokens"]["access_token"]).json() == []
    verify_by_admin(platform, user, admin["tokens"]["access_token"])
    assert get(platform, "/admin/users?phone=13700004444", admin["tokens"]["access_token"]).json()[0]["verified"]
    grant = post(platform, f"/admin/users/{user['user']['id']}/roles",
                 {"role": "reviewer", "scope": "provincial:110000", "note": "北京审核"}, admin["tokens"]["access_token"])
    assert grant.status_code == 200, grant.text
    assert grant.json()["roles"] == [{"role": "communicator", "scope": ""},
                                     {"role": "reviewer", "scope": "provincial:110000"}]
    refused(lambda headers: post(platform, f"/admin/users/{user['user']['id']}/roles", {"role": "platform_admin"},
                                 user["tokens"]["access_token"], headers), 403, "forbidden")
    refused(lambda headers: post(platform, f"/admin/users/{user['user']['id']}/roles", {"role": "reviewer"},
                                 admin["tokens"]["access_token"], headers), 400, "validation_failed",
            {"scope": "review_stage_required"})
    audit = get(platform, f"/admin/users/{user['user']['id']}/role-audit", admin["tokens"]["access_token"])
    assert [(a["action"], a["note"]) for a in audit.json()][-1:] == [("grant", "北京审核")]  # refused ones left none
    relogin = post(platform, "/auth/login", {"phone": "13700004444", "password": PASSWORD}).json()
    assert get(platform, "/auth/session", relogin["tokens"]["access_token"]).json()["roles"] == ["communicator",
                                                                                               "reviewer"]


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
    if body["communicator_type"] in ("district_admin", "street_admin") and "appointment_letter_key" not in body:
        body["appointment_letter_key"] = appointment_letter(platform, token)
    submitted = post(platform, "/me/verification", body, token)
    assert submitted.status_code == 202, submitted.text
    assert submitted.json()["id_number"] == id_number[:4] + "*" * 10 + id_number[-4:]
    review_decides(platform, "communicator_verification", submitted.json()["id"], "realname")
    assert eventually(lambda: get(platform, "/me", token).json()["verification"]["status"] == "approved")
    # roles live in the token: sign in again to carry the new communicator role
    return post(platform, "/auth/login", {"phone": phone, "password": PASSWORD}).json()["tokens"]["access_token"]


def appointment_letter(platform, token):
    """A district or street admin's appointment letter (任命文件), uploaded as an image: its key."""
    letter = requests.post(f"{platform.gateway_url}/api/v1/me/appointment-letter", data=images.png((600, 800)),
                           timeout=20, headers={"Authorization": f"Bearer {token}", "Content-Type": "image/png"})
    assert letter.status_code == 201, letter.text
    return letter.json()["licence_key"]


def test_communicator_registers_an_organization_that_a_second_one_joins(platform):
    token = verified_communicator(platform, "13700005555", "11010519491231002X")
    png = images.png()
    licence = requests.post(f"{platform.gateway_url}/api/v1/orgs/licence", data=png, timeout=20,
                            headers={"Authorization": f"Bearer {token}", "Content-Type": "image/png"})
    assert licence.status_code == 201, licence.text
    org = post(platform, "/orgs", {"name": "北京市朝阳区青少年科技馆", "category": "other", "region_code": "110105",
                                   "licence_key": licence.json()["licence_key"], "contact_name": "王联络",
                                   "contact_phone": "13700005555"}, token)
    assert org.status_code == 202, org.text
    assert org.json()["status"] == "pending"
    review_decides(platform, "organization", org.json()["id"], "org")
    # the platform is shared by the journeys: other organizations may match too, this one must be there
    found = eventually(lambda: [o["name"] for o in get(platform, "/orgs?q=" + requests.utils.quote("科技馆"),
                                                           token).json() if o["name"] == "北京市朝阳区青少年科技馆"])
    assert found == ["北京市朝阳区青少年科技馆"]
    for short_form, match in (("北京朝阳", "prefix"), ("朝阳区青少年科技馆", "contains"), ("北京朝阳青少年科技馆", "exact")):
        hits = get(platform, "/orgs?q=" + requests.utils.quote(short_form), token).json()
        assert [(o["name"], o["match"]) for o in hits if "青少年科技馆" in o["name"]] == [
            ("北京市朝阳区青少年科技馆", match)], short_form

    second = verified_communicator(platform, "13700006666", "440106199001011235", region_code="440106",
                                   org_id=org.json()["id"])
    admin_token = post(platform, "/auth/login", {"phone": "13700005555", "password": PASSWORD}).json()["tokens"]["access_token"]
    members = get(platform, f"/orgs/{org.json()['id']}/members", admin_token)
    assert members.status_code == 200, members.text
    assert sorted(m["phone"] for m in members.json()["items"]) == ["137****5555", "137****6666"]
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
    # the probe's attack: a PNG signature followed by HTML; and a real image cut short
    for fake in (b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>", images.png()[:-40]):
        refused(lambda headers: requests.post(url, data=fake, headers={**png, **headers}, timeout=20),
                415, "unsupported_media_type", {"licence": "not_an_image"})
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


def code_for(platform, phone, purpose):
    sent = post(platform, "/auth/sms-code", {"phone": phone, "purpose": purpose})
    assert sent.status_code == 202, sent.text
    return sent.json()["debug_code"]


def test_sign_in_and_reset_by_sms_code_and_no_lockout(platform):
    database = platform.database_url("identity")
    sign_up(platform, "13700010001")
    for _ in range(12):  # correct passwords never count: a reviewer on the UI and the app all day
        assert post(platform, "/auth/login", {"phone": "13700010001", "password": PASSWORD}).status_code == 200
    for _ in range(5):
        post(platform, "/auth/login", {"phone": "13700010001", "password": "wrong1234"})
    slowed = refused(lambda headers: post(platform, "/auth/login", {"phone": "13700010001", "password": PASSWORD},
                                          headers=headers), 429, "rate_limited")
    assert int(slowed.headers["Retry-After"]) > 0
    with psycopg2.connect(database) as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM rate_limits WHERE key LIKE 'sms%%'")  # the sign-up's code was a moment ago
    # signing in by SMS code is never blocked by password failures
    code = code_for(platform, "13700010001", "login")
    wrong_code = "111111" if code != "111111" else "222222"
    refused(lambda headers: post(platform, "/auth/sms-login", {"phone": "13700010001", "code": wrong_code},
                                 headers=headers),
            400, "validation_failed", {"code": "sms_code_wrong"})
    signed_in = post(platform, "/auth/sms-login", {"phone": "13700010001", "code": code})
    assert signed_in.status_code == 200, signed_in.text
    assert get(platform, "/me", signed_in.json()["tokens"]["access_token"]).json()["phone"] == "13700010001"
    # an unregistered phone is answered as any other (issue 29: no enumeration), and no code goes to it
    unknown = post(platform, "/auth/sms-code", {"phone": "13700010009", "purpose": "reset_password"})
    assert unknown.status_code == 202 and unknown.json() == {"phone": "137****0009", "expires_in": 300}
    refused(lambda headers: post(platform, "/auth/password-reset", {"phone": "13700010009", "code": "123456",
                                                                    "password": "science2027kepu"}, headers=headers),
            400, "validation_failed", {"code": "sms_code_missing"})

    with psycopg2.connect(database) as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM rate_limits WHERE key LIKE 'sms%%'")
    code = code_for(platform, "13700010001", "reset_password")
    with psycopg2.connect(database) as conn, conn.cursor() as cur:
        cur.execute("UPDATE sms_codes SET expires_at = now() - interval '1 second' WHERE purpose = 'reset_password'")
    refused(lambda headers: post(platform, "/auth/password-reset", {"phone": "13700010001", "code": code,
                                                                    "password": "science2027kepu"}, headers=headers),
            400, "validation_failed", {"code": "sms_code_expired"})
    with psycopg2.connect(database) as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM rate_limits WHERE key LIKE 'sms%%'")
    code = code_for(platform, "13700010001", "reset_password")
    reset = post(platform, "/auth/password-reset",
                 {"phone": "13700010001", "code": code, "password": "science2027kepu"})
    assert reset.status_code == 200, reset.text
    assert post(platform, "/auth/login", {"phone": "13700010001", "password": PASSWORD}).status_code in (401, 429)
    assert post(platform, "/auth/refresh", {"refresh_token": signed_in.json()["tokens"]["refresh_token"]}
                ).status_code == 401  # a reset signs every other session out


def test_a_venue_signs_up_200_people_from_one_address(platform):
    for n in range(200):
        sign_up(platform, f"1360000{n:04d}")
    # the per-phone protection stays: a second code for the last one within its minute is refused
    refused(lambda headers: post(platform, "/auth/sms-code", {"phone": "13600000199", "purpose": "login"},
                                 headers=headers), 429, "rate_limited")


def id_number(region, serial):
    """A valid resident ID number (check digit per GB 11643) born 1990-01-01 in region."""
    body = f"{region}19900101{serial:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]


def test_area_admins_get_their_role_on_approval_and_see_exactly_their_area(platform):
    # 南京市鼓楼区 (320106): no other journey verifies anyone there
    street = verified_communicator(platform, "13700011001", id_number("320106", 101), region_code="320106001",
                                   communicator_type="street_admin")
    verified_communicator(platform, "13700011002", id_number("320106", 102), region_code="320106",
                          communicator_type="district_admin")
    district = post(platform, "/auth/login", {"phone": "13700011002", "password": PASSWORD}).json()["tokens"][
        "access_token"]
    verified_communicator(platform, "13700011003", id_number("320106", 103), region_code="320106002")
    assert "street_admin" in get(platform, "/auth/session", street).json()["roles"]
    assert {"role": "street_admin", "scope": "320106001"} in get(platform, "/me", street).json()["roles"]
    mine = get(platform, "/regions/320106001/communicators", street)
    assert mine.status_code == 200, mine.text
    assert [(c["phone"], c["region"]) for c in mine.json()["items"]] == [("137****1001", "江苏省南京市鼓楼区宁海路街道")]
    refused(lambda headers: get(platform, "/regions/320106002/communicators", street, headers), 403, "forbidden")
    refused(lambda headers: get(platform, "/regions/320106/communicators", street, headers), 403, "forbidden")
    district_sees = get(platform, "/regions/320106/communicators", district).json()["items"]
    assert sorted(c["phone"] for c in district_sees) == ["137****1001", "137****1002", "137****1003"]
    assert [c["phone"] for c in get(platform, "/regions/320106002/communicators", district).json()["items"]] == ["137****1003"]
    other = sign_up(platform, "13700011004")["tokens"]["access_token"]
    body = {"real_name": "赵科普", "id_number": id_number("320106", 104), "unit_name": "宁海路街道办事处",
            "unit_address": "江苏省南京市鼓楼区", "communicator_type": "street_admin", "region_code": "320106"}
    refused(lambda headers: post(platform, "/me/verification", body, other, headers), 400, "validation_failed",
            {"region_code": "not_a_township"})


def test_me_shows_membership_and_leaving_the_wrong_organization_changes_nothing(platform):
    token = verified_communicator(platform, "13700012001", id_number("110105", 201))
    png = images.png()
    licence = requests.post(f"{platform.gateway_url}/api/v1/orgs/licence", data=png, timeout=20,
                            headers={"Authorization": f"Bearer {token}", "Content-Type": "image/png"}).json()
    org = post(platform, "/orgs", {"name": "北京市丰台区科学技术协会", "category": "county_cast", "region_code": "110106",
                                   "licence_key": licence["licence_key"], "contact_name": "王联络",
                                   "contact_phone": "13700012001"}, token).json()
    review_decides(platform, "organization", org["id"], "org")
    assert eventually(lambda: get(platform, "/me", token).json()["administers"])
    admin_me = get(platform, "/me", token).json()
    assert admin_me["organization"]["name"] == "北京市丰台区科学技术协会"
    assert [o["name"] for o in admin_me["administers"]] == ["北京市丰台区科学技术协会"]
    # the platform is shared with other journeys (their 科协 organizations of 朝阳 and 海淀 among them)
    for short_form in ("丰台区科协", "北京丰台科协", "北京丰台"):
        hits = get(platform, "/orgs?q=" + requests.utils.quote(short_form), token).json()
        assert hits[0]["name"] == "北京市丰台区科学技术协会", short_form
    member = verified_communicator(platform, "13700012002", id_number("110105", 202), org_id=org["id"])
    assert get(platform, "/me", member).json()["organization"]["id"] == org["id"]
    leave = f"{platform.gateway_url}/api/v1/orgs/membership"
    refused(lambda headers: requests.delete(leave, params={"org_id": str(uuid.uuid4())}, timeout=20,
                                            headers={"Authorization": f"Bearer {member}", **headers}),
            409, "conflict", {"org_id": "not_a_member"})
    assert get(platform, "/me", member).json()["organization"]["id"] == org["id"]
    left = requests.delete(leave, params={"org_id": org["id"]}, headers={"Authorization": f"Bearer {member}"},
                           timeout=20)
    assert left.status_code == 200 and left.json() == {"org_id": org["id"]}
    assert get(platform, "/me", member).json()["organization"] is None


def id_number_for(phone, region="110101"):
    """A valid ID number of its own for each test phone (born on a day the whole phone chooses: phones that
    share their last digits still get different numbers)."""
    import hashlib

    h = int.from_bytes(hashlib.sha256(phone.encode()).digest()[:8], "big")
    body = f"{region}{1940 + h % 60}{1 + (h // 60) % 12:02d}{1 + (h // 720) % 28:02d}{(h // 20160) % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]


def verify_by_admin(platform, account, admin_token):
    """Roles that review or administer go only to real-name-verified accounts: the account (sign_up's answer)
    submits its verification and the platform admin approves it in the review API, before any grant."""
    token = account["tokens"]["access_token"]
    phone = account["user"]["phone"]
    submitted = post(platform, "/me/verification", {
        "real_name": "审核员" + phone[-2:], "id_number": id_number_for(phone), "unit_name": "科普审核中心",
        "unit_address": "北京市东城区", "communicator_type": "individual", "region_code": "110101"}, token)
    assert submitted.status_code == 202, submitted.text
    task = eventually(lambda: open_task(platform, admin_token, "realname", submitted.json()["id"]))
    assert task, "the review service never made the verification's task"
    assert post(platform, f"/review/tasks/{task['id']}/claim", {}, admin_token).status_code == 200
    decided = post(platform, f"/review/tasks/{task['id']}/decision", {"decision": "approved"}, admin_token)
    assert decided.status_code == 200, decided.text
    assert eventually(lambda: get(platform, "/me", token).json()["verification"]["status"] == "approved")


def open_task(platform, token, stage, subject_id):
    """The open review task of subject_id, read page by page (oldest first; other journeys leave tasks open)."""
    for page in range(1, 50):
        listed = get(platform, f"/review/tasks?stage={stage}&page_size=200&page={page}", token).json()
        found = next((t for t in listed["items"] if t["subject_id"] == str(subject_id)), None)
        if found or not listed["has_more"]:
            return found
    return None
