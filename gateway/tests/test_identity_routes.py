"""The identity routes: one contract with the service (its schemas), refusals with codes in both languages."""
from gateway.tests.conftest import error_of
from kepu_common.interfaces.contracts import COMMUNICATOR_TYPES, ORG_CATEGORIES
from services.identity.service import IdentityService


def schema_of(spec, ref_or_schema):
    ref = ref_or_schema.get("$ref") or ref_or_schema.get("items", {}).get("$ref")
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else ref_or_schema


def test_openapi_documents_identitys_own_schemas(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    sms = spec["paths"]["/api/v1/auth/sms-code"]["post"]
    request = schema_of(spec, sms["requestBody"]["content"]["application/json"]["schema"])
    assert set(request["properties"]) == {"phone", "purpose"}  # the client's address is the gateway's to add
    assert {"202", "400", "429", "503"} <= set(sms["responses"]) and not {"404", "409"} & set(sms["responses"])
    verification = spec["paths"]["/api/v1/me/verification"]["post"]
    form = schema_of(spec, verification["requestBody"]["content"]["application/json"]["schema"])
    communicator_type = form["properties"]["communicator_type"]  # an enum component (allOf: a description beside)
    assert schema_of(spec, communicator_type.get("allOf", [communicator_type])[0])["enum"] == list(COMMUNICATOR_TYPES)
    search = spec["paths"]["/api/v1/orgs"]["get"]
    category = next(p for p in search["parameters"] if p["name"] == "category")
    assert schema_of(spec, category["schema"]["allOf"][0])["enum"] == list(ORG_CATEGORIES)  # enums are components
    hit = schema_of(spec, search["responses"]["200"]["content"]["application/json"]["schema"])
    assert hit["properties"]["category_label"]["type"] == "string"
    assert "delete" in spec["paths"]["/api/v1/orgs/membership"]
    assert "delete" in spec["paths"]["/api/v1/orgs/{org_id}/members/{user_id}"]


def test_invalid_input_is_refused_at_the_gateway_with_field_codes_in_both_languages(client):
    body = {"phone": "13800138000", "code": "12", "password": "kepu2026science"}
    chinese = error_of(client.post("/api/v1/auth/register", json=body))
    english = error_of(client.post("/api/v1/auth/register", json=body, headers={"Accept-Language": "en"}))
    assert chinese["fields"]["code"] == {"code": "sms_code_format", "message": "验证码为6位数字。"}
    assert english["fields"]["code"] == {"code": "sms_code_format", "message": "The code is 6 digits."}


def test_a_service_refusal_keeps_its_codes_and_retry_after(start_service, client):
    start_service(IdentityService)
    assert client.post("/api/v1/auth/sms-code", json={"phone": "13800138000"}).status_code == 202
    response = client.post("/api/v1/auth/sms-code", json={"phone": "１３８００１３８０００"},
                           headers={"Accept-Language": "en"})
    assert response.status_code == 429
    error = error_of(response)
    assert error["code"] == "rate_limited" and int(response.headers["Retry-After"]) == error["details"]["retry_after"]
    assert error["message"] == f"A code was just sent: ask again in {error['details']['retry_after']} seconds."


def test_openapi_documents_signing_in_by_code_and_resetting_a_password(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/auth/sms-login", "/api/v1/auth/password-reset"):
        operation = spec["paths"][path]["post"]
        request = schema_of(spec, operation["requestBody"]["content"]["application/json"]["schema"])
        assert "client_ip" not in request["properties"] and {"phone", "code"} <= set(request["properties"])
        assert {"200", "400", "422"} <= set(operation["responses"])
    login = spec["paths"]["/api/v1/auth/login"]["post"]
    assert "sign_in_slowed" in login["responses"]["429"]["description"]
    leave = spec["paths"]["/api/v1/orgs/membership"]["delete"]
    assert [p["name"] for p in leave["parameters"] if p["in"] == "query"] == ["org_id"]
    me_200 = spec["paths"]["/api/v1/me"]["get"]["responses"]["200"]
    me = schema_of(spec, me_200["content"]["application/json"]["schema"])
    assert {"organization", "administers"} <= set(me["properties"])


def test_a_code_for_an_unknown_phone_is_answered_as_any_other_in_both_languages(start_service, client):
    start_service(IdentityService)
    body = {"phone": "13800138001", "purpose": "login"}
    answer = client.post("/api/v1/auth/sms-code", json=body)
    assert answer.status_code == 202 and answer.get_json() == {"phone": "138****8001", "expires_in": 300}
    chinese = error_of(client.post("/api/v1/auth/sms-login", json={"phone": "13800138001", "code": "123456"}))
    assert chinese["fields"]["code"]["code"] == "sms_code_missing"
    english = error_of(client.post("/api/v1/auth/sms-login", json={"phone": "13800138001", "code": "123456"},
                                   headers={"Accept-Language": "en"}))
    assert english["fields"]["code"]["code"] == "sms_code_missing" and "phone" not in english["fields"]