"""The rules of the SMS channel, as plain functions of their inputs (no clock, no I/O): quiet hours, the daily
ceiling, per-kind preferences, retry back-off and follow-up reminders. The inbox is never held by any of them.

Every "today" and every hour of the day is Asia/Shanghai; moments are aware datetimes, stored in UTC.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from kepu_common.interfaces.clock import SHANGHAI
from kepu_common.interfaces.errors import InvalidInput
from services.identity.notifications import kinds


@dataclass(frozen=True)
class QuietHours:
    """SMS held from start to end (local wall-clock times); start > end spans midnight; start == end: never quiet."""

    start: time = time(22, 0)
    end: time = time(8, 0)

    @classmethod
    def parse(cls, text):
        """'22:00-08:00', or 'off' / '' for none (a test platform that must not depend on the hour it runs)."""
        text = "" if text is False else str(text or "").strip().lower()  # YAML reads a bare off as false
        if text in ("", "off", "none"):
            return cls(time(0, 0), time(0, 0))
        start, _, end = text.partition("-")
        return cls(time.fromisoformat(start.strip()), time.fromisoformat(end.strip()))

    def is_quiet(self, moment):
        local = moment.astimezone(SHANGHAI).time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def release_at(self, moment):
        """When an SMS due at `moment` may go: `moment` itself outside quiet hours, else the quiet hours' end."""
        if not self.is_quiet(moment):
            return moment
        local = moment.astimezone(SHANGHAI)
        end = datetime.combine(local.date(), self.end, SHANGHAI)
        if end <= local:  # quiet since the evening: released the next morning
            end = datetime.combine(local.date() + timedelta(days=1), self.end, SHANGHAI)
        return end.astimezone(moment.tzinfo)


def shanghai_day(moment):
    """(the Asia/Shanghai date of moment, its start as an aware datetime): the daily ceiling's window."""
    local = moment.astimezone(SHANGHAI)
    start = datetime.combine(local.date(), time(0, 0), SHANGHAI)
    return local.date(), start


def under_ceiling(sent_today, ceiling):
    """May one more SMS go to a person who got `sent_today` today? A ceiling of 0 sends none."""
    return sent_today < ceiling


def retry_delay(attempts, base_seconds, cap_seconds=3600):
    """Seconds before attempt number attempts+1 after `attempts` failures: base, 2×base, 4×base … up to cap."""
    return min(base_seconds * (2 ** max(attempts - 1, 0)), cap_seconds)


def gives_up(attempts, max_attempts):
    return attempts >= max_attempts


# --- preferences ------------------------------------------------------------------------------------------------

def check_preferences(changes):
    """{kind: {"sms": bool}} as a person sets them: every kind must exist and be one that goes by SMS."""
    for name, setting in changes.items():
        kind = kinds.get(name, f"sms.{name}")
        if setting and not kind.sms:
            raise InvalidInput("notification_sms_not_offered",
                               {f"sms.{name}": ("notification_sms_not_offered", {"kind": name})}, kind=name)
    return changes


def sms_wanted(kind_name, preferences):
    """Whether a notification of this kind goes by SMS to a person with these preferences ({kind: bool},
    only the kinds they changed): kinds that need action do, unless turned off."""
    kind = kinds.KINDS[kind_name]
    return kind.sms and preferences.get(kind_name, True)


def effective_preferences(stored):
    """Every SMS kind with its setting: stored ones as set, the others on."""
    return {name: stored.get(name, True) for name in kinds.SMS_KINDS}


# --- follow-up reminders (Asia/Shanghai dates) ---------------------------------------------------------------

REMINDERS = (("activity_followup_due_3d", 3), ("activity_followup_due_1d", 1))


def followup_reminders_due(deadline, today):
    """The follow-up reminder kinds due on `today` for materials due on `deadline` (both Asia/Shanghai
    dates): 3 days and 1 day before, and "missed" the day after. A job that runs late still sends the
    latest that applies and never one for a day already past (one message per stage, de-duplicated by the
    caller's unique key)."""
    if not isinstance(deadline, date) or not isinstance(today, date):
        raise TypeError("dates expected")
    days_left = (deadline - today).days
    if days_left < 0:
        return ["activity_followup_missed"]
    for name, days in sorted(REMINDERS, key=lambda r: r[1]):
        if days_left <= days:
            return [name]
    return []
