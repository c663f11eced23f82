"""Which task comes first, and what a reviewer may search by (plain code, no I/O).

Sort keys of a task list (one ORDER BY each; `ordering` gives the same order in Python for the tests):
- "requested": longest waiting first (the default of open lists);
- "start_at": an activity's start soonest first (ties and tasks without a start date after, longest waiting first):
  an activity starting in 3 days must not wait behind older ones;
- "decided_at": newest decision first (the default of the decided list).
An activity starting within SOON_DAYS (7) shows 「不足7天」.

Search: `q` matches names (the subject's, its organization's, units, hosts) as a substring, case-insensitive;
`phone` is the submitter's phone, exact (11 digits, mainland mobile), never a prefix: a list must not become
a way to enumerate people's numbers, and answers show it masked.
"""
from datetime import datetime, timedelta

from kepu_common.interfaces.errors import InvalidInput
from services.review.constants import SORTS

SOON_DAYS = 7
PHONE_KEYS = ("submitter_phone", "contact_phone")

_ORDER_SQL = {
    "requested": "requested_at, id",
    "start_at": "start_at ASC NULLS LAST, requested_at, id",
    "decided_at": "decided_at DESC NULLS LAST, id DESC",
}


def default_sort(status):
    return "decided_at" if status == "decided" else "requested"


def order_sql(sort, status):
    sort = sort or default_sort(status)
    if sort not in _ORDER_SQL:
        raise InvalidInput("validation_failed", {"sort": ("not_one_of", {"choices": "、".join(SORTS)})})
    return _ORDER_SQL[sort]


def ordering(sort):
    """A Python sort key giving the same order as order_sql(sort) (for tasks as dicts)."""
    far = "\uffff"
    if sort == "start_at":
        return lambda t: (t.get("start_at") is None, t.get("start_at") or far, t["requested_at"], str(t["id"]))
    if sort == "decided_at":
        return lambda t: (t.get("decided_at") is None, -(t["decided_at"].timestamp() if t.get("decided_at") else 0),
                          _desc(str(t["id"])))
    return lambda t: (t["requested_at"], str(t["id"]))


def _desc(text):
    return tuple(-ord(ch) for ch in text)


def like_pattern(query):
    """A substring pattern for ILIKE with the user's %, _ and backslash taken literally."""
    escaped = query.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def starts_soon(start_at, today, days=SOON_DAYS):
    """Whether an activity starting at `start_at` ('YYYY-MM-DD HH:MM', Beijing time) starts within `days` of
    `today` (a date in Beijing): 「不足7天」."""
    if not start_at:
        return False
    try:
        start = datetime.strptime(start_at[:10], "%Y-%m-%d").date()
    except ValueError:
        return False
    return start - today < timedelta(days=days)


def masked_phone(phone):
    return f"{phone[:3]}****{phone[-4:]}" if isinstance(phone, str) and len(phone) >= 7 else phone


def mask_snapshot(snapshot):
    """A snapshot for a list answer: phones masked wherever they are (the task page shows them to the reviewer)."""
    def walk(value, key=""):
        if isinstance(value, dict):
            return {name: walk(item, name) for name, item in value.items()}
        if isinstance(value, list):
            return [walk(item) for item in value]
        return masked_phone(value) if key in PHONE_KEYS else value
    return walk(snapshot)
