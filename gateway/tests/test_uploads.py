"""The upload endpoints' own checks, before any service is asked."""
import io

from gateway.tests.conftest import error_of

UPLOAD = "/api/v1/uploads/7d1b2c3a-0000-4000-8000-000000000001"


def test_resource_paths_are_documented(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1/uploads", "/api/v1/uploads/{upload_id}/complete", "/api/v1/uploads/{upload_id}/content",
            "/api/v1/resources", "/api/v1/resources/{resource_id}/download", "/api/v1/my/resources"} <= set(paths)
    assert "application/octet-stream" in paths["/api/v1/uploads/{upload_id}/content"]["put"]["requestBody"]["content"]


def test_uploading_needs_a_token(client):
    response = client.put(f"{UPLOAD}/content", data=b"\x00" * 10, content_type="application/octet-stream")
    assert response.status_code == 401
    assert client.post("/api/v1/uploads", json={}).status_code == 401


def test_a_stream_without_length_is_411(client, make_token):
    response = client.put(f"{UPLOAD}/content", input_stream=io.BytesIO(b"abc"),
                          headers={"Authorization": f"Bearer {make_token()}", "Transfer-Encoding": "chunked",
                                   "Content-Type": "application/octet-stream"})
    assert response.status_code == 411 and error_of(response)["code"] == "length_required"


def test_an_upload_request_is_validated_at_the_gateway(client, make_token):
    response = client.post("/api/v1/uploads", json={"purpose": "movie", "size": -1, "sha256": "xyz"},
                           headers={"Authorization": f"Bearer {make_token()}"})
    assert response.status_code == 400
    assert {"purpose", "size", "sha256", "filename", "content_type"} <= set(error_of(response)["fields"])


def test_search_arguments_are_validated(client):
    response = client.get("/api/v1/resources?type=movie&sort=best&page=0")
    assert response.status_code == 400
    assert {"type", "sort", "page"} <= set(error_of(response)["fields"])
