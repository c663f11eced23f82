"""Ten uploads that declare 10 MB and then stall do not hold the gateway's upload slots forever (issue 11):
each is answered once its socket read times out (GATEWAY_CLIENT_TIMEOUT), its slot is freed, and the
next upload gets through. The whole platform, the gateway under gunicorn with its real worker."""
import hashlib
import json
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest

from kepu_common.devtools import devstack
from kepu_common.devtools.testing import AMQP_URI, DATABASE_SERVER, RABBIT_API
from tests.test_identity_journey import eventually
from tests.test_resources_journey import MB, id_number, org_admin, put_content, start

STREAMS = 2  # upload slots per gateway worker


@pytest.fixture(scope="module")
def stalling_platform(tmp_path_factory, jwt_keys, s3_endpoint):
    with devstack.isolated_platform(
        AMQP_URI, RABBIT_API, DATABASE_SERVER, s3_endpoint, tmp_path_factory.mktemp("stall-logs"),
        jwt_keys["public_path"],
        GATEWAY_WORKERS=1, GATEWAY_THREADS=16, GATEWAY_UPLOAD_STREAMS=STREAMS, GATEWAY_CLIENT_TIMEOUT=2,
        # one person sends them all: here every slot may be theirs (tests/test_slow_uploads.py tests the shares)
        GATEWAY_UPLOAD_STREAMS_PER_ORG=STREAMS, GATEWAY_UPLOAD_STREAMS_PER_PERSON=STREAMS,
        OUTBOX_POLL_INTERVAL=0.2, GATEWAY_RPC_TIMEOUT=5, MAX_WORKERS=4, UPLOAD_PART_SIZE_MB=5, GATEWAY_UPLOAD_PART_MB=5,
    ) as platform:
        yield platform


def stall(platform, token, upload_id, declared):
    """Declare the whole size, send the first 64 KB, then send nothing; return the status and code answered."""
    host, port = platform.gateway_url.rsplit("/", 1)[1].split(":")
    with socket.create_connection((host, int(port)), timeout=120) as conn:
        conn.sendall(f"PUT /api/v1/uploads/{upload_id}/content HTTP/1.1\r\nHost: {host}\r\n"
                     f"Authorization: Bearer {token}\r\nContent-Type: application/octet-stream\r\n"
                     f"Content-Length: {declared}\r\n\r\n".encode() + bytes(64 * 1024))
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = conn.recv(65536)
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)["error"]["code"]


def test_stalled_uploads_are_answered_and_free_their_slots(stalling_platform):
    platform = stalling_platform
    token, _ = org_admin(platform, "13500009901", id_number(991), "杭州市西湖区科普中心")
    declared = 10 * MB
    body = {"size": declared, "sha256": hashlib.sha256(b"never sent").hexdigest(), "method": "stream"}
    assert eventually(lambda: start(platform, token, b"", **body).status_code == 201)
    uploads = [start(platform, token, b"", **body).json()["id"] for _ in range(10)]

    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda upload_id: stall(platform, token, upload_id, declared), uploads))

    # those that got a slot were cut off and told so; the others were told the gateway was busy
    assert set(answers) <= {(400, "upload_interrupted"), (503, "busy")}, answers
    assert answers.count((400, "upload_interrupted")) >= STREAMS
    # every slot is free again: a whole upload goes through (its content is checked after: not busy)
    data = bytes(6 * MB)
    fresh = start(platform, token, data, method="stream").json()
    sent = put_content(platform, token, fresh["id"], data)
    assert sent.status_code != 503, sent.text
    assert sent.json().get("error", {}).get("code") != "busy"
