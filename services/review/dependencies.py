"""The review service's settings, read once when it starts: claim lifetime and service levels (sla.py)."""
import json
from datetime import timedelta

from nameko.extensions import DependencyProvider

from services.review import sla


class ReviewSettings:
    def __init__(self, settings):
        settings = settings or {}
        self.claim_ttl = timedelta(minutes=float(settings.get("claim_minutes") or 15))
        self.long_claim = timedelta(minutes=float(settings.get("long_claim_minutes") or
                                                  sla.LONG_CLAIM.total_seconds() / 60))
        targets = settings.get("sla_hours") or {}
        if isinstance(targets, str):
            targets = json.loads(targets)  # REVIEW_SLA_HOURS='{"national": 24, "activity:provincial": 4}'
        if not isinstance(targets, dict) or not all(float(hours) > 0 for hours in targets.values()):
            raise ValueError("REVIEW.sla_hours must map stages (or kind:stage) to positive hours")
        self.sla_hours = {str(key): float(hours) for key, hours in targets.items()}
        # a State Council notice the holidays package does not have yet: REVIEW_HOLIDAYS / REVIEW_WORKDAYS
        extra_holidays = sla.parse_days(settings.get("holidays"), "holidays")
        extra_workdays = sla.parse_days(settings.get("workdays"), "workdays")
        self.calendar = (sla.WorkingCalendar(sla.CHINA.public, extra_holidays, extra_workdays)
                         if extra_holidays or extra_workdays else sla.CHINA)

    def target_hours(self, subject_type, stage):
        return sla.target_hours(subject_type, stage, self.sla_hours)

    def due_at(self, subject_type, stage, requested_at):
        return sla.due_at(requested_at, self.target_hours(subject_type, stage), self.calendar)


class Settings(DependencyProvider):
    def setup(self):
        self.settings = ReviewSettings(self.container.config.get("REVIEW"))

    def get_dependency(self, worker_ctx):
        return self.settings
