"""Follow-up deadline reminders (3 days and 1 day before, Asia/Shanghai, and missed), a scheduled job.

No event carries an activity's follow-up deadline (it is the activity's end date in Asia/Shanghai plus its
campaign's summary_days, both activities' own), so identity tracks approved activities from activity_approved,
stops at activity_followup_submitted, and asks activities for the deadline over RPC (`get_followup`, as one of
the organization's admins, who may read it), re-asking every NOTIFICATIONS.followup_recheck_seconds since an
edit may move it. Each reminder is written once per activity, kind and deadline: its event id is derived from
those (uuid5), so the inbox's unique key makes a second run, a second instance or a restart write nothing. A
moved deadline is a new deadline and is reminded again.
"""
import logging
import uuid
from datetime import date

from services.identity.notifications import deliver, rules, store

log = logging.getLogger(__name__)

REMINDER_NAMESPACE = uuid.UUID("5b0f2a8e-4c1d-4f5e-9a37-0d2c6b1e7f10")


def reminder_event_id(activity_id, kind, deadline):
    return uuid.uuid5(REMINDER_NAMESPACE, f"{activity_id}:{kind}:{deadline.isoformat()}")


def refresh(db, ask_deadline, recheck_seconds, now, today):
    """Ask activities for the deadlines not known or not checked lately; returns how many were refreshed.
    ask_deadline(user_id, activity_id) -> (deadline date, submitted) or raises (logged, tried next run)."""
    with db, db.cursor() as cur:
        rows = [row for row in store.open_followups(cur, today)
                if row["checked_at"] is None or (now - row["checked_at"]).total_seconds() >= recheck_seconds]
        admins = {row["activity_id"]: store.org_admins(cur, row["org_id"]) for row in rows}
    refreshed = 0
    for row in rows:
        if not admins[row["activity_id"]]:
            continue  # nobody administers the organization now: nobody to remind either
        try:
            deadline, submitted = ask_deadline(admins[row["activity_id"]][0], row["activity_id"])
        except Exception as exc:  # activities away or refusing: the row waits for the next run
            log.warning("follow-up deadline of activity %s unavailable: %s", row["activity_id"], exc)
            continue
        with db, db.cursor() as cur:
            store.followup_checked(cur, row["activity_id"], deadline, submitted, now)
        refreshed += 1
    return refreshed


def remind(cur, config, metrics, now, today):
    """Write the reminders due today; returns [(user_id, notification)] written."""
    written = []
    for row in store.open_followups(cur, today):
        if row["deadline"] is None:
            continue
        for kind in rules.followup_reminders_due(row["deadline"], today):
            marker = f"{kind}:{row['deadline'].isoformat()}"
            if row["last_reminder"] == marker:
                continue
            params = {"activity_id": row["activity_id"], "title": store.name_of(cur, "activity", row["activity_id"]),
                      "deadline": row["deadline"].isoformat()}
            event = {"event_id": reminder_event_id(row["activity_id"], kind, row["deadline"])}
            for user_id in store.org_admins(cur, row["org_id"]):
                notification = deliver.write(cur, event, kind, params, user_id, config, now)
                if notification is not None:
                    written.append((user_id, notification))
                    if metrics is not None:
                        metrics.notifications.labels(metrics.service, kind).inc()
            store.followup_reminded(cur, row["activity_id"], marker)
    return written


def parse_followup(answer):
    """(deadline, submitted) from activities' get_followup answer."""
    return date.fromisoformat(str(answer["deadline"])[:10]), answer.get("status") == "submitted"
