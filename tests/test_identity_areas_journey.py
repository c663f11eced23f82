"""Seed 000's area admins through the gateway: a communicator gives her township when she verifies, a street
admin's claim shows its appointment letter and what it grants to the reviewer, the street admin sees her
(total, sort, period, CSV); the division lookup; joining, moving and leaving organizations; re-verification.
Every refusal has its own error and stores nothing."""
import csv
import io
import uuid

import requests

from services.identity.cli import create_admin
from tests.test_identity_journey import (
    PASSWORD, appointment_letter, eventually, get, id_number, open_task, post, refused, review_decides, sign_up,
    verified_communicator,
)

# 南京市玄武区 (320102) and its 梅园新村街道 (320102002), 新街口街道 (320102003): no other journey verifies anyone there
COUNTY, STREET, OTHER_STREET = "320102", "320102002", "320102003"


def login(platform, phone):
    return post(platform, "/auth/login", {"phone": phone, "password": PASSWORD}).json()["tokens"]["access_token"]


def public(platform, path):
    return requests.get(f"{platform.gateway_url}/api/v1{path}", timeout=20)


def test_the_division_lookup_goes_from_province_to_township(platform):
    provinces = public(platform, "/regions").json()
    assert len(provinces) == 33 and provinces[0] == {  # 31 provinces, 香港 and 澳门, as the table lists them
        "code": "110000", "name": "北京市", "level": "province", "parent_code": None, "full_name": "北京市",
        "has_children": True}
    under_beijing = public(platform, "/regions?parent=110000").json()
    assert "110105" in [d["code"] for d in under_beijing] and {d["level"] for d in under_beijing} == {"county"}
    townships = public(platform, "/regions?parent=110105").json()
    assert townships[0]["code"] == "110105001" and townships[0]["full_name"] == "北京市朝阳区建外街道"
    dongguan = public(platform, "/regions?parent=441900").json()  # a city without counties
    assert dongguan and {d["level"] for d in dongguan} == {"township"}
    found = public(platform, "/regions?q=" + requests.utils.quote("建外街道")).json()
    assert found[0]["code"] == "110105001"
    inside = public(platform, "/regions?parent=440000&q=" + requests.utils.quote("东城街道")).json()
    assert "广东省东莞市东城街道" in [d["full_name"] for d in inside]
    assert all(d["full_name"].startswith("广东省") for d in inside)
    refused(lambda headers: requests.get(f"{platform.gateway_url}/api/v1/regions?parent=999999", headers=headers,
                                         timeout=20), 400, "validation_failed", {"parent": "region_unknown"})


def test_a_street_admin_sees_the_communicators_of_her_street(platform):
    create_admin(platform.database_url("identity"), "13700031000", PASSWORD)
    admin = login(platform, "13700031000")
    # a communicator gives her township when she verifies; one outside the county is refused, nothing stored
    applicant = sign_up(platform, "13700031001")["tokens"]["access_token"]
    body = {"real_name": "李梅", "id_number": id_number(COUNTY, 1), "unit_name": "玄武区梅园小学",
            "unit_address": "南京市玄武区", "communicator_type": "individual", "region_code": COUNTY,
            "township_code": "110105001"}
    refused(lambda headers: post(platform, "/me/verification", body, applicant, headers), 400, "validation_failed",
            {"township_code": "township_outside_region"})
    assert get(platform, "/me", applicant).json()["verification"] is None
    submitted = post(platform, "/me/verification", {**body, "township_code": STREET}, applicant)
    assert submitted.status_code == 202, submitted.text
    assert submitted.json()["township_code"] == STREET
    review_decides(platform, "communicator_verification", submitted.json()["id"], "realname")
    assert eventually(lambda: get(platform, "/me", applicant).json()["verification"]["status"] == "approved")
    verified_communicator(platform, "13700031002", id_number(COUNTY, 2), region_code=COUNTY,
                                      township_code=OTHER_STREET)

    # the street admin's claim: without the letter refused; with it, the reviewer sees the letter and what it grants
    street = sign_up(platform, "13700031003")["tokens"]["access_token"]
    claim = {"real_name": "王街道", "id_number": id_number(COUNTY, 3), "unit_name": "梅园新村街道办事处",
             "unit_address": "南京市玄武区", "communicator_type": "street_admin", "region_code": COUNTY,
             "township_code": STREET}
    refused(lambda headers: post(platform, "/me/verification", claim, street, headers), 400, "validation_failed",
            {"appointment_letter_key": "appointment_letter_required"})
    letter = appointment_letter(platform, street)
    submitted = post(platform, "/me/verification", {**claim, "appointment_letter_key": letter}, street)
    assert submitted.status_code == 202, submitted.text
    task = eventually(lambda: open_task(platform, admin, "realname", submitted.json()["id"]))
    assert task["snapshot"]["grants"] == {"grants_role": "乡镇街道管理员", "grants_area": "江苏省南京市玄武区梅园新村街道",
                                          "grants_people": 1}
    assert [(f["label"], f["key"]) for f in task["snapshot"]["files"]] == [("任命文件", letter)]
    assert post(platform, f"/review/tasks/{task['id']}/claim", {}, admin).status_code == 200
    assert post(platform, f"/review/tasks/{task['id']}/decision", {"decision": "approved"}, admin).status_code == 200
    assert eventually(lambda: get(platform, "/me", street).json()["verification"]["status"] == "approved")
    street = login(platform, "13700031003")

    # she sees her street: the total, newest first, a period, the CSV
    mine = get(platform, f"/regions/{STREET}/communicators?sort=-registered_at", street)
    assert mine.status_code == 200, mine.text
    assert mine.json()["total"] == 2
    assert [(c["real_name"], c["phone"]) for c in mine.json()["items"]] == [("王街道", "137****1003"),
                                                                         ("李梅", "137****1001")]
    by_shares = get(platform, f"/regions/{STREET}/communicators?sort=-shares", street)
    assert by_shares.status_code == 200 and by_shares.json()["total"] == 2, by_shares.text
    future = get(platform, f"/regions/{STREET}/communicators?registered_from=2099-01-01", street).json()
    assert (future["total"], future["items"]) == (0, [])
    exported = requests.get(f"{platform.gateway_url}/api/v1/regions/{STREET}/communicators.csv",
                            headers={"Authorization": f"Bearer {street}"}, timeout=20)
    assert exported.status_code == 200 and exported.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0] == ["姓名", "手机号", "类型", "地区", "所属机构", "注册时间", "认证时间", "分享数"]
    assert sorted(r[0] for r in rows[1:]) == ["李梅", "王街道"] and {r[1] for r in rows[1:]} == {"137****1001",
                                                                                           "137****1003"}
    refused(lambda headers: get(platform, f"/regions/{OTHER_STREET}/communicators", street, headers), 403, "forbidden")
    refused(lambda headers: get(platform, f"/regions/{STREET}/communicators?sort=name", street, headers), 400,
            "validation_failed", {"sort": "not_one_of"})


def test_membership_moves_only_when_said_and_leaving_the_wrong_one_is_409(platform):
    review_orgs = []
    tokens = []
    for n, name in enumerate(("南京市玄武区科普协会", "南京市玄武区青少年科技中心")):
        token = verified_communicator(platform, f"1370003200{n}", id_number(COUNTY, 20 + n), region_code=COUNTY)
        licence = requests.post(f"{platform.gateway_url}/api/v1/orgs/licence", data=_png(), timeout=20,
                                headers={"Authorization": f"Bearer {token}", "Content-Type": "image/png"}).json()
        org = post(platform, "/orgs", {"name": name, "category": "other", "region_code": COUNTY,
                                       "licence_key": licence["licence_key"], "contact_name": "张联络",
                                       "contact_phone": "025-84000000"}, token).json()
        review_decides(platform, "organization", org["id"], "org")
        review_orgs.append(org["id"])
        tokens.append(token)
    first, second = review_orgs
    assert eventually(lambda: get(platform, "/me", tokens[1]).json()["organization"])
    registrant = get(platform, "/me", tokens[0]).json()
    assert registrant["organization"]["id"] == first  # the registrant is its member and admin
    assert [a["status"] for a in registrant["org_applications"]] == ["approved"]
    member = verified_communicator(platform, "13700032005", id_number(COUNTY, 25), region_code=COUNTY, org_id=first)
    refused(lambda headers: post(platform, "/orgs/membership", {"org_id": second}, member, headers), 409, "conflict",
            {"move": "move_to_join"})
    assert get(platform, "/me", member).json()["organization"]["id"] == first
    moved = post(platform, "/orgs/membership", {"org_id": second, "move": True}, member)
    assert moved.status_code == 200 and moved.json()["moved_from"]["id"] == first, moved.text
    leave = f"{platform.gateway_url}/api/v1/orgs/membership"
    refused(lambda headers: requests.delete(leave, params={"org_id": first}, timeout=20,
                                            headers={"Authorization": f"Bearer {member}", **headers}),
            409, "conflict", {"org_id": "not_a_member"})
    assert get(platform, "/me", member).json()["organization"]["id"] == second
    admin_token = login(platform, "13700032001")
    members = get(platform, f"/orgs/{second}/members", admin_token).json()["items"]
    assert [m["phone"] for m in members] == ["137****2001", "137****2005"] and all(m["joined_at"] for m in members)


def test_re_verification_and_refresh_answer_like_login(platform):
    token = verified_communicator(platform, "13700033001", id_number(COUNTY, 31), region_code=COUNTY)
    added = post(platform, "/me/verification/change", {"township_code": STREET}, token)
    assert added.status_code == 202 and added.json()["status"] == "approved", added.text
    change = post(platform, "/me/verification/change", {"unit_name": "玄武区第二中学"}, token)
    assert change.json()["status"] == "pending"
    assert get(platform, "/me", token).json()["verification"]["unit_name"] == "朝阳区第一中学"  # kept until decided
    refused(lambda headers: post(platform, "/me/verification/change", {"unit_name": "玄武区第三中学"}, token, headers),
            409, "conflict")
    review_decides(platform, "verification_change", change.json()["id"], "realname")
    assert eventually(lambda: get(platform, "/me", token).json()["verification"]["unit_name"] == "玄武区第二中学")
    signed_in = post(platform, "/auth/login", {"phone": "13700033001", "password": PASSWORD}).json()
    refreshed = post(platform, "/auth/refresh", {"refresh_token": signed_in["tokens"]["refresh_token"]}).json()
    assert set(refreshed) == set(signed_in) == {"user", "tokens"}
    assert set(refreshed["tokens"]) == set(signed_in["tokens"]) and refreshed["user"]["id"] == signed_in["user"]["id"]


def _png():
    from tests import images
    return images.png()


def test_unknown_org_ids_are_refused_not_guessed(platform):
    token = verified_communicator(platform, "13700034001", id_number(COUNTY, 41), region_code=COUNTY)
    refused(lambda headers: post(platform, "/orgs/membership", {"org_id": str(uuid.uuid4())}, token, headers),
            400, "validation_failed", {"org_id": "org_not_verified"})
