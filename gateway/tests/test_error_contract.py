"""An error class the gateway has never seen, raised in a running service, answers with its own status and code."""
import logging

from kepu_common.interfaces import errors
from kepu_common.operations.log_context import ContextFilter, install_expected_filter
from kepu_common.bus.rpc import rpc
from kepu_common.bus.service_base import PlatformService


class WaitlistOnly(errors.KepuError):  # defined here, after the gateway was written
    status, code = 423, "waitlist_only"


class FlakyService(PlatformService):
    name = "metrics"  # a name the gateway's service health route accepts

    @rpc
    def health(self):
        logging.getLogger("test.flaky").info("checking")
        raise WaitlistOnly("conflict", {"seats": ("too_big", {"max": 200})}, details={"waitlist": 17, "open": False})


def test_a_new_error_class_maps_with_no_change_to_the_gateway(start_service, client):
    start_service(FlakyService)
    response = client.get("/api/v1/system/services/metrics", headers={"X-Request-ID": "req-423"})
    assert response.status_code == 423
    body = response.get_json()["error"]
    assert body["code"] == "waitlist_only"
    assert body["message"] == "操作与当前状态冲突。"
    assert body["fields"] == {"seats": {"code": "too_big", "message": "不能大于 200。"}}
    assert body["details"] == {"waitlist": 17, "open": False}  # numbers and booleans stay what they were
    english = client.get("/api/v1/system/services/metrics", headers={"Accept-Language": "en"}).get_json()["error"]
    assert english["message"] == "This conflicts with the current state."
    assert english["fields"]["seats"]["message"] == "Must be at most 200."


class Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.addFilter(ContextFilter())
        self.records = []

    def emit(self, record):
        self.records.append(record)


def test_the_client_mistake_is_one_info_line_with_the_request_id(start_service, client):
    install_expected_filter()
    handler = Records()
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    try:
        start_service(FlakyService)
        client.get("/api/v1/system/services/metrics", headers={"X-Request-ID": "req-quiet-1"})
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    mine = [r for r in handler.records if r.context == "request=req-quiet-1"]
    assert any(r.name == "test.flaky" for r in mine)  # the service's own line carries the id
    refusals = [r for r in mine if r.name == "nameko.containers"]
    assert len(refusals) == 1
    assert refusals[0].levelno == logging.INFO and refusals[0].exc_info is None
    assert "waitlist_only" in refusals[0].getMessage()
    assert not [r for r in handler.records if r.levelno >= logging.WARNING and r.name == "nameko.containers"]


class LabellingService(PlatformService):
    name = "metrics"

    @rpc
    def health(self):
        from kepu_common.interfaces.messages import label

        return {"service": label("org_category", "ministry"), "database": "ok", "outbox_pending": 0}


def test_labels_a_service_writes_follow_the_readers_language(start_service, client):
    start_service(LabellingService)
    assert client.get("/api/v1/system/services/metrics").get_json()["service"] == "有关部委"
    english = client.get("/api/v1/system/services/metrics", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert english.get_json()["service"] == "Ministries and agencies"
