"""Registration, sign-in and tokens against real PostgreSQL and RabbitMQ."""
import time

import jwt
import psycopg2
import pytest
from marshmallow import ValidationError
from nameko.testing.services import entrypoint_hook

from kepu_common.interfaces.errors import InvalidInput, RateLimited, RuleBroken, Unauthorized
from services.identity.service import IdentityService

PASSWORD = "kepu2026science"


@pytest.fixture
def identity(start_service):
    return start_service(IdentityService)


def call(container, method, *args):
    with entrypoint_hook(container, method) as hook:
        return hook(*args)


def sql(container, query, args=()):
    with psycopg2.connect(container.config["DATABASE_URL"]) as conn, conn.cursor() as cur:
        cur.execute(query, args)
        return cur.fetchall() if cur.description else None


def codes(error):
    """{field: code} of a raised platform error."""
    return {name: value["code"] for name, value in error.value.fields.items()}


def register(container, phone="13800138000", password=PASSWORD):
    code = call(container, "request_sms_code", {"phone": phone})["debug_code"]
    return call(container, "register", {"phone": phone, "code": code, "password": password})


def test_register_with_code_returns_user_and_tokens_and_announces_it(identity, jwt_keys):
    result = register(identity, "+86 138-0013-8000")
    assert result["user"]["phone"] == "13800138000"
    claims = jwt.decode(result["tokens"]["access_token"], jwt_keys["public"], algorithms=["EdDSA"], audience="kepu")
    assert claims["sub"] == result["user"]["id"] and claims["typ"] == "access"
    assert sql(identity, "SELECT event_type FROM outbox WHERE event_type = 'user_registered'") == [("user_registered",)]
    stored = sql(identity, "SELECT password_hash FROM users")[0][0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_wrong_code_is_refused_and_counts_as_a_try(identity):
    call(identity, "request_sms_code", {"phone": "13800138001"})
    with pytest.raises(InvalidInput) as error:
        call(identity, "register", {"phone": "13800138001", "code": "000000", "password": PASSWORD})
    assert (error.value.message, codes(error)) == ("sms_code_wrong", {"code": "sms_code_wrong"})
    assert sql(identity, "SELECT attempts FROM sms_codes") == [(1,)]
    assert sql(identity, "SELECT count(*) FROM users") == [(0,)]


def test_code_is_single_use(identity):
    code = call(identity, "request_sms_code", {"phone": "13800138002"})["debug_code"]
    call(identity, "register", {"phone": "13800138002", "code": code, "password": PASSWORD})
    with pytest.raises(InvalidInput) as error:  # spent; and a registered phone is not told apart from any other
        call(identity, "register", {"phone": "13800138002", "code": code, "password": PASSWORD})
    assert codes(error) == {"code": "sms_code_missing"}
    sql(identity, "DELETE FROM refresh_tokens; DELETE FROM known_sources; DELETE FROM users")
    with pytest.raises(InvalidInput) as error:
        call(identity, "register", {"phone": "13800138002", "code": code, "password": PASSWORD})
    assert codes(error) == {"code": "sms_code_missing"}


def test_expired_code_is_refused(identity):
    code = call(identity, "request_sms_code", {"phone": "13800138003"})["debug_code"]
    sql(identity, "UPDATE sms_codes SET expires_at = now() - interval '1 second'")
    with pytest.raises(InvalidInput) as error:
        call(identity, "register", {"phone": "13800138003", "code": code, "password": PASSWORD})
    assert codes(error) == {"code": "sms_code_expired"}


def test_five_wrong_codes_lock_the_code(identity):
    code = call(identity, "request_sms_code", {"phone": "13800138004"})["debug_code"]
    for _ in range(5):
        with pytest.raises(InvalidInput):
            call(identity, "register", {"phone": "13800138004", "code": "999999" if code != "999999" else "111111",
                                        "password": PASSWORD})
    with pytest.raises(RuleBroken) as error:
        call(identity, "register", {"phone": "13800138004", "code": code, "password": PASSWORD})
    assert codes(error) == {"code": "sms_code_locked"}


def test_codes_are_rate_limited_per_phone(identity):
    call(identity, "request_sms_code", {"phone": "13800138005"})
    with pytest.raises(RateLimited) as error:
        call(identity, "request_sms_code", {"phone": "13800138005"})
    assert error.value.message == "sms_code_wait"
    assert 0 < error.value.details["retry_after"] <= 61
    assert error.value.payload["params"]["retry_after"] == error.value.details["retry_after"]


def test_a_venue_gets_200_codes_from_one_address_and_the_address_budget_still_ends(identity):
    for n in range(200):
        call(identity, "request_sms_code", {"phone": f"1390000{n:04d}", "client_ip": "10.0.0.9"})
    sql(identity, "UPDATE rate_limits SET hits = 300 WHERE key = 'sms-ip:10.0.0.9'")
    with pytest.raises(RateLimited):
        call(identity, "request_sms_code", {"phone": "13900009999", "client_ip": "10.0.0.9"})
    assert sql(identity, "SELECT count(*) FROM sms_codes") == [(200,)]


@pytest.mark.parametrize("password,problem", [
    ("short1", "password_length"), ("onlyletters", "password_letters_and_digits"),
    ("12345678", "password_letters_and_digits"), ("abcd1234", "password_too_easy"),
])
def test_weak_passwords_are_refused_before_the_code_is_used(identity, password, problem):
    call(identity, "request_sms_code", {"phone": "13800138006"})
    with pytest.raises(InvalidInput) as error:
        call(identity, "register", {"phone": "13800138006", "code": "123456", "password": password})
    assert problem in error.value.details["password_rules_broken"]
    assert codes(error)["password"] == error.value.details["password_rules_broken"][0]
    assert sql(identity, "SELECT attempts, consumed_at FROM sms_codes") == [(0, None)]


def test_invalid_phone_is_named(identity):
    with pytest.raises(InvalidInput) as error:
        call(identity, "request_sms_code", {"phone": "12345"})
    assert codes(error) == {"phone": "phone_invalid"}


def test_a_code_request_never_tells_whether_the_phone_is_registered(identity):
    register(identity, "13800138007")
    sql(identity, "DELETE FROM rate_limits")
    taken = call(identity, "request_sms_code", {"phone": "13800138007"})  # register purpose, registered phone
    unknown = call(identity, "request_sms_code", {"phone": "13700138007", "purpose": "login"})
    fresh = call(identity, "request_sms_code", {"phone": "13700138017"})
    # the same answer (debug_code aside, which only SMS_DEBUG_ECHO gives and production refuses)
    assert {k: v for k, v in taken.items()} == {"phone": "138****8007", "expires_in": 300}
    assert unknown == {"phone": "137****8007", "expires_in": 300}
    assert set(fresh) == {"phone", "expires_in", "debug_code"}
    # and no text goes where its purpose does not fit: one code for the new phone, none for the other two
    assert sql(identity, "SELECT count(*) FROM sms_codes WHERE consumed_at IS NULL") == [(1,)]
    with pytest.raises(InvalidInput) as error:  # registering the taken phone: as for any phone with no code
        call(identity, "register", {"phone": "13800138007", "code": "123456", "password": PASSWORD})
    assert codes(error) == {"code": "sms_code_missing"}


def test_340_probes_from_one_address_meet_the_limit_and_learn_nothing(identity):
    """Enumeration (issue 29): counted before anything is looked up, and answered alike."""
    register(identity, "13800138016")
    sql(identity, "DELETE FROM rate_limits")  # its registration's code was just now
    left = 3600 - time.time() % 3600  # the address's hourly window holds the probes (a wait, never an assert)
    if left < 120:
        time.sleep(left + 0.05)
    answers, refused = set(), 0
    for n in range(340):
        phone = "13800138016" if n == 5 else f"1370100{n:04d}"
        try:
            answer = call(identity, "request_sms_code", {"phone": phone, "purpose": "login", "client_ip": "10.66.0.1"})
        except RateLimited as error:
            assert error.message == "too_many_attempts"
            refused += 1
            continue
        answers.add(tuple(sorted(k for k in answer if k != "debug_code")))
    assert refused == 40  # 300 an hour per address (rate_limits.SMS_PER_ADDRESS), the rest refused
    assert answers == {("expires_in", "phone")}
    with pytest.raises(RateLimited):  # the registered phone too: the limit counts before the look-up
        call(identity, "request_sms_code", {"phone": "13800138016", "purpose": "login", "client_ip": "10.66.0.1"})


def test_one_phone_one_account_whatever_digits_it_is_typed_with(identity):
    full_width = "１３８００１３８０１３"
    code = call(identity, "request_sms_code", {"phone": full_width})["debug_code"]
    registered = call(identity, "register", {"phone": full_width, "code": code.translate(
        str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")), "password": PASSWORD})
    assert registered["user"]["phone"] == "13800138013"
    for variant in ("13800138013", "१३८००१३८०१३"):
        with pytest.raises(RateLimited):  # the same phone's counter: one code a minute
            call(identity, "request_sms_code", {"phone": variant})
    assert call(identity, "login", {"phone": "13800138013", "password": PASSWORD})["user"]["id"] == \
        registered["user"]["id"]
    assert sql(identity, "SELECT count(*) FROM users") == [(1,)]


def test_login_refresh_logout(identity):
    register(identity, "13800138008")
    tokens = call(identity, "login", {"phone": "13800138008", "password": PASSWORD})["tokens"]
    fresh = call(identity, "refresh", {"refresh_token": tokens["refresh_token"]})
    assert fresh["user"]["phone"] == "13800138008"  # the same shape as login: {user, tokens}
    fresh = fresh["tokens"]
    assert fresh["refresh_token"] != tokens["refresh_token"]
    assert call(identity, "logout", {"refresh_token": fresh["refresh_token"]}) == {"revoked": True}
    with pytest.raises(Unauthorized):
        call(identity, "refresh", {"refresh_token": fresh["refresh_token"]})
    with pytest.raises(Unauthorized):  # rotated: the old refresh token worked once
        call(identity, "refresh", {"refresh_token": tokens["refresh_token"]})


def test_reusing_a_refresh_token_revokes_its_whole_family(identity):
    register(identity, "13800138014")
    stolen = call(identity, "login", {"phone": "13800138014", "password": PASSWORD})["tokens"]["refresh_token"]
    other_session = call(identity, "login", {"phone": "13800138014", "password": PASSWORD})["tokens"]
    newer = call(identity, "refresh", {"refresh_token": stolen})["tokens"]["refresh_token"]
    newest = call(identity, "refresh", {"refresh_token": newer})["tokens"]["refresh_token"]
    with pytest.raises(Unauthorized) as error:  # the first token, presented again
        call(identity, "refresh", {"refresh_token": stolen})
    assert codes(error) == {"refresh_token": "refresh_token_invalid"}
    with pytest.raises(Unauthorized):  # the family is revoked: the newest token no longer works either
        call(identity, "refresh", {"refresh_token": newest})
    # another sign-in is another family, and it keeps working
    assert call(identity, "refresh", {"refresh_token": other_session["refresh_token"]})["tokens"]["refresh_token"]


def test_an_expired_refresh_token_is_refused_without_touching_its_family(identity):
    register(identity, "13800138015")
    first = call(identity, "login", {"phone": "13800138015", "password": PASSWORD})["tokens"]["refresh_token"]
    second = call(identity, "refresh", {"refresh_token": first})["tokens"]["refresh_token"]
    sql(identity, "UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE revoked_at IS NOT NULL")
    with pytest.raises(Unauthorized):
        call(identity, "refresh", {"refresh_token": first})
    assert call(identity, "refresh", {"refresh_token": second})["tokens"]["refresh_token"]


def test_wrong_password_and_unknown_phone_look_the_same(identity):
    register(identity, "13800138009")
    with pytest.raises(Unauthorized) as wrong:
        call(identity, "login", {"phone": "13800138009", "password": "nope12345"})
    with pytest.raises(Unauthorized) as unknown:
        call(identity, "login", {"phone": "13700137000", "password": "nope12345"})
    assert wrong.value.payload == unknown.value.payload


def test_malformed_request_names_fields(identity):
    with pytest.raises(ValidationError) as error:
        call(identity, "register", {"phone": "13800138011", "code": "12", "password": PASSWORD, "extra": 1})
    assert set(error.value.messages) == {"code", "extra"}


def test_housekeeping_drops_spent_windows_codes_and_tokens(identity):
    register(identity, "13800138012")
    sql(identity, "UPDATE rate_limits SET window_start = now() - interval '3 days'; "
                  "UPDATE sms_codes SET created_at = now() - interval '3 days'; "
                  "UPDATE refresh_tokens SET expires_at = now() - interval '31 days'")
    call(identity, "housekeeping")
    assert sql(identity, "SELECT (SELECT count(*) FROM rate_limits), (SELECT count(*) FROM sms_codes), "
                         "(SELECT count(*) FROM refresh_tokens)") == [(0, 0, 0)]
