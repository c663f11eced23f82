"""make demo's client (scripts/demo/api.py) against a stand-in gateway: an upload refused because the person's
one stream slot or every slot is held by the demo's other threads is sent again; any other refusal stops it."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from scripts.demo.api import Api, ApiFailure


class StandIn(BaseHTTPRequestHandler):
    refusals = []  # (status, code) answered to the first PUTs, in order

    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.answer(201, {"id": "u1", "status": "pending"})

    def do_PUT(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        if self.refusals:
            status, code = self.refusals.pop(0)
            return self.answer(status, {"error": {"code": code, "message": "…", "details": {"retry_after": 10}}})
        self.answer(200, {"id": "u1", "status": "completed"})


@pytest.fixture
def gateway():
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    StandIn.refusals.clear()


def test_an_upload_whose_slot_is_held_by_another_demo_thread_is_sent_again(gateway):
    StandIn.refusals[:] = [(429, "upload_slots_taken"), (503, "busy")]
    done = Api(gateway).upload("token", "resource_file", "a.png", (b"png", "image/png"))
    assert done["status"] == "completed" and not StandIn.refusals


@pytest.mark.parametrize("status,code", [(429, "rate_limited"), (503, "dependency_unavailable"), (400, "validation_failed")])
def test_any_other_refusal_of_an_upload_stops_the_demo(gateway, status, code):
    StandIn.refusals[:] = [(status, code)]
    with pytest.raises(ApiFailure) as refused:
        Api(gateway).upload("token", "resource_file", "a.png", (b"png", "image/png"))
    assert (refused.value.status, refused.value.code) == (status, code)
