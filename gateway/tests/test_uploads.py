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


def test_a_revision_by_put_states_every_field_and_patch_is_documented(client, make_token):
    resource = "/api/v1/resources/7d1b2c3a-0000-4000-8000-000000000002"
    response = client.put(resource, json={"title": "雾霾防护", "type": "video"},
                          headers={"Authorization": f"Bearer {make_token()}"})
    assert response.status_code == 400
    assert {name: field["code"] for name, field in error_of(response)["fields"].items()} == {
        "keywords": "required", "description": "required", "topics": "required"}
    assert error_of(response)["fields"]["description"]["message"] == "此项必填。"
    operations = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/resources/{resource_id}"]
    assert {"put", "patch"} <= set(operations)
    assert "PATCH" in operations["put"]["summary"] and "required" in operations["put"]["description"]
    assert "400" in operations["put"]["responses"]
    body = operations["patch"]["requestBody"]["content"]["application/json"]["schema"]
    assert "required" not in client.get("/api/v1/openapi.json").get_json()["components"]["schemas"][
        body["$ref"].rsplit("/", 1)[1]]


def test_every_resource_list_pages_the_same_way(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/resources", "/api/v1/my/resources", "/api/v1/topics"):
        names = {p["name"] for p in paths[path]["get"]["parameters"]}
        assert {"page", "page_size"} <= names and not {"limit", "offset"} & names, path
    response = client.get("/api/v1/topics?page=abc&page_size=1000")
    assert response.status_code == 400
    assert {name: field["code"] for name, field in error_of(response)["fields"].items()} == {
        "page": "not_an_integer", "page_size": "out_of_range"}


def test_a_large_file_is_steered_to_multipart_before_any_service_is_asked(client, make_token):
    body = {"purpose": "video", "filename": "科普.mp4", "size": 4 * 1024 ** 3, "content_type": "video/mp4",
            "sha256": "a" * 64, "method": "stream"}
    response = client.post("/api/v1/uploads", json=body, headers={"Authorization": f"Bearer {make_token()}"})
    assert response.status_code == 400 and error_of(response)["code"] == "stream_too_large"
    assert error_of(response)["fields"]["method"]["code"] == "use_multipart"


def test_upload_slots_are_shared_out_per_organization_and_per_person():
    from gateway.blueprints.uploads import UploadSlots

    slots = UploadSlots(total=4, per_org=2, per_person=1)
    assert slots.take("org-a", "alice") is None
    assert slots.take("org-a", "alice") == "own"  # her one slot is taken
    assert slots.take("org-a", "bob") is None
    assert slots.take("org-a", "carol") == "own"  # the organization's two are taken
    assert slots.take("org-b", "dan") is None and slots.take("org-c", "erin") is None
    assert slots.take("org-d", "fay") == "busy"  # every slot of the worker is taken
    slots.give_back("org-a", "alice")
    assert slots.take("org-a", "carol") is None and slots.taken == 4


def test_the_throughput_guard_cuts_a_trickle_and_spares_a_steady_body():
    import socket

    from kepu_common.edge.slow_clients import MinimumThroughput, Watchdog

    dog = Watchdog()
    trickle_server, trickle_client = socket.socketpair()
    steady_server, steady_client = socket.socketpair()
    trickle = dog.watch(MinimumThroughput(trickle_server, 1000, 10, now=0))
    steady = dog.watch(MinimumThroughput(steady_server, 1000, 10, now=0))
    trickle.observe(1)
    steady.observe(5000)
    assert dog.sweep(now=5) == []  # the window is not over yet
    assert dog.sweep(now=10) == [trickle]
    assert trickle.cut and trickle_server.recv(10) == b""  # the blocked read ends at once
    steady.observe(999)
    assert dog.sweep(now=20) == [steady]  # a window later it fell short too
    for sock in (trickle_server, trickle_client, steady_server, steady_client):
        sock.close()
