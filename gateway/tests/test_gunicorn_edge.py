"""The gateway under gunicorn (its real worker, gateway/gunicorn_worker.py) against hostile clients:
half-sent headers do not freeze it, and what gunicorn itself refuses is answered in the envelope."""
import json
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from gateway.gunicorn_worker import GUNICORN_PROBLEMS
from kepu_common.devtools import devstack
from kepu_common.interfaces import messages
from kepu_common.devtools.testing import AMQP_URI, DATABASE_SERVER, RABBIT_API

THREADS = 4
CLIENT_TIMEOUT = 1
HEADER_TIMEOUT = 3


@pytest.fixture(scope="module")
def gateway(tmp_path_factory, jwt_keys, s3_endpoint):
    with devstack.isolated_platform(
        AMQP_URI, RABBIT_API, DATABASE_SERVER, s3_endpoint, tmp_path_factory.mktemp("edge-logs"),
        jwt_keys["public_path"], components=("gateway",),
        GATEWAY_WORKERS=1, GATEWAY_THREADS=THREADS, GATEWAY_CLIENT_TIMEOUT=CLIENT_TIMEOUT,
        GATEWAY_HEADER_TIMEOUT=HEADER_TIMEOUT,
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
    assert {"code", "message", "fields", "request_id"} <= set(error)
    assert headers["x-request-id"] == error["request_id"]
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


def trickle(address, head, interval, most):
    """Send `head` one byte every `interval` seconds (each gap well under the per-read time-out), at most
    `most` bytes; stop when the server answers or closes. Returns (bytes sent, the answer)."""
    with socket.create_connection(address, timeout=60) as conn:
        conn.settimeout(interval)
        sent = 0
        for byte in head[:most]:
            try:
                conn.sendall(bytes([byte]))
            except OSError:
                break
            sent += 1
            try:
                first = conn.recv(65536)
            except (TimeoutError, socket.timeout):
                continue
            answer = first
            conn.settimeout(30)
            while chunk := conn.recv(65536):
                answer += chunk
            return sent, answer
        conn.settimeout(30)
        try:
            return sent, conn.recv(65536)
        except OSError:
            return sent, b""


def test_headers_trickled_a_byte_at_a_time_are_cut_off_at_the_header_deadline(gateway):
    # a byte every half second: each read completes well within the 1 s read time-out, so only a deadline
    # for the whole header stops these; twice as many clients as threads
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-ID: slow-1\r\nX-Slow: " + b"a" * 200
    with ThreadPoolExecutor(2 * THREADS) as pool:
        results = list(pool.map(lambda _: trickle(gateway.address, head, CLIENT_TIMEOUT / 2, 80), range(2 * THREADS)))
    for sent, answer in results:
        assert answer, f"never answered after {sent} bytes"
        status, error = envelope(answer)
        assert (status, error["code"]) == (408, "request_timeout")
        assert sent < 80  # cut off while it was still sending
    assert requests.get(f"{gateway.gateway_url}/healthz", timeout=30).status_code == 200


def test_a_sane_request_id_is_kept_in_gunicorns_own_errors(gateway):
    status, error = envelope(raw_exchange(gateway.address, b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
                                                           b"X-Request-ID: probe-42\r\nTransfer-Encoding: gzip\r\n\r\n"))
    assert (status, error["request_id"]) == (400, "probe-42")


def test_gunicorn_opens_no_control_socket_of_its_own(gateway):
    # gunicorn 25.1+'s control socket has one path per user: instances on a host would remove each other's
    log = (gateway.logs / "gateway.log").read_text(errors="replace")
    assert "Booting worker" in log and "Control socket" not in log
