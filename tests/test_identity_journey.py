"""Accounts through the gateway, with identity as its own process."""
import requests

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
    from services.identity.cli import create_admin

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
