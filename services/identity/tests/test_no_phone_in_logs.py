"""No log line holds an SMS code or a full phone (issue 29: 144 live codes were in the logs after a demo)."""
import logging

import pytest

from kepu_common.interfaces.errors import InvalidInput, RateLimited, Unauthorized
from services.identity.tests.test_accounts import PASSWORD, call, identity, sql  # noqa: F401

PHONE = "13800160001"


def test_signing_up_in_and_out_by_code_and_password_logs_no_code_and_no_phone(identity, caplog):
    caplog.set_level(logging.DEBUG)
    codes = [call(identity, "request_sms_code", {"phone": PHONE, "client_ip": "10.9.0.1"})["debug_code"]]
    call(identity, "register", {"phone": PHONE, "code": codes[-1], "password": PASSWORD, "client_ip": "10.9.0.1"})
    with pytest.raises(Unauthorized):
        call(identity, "login", {"phone": PHONE, "password": "wrong1234", "client_ip": "10.9.0.2"})
    call(identity, "login", {"phone": PHONE, "password": PASSWORD, "client_ip": "10.9.0.1"})
    sql(identity, "DELETE FROM rate_limits")
    codes.append(call(identity, "request_sms_code", {"phone": PHONE, "purpose": "login"})["debug_code"])
    with pytest.raises(RateLimited):
        call(identity, "request_sms_code", {"phone": PHONE, "purpose": "login"})
    with pytest.raises(InvalidInput):
        call(identity, "sms_login", {"phone": PHONE, "code": "000000" if codes[-1] != "000000" else "111111"})
    call(identity, "sms_login", {"phone": PHONE, "code": codes[-1]})
    lines = [record.getMessage() + (record.exc_text or "") for record in caplog.records]
    assert any("138****0001" in line for line in lines)  # the console sender said something, masked
    leaked = [line for line in lines if PHONE in line or any(code in line for code in codes)]
    assert leaked == []
    # nor do the rate-limit counters name the phone
    assert sql(identity, "SELECT count(*) FROM rate_limits WHERE key LIKE %s", (f"%{PHONE}%",)) == [(0,)]
    stored = sql(identity, "SELECT phone_masked, encode(phone_sealed, 'escape') FROM users")
    assert stored[0][0] == "138****0001" and PHONE not in stored[0][1]
