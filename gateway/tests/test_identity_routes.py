"""The identity routes: one contract with the service (its schemas), refusals with codes in both languages."""
from gateway.tests.conftest import error_of
from kepu_common.contracts import COMMUNICATOR_TYPES, ORG_CATEGORIES
from services.identity.service import IdentityService


def schema_of(spec, ref_or_schema):
    ref = ref_or_schema.get("$ref") or ref_or_schema.get("items", {}).get("$ref")
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else ref_or_schema


def test_openapi_documents_identitys_own_schemas(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    sms = spec["paths"]["/api/v1/auth/sms-code"]["post"]
    request = schema_of(spec, sms["requestBody"]["content"]["application/json"]["schema"])
    assert set(request["properties"]) == {"phone", "purpose"}  # the client's address is the gateway's to add
    assert {"202", "400", "409", "429"} <= set(sms["responses"])
    verification = spec["paths"]["/api/v1/me/verification"]["post"]
    form = schema_of(spec, verification["requestBody"]["content"]["application/json"]["schema"])
    assert form["properties"]["communicator_type"]["enum"] == list(COMMUNICATOR_TYPES)
    search = spec["paths"]["/api/v1/orgs"]["get"]
    category = next(p for p in search["parameters"] if p["name"] == "category")
    assert [c for c in category["schema"]["enum"] if c is not None] == list(ORG_CATEGORIES)
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
