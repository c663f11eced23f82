"""Service levels of review, as pure functions (no I/O, no clock: `now` comes in).

A target is counted in working hours: Monday to Friday, 09:00–17:00 Beijing time (8 hours a day) (Asia/Shanghai). Nights
and weekends do not count: a task requested on Friday at 16:00 with an 8-hour target is due on Monday at
16:00; one requested on Saturday starts counting on Monday at 09:00. Public holidays and the working
weekends the State Council moves around them are not known here (they count as ordinary days); a
deployment that needs them configures longer targets around them.

Default targets (working hours), per stage, and per kind where a kind needs a different one:

| stage       | default | why                                                                       |
|-------------|---------|---------------------------------------------------------------------------|
| realname    | 8       | one working day: a communicator waits for it before doing anything        |
| org         | 16      | two working days: a licence to check against the directory                |
| initial     | 16      | two working days                                                          |
| scientific  | 40      | a working week: an expert reads the content                               |
| provincial  | 16      | two working days                                                          |
| national    | 16      | two working days                                                          |
| activity at provincial or national | 8 | one working day: an activity has a start date to meet |
| community, post, comment, report at initial | 8 | one working day: held social content waits in public view |

Configured with the review service's REVIEW.sla_hours: {"<stage>": hours, "<subject_type>:<stage>": hours}
(config.yaml; REVIEW_SLA_HOURS as JSON in the environment). A target applies to tasks requested after it
changes: each task keeps the due time computed when it arrived.

A claim held by the same reviewer for longer than LONG_CLAIM (2 hours by default, REVIEW.long_claim_minutes)
is "long-claimed": the stage's lead sees it with the overdue ones and may reassign it.
"""
from datetime import datetime, time, timedelta, timezone

from kepu_common.interfaces.clock import SHANGHAI

DAY_START = time(9, 0)
DAY_END = time(17, 0)
WORKDAYS = (0, 1, 2, 3, 4)  # Monday to Friday
LONG_CLAIM = timedelta(hours=2)

STAGE_TARGETS = {"realname": 8, "org": 16, "initial": 16, "scientific": 40, "provincial": 16, "national": 16}
KIND_TARGETS = {("activity", "provincial"): 8, ("activity", "national"): 8, ("community", "initial"): 8,
                ("post", "initial"): 8, ("comment", "initial"): 8, ("report", "initial"): 8}
FALLBACK_TARGET = 16


def target_hours(subject_type, stage, configured=None):
    """The target of a kind at a stage, in working hours: configured "<kind>:<stage>", then "<stage>", then
    the defaults above."""
    configured = configured or {}
    for key in (f"{subject_type}:{stage}", stage):
        if key in configured:
            return float(configured[key])
    if (subject_type, stage) in KIND_TARGETS:
        return float(KIND_TARGETS[(subject_type, stage)])
    return float(STAGE_TARGETS.get(stage, FALLBACK_TARGET))


def _local(moment):
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(SHANGHAI)


def _day_bounds(day):
    return (datetime.combine(day, DAY_START, tzinfo=SHANGHAI), datetime.combine(day, DAY_END, tzinfo=SHANGHAI))


def due_at(requested_at, hours):
    """When `hours` working hours from `requested_at` run out (UTC)."""
    left = timedelta(hours=hours)
    moment = _local(requested_at)
    day = moment.date()
    while True:
        if day.weekday() in WORKDAYS:
            start, end = _day_bounds(day)
            begin = max(moment, start)
            if begin < end:
                if begin + left <= end:
                    return (begin + left).astimezone(timezone.utc)
                left -= end - begin
        day += timedelta(days=1)
        moment = datetime.combine(day, time(0), tzinfo=SHANGHAI)


def working_time(start, end):
    """The working time between two moments (what counts against a target)."""
    start, end = _local(start), _local(end)
    if end <= start:
        return timedelta(0)
    total, day = timedelta(0), start.date()
    while day <= end.date():
        if day.weekday() in WORKDAYS:
            day_start, day_end = _day_bounds(day)
            begin, finish = max(start, day_start), min(end, day_end)
            if finish > begin:
                total += finish - begin
        day += timedelta(days=1)
    return total


def is_overdue(task, now):
    """An open task past its due time (a decided one is judged by when it was decided)."""
    due = task.get("due_at")
    if due is None:
        return False
    return (task.get("decided_at") or now) > due


def is_long_claimed(task, now, long_claim=LONG_CLAIM):
    """A live claim the same reviewer has held for longer than `long_claim`."""
    return (task.get("claimed_by") is not None and task.get("claimed_until") is not None
            and task["claimed_until"] > now and task.get("claimed_at") is not None
            and now - task["claimed_at"] > long_claim)


def needs_lead(task, now, long_claim=LONG_CLAIM):
    return task.get("status") == "open" and (is_overdue(task, now) or is_long_claimed(task, now, long_claim))
