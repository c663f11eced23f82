"""Where the poster pre-check keeps its results (activities' database): each poster's text, once per upload,
and each activity version's checklist; and who may read a checklist. The rules are in poster_check.py, the
reading in poster_ocr.py, the job in service.py."""
import uuid

import psycopg2.extras

from kepu_common.interfaces.errors import Forbidden
from services.activities import catalogue, followups, poster_check


def version(cur, activity_id, revision):
    """(the activity version's content, its poster) or None for a version that does not exist."""
    cur.execute("SELECT data FROM activity_versions WHERE activity_id = %s AND revision = %s",
                (str(activity_id), revision))
    row = cur.fetchone()
    return row[0] if row else None


def is_checked(cur, activity_id, revision):
    cur.execute("SELECT 1 FROM poster_checks WHERE activity_id = %s AND revision = %s", (str(activity_id), revision))
    return cur.fetchone() is not None


def text_key(poster):
    """Text is read once per content: the same picture uploaded again is not read again."""
    return poster.get("sha256") or str(poster["upload_id"])


def text_of(cur, key):
    """What was read off this poster's content before: {"state", "reason", "lines"} or None."""
    cur.execute("SELECT state, reason, lines FROM poster_texts WHERE poster_key = %s", (key,))
    row = cur.fetchone()
    return {"state": row[0], "reason": row[1], "lines": list(row[2])} if row else None


def save_text(cur, key, text):
    """A missing file says nothing of the content: only what the content itself gave is kept."""
    if text["reason"] == "poster_missing":
        return
    cur.execute("INSERT INTO poster_texts (poster_key, state, reason, lines) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (poster_key) DO NOTHING",
                (key, text["state"], text["reason"], psycopg2.extras.Json(text["lines"])))


def checklist_for(content, text):
    """The checklist of an activity version (its content) against its poster's text."""
    if text["state"] != "read":
        return poster_check.unreadable(text["reason"])
    if not text["lines"]:
        return poster_check.unreadable("no_text")
    return poster_check.checklist(text["lines"], content)


def save_check(cur, activity_id, revision, upload_id, checklist):
    """Once per version: a redelivered event changes nothing."""
    cur.execute("INSERT INTO poster_checks (activity_id, revision, upload_id, checklist) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (activity_id, revision) DO NOTHING",
                (str(activity_id), revision, str(upload_id), psycopg2.extras.Json(checklist)))


def check_of(cur, user_id, activity_id, revision=None):
    """The checklist of a version (the last submitted one by default) for whoever may see the activity's
    evidence (followups.viewers_reason: its owner, the supervising unit's admins, the route's reviewers,
    platform admins): {activity_id, revision, checked_at, ...checklist}; pending while the job has not
    read the poster yet."""
    activity = catalogue.get(cur, activity_id)
    if followups.viewers_reason(cur, user_id, activity) is None:
        raise Forbidden("poster_check_not_allowed", {"activity_id": "poster_check_not_yours"},
                        details={"required_roles": ["org_admin", "reviewer", "platform_admin"]})
    revision = revision or activity["revision"]
    cur.execute("SELECT checklist, checked_at FROM poster_checks WHERE activity_id = %s AND revision = %s",
                (str(activity["id"]), revision))
    row = cur.fetchone()
    checklist, checked_at = (row[0], row[1]) if row else (poster_check.pending(), None)
    return dict(checklist, activity_id=uuid.UUID(str(activity["id"])), revision=revision, checked_at=checked_at)
