"""Rate-limit policies and their arithmetic, without a database."""
from datetime import datetime, timezone

from kepu_common.errors import RateLimited
from services.identity import rate_limits

NOW = datetime(2026, 11, 26, 1, 0, 42, tzinfo=timezone.utc)


def test_windows_are_aligned_to_their_length():
    one_o_clock = datetime(2026, 11, 26, 1, 0, tzinfo=timezone.utc)
    assert rate_limits.window_start(rate_limits.SMS_PER_PHONE, NOW) == one_o_clock
    assert rate_limits.window_start(rate_limits.LOGIN_PER_PHONE, NOW) == one_o_clock
    later = datetime(2026, 11, 26, 1, 14, 59, tzinfo=timezone.utc)
    assert rate_limits.window_start(rate_limits.LOGIN_PER_PHONE, later) == one_o_clock
    assert rate_limits.window_start(rate_limits.SMS_PER_PHONE, later) == datetime(2026, 11, 26, 1, 14, tzinfo=timezone.utc)


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
        (1, 60, "sms:13800138000"), (5, 3600, "sms-hour:13800138000"), (30, 3600, "sms-ip:10.0.0.1")]


def test_login_counts_per_phone_and_per_address():
    checks = rate_limits.login_checks("13800138000", "10.0.0.1")
    assert [(policy.limit, policy.window_seconds, key) for policy, key in checks] == [
        (10, 900, "login:13800138000"), (100, 900, "login-ip:10.0.0.1")]
