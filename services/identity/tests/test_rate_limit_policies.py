"""Rate-limit policies and their arithmetic, without a database."""
from datetime import datetime, timezone

from kepu_common.interfaces.errors import RateLimited
from services.identity import rate_limits

NOW = datetime(2026, 11, 26, 1, 0, 42, tzinfo=timezone.utc)


def test_windows_are_aligned_to_their_length():
    one_o_clock = datetime(2026, 11, 26, 1, 0, tzinfo=timezone.utc)
    assert rate_limits.window_start(rate_limits.SMS_PER_PHONE, NOW) == one_o_clock
    assert rate_limits.window_start(rate_limits.FAILURES_PER_ACCOUNT_SOURCE, NOW) == one_o_clock
    later = datetime(2026, 11, 26, 1, 14, 59, tzinfo=timezone.utc)
    assert rate_limits.window_start(rate_limits.FAILURES_PER_ACCOUNT_SOURCE, later) == one_o_clock
    assert rate_limits.window_start(rate_limits.SMS_PER_PHONE, later) == datetime(2026, 11, 26, 1, 14,
                                                                                   tzinfo=timezone.utc)


def test_within_the_limit_there_is_no_wait():
    started = rate_limits.window_start(rate_limits.SMS_PER_PHONE_HOURLY, NOW)
    assert rate_limits.retry_after(rate_limits.SMS_PER_PHONE_HOURLY, 5, started, NOW) is None


def test_past_the_limit_the_wait_is_until_the_window_ends():
    started = rate_limits.window_start(rate_limits.SMS_PER_PHONE, NOW)
    assert rate_limits.retry_after(rate_limits.SMS_PER_PHONE, 2, started, NOW) == 60 - 42 + 1


def test_a_refusal_carries_the_wait_in_details_and_in_its_message():
    refusal = rate_limits.refusal(rate_limits.SMS_PER_PHONE, 18)
    assert isinstance(refusal, RateLimited) and refusal.status == 429
    assert refusal.message == "sms_code_wait" and refusal.details == {"retry_after": 18}
    assert refusal.payload["params"] == {"retry_after": 18}


def test_sms_counts_per_phone_per_minute_and_hour_and_per_address():
    checks = rate_limits.sms_checks("13800138000", "10.0.0.1")
    assert [(policy.limit, policy.window_seconds, key) for policy, key in checks] == [
        (1, 60, "sms:13800138000"), (5, 3600, "sms-hour:13800138000"), (300, 3600, "sms-ip:10.0.0.1"),
        (1000, 86400, "sms-ip-day:10.0.0.1")]


def test_a_venue_signs_up_200_people_in_an_hour_from_one_address():
    (_, per_phone), (_, hourly), (per_address, _), (daily, _) = rate_limits.sms_checks("13800138000", "10.0.0.1")
    started = rate_limits.window_start(per_address, NOW)
    # each of 200 people asks once, a quarter of them ask again (a code that did not arrive)
    assert rate_limits.retry_after(per_address, 250, started, NOW) is None
    assert rate_limits.retry_after(daily, 250, rate_limits.window_start(daily, NOW), NOW) is None
    # one phone still gets one code a minute and five an hour, whatever the address
    assert rate_limits.retry_after(rate_limits.SMS_PER_PHONE, 2, rate_limits.window_start(rate_limits.SMS_PER_PHONE,
                                                                                           NOW), NOW) is not None


def test_password_guesses_are_gated_per_account_and_source_and_per_source():
    gates = rate_limits.password_gates("13800138000", "10.0.0.1")
    assert [(policy.limit, policy.window_seconds, key) for policy, key in gates] == [
        (5, 900, "login-fail:13800138000:10.0.0.1"), (100, 900, "login-fail-ip:10.0.0.1")]


def test_a_failure_also_counts_for_the_account_from_anywhere():
    counters = rate_limits.failure_counters("13800138000", "10.0.0.1")
    assert counters[:2] == rate_limits.password_gates("13800138000", "10.0.0.1")
    assert [(policy.limit, key) for policy, key in counters[2:]] == [(20, "login-fail-account:13800138000")]


def test_an_account_guessed_at_is_slowed_not_locked():
    (threshold, threshold_key), (slowed, slowed_key) = rate_limits.account_slowdown("13800138000")
    assert (threshold.limit, threshold_key) == (20, "login-fail-account:13800138000")
    assert (slowed.limit, slowed.window_seconds, slowed.message) == (1, 30, "sign_in_slowed")
    started = rate_limits.window_start(slowed, NOW)
    assert rate_limits.retry_after(slowed, 1, started, NOW) is None  # one try every 30 seconds goes through
    assert rate_limits.retry_after(slowed, 2, started, NOW) == 30 - 12 + 1
    assert set(rate_limits.after_password_reset("13800138000")) == {threshold_key, slowed_key}


def test_a_count_read_before_the_attempt_refuses_at_the_limit():
    policy = rate_limits.FAILURES_PER_ACCOUNT_SOURCE
    started = rate_limits.window_start(policy, NOW)
    assert rate_limits.at_limit(policy, 4, started, NOW) is None
    assert rate_limits.at_limit(policy, 5, started, NOW) == 900 - 42 + 1


def test_a_known_source_is_always_checked_and_a_refusal_takes_no_turn():
    assert rate_limits.password_try(slowed=False, known_source=False, turn_taken=False) == "check"
    assert rate_limits.password_try(slowed=True, known_source=False, turn_taken=False) == "check"  # its turn
    assert rate_limits.password_try(slowed=True, known_source=False, turn_taken=True) == "refuse"
    assert rate_limits.password_try(slowed=True, known_source=True, turn_taken=True) == "check"  # the owner's address
    # a refused try counts against its source only: never the account's turn or its failure count
    assert rate_limits.refusal_counters("10.0.0.1") == [(rate_limits.FAILURES_PER_SOURCE, "login-fail-ip:10.0.0.1")]


def test_counter_keys_take_the_phones_keyed_hash_never_the_phone(jwt_keys):
    from services.identity.dependencies import read_secret
    from services.identity.phone_vault import PhoneVault

    vault = PhoneVault(read_secret(jwt_keys["secret_path"]))
    phone_key = vault.rate_key("13800138000")
    keys = [key for _, key in rate_limits.sms_checks(phone_key, "10.0.0.1") + rate_limits.failure_counters(
        phone_key, "10.0.0.1")]
    assert all("13800138000" not in key for key in keys) and phone_key in keys[0] and len(phone_key) == 32
    assert vault.rate_key("13800138000") == phone_key != vault.rate_key("13800138001")
