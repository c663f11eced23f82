"""Signing in by SMS code, resetting a password by SMS code, and the guessing policy that locks no one out."""
import time

import pytest

from kepu_common.interfaces.errors import InvalidInput, RateLimited, RuleBroken, Unauthorized
from services.identity.tests.test_accounts import PASSWORD, call, codes, identity, register, sql  # noqa: F401

NEW_PASSWORD = "science2027kepu"


def code_for(container, phone, purpose):
    return call(container, "request_sms_code", {"phone": phone, "purpose": purpose})["debug_code"]


def wrong(code):
    return "111111" if code != "111111" else "222222"


def test_sign_in_by_sms_code(identity):
    user = register(identity, "13800150000")["user"]
    sql(identity, "DELETE FROM rate_limits")  # the registration's code was a minute ago
    code = code_for(identity, "13800150000", "login")
    signed_in = call(identity, "sms_login", {"phone": "13800150000", "code": code})
    assert signed_in["user"]["id"] == user["id"] and signed_in["tokens"]["refresh_token"]


def test_sign_in_code_wrong_expired_used_or_for_an_unknown_phone(identity):
    register(identity, "13800150001")
    sql(identity, "DELETE FROM rate_limits")
    code = code_for(identity, "13800150001", "login")
    with pytest.raises(InvalidInput) as error:
        call(identity, "sms_login", {"phone": "13800150001", "code": wrong(code)})
    assert (error.value.message, codes(error)) == ("sms_code_wrong", {"code": "sms_code_wrong"})
    assert sql(identity, "SELECT attempts FROM sms_codes WHERE purpose = 'login'") == [(1,)]
    sql(identity, "UPDATE sms_codes SET expires_at = now() - interval '1 second' WHERE purpose = 'login'")
    with pytest.raises(InvalidInput) as error:
        call(identity, "sms_login", {"phone": "13800150001", "code": code})
    assert codes(error) == {"code": "sms_code_expired"}
    # an unknown phone: answered as any other, no code sent, and signing in meets "no code" as anyone would
    assert call(identity, "request_sms_code", {"phone": "13700150009", "purpose": "login"}) == {
        "phone": "137****0009", "expires_in": 300}
    with pytest.raises(InvalidInput) as error:
        call(identity, "sms_login", {"phone": "13700150009", "code": "123456"})
    assert codes(error) == {"code": "sms_code_missing"}


def test_a_sign_in_code_works_once_and_gives_up_after_five_wrong_tries(identity):
    register(identity, "13800150002")
    sql(identity, "DELETE FROM rate_limits")
    code = code_for(identity, "13800150002", "login")
    for _ in range(5):
        with pytest.raises(InvalidInput):
            call(identity, "sms_login", {"phone": "13800150002", "code": wrong(code)})
    with pytest.raises(RuleBroken) as error:
        call(identity, "sms_login", {"phone": "13800150002", "code": code})
    assert codes(error) == {"code": "sms_code_locked"}


def test_password_reset_by_sms_code(identity):
    register(identity, "13800150003")
    old_session = call(identity, "login", {"phone": "13800150003", "password": PASSWORD})["tokens"]
    sql(identity, "DELETE FROM rate_limits")
    code = code_for(identity, "13800150003", "reset_password")
    with pytest.raises(InvalidInput) as error:  # a weak password is refused before the code is used
        call(identity, "reset_password", {"phone": "13800150003", "code": code, "password": "abcd1234"})
    assert codes(error) == {"password": "password_too_easy"}
    with pytest.raises(InvalidInput) as error:
        call(identity, "reset_password", {"phone": "13800150003", "code": wrong(code), "password": NEW_PASSWORD})
    assert codes(error) == {"code": "sms_code_wrong"}
    call(identity, "reset_password", {"phone": "13800150003", "code": code, "password": NEW_PASSWORD})
    with pytest.raises(Unauthorized):
        call(identity, "login", {"phone": "13800150003", "password": PASSWORD})
    assert call(identity, "login", {"phone": "13800150003", "password": NEW_PASSWORD})["user"]["phone"] == "13800150003"
    with pytest.raises(Unauthorized):  # every earlier session is signed out
        call(identity, "refresh", {"refresh_token": old_session["refresh_token"]})
    with pytest.raises(InvalidInput) as error:  # the code is spent
        call(identity, "reset_password", {"phone": "13800150003", "code": code, "password": NEW_PASSWORD})
    assert codes(error) == {"code": "sms_code_missing"}


def test_a_reset_for_an_unknown_phone_changes_nothing(identity):
    with pytest.raises(InvalidInput) as error:
        call(identity, "reset_password", {"phone": "13700150008", "code": "123456", "password": NEW_PASSWORD})
    assert codes(error) == {"code": "sms_code_missing"}
    assert sql(identity, "SELECT count(*) FROM users") == [(0,)]


def test_correct_passwords_never_count(identity):
    register(identity, "13800150004")
    for _ in range(30):  # a reviewer on the UI and the app, all day
        call(identity, "login", {"phone": "13800150004", "password": PASSWORD, "client_ip": "10.1.0.1"})
    assert sql(identity, "SELECT count(*) FROM rate_limits WHERE key LIKE 'login%%'") == [(0,)]


def test_a_stranger_guessing_is_stopped_at_their_source_and_the_owner_signs_in(identity):
    register(identity, "13800150005")
    for _ in range(5):
        with pytest.raises(Unauthorized):
            call(identity, "login", {"phone": "13800150005", "password": "wrong1234", "client_ip": "10.6.6.6"})
    with pytest.raises(RateLimited) as error:  # even the right password, from the stranger's address
        call(identity, "login", {"phone": "13800150005", "password": PASSWORD, "client_ip": "10.6.6.6"})
    assert error.value.message == "too_many_attempts" and 0 < error.value.details["retry_after"] <= 901
    assert call(identity, "login", {"phone": "13800150005", "password": PASSWORD, "client_ip": "10.1.0.1"})


def test_an_owner_who_forgot_is_not_locked_out_either(identity):
    register(identity, "13800150006")
    for _ in range(5):
        with pytest.raises(Unauthorized):
            call(identity, "login", {"phone": "13800150006", "password": "forgot123", "client_ip": "10.1.0.2"})
    with pytest.raises(RateLimited):
        call(identity, "login", {"phone": "13800150006", "password": "forgot123", "client_ip": "10.1.0.2"})
    sql(identity, "DELETE FROM rate_limits WHERE key LIKE 'sms%%'")
    signed_in = call(identity, "sms_login", {"phone": "13800150006", "client_ip": "10.1.0.2",
                                             "code": code_for(identity, "13800150006", "login")})
    assert signed_in["user"]["phone"] == "13800150006"


def test_one_source_spraying_many_accounts_is_stopped(identity):
    sql(identity, "INSERT INTO rate_limits (key, window_start, hits) "
                  "VALUES ('login-fail-ip:10.6.6.7', to_timestamp(floor(extract(epoch FROM now()) / 900) * 900), 100)")
    with pytest.raises(RateLimited):
        call(identity, "login", {"phone": "13700150000", "password": "guess1234", "client_ip": "10.6.6.7"})
    with pytest.raises(Unauthorized):  # another address is not affected
        call(identity, "login", {"phone": "13700150000", "password": "guess1234", "client_ip": "10.6.6.8"})


def test_an_account_guessed_at_from_everywhere_is_slowed_and_sms_and_reset_still_work(identity):
    register(identity, "13800150007")
    for n in range(20):
        with pytest.raises(Unauthorized):
            call(identity, "login", {"phone": "13800150007", "password": "wrong1234", "client_ip": f"10.7.0.{n}"})
    with pytest.raises(Unauthorized):  # from an address the account does not know: a failure takes the turn
        call(identity, "login", {"phone": "13800150007", "password": "wrong1234", "client_ip": "10.7.1.1"})
    with pytest.raises(RateLimited) as error:  # the next unknown try waits its turn: slowed, not locked
        call(identity, "login", {"phone": "13800150007", "password": PASSWORD, "client_ip": "10.1.0.3"})
    assert error.value.message == "sign_in_slowed" and 0 < error.value.details["retry_after"] <= 31
    sql(identity, "DELETE FROM rate_limits WHERE key LIKE 'sms%%'")
    assert call(identity, "sms_login", {"phone": "13800150007", "code": code_for(identity, "13800150007", "login")})
    sql(identity, "DELETE FROM rate_limits WHERE key LIKE 'sms%%'")
    call(identity, "reset_password", {"phone": "13800150007", "password": NEW_PASSWORD,
                                      "code": code_for(identity, "13800150007", "reset_password")})
    assert call(identity, "login", {"phone": "13800150007", "password": NEW_PASSWORD, "client_ip": "10.1.0.3"})


def _within_one_window(seconds, needed):
    """Wait (never assert) until `needed` seconds fit before the current fixed window of `seconds` ends, so the
    steps that follow share one window (rate_limits' windows are aligned to the clock)."""
    left = seconds - time.time() % seconds
    if left < needed:
        time.sleep(left + 0.05)


def _attempt(identity, phone, password, address):
    try:
        call(identity, "login", {"phone": phone, "password": password, "client_ip": address})
        return "signed_in"
    except Unauthorized:
        return "wrong"
    except RateLimited as error:
        return error.message


def test_strangers_guessing_never_keep_the_owner_out(identity):
    """Issue 29's attack: 20 wrong passwords from a few addresses, then a steady stream of tries from another
    address. Before: every try (refused ones too) took the account's one try per 30 s and the owner's correct
    password met 429 for as long as the stream went on."""
    phone = "13800150010"
    _within_one_window(900, 120)  # the counters' 15-minute window holds the whole test
    register(identity, phone)
    assert _attempt(identity, phone, PASSWORD, "10.20.0.1") == "signed_in"  # the owner's usual address
    for n in range(20):  # 4 addresses, 5 wrong passwords each
        assert _attempt(identity, phone, "wrong1234", f"10.21.0.{n % 4}") == "wrong"
    _within_one_window(30, 20)  # one turn's window holds the stream
    stream = [_attempt(identity, phone, "wrong1234", "10.22.0.1") for _ in range(40)]  # 2 a second for 20 s
    assert stream[0] == "wrong" and set(stream[1:]) == {"sign_in_slowed"}
    # refused tries take no turn and count against their own address
    assert sql(identity, "SELECT hits FROM rate_limits WHERE key = 'login-fail-ip:10.22.0.1'") == [(40,)]
    assert sql(identity, "SELECT sum(hits) FROM rate_limits WHERE key LIKE 'login-slow:%%'") == [(1,)]
    # the owner, from the address the account knows, signs in during the stream
    assert _attempt(identity, phone, PASSWORD, "10.20.0.1") == "signed_in"
    # from an address it does not know (the app on mobile data), once the stream's address spent its 5 failures
    for _ in range(4):  # each 30 s window: the stream's first failure takes the turn
        _within_one_window(30, 5)
        sql(identity, "DELETE FROM rate_limits WHERE key LIKE 'login-slow:%%'")
        assert _attempt(identity, phone, "wrong1234", "10.22.0.1") == "wrong"
        assert _attempt(identity, phone, PASSWORD, "10.23.0.1") == "sign_in_slowed"
    sql(identity, "DELETE FROM rate_limits WHERE key LIKE 'login-slow:%%'")
    stream = [_attempt(identity, phone, "wrong1234", "10.22.0.1") for _ in range(20)]
    assert set(stream) == {"too_many_attempts"}  # refused at its own gate: no turn taken
    assert _attempt(identity, phone, PASSWORD, "10.23.0.1") == "signed_in"
    # the stream's address has 64 failures and refusals; at 100 it is refused for every account
    assert sql(identity, "SELECT hits FROM rate_limits WHERE key = 'login-fail-ip:10.22.0.1'") == [(64,)]
    assert _attempt(identity, "13700150099", "guess1234", "10.22.0.1") == "wrong"  # another account: checked
    for _ in range(35):  # refused tries at this account, counted against the address: 100
        _attempt(identity, phone, "wrong1234", "10.22.0.1")
    assert _attempt(identity, "13700150099", "guess1234", "10.22.0.1") == "too_many_attempts"
