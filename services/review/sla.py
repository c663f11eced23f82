"""Service levels of review, as pure functions (no I/O, no clock: `now` comes in).

A target is counted in working hours: 09:00–17:00 Beijing time (8 hours a day) (Asia/Shanghai) on working days.
Nights, weekends and public holidays do not count: a task requested on Friday at 16:00 with an 8-hour target is
due on Monday at 16:00; one requested on Saturday starts counting on Monday at 09:00; one requested on
30 September is due after National Day's week. The weekends the State Council moves work to (调休) count as
working days. Which days those are comes from the `holidays` package's China calendar (the State Council's
yearly notice, as that package records it; a year it has no notice for yet gets the holidays' usual dates
without the moved weekends); a deployment that has the notice before the package adds days of its own
(REVIEW.holidays and REVIEW.workdays, `WorkingCalendar`), and those win.

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
from datetime import date, datetime, time, timedelta, timezone

import holidays

from kepu_common.interfaces.clock import SHANGHAI

DAY_START = time(9, 0)
DAY_END = time(17, 0)
WORKDAYS = (0, 1, 2, 3, 4)  # Monday to Friday, when no holiday or moved working day says otherwise
LONG_CLAIM = timedelta(hours=2)

STAGE_TARGETS = {"realname": 8, "org": 16, "initial": 16, "scientific": 40, "provincial": 16, "national": 16}
KIND_TARGETS = {("activity", "provincial"): 8, ("activity", "national"): 8, ("community", "initial"): 8,
                ("post", "initial"): 8, ("comment", "initial"): 8, ("report", "initial"): 8}
FALLBACK_TARGET = 16


class WorkingCalendar:
    """Which Beijing days are working days. `public` is the public calendar (an object with
    is_working_day(date): the `holidays` package's China one by default, None for Monday to Friday only);
    `extra_holidays` and `extra_workdays` are a deployment's own days and win over it."""

    def __init__(self, public=None, extra_holidays=(), extra_workdays=()):
        self.public = public
        self.extra_holidays, self.extra_workdays = frozenset(extra_holidays), frozenset(extra_workdays)
        both = self.extra_holidays & self.extra_workdays
        if both:
            raise ValueError(f"days both holidays and working days: {sorted(d.isoformat() for d in both)}")

    def is_working_day(self, day):
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays:
            return False
        if self.public is not None:
            return self.public.is_working_day(day)
        return day.weekday() in WORKDAYS


def china_public_calendar():
    """The State Council's holidays and moved working days (调休) as the `holidays` package records them; the
    years the platform will meet are filled at once, so no lookup fills the table while another reads it."""
    return holidays.country_holidays("CN", years=range(2020, 2041))


def parse_days(text, setting):
    """'2027-02-11,2027-02-12' (or a list of such strings) as dates; a malformed one is the setting's error."""
    items = text.split(",") if isinstance(text, str) else list(text or ())
    try:
        return frozenset(date.fromisoformat(str(item).strip()) for item in items if str(item).strip())
    except ValueError as exc:
        raise ValueError(f"REVIEW.{setting} must list dates as YYYY-MM-DD: {exc}") from None


CHINA = WorkingCalendar(public=china_public_calendar())


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


def due_at(requested_at, hours, calendar=CHINA):
    """When `hours` working hours from `requested_at` run out (UTC)."""
    left = timedelta(hours=hours)
    moment = _local(requested_at)
    day = moment.date()
    while True:
        if calendar.is_working_day(day):
            start, end = _day_bounds(day)
            begin = max(moment, start)
            if begin < end:
                if begin + left <= end:
                    return (begin + left).astimezone(timezone.utc)
                left -= end - begin
        day += timedelta(days=1)
        moment = datetime.combine(day, time(0), tzinfo=SHANGHAI)


def working_time(start, end, calendar=CHINA):
    """The working time between two moments (what counts against a target)."""
    start, end = _local(start), _local(end)
    if end <= start:
        return timedelta(0)
    total, day = timedelta(0), start.date()
    while day <= end.date():
        if calendar.is_working_day(day):
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
