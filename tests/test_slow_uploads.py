"""Streamed uploads trickled a byte at a time through the project's nginx do not hold every upload slot
(issue 29: 16 such uploads gave every legitimate upload a 503 for 75 s). nginx passes these bodies through
as they arrive and its body time-out counts only between reads, so the gateway bounds them: slots per
organization and per person, and a minimum throughput per window (the watchdog cuts a trickling body off,
408 `upload_too_slow`), whatever each read's time-out. The whole platform behind nginx with the real
configuration and the split gateway (the API under granian, the streamed uploads under gunicorn)."""
import hashlib
import json
import socket
import threading
import time

import pytest
import requests

from kepu_common.devtools import devstack
from kepu_common.devtools.testing import AMQP_URI, DATABASE_SERVER, RABBIT_API
from tests.test_deploy_files import needs_nginx, nginx_conf, running_nginx
from tests.test_identity_journey import eventually
from tests.test_resources_journey import MB, id_number, org_admin, start

ATTACKS = 8  # streamed uploads trickled by one organization's admin
STREAMS = 4  # upload slots of the gateway's one worker
WINDOW = 3  # seconds: each must bring MIN_KB in every window
MIN_KB = 64


@pytest.fixture(scope="module")
def platform_behind_nginx(tmp_path_factory, jwt_keys, s3_endpoint):
    with devstack.isolated_platform(
        AMQP_URI, RABBIT_API, DATABASE_SERVER, s3_endpoint, tmp_path_factory.mktemp("slow-upload-logs"),
        jwt_keys["public_path"], components=devstack.SERVICES + ("gateway", "gateway-api"),
        # the per-read time-out is far longer than the trickle's gaps: only the throughput rule can help
        GATEWAY_WORKERS=1, GATEWAY_THREADS=24, GATEWAY_UPLOAD_STREAMS=STREAMS, GATEWAY_CLIENT_TIMEOUT=60,
        GATEWAY_UPLOAD_STREAMS_PER_ORG=2, GATEWAY_UPLOAD_STREAMS_PER_PERSON=1,
        GATEWAY_UPLOAD_RATE_WINDOW=WINDOW, GATEWAY_UPLOAD_MIN_KB=MIN_KB, GATEWAY_TRUSTED_PROXIES=1,
        OUTBOX_POLL_INTERVAL=0.2, GATEWAY_RPC_TIMEOUT=8, MAX_WORKERS=4, UPLOAD_PART_SIZE_MB=5, GATEWAY_UPLOAD_PART_MB=5,
    ) as platform:
        # the split gateway as deployed: the API under granian, the streamed uploads under gunicorn
        api, uploads = (url.rsplit("/", 1)[1] for url in (platform.gateway_api_url, platform.gateway_url))
        with running_nginx(tmp_path_factory.mktemp("slow-upload-nginx"), nginx_conf(), api,
                           uploads_upstream=uploads) as (url, address):
            platform.proxy_url, platform.proxy_address = url, address
            yield platform


class Trickle(threading.Thread):
    """PUT a file declared as 10 MB through nginx, one byte every half second, until answered (or 60 s)."""

    def __init__(self, address, token, upload_id):
        super().__init__(daemon=True)
        self.address, self.token, self.upload_id = address, token, upload_id
        self.answer = None
        self.stop = threading.Event()

    def run(self):
        with socket.create_connection(self.address, timeout=60) as conn:
            conn.sendall(f"PUT /api/v1/uploads/{self.upload_id}/content HTTP/1.1\r\nHost: x\r\n"
                         f"Authorization: Bearer {self.token}\r\nContent-Type: application/octet-stream\r\n"
                         f"Content-Length: {10 * MB}\r\n\r\n".encode())
            conn.settimeout(0.5)
            answer = b""
            for _ in range(120):
                if self.stop.is_set():
                    break
                try:
                    conn.sendall(b"\0")
                except OSError:
                    pass  # the gateway closed its side: read what it answered
                try:
                    chunk = conn.recv(65536)
                except (TimeoutError, socket.timeout):
                    continue
                if not chunk:
                    break
                answer += chunk
                if b"\r\n\r\n" in answer and answer.rstrip().endswith(b"}"):
                    break
        if answer:
            head, _, body = answer.partition(b"\r\n\r\n")
            self.answer = (int(head.split()[1]), json.loads(body)["error"]["code"])


@needs_nginx
def test_trickled_uploads_through_nginx_leave_slots_for_everyone_else(platform_behind_nginx):
    platform = platform_behind_nginx
    attacker, _ = org_admin(platform, "13500009921", id_number(993), "杭州市滨江区慢传科普站")
    honest, _ = org_admin(platform, "13500009922", id_number(994), "宁波市鄞州区科普中心")
    declared = {"size": 10 * MB, "sha256": hashlib.sha256(b"never sent").hexdigest(), "method": "stream"}
    assert eventually(lambda: start(platform, attacker, b"", **declared).status_code == 201)
    trickles = [Trickle(platform.proxy_address, attacker, start(platform, attacker, b"", **declared).json()["id"])
                for _ in range(ATTACKS)]
    try:
        for trickle in trickles:
            trickle.start()
        time.sleep(1)  # they have taken what they can
        # an honest organization's upload goes through now, while they trickle: not busy
        data = bytes(6 * MB)
        fresh = start(platform, honest, data, method="stream").json()
        sent = requests.put(f"{platform.proxy_url}/api/v1/uploads/{fresh['id']}/content", data=data, timeout=120,
                            headers={"Authorization": f"Bearer {honest}", "Content-Type": "application/octet-stream"})
        assert sent.status_code not in (429, 503), sent.text
        for trickle in trickles:
            trickle.join(90)
    finally:
        for trickle in trickles:
            trickle.stop.set()
    answers = [trickle.answer for trickle in trickles]
    # one slot for the person; the rest told at once it is theirs that are taken; the slot cut off for slowness
    assert answers.count((429, "upload_slots_taken")) == ATTACKS - 1, answers
    assert answers.count((408, "upload_too_slow")) == 1, answers
    # and its slot is free again: the attacker's next, sent whole, is not refused for slots
    data = bytes(6 * MB)
    again = start(platform, attacker, data, method="stream").json()
    sent = requests.put(f"{platform.proxy_url}/api/v1/uploads/{again['id']}/content", data=data, timeout=120,
                        headers={"Authorization": f"Bearer {attacker}", "Content-Type": "application/octet-stream"})
    assert sent.status_code not in (408, 429, 503), sent.text


def test_a_file_over_the_stream_limit_is_steered_to_multipart(platform_behind_nginx):
    platform = platform_behind_nginx
    token, _ = org_admin(platform, "13500009923", id_number(995), "温州市鹿城区科普馆")
    refused = start(platform, token, b"", size=500 * MB, sha256=hashlib.sha256(b"x").hexdigest(), method="stream")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "stream_too_large"
    assert refused.json()["error"]["fields"]["method"]["code"] == "use_multipart"
    assert eventually(lambda: start(platform, token, b"", size=500 * MB, sha256=hashlib.sha256(b"x").hexdigest(),
                                    method="multipart").status_code == 201)
