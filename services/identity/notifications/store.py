"""The SQL of notifications: the inbox, preferences, the SMS queue and log, and remembered names. Plain functions
over a cursor; the caller owns the transaction."""
import uuid

import psycopg2.extras

from kepu_common.interfaces.errors import NotFound
from services.identity.notifications import kinds

RETENTION_DAYS = 180


# --- who and what ------------------------------------------------------------------------------------------------

def org_admins(cur, org_id):
    cur.execute("SELECT user_id FROM user_roles WHERE role = 'org_admin' AND scope = %s ORDER BY user_id",
                (str(org_id),))
    return [str(row[0]) for row in cur.fetchall()]


def remember_name(cur, subject_type, subject_id, name, org_id=None):
    cur.execute("INSERT INTO notification_subjects (subject_type, subject_id, name, org_id) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (subject_type, subject_id) DO UPDATE SET name = EXCLUDED.name, "
                "org_id = coalesce(EXCLUDED.org_id, notification_subjects.org_id), updated_at = now()",
                (subject_type, str(subject_id), name, org_id))


def org_of(cur, subject_type, subject_id):
    cur.execute("SELECT org_id FROM notification_subjects WHERE subject_type = %s AND subject_id = %s",
                (subject_type, str(subject_id)))
    row = cur.fetchone()
    return row[0] if row else None


def name_of(cur, subject_type, subject_id):
    if subject_type == "organization":  # identity's own
        cur.execute("SELECT name FROM organizations WHERE id = %s", (str(subject_id),))
    else:
        cur.execute("SELECT name FROM notification_subjects WHERE subject_type = %s AND subject_id = %s",
                    (subject_type, str(subject_id)))
    row = cur.fetchone()
    return row[0] if row and row[0] else ""


def remember_reason(cur, subject_type, subject_id, stage, reason, kind):
    """A rejection's reason by stage; a notification of `kind` already written without it gets it now."""
    cur.execute("INSERT INTO notification_subjects (subject_type, subject_id, reasons) VALUES (%s, %s, %s) "
                "ON CONFLICT (subject_type, subject_id) DO UPDATE "
                "SET reasons = notification_subjects.reasons || EXCLUDED.reasons, updated_at = now()",
                (subject_type, str(subject_id), psycopg2.extras.Json({stage: reason})))
    if reason:
        cur.execute("UPDATE notifications SET params = jsonb_set(params, '{reason}', to_jsonb(%s::text)) "
                    "WHERE params ? 'resource_id' AND params->>'resource_id' = %s AND kind = %s "
                    "AND coalesce(params->>'reason', '') = ''", (reason, str(subject_id), kind))


def reason_of(cur, subject_type, subject_id, stage):
    cur.execute("SELECT reasons->>%s FROM notification_subjects WHERE subject_type = %s AND subject_id = %s",
                (stage, subject_type, str(subject_id)))
    row = cur.fetchone()
    return row[0] if row and row[0] else ""


# --- the inbox ---------------------------------------------------------------------------------------------------

def insert(cur, user_id, event_id, kind_name, params, link):
    """The new notification's id, or None when this person already has it for this event (a redelivery) or no
    longer has an account (nothing to tell)."""
    cur.execute(
        "INSERT INTO notifications (id, user_id, event_id, kind, params, link) "
        "SELECT %s, id, %s, %s, %s, %s FROM users WHERE id = %s "
        "ON CONFLICT (user_id, event_id, kind) DO NOTHING RETURNING id",
        (uuid.uuid4(), str(event_id), kind_name, psycopg2.extras.Json(params), psycopg2.extras.Json(link),
         str(user_id)))
    row = cur.fetchone()
    return row[0] if row else None


_COLUMNS = ("id", "kind", "params", "link", "created_at", "read_at")


def page(cur, user_id, page, page_size, unread_only=False):
    """One page of a person's inbox, newest first, with has_more, total and unread. A page past the end is
    empty (has_more false), as every list of the API."""
    unread_clause = " AND read_at IS NULL" if unread_only else ""
    cur.execute(f"SELECT {', '.join(_COLUMNS)} FROM notifications WHERE user_id = %s{unread_clause} "
                "ORDER BY created_at DESC, id DESC LIMIT %s OFFSET %s",
                (str(user_id), page_size + 1, (page - 1) * page_size))
    rows = [dict(zip(_COLUMNS, row)) for row in cur.fetchall()]
    cur.execute("SELECT count(*), count(*) FILTER (WHERE read_at IS NULL) FROM notifications WHERE user_id = %s",
                (str(user_id),))
    total, unread = cur.fetchone()
    return {"items": rows[:page_size], "page": page, "page_size": page_size, "has_more": len(rows) > page_size,
            "total": unread if unread_only else total, "unread": unread}


def unread_count(cur, user_id):
    cur.execute("SELECT count(*) FROM notifications WHERE user_id = %s AND read_at IS NULL", (str(user_id),))
    return cur.fetchone()[0]


def mark_read(cur, user_id, ids):
    """Mark a person's notifications read; any id that is not one of theirs refuses the whole request (nothing
    is marked), naming the ids. Marking one already read again changes nothing."""
    wanted = sorted({str(i) for i in ids})
    cur.execute("SELECT id::text FROM notifications WHERE user_id = %s AND id = ANY(%s::uuid[])",
                (str(user_id), wanted))
    found = {row[0] for row in cur.fetchall()}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise NotFound("notification_not_found", {"ids": "notification_not_found"}, details={"ids": missing})
    cur.execute("UPDATE notifications SET read_at = now() WHERE user_id = %s AND id = ANY(%s::uuid[]) "
                "AND read_at IS NULL", (str(user_id), wanted))
    return cur.rowcount


def mark_all_read(cur, user_id):
    cur.execute("UPDATE notifications SET read_at = now() WHERE user_id = %s AND read_at IS NULL", (str(user_id),))
    return cur.rowcount


def purge_read(cur, days=RETENTION_DAYS):
    """Read notifications older than `days` (by when they were written), and the SMS log of the same age."""
    cur.execute("DELETE FROM notifications WHERE read_at IS NOT NULL AND created_at < now() - make_interval(days => %s)",
                (days,))
    deleted = cur.rowcount
    cur.execute("DELETE FROM notification_sms WHERE status <> 'pending' AND created_at < now() - make_interval(days => %s)",
                (days,))
    return deleted


# --- preferences -------------------------------------------------------------------------------------------------

def preferences(cur, user_id):
    cur.execute("SELECT kind, sms FROM notification_preferences WHERE user_id = %s", (str(user_id),))
    return {kind: sms for kind, sms in cur.fetchall() if kind in kinds.KINDS}


def set_preferences(cur, user_id, changes):
    for kind, sms in changes.items():
        cur.execute("INSERT INTO notification_preferences (user_id, kind, sms) VALUES (%s, %s, %s) "
                    "ON CONFLICT (user_id, kind) DO UPDATE SET sms = EXCLUDED.sms, updated_at = now()",
                    (str(user_id), kind, sms))


# --- the SMS queue and log ---------------------------------------------------------------------------------------

def enqueue_sms(cur, notification_id, user_id, kind_name, template_code, params, due_at):
    cur.execute("INSERT INTO notification_sms (notification_id, user_id, kind, template_code, params, next_attempt_at) "
                "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (notification_id) DO NOTHING",
                (notification_id, str(user_id), kind_name, template_code, psycopg2.extras.Json(params), due_at))


_SMS = ("id", "notification_id", "user_id", "kind", "template_code", "params", "attempts")


def claim_due_sms(cur, now, limit):
    """Due messages, locked for this transaction (another instance skips them)."""
    cur.execute(f"SELECT {', '.join(_SMS)} FROM notification_sms WHERE status = 'pending' AND next_attempt_at <= %s "
                "ORDER BY next_attempt_at, id LIMIT %s FOR UPDATE SKIP LOCKED", (now, limit))
    return [dict(zip(_SMS, row)) for row in cur.fetchall()]


def phone_of(cur, vault, user_id):
    """(the phone, opened from its ciphertext, and its masked form), or None when the account is gone."""
    cur.execute("SELECT id, phone_sealed, phone_masked FROM users WHERE id = %s", (str(user_id),))
    row = cur.fetchone()
    return (vault.open(row[1], row[0]), row[2]) if row else None


def sent_since(cur, user_id, since):
    cur.execute("SELECT count(*) FROM notification_sms WHERE user_id = %s AND status = 'sent' AND sent_at >= %s",
                (str(user_id), since))
    return cur.fetchone()[0]


def sms_sent(cur, sms_id, phone_masked, now):
    cur.execute("UPDATE notification_sms SET status = 'sent', sent_at = %s, phone_masked = %s, attempts = attempts + 1, "
                "last_error = NULL WHERE id = %s", (now, phone_masked, sms_id))


def sms_failed(cur, sms_id, phone_masked, error, retry_at):
    """A failed attempt: tried again at retry_at, or dead-lettered when retry_at is None."""
    cur.execute("UPDATE notification_sms SET attempts = attempts + 1, last_error = %s, phone_masked = %s, "
                "status = CASE WHEN %s::timestamptz IS NULL THEN 'dead' ELSE status END, "
                "next_attempt_at = coalesce(%s::timestamptz, next_attempt_at) WHERE id = %s",
                (error[:500], phone_masked, retry_at, retry_at, sms_id))


def sms_skipped(cur, sms_id, reason, phone_masked=None):
    cur.execute("UPDATE notification_sms SET status = 'skipped', skip_reason = %s, phone_masked = %s WHERE id = %s",
                (reason, phone_masked, sms_id))


def sms_held(cur, sms_id, until):
    cur.execute("UPDATE notification_sms SET next_attempt_at = %s WHERE id = %s", (until, sms_id))


def sms_counts(cur):
    """(dead-lettered, pending) messages: the gauges ops watch."""
    cur.execute("SELECT count(*) FILTER (WHERE status = 'dead'), count(*) FILTER (WHERE status = 'pending') "
                "FROM notification_sms WHERE status IN ('dead', 'pending')")
    return cur.fetchone()


# --- follow-up reminders -----------------------------------------------------------------------------------------

def track_followup(cur, activity_id, org_id):
    """An approved activity: its follow-up deadline is watched (again, after an edit was approved)."""
    cur.execute("INSERT INTO notification_followups (activity_id, org_id) VALUES (%s, %s) "
                "ON CONFLICT (activity_id) DO UPDATE SET checked_at = NULL", (str(activity_id), str(org_id)))


def followup_submitted(cur, activity_id, org_id):
    """Materials handed in; arriving before the approval's event (another queue), it still counts."""
    cur.execute("INSERT INTO notification_followups (activity_id, org_id, submitted) VALUES (%s, %s, true) "
                "ON CONFLICT (activity_id) DO UPDATE SET submitted = true", (str(activity_id), str(org_id)))


def followup_moved(cur, activity_id, org_id):
    """The deadline was extended: unknown until asked again (the next reminder run asks at once), so an activity
    whose old deadline passed is open again and reminded for the new one (reminders are keyed by deadline)."""
    cur.execute("INSERT INTO notification_followups (activity_id, org_id) VALUES (%s, %s) "
                "ON CONFLICT (activity_id) DO UPDATE SET deadline = NULL, checked_at = NULL",
                (str(activity_id), str(org_id)))


_FOLLOWUP = ("activity_id", "org_id", "deadline", "last_reminder", "checked_at")


def open_followups(cur, today, limit=500):
    """Activities whose materials are not in and whose deadline is unknown, ahead, or passed a day ago at most."""
    cur.execute(f"SELECT {', '.join(_FOLLOWUP)} FROM notification_followups WHERE NOT submitted "
                "AND (deadline IS NULL OR deadline >= %s - 1) ORDER BY activity_id LIMIT %s", (today, limit))
    return [dict(zip(_FOLLOWUP, row)) for row in cur.fetchall()]


def followup_checked(cur, activity_id, deadline, submitted, now):
    cur.execute("UPDATE notification_followups SET deadline = %s, submitted = submitted OR %s, checked_at = %s "
                "WHERE activity_id = %s", (deadline, submitted, now, str(activity_id)))


def followup_reminded(cur, activity_id, reminder):
    cur.execute("UPDATE notification_followups SET last_reminder = %s WHERE activity_id = %s",
                (reminder, str(activity_id)))
