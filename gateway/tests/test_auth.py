from gateway.tests.conftest import error_of
from kepu_common.operations.keys import generate_pair


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_missing_token_is_401_with_how_to_sign_in(client):
    response = client.get("/api/v1/auth/session")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    message = error_of(response)["message"]
    assert message.startswith("请先登录") and "访问令牌" in message


def test_valid_token_shows_the_session(client, make_token):
    response = client.get("/api/v1/auth/session", headers=bearer(make_token(["communicator"], sub="u-42")))
    assert response.status_code == 200
    assert response.get_json()["user_id"] == "u-42"
    assert response.get_json()["roles"] == ["communicator"]


def test_expired_token_is_401_token_expired(client, make_token):
    response = client.get("/api/v1/auth/session", headers=bearer(make_token(ttl=-10)))
    assert response.status_code == 401
    assert error_of(response)["code"] == "token_expired"


def test_token_signed_by_another_key_is_refused(client, make_token):
    forged = make_token(["platform_admin"], key=generate_pair()[0])
    response = client.get("/api/v1/auth/session", headers=bearer(forged))
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_token"


def test_garbage_and_refresh_tokens_are_refused(client, make_token):
    assert client.get("/api/v1/auth/session", headers=bearer("not.a.jwt")).status_code == 401
    response = client.get("/api/v1/auth/session", headers=bearer(make_token(typ="refresh")))
    assert response.status_code == 401 and error_of(response)["code"] == "invalid_token"


def test_token_for_another_audience_is_refused(client, make_token):
    response = client.get("/api/v1/auth/session", headers=bearer(make_token(aud="someone-else")))
    assert response.status_code == 401


def test_missing_role_is_403_naming_it(client, make_token):
    response = client.post("/api/v1/system/pings", json={"message": "hi"},
                           headers=bearer(make_token(["communicator"])))
    assert response.status_code == 403
    assert error_of(response)["details"] == {"required_roles": ["platform_admin"]}


def test_rotated_keys_both_verify(make_app, make_token, jwt_keys):
    old_private, old_public = generate_pair()
    client = make_app(JWT_PUBLIC_KEYS=[jwt_keys["public"], old_public]).test_client()
    assert client.get("/api/v1/auth/session", headers=bearer(make_token(key=old_private))).status_code == 200
    assert client.get("/api/v1/auth/session", headers=bearer(make_token())).status_code == 200
