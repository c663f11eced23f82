"""The gateway under gunicorn (its real worker, gateway/gunicorn_worker.py) against hostile clients:
half-sent headers do not freeze it, and what gunicorn itself refuses is answered in the envelope."""
import json
import socket

import pytest
import requests

from gateway.gunicorn_worker import GUNICORN_PROBLEMS
from kepu_common import devstack, messages
from kepu_common.testing import AMQP_URI, DATABASE_SERVER, RABBIT_API

THREADS = 4
CLIENT_TIMEOUT = 1


@pytest.fixture(scope="module")
def gateway(tmp_path_factory, jwt_keys, s3_endpoint):
    with devstack.isolated_platform(
        AMQP_URI, RABBIT_API, DATABASE_SERVER, s3_endpoint, tmp_path_factory.mktemp("edge-logs"),
        jwt_keys["public_path"], components=("gateway",),
        GATEWAY_WORKERS=1, GATEWAY_THREADS=THREADS, GATEWAY_CLIENT_TIMEOUT=CLIENT_TIMEOUT,
    ) as platform:
        host, port = platform.gateway_url.rsplit("/", 1)[1].split(":")
        platform.address = (host, int(port))
        yield platform


def raw_exchange(address, data, timeout=30):
    """Send bytes as they are, read the whole answer (the server closes these connections)."""
    with socket.create_connection(address, timeout=timeout) as conn:
        conn.sendall(data)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer


def parse_answer(answer):
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in header_lines)}
    return int(status_line.split()[1]), headers, body


def envelope(answer):
    status, headers, body = parse_answer(answer)
    assert headers["content-type"].startswith("application/json"), (status, headers, body[:200])
    assert headers["x-content-type-options"] == "nosniff"
    error = json.loads(body.decode("utf-8"))["error"]
    assert {"code", "message", "fields"} <= set(error)
    return status, error


@pytest.mark.parametrize("request_bytes, status, code", [
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long"),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n", 431, "request_header_fields_too_large"),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: 1\r\n" % i for i in range(120)) + b"\r\n",
     431, "request_header_fields_too_large"),
    (b"GARBAGE\r\n\r\n", 400, "bad_request"),
    (b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n", 400, "bad_request"),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n", 400, "bad_request"),
    (b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
     b"Transfer-Encoding: chunked\r\n\r\nZZ\r\n", 400, "bad_request"),
])
def test_what_gunicorn_refuses_is_answered_in_the_envelope(gateway, request_bytes, status, code):
    got_status, error = envelope(raw_exchange(gateway.address, request_bytes))
    assert (got_status, error["code"]) == (status, code)
    assert error["message"] and not error["message"].isascii()  # Chinese by default


def test_gunicorn_refusals_speak_english_when_asked(gateway):
    # (when gunicorn parsed the headers before refusing: a bad request line leaves nothing to read)
    request_bytes = b"GET /healthz HTTP/1.1\r\nHost: x\r\nAccept-Language: en\r\nTransfer-Encoding: gzip\r\n\r\n"
    status, error = envelope(raw_exchange(gateway.address, request_bytes))
    assert status == 400 and error["message"] == "The request is malformed."


def test_every_gunicorn_refusal_has_both_texts():
    for code, message_key in GUNICORN_PROBLEMS.values():
        assert messages.has(message_key, "zh_CN") and messages.has(message_key, "en"), message_key


def test_forty_half_sent_headers_do_not_freeze_the_gateway(gateway):
    stalled = []
    try:
        for _ in range(40):
            conn = socket.create_connection(gateway.address, timeout=60)
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # and nothing more
            stalled.append(conn)
        # every thread was taken by a stalled client: without a read time-out this never gets an answer
        assert requests.get(f"{gateway.gateway_url}/healthz", timeout=120).status_code == 200
        for conn in stalled:  # and the gateway closed every stalled connection, freeing its thread
            assert conn.recv(1024) == b""
        log = (gateway.logs / "gateway.log").read_text()
        assert "client stalled mid-request" in log and "Traceback" not in log  # the client's doing: INFO
    finally:
        for conn in stalled:
            conn.close()


def test_a_stalled_json_body_is_answered_408(gateway, make_token):
    token = make_token(["platform_admin"])
    head = (f"POST /api/v1/system/pings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n").encode()
    status, error = envelope(raw_exchange(gateway.address, head + b'{"message": "'))
    assert (status, error["code"]) == (408, "request_timeout")


def test_ordinary_requests_still_work_and_keep_alive(gateway):
    with requests.Session() as session:
        for _ in range(3):
            response = session.get(f"{gateway.gateway_url}/healthz", timeout=30)
            assert response.status_code == 200 and response.headers["X-Content-Type-Options"] == "nosniff"


def test_one_request_gets_one_answer_even_when_its_body_is_broken(gateway):
    # the view answers (415: not JSON) without reading the body; draining it then finds the broken chunk
    answer = raw_exchange(gateway.address, b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n"
                                           b"Transfer-Encoding: chunked\r\n\r\nZZ\r\n")
    status, error = envelope(answer)
    assert (status, error["code"]) == (415, "unsupported_media_type")
    assert answer.count(b"HTTP/1.1 ") == 1
