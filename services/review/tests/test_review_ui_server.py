"""The review UI's server (gunicorn with services/review/gunicorn.conf.py) against slow and hostile clients:
a header trickled a byte at a time is cut off at the whole-header deadline, and gunicorn's own refusals
are a zh-CN page with a request id, not gunicorn's English HTML (issue 29)."""
import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from gateway.tests.test_gunicorn_edge import parse_answer, raw_exchange, trickle
from kepu_common.devtools import devstack
from kepu_common.devtools.testing import AMQP_URI, DATABASE_SERVER, RABBIT_API

THREADS = 2
CLIENT_TIMEOUT = 1


@pytest.fixture(scope="module")
def review_ui(tmp_path_factory, jwt_keys, s3_endpoint):
    secret = Path(jwt_keys["public_path"]).with_name("review-ui-secret.key")
    if not secret.exists():
        secret.write_text("review-ui-server-test-secret")
    with devstack.isolated_platform(
        AMQP_URI, RABBIT_API, DATABASE_SERVER, s3_endpoint, tmp_path_factory.mktemp("review-ui-edge-logs"),
        jwt_keys["public_path"], components=("reviewui",),
        REVIEW_UI_THREADS=THREADS, REVIEW_UI_CLIENT_TIMEOUT=CLIENT_TIMEOUT, REVIEW_UI_HEADER_TIMEOUT=3,
    ) as platform:
        host, port = platform.review_ui_url.rsplit("/", 1)[1].split(":")
        platform.address = (host, int(port))
        yield platform


def page(answer):
    status, headers, body = parse_answer(answer)
    assert headers["content-type"] == "text/html; charset=utf-8", (status, headers, body[:200])
    text = body.decode("utf-8")
    assert 'lang="zh-CN"' in text and headers["x-request-id"] in text
    return status, text


def test_headers_trickled_to_the_review_ui_are_cut_off(review_ui):
    head = b"GET /login HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
    with ThreadPoolExecutor(4 * THREADS) as pool:
        results = list(pool.map(lambda _: trickle(review_ui.address, head, CLIENT_TIMEOUT / 2, 80), range(4 * THREADS)))
    for sent, answer in results:
        assert answer, f"never answered after {sent} bytes"
        status, text = page(answer)
        assert status == 408 and "请求发送超时" in text
        assert sent < 80
    assert requests.get(f"{review_ui.review_ui_url}/login", timeout=30).status_code < 500


def test_a_silent_half_header_does_not_hold_a_thread(review_ui):
    stalled = []
    try:
        for _ in range(4 * THREADS):
            conn = socket.create_connection(review_ui.address, timeout=60)
            conn.sendall(b"GET /login HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            stalled.append(conn)
        assert requests.get(f"{review_ui.review_ui_url}/login", timeout=120).status_code < 500
    finally:
        for conn in stalled:
            conn.close()


@pytest.mark.parametrize("request_bytes, status, words", [
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "请求地址过长"),
    (b"GARBAGE\r\n\r\n", 400, "请求格式不正确"),
    (b"GET /login HTTP/1.1\r\nHost: x\r\nX-Request-ID: ui-probe-7\r\nTransfer-Encoding: gzip\r\n\r\n", 400, "ui-probe-7"),
])
def test_gunicorns_own_refusals_are_a_chinese_page(review_ui, request_bytes, status, words):
    got, text = page(raw_exchange(review_ui.address, request_bytes))
    assert got == status and words in text and "<h1>" in text


def test_gunicorn_opens_no_control_socket_of_its_own(review_ui):
    # gunicorn 25.1+'s control socket has one path per user: the review UI would remove the gateway's
    log = (review_ui.logs / "reviewui.log").read_text(errors="replace")
    assert "Booting worker" in log and "Control socket" not in log
