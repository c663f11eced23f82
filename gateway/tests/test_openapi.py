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


def test_the_document_is_valid_openapi_with_unique_operation_ids_and_area_tags(client):
    from openapi_spec_validator import validate

    from gateway.smorest import AREAS

    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    operations = [operation for item in spec["paths"].values() for method, operation in item.items()
                  if method in ("get", "post", "put", "patch", "delete")]
    ids = [operation["operationId"] for operation in operations]
    assert len(ids) == len(set(ids))
    assert {tag for operation in operations for tag in operation["tags"]} <= set(AREAS.values())
    assert {tag["name"] for tag in spec["tags"]} <= set(AREAS.values())
    # no path ends in a parameter of fixed verbs: each verb is its own path (template routers)
    assert not [path for path in spec["paths"] if path.endswith("{action}")]
    assert spec["paths"]["/api/v1/posts/{post_id}/pin"]["post"]["operationId"] == "pinPost"
    # no nullable reference is an anyOf with a free-form object (the 3.0 way is allOf + nullable)
    assert {"type": "object", "nullable": True} not in list(_walk(spec))


def test_a_derived_operation_id_reads_as_method_and_view():
    from gateway.smorest import operation_id

    assert operation_id("activities.ActivityView", "get") == "getActivity"
    assert operation_id("mall.Redemptions", "post") == "redeem"  # from the table
    assert operation_id("things.ThingView", "patch") == "updateThing"


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)
