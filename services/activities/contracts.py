"""The activity rules the gateway's form checks and the service checks again, as code both sides import:
stdlib only, no I/O (the import boundary, kepu_common/tests/test_import_contracts.py)."""
from datetime import datetime, timedelta, timezone

# "建议在活动举办前一周以上进行填报": accepted, with a warning, when the start is nearer than this
ADVISED_LEAD = timedelta(days=7)


def now_utc():
    return datetime.now(timezone.utc)


def check_schedule(start_at, end_at, now):
    """(errors, warnings): the start later than the submission, the end after the start; a start less
    than 7 days ahead is accepted with a warning a frontend can show."""
    errors, warnings = {}, []
    if start_at <= now:
        errors["start_at"] = "start_not_in_future"
    if end_at <= start_at:
        errors["end_at"] = "end_not_after_start"
    if not errors and start_at - now < ADVISED_LEAD:
        warnings.append({"code": "start_within_a_week", "field": "start_at", "params": {"days": 7}})
    return errors, warnings
