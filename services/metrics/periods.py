"""Asia/Shanghai days and the periods statistics are read over. Pure: no I/O."""
from datetime import date, datetime, time, timedelta, timezone

from services.metrics.constants import SHANGHAI

PERIODS = ("day", "week", "campaign", "total")


def shanghai_day(moment):
    """The Asia/Shanghai date of an aware datetime."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(SHANGHAI).date()


def day_start(day):
    """00:00 Asia/Shanghai of day, in UTC."""
    return datetime.combine(day, time(0), SHANGHAI).astimezone(timezone.utc)


def as_of(now):
    """Statistics are as of today's 00:00 Asia/Shanghai: (that instant in UTC, the last day they include)."""
    today = shanghai_day(now)
    return day_start(today), today - timedelta(days=1)


def period_days(period, last_day, campaign=None):
    """The first and last day (inclusive) a period covers when statistics include days up to last_day.

    day: last_day alone; week: Monday of last_day's week to last_day; campaign: the campaign's window,
    cut at last_day (None if it has not started); total: everything up to last_day."""
    if period == "day":
        return last_day, last_day
    if period == "week":
        return last_day - timedelta(days=last_day.weekday()), last_day
    if period == "campaign":
        if campaign is None:
            raise ValueError("campaign period without a campaign")
        if campaign["starts_on"] > last_day:
            return None
        return campaign["starts_on"], min(campaign["ends_on"], last_day)
    if period == "total":
        return date.min, last_day
    raise ValueError(f"unknown period {period!r}")


def next_midnight(now):
    """The next 00:00 Asia/Shanghai after now, in UTC."""
    return day_start(shanghai_day(now) + timedelta(days=1))
