"""The Tencent Cloud SMS sender against a local fake of the provider's HTTP API (the provider cannot be reached
from here): the real SDK signs every request (TC3-HMAC-SHA256) and the fake checks the signature with the same
secret and the signed parameters, then answers as the provider does (success, per-phone refusals, errors)."""
import hashlib
import hmac
import json
import logging
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from services.identity import sms
from services.identity.sms_tencent import TencentSender, classify, parse_templates, positional

SECRET_ID, SECRET_KEY = "AKIDkepu-test", "kepu-test-secret-key"
PHONE = "13800139000"


def tc3_signature(secret_key, method, path, headers, body):
    """The provider's check, written from its documentation (not the SDK's code)."""
    timestamp = int(headers["X-TC-Timestamp"])
    date = datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")
    canonical = "\n".join([method, path, "", f"content-type:{headers['Content-Type']}\nhost:{headers['Host']}\n",
                           "content-type;host", hashlib.sha256(body).hexdigest()])
    to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), f"{date}/sms/tc3_request",
                         hashlib.sha256(canonical.encode()).hexdigest()])

    def sign(key, msg):
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    key = sign(sign(sign(("TC3" + secret_key).encode(), date), "sms"), "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


class FakeTencentSms:
    """SendSms as the provider answers it; `script` lists what the next requests get (then success)."""

    def __init__(self):
        self.requests, self.script, self.rejected_signatures = [], [], 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                fake.handle(self, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, handler, status, payload):
        data = json.dumps({"Response": payload}).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def handle(self, handler, body):
        headers = {name: handler.headers[name] for name in ("X-TC-Timestamp", "Content-Type", "Host")}
        auth = handler.headers.get("Authorization", "")
        expected = tc3_signature(SECRET_KEY, "POST", handler.path, headers, body)
        if (f"Credential={SECRET_ID}/" not in auth or not auth.endswith(f"Signature={expected}")
                or handler.headers.get("X-TC-Action") != "SendSms" or handler.headers.get("X-TC-Version") != "2021-01-11"):
            self.rejected_signatures += 1
            return self.answer(handler, 200, {"Error": {"Code": "AuthFailure.SignatureFailure",
                                                        "Message": "The provided credentials could not be validated."},
                                              "RequestId": "req-auth"})
        params = json.loads(body)
        self.requests.append(params)
        step = self.script.pop(0) if self.script else "Ok"
        if step == "http502":
            data = b"bad gateway"
            handler.send_response(502)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            return handler.wfile.write(data)
        if "." in step and not step.startswith("status:"):  # a request-level error
            return self.answer(handler, 200, {"Error": {"Code": step, "Message": f"fake {step}"}, "RequestId": "req-e"})
        code = step.split(":", 1)[1] if step.startswith("status:") else "Ok"
        self.answer(handler, 200, {"SendStatusSet": [{
            "SerialNo": "2028:1", "PhoneNumber": params["PhoneNumberSet"][0], "Fee": 1,
            "SessionContext": params.get("SessionContext", ""), "Code": code,
            "Message": "send success" if code == "Ok" else f"fake {code}", "IsoCode": "CN"}], "RequestId": "req-ok"})


@pytest.fixture
def provider():
    fake = FakeTencentSms()
    fake.thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def sender_for(provider, secret_key=SECRET_KEY, **overrides):
    settings = {"tencent_sms_secret_id": SECRET_ID, "tencent_sms_secret_key": secret_key,
                "tencent_sms_app_id": "1400000001", "tencent_sms_sign_name": "科普中国",
                "tencent_sms_templates": "code=2001, code_register=2002, KEPU_ACTIVITY_FOLLOWUP_DUE_3D=2101",
                "tencent_sms_endpoint": provider.endpoint, "tencent_sms_scheme": "http",
                "tencent_sms_timeout_seconds": 5, **overrides}
    sender = TencentSender.from_settings(settings)
    sender.backoff = 0.01
    return sender


def test_a_code_goes_out_signed_with_the_signature_and_template(provider):
    sender_for(provider).send(PHONE, "493817", "login")
    [sent] = provider.requests
    assert provider.rejected_signatures == 0
    assert sent == {"SmsSdkAppId": "1400000001", "SignName": "科普中国", "TemplateId": "2001",
                    "PhoneNumberSet": ["+8613800139000"], "TemplateParamSet": ["493817", "5"]}
    sender_for(provider).send(PHONE, "111222", "register")  # a purpose with its own template
    assert provider.requests[-1]["TemplateId"] == "2002"


def test_a_wrong_secret_is_refused_by_the_signature_check_and_named_misconfigured(provider):
    with pytest.raises(sms.SmsMisconfigured) as error:
        sender_for(provider, secret_key="not-the-key").send(PHONE, "493817", "login")
    assert provider.rejected_signatures == 1 and provider.requests == []
    assert error.value.provider_code == "AuthFailure.SignatureFailure" and error.value.request_id == "req-auth"


def test_a_notification_goes_with_its_variables_in_template_order_and_its_id(provider):
    sender_for(provider).send_notice(PHONE, "KEPU_ACTIVITY_FOLLOWUP_DUE_3D",
                                     {"deadline": "12月10日", "title": "科学防疫进社区"}, "【科普中国】…", "77")
    [sent] = provider.requests
    assert (sent["TemplateId"], sent["SessionContext"]) == ("2101", "77")
    assert sent["TemplateParamSet"] == ["科学防疫进社区", "12月10日"]  # {1} title, {2} deadline
    with pytest.raises(sms.SmsMisconfigured):  # a template nobody registered is named, not sent
        sender_for(provider).send_notice(PHONE, "KEPU_UNKNOWN", {}, "x", "78")


def test_a_phone_the_provider_refuses_is_named_and_does_not_open_the_breaker(provider):
    sender = sender_for(provider)
    provider.script = ["status:LimitExceeded.PhoneNumberDailyLimit"] * 8
    for _ in range(8):
        with pytest.raises(sms.SmsRecipientRefused) as error:
            sender.send(PHONE, "493817", "login")
    assert error.value.provider_code == "LimitExceeded.PhoneNumberDailyLimit"
    assert not sender.open
    sender.send(PHONE, "493817", "login")
    assert len(provider.requests) == 9


def test_provider_failures_are_retried_and_a_success_after_them_counts(provider):
    provider.script = ["http502", "InternalError.Timeout"]
    sender = sender_for(provider)
    sender.send(PHONE, "493817", "login")
    assert len(provider.requests) == 3  # two failures, then the message went (and no error)
    provider.script = ["http502"] * 3
    with pytest.raises(sms.SmsUnavailable):
        sender.send(PHONE, "493817", "login")
    assert len(provider.requests) == 6 and sender.breaker.fail_counter == 1  # one failed send for the breaker
    provider.script = ["status:InvalidParameterValue.IncorrectPhoneNumber"]
    with pytest.raises(sms.SmsRecipientRefused):  # not retried: this phone, not the provider
        sender.send(PHONE, "493817", "login")
    assert len(provider.requests) == 7


def test_repeated_provider_failures_open_the_breaker_and_later_sends_fail_fast(provider):
    sender = sender_for(provider)
    provider.script = ["InternalError.Timeout"] * 15
    for _ in range(5):  # each send tried 3 times
        with pytest.raises(sms.SmsUnavailable):
            sender.send(PHONE, "493817", "login")
    assert sender.open
    with pytest.raises(sms.SmsUnavailable) as error:
        sender.send(PHONE, "493817", "login")
    assert error.value.provider_code == "CircuitOpen" and len(provider.requests) == 15  # not tried


def test_no_log_line_holds_the_phone_or_the_code(provider, caplog):
    caplog.set_level(logging.DEBUG)
    sender = sender_for(provider)
    sender.send(PHONE, "493817", "login")
    provider.script = ["status:FailedOperation.PhoneNumberInBlacklist", "FailedOperation.TemplateIncorrectOrUnapproved"]
    for _ in range(2):
        with pytest.raises(sms.SmsError):
            sender.send(PHONE, "493817", "login")
    sms.ConsoleSender().send(PHONE, "493817", "login")
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "138****9000" in text and PHONE not in text and "493817" not in text


def test_provider_codes_map_to_what_to_do():
    assert classify("LimitExceeded.PhoneNumberOneHourLimit") is sms.SmsRecipientRefused
    assert classify("InvalidParameterValue.IncorrectPhoneNumber") is sms.SmsRecipientRefused
    assert classify("FailedOperation.InsufficientBalanceInSmsPackage") is sms.SmsMisconfigured
    assert classify("AuthFailure.SecretIdNotFound") is sms.SmsMisconfigured
    assert classify("UnauthorizedOperation.SmsSdkAppIdVerifyFail") is sms.SmsMisconfigured
    assert classify("InternalError.Timeout") is sms.SmsUnavailable
    assert classify("RequestLimitExceeded") is sms.SmsUnavailable
    assert classify("ServerNetworkError") is sms.SmsUnavailable


def test_templates_and_settings_are_checked_when_the_service_starts():
    assert parse_templates("code=2001; KEPU_X = 9") == {"code": "2001", "KEPU_X": "9"}
    with pytest.raises(ValueError):
        parse_templates("code=")
    with pytest.raises(ValueError, match="TENCENT_SMS_SECRET_KEY"):
        TencentSender.from_settings({"tencent_sms_secret_id": "x", "tencent_sms_app_id": "1",
                                     "tencent_sms_sign_name": "科普中国", "tencent_sms_templates": "code=1"})
    with pytest.raises(ValueError, match="code="):
        TencentSender.from_settings({"tencent_sms_secret_id": "x", "tencent_sms_secret_key": "y",
                                     "tencent_sms_app_id": "1", "tencent_sms_sign_name": "科普中国"})
    assert positional("KEPU_ACTIVITY_FOLLOWUP_DUE_3D", {"deadline": "d", "title": "t", "extra": "z"}) == ["t", "d"]


@pytest.mark.parametrize("name", ["console", "file"])
def test_production_refuses_a_sender_that_sends_nothing(name):
    with pytest.raises(ValueError, match="production"):
        sms.check_sender_allowed(name, "production")
    sms.check_sender_allowed(name, "development")
    sms.check_sender_allowed("tencent", "production")


# --- identity with the provider: what a person asking for a code sees ------------------------------------------

@pytest.fixture
def identity_texting(start_service, service_config, provider):
    from services.identity.service import IdentityService

    identity = service_config("identity")["IDENTITY"]
    settings = {**identity, "environment": "production", "sms_sender": "tencent", "sms_debug_echo": "0",
                "tencent_sms_secret_id": SECRET_ID, "tencent_sms_secret_key": SECRET_KEY,
                "tencent_sms_app_id": "1400000001", "tencent_sms_sign_name": "科普中国",
                "tencent_sms_templates": "code=2001", "tencent_sms_endpoint": provider.endpoint,
                "tencent_sms_scheme": "http"}
    container = start_service(IdentityService, IDENTITY=settings)
    for extension in container.extensions:  # no waits between tries here
        sender = getattr(extension, "sender", None)
        if isinstance(sender, TencentSender):
            sender.backoff = 0.01
    return container


def test_identity_texts_the_code_through_the_provider_and_answers_alike_when_it_refuses_a_phone(identity_texting,
                                                                                              provider):
    from services.identity.tests.test_accounts import PASSWORD, call

    answer = call(identity_texting, "request_sms_code", {"phone": "13800139101", "client_ip": "10.8.0.1"})
    assert answer == {"phone": "138****9101", "expires_in": 300}  # production: no debug_code
    [sent] = provider.requests
    registered = call(identity_texting, "register", {"phone": "13800139101", "code": sent["TemplateParamSet"][0],
                                                     "password": PASSWORD})
    assert registered["user"]["phone"] == "13800139101"
    provider.script = ["status:FailedOperation.PhoneNumberInBlacklist"]  # this phone unsubscribed
    assert call(identity_texting, "request_sms_code", {"phone": "13800139102"}) == {
        "phone": "138****9102", "expires_in": 300}


def test_while_the_provider_fails_every_phone_meets_503_alike(identity_texting, provider):
    from kepu_common.interfaces.errors import Unavailable
    from services.identity.tests.test_accounts import call, register  # noqa: F401

    provider.script = ["InternalError.Timeout"] * 15
    for n in range(5):  # 5 failed sends (each tried 3 times) open the breaker
        with pytest.raises(Unavailable) as error:
            call(identity_texting, "request_sms_code", {"phone": f"1380013920{n}", "client_ip": "10.8.0.2"})
        assert error.value.message == "sms_unavailable"
    for phone, purpose in (("13800139300", "register"), ("13800139301", "login")):  # registered or not: the same
        with pytest.raises(Unavailable) as error:
            call(identity_texting, "request_sms_code", {"phone": phone, "purpose": purpose, "client_ip": "10.8.0.3"})
        assert error.value.message == "sms_unavailable"
    assert len(provider.requests) == 15


def test_production_refuses_to_start_with_the_console_sender(jwt_keys):
    from services.identity.dependencies import IdentitySettings

    base = {"secret_key_file": jwt_keys["secret_path"], "token_private_key_file": jwt_keys["private_path"]}
    with pytest.raises(ValueError, match="production"):
        IdentitySettings({**base, "environment": "production", "sms_sender": "console"})
    assert IdentitySettings({**base, "environment": "development", "sms_sender": "console"}).sms_sender == "console"
