def test_openapi_document_lists_paths_schemas_and_security(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert {"/api/v1/system/pings", "/api/v1/auth/session", "/api/v1/system/services/{name}"} <= set(spec["paths"])
    assert "bearerAuth" in spec["components"]["securitySchemes"]
    assert spec["paths"]["/api/v1/system/pings"]["post"]["requestBody"]
    assert "Error" in spec["components"]["schemas"]


def test_docs_page_and_its_assets_are_served_locally(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and b"/api/v1/openapi.json" in page.data
    assert client.get("/api/v1/docs/assets/swagger-ui-bundle.js").status_code == 200
