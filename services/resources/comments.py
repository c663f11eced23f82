"""Comments (threaded one level deep), likes, reports, the moderation audit trail, favorites and channels.
Plain functions over a cursor; the rules are social_rules'."""
import uuid

from kepu_common.interfaces.errors import Conflict, NotFound
from services.resources import social_rules

SUBJECT_COMMENT = "comment"
SUBJECT_REPORT = "content_report"
_COLUMNS = ("id", "target_type", "target_id", "parent_id", "author_id", "author_name", "body", "status", "held_words",
            "likes", "replies", "created_at")
C_SQL = ", ".join(_COLUMNS)
# the fixed channels of the top navigation (Kepu China's guide), before the resource topics
FIXED_CHANNELS = ("关注", "头条", "推荐", "科学防疫", "辟谣", "健康")
DEFAULT_CHANNELS = FIXED_CHANNELS


def _comment(row):
    return dict(zip(_COLUMNS, row))


def get(cur, comment_id, lock=False):
    cur.execute(f"SELECT {C_SQL} FROM comments WHERE id = %s" + (" FOR UPDATE" if lock else ""), (str(comment_id),))
    row = cur.fetchone()
    if row is None:
        raise NotFound("comment_not_found", {"comment_id": "comment_unknown"})
    return _comment(row)


def recent(cur, user_id):
    cur.execute("SELECT count(*) FROM comments WHERE author_id = %s AND created_at > now() - interval '1 minute'",
                (str(user_id),))
    return cur.fetchone()[0]


def create(cur, target_type, target_id, parent, user_id, author_name, body, held_words):
    comment_id = uuid.uuid4()
    status = "held" if held_words else "published"
    cur.execute(f"INSERT INTO comments (id, target_type, target_id, parent_id, author_id, author_name, body, status, "
                f"held_words) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (str(comment_id), target_type, str(target_id), parent and str(parent["id"]), str(user_id),
                 social_rules.mask_name(author_name) or "科普用户", body, status, held_words))
    if status == "published":
        counted(cur, get(cur, comment_id), 1)
    return get(cur, comment_id)


def counted(cur, comment, step):
    """A comment appearing (step 1) or disappearing (-1) moves its parent's reply count or its post's count."""
    if comment["parent_id"] is not None:
        cur.execute("UPDATE comments SET replies = greatest(replies + %s, 0) WHERE id = %s",
                    (step, str(comment["parent_id"])))
    if comment["target_type"] == "post":
        cur.execute("UPDATE community_posts SET comments = greatest(comments + %s, 0) WHERE id = %s",
                    (step, str(comment["target_id"])))


def set_status(cur, comment, status):
    cur.execute("UPDATE comments SET status = %s WHERE id = %s", (status, str(comment["id"])))
    if comment["status"] == "published" and status != "published":
        counted(cur, comment, -1)
    elif comment["status"] != "published" and status == "published":
        counted(cur, comment, 1)
    return get(cur, comment["id"])


def page(cur, target_type, target_id, order, limit, offset):
    """A target's published top-level comments, newest or most liked first, each with its 3 oldest replies."""
    by = "likes DESC, created_at DESC, id DESC" if order == "hottest" else "created_at DESC, id DESC"
    cur.execute(f"SELECT {C_SQL} FROM comments WHERE target_type = %s AND target_id = %s AND status = 'published' "
                f"AND parent_id IS NULL ORDER BY {by} LIMIT %s OFFSET %s", (target_type, str(target_id), limit + 1, offset))
    items = [_comment(r) for r in cur.fetchall()]
    more, items = len(items) > limit, items[:limit]
    with_replies = [c["id"] for c in items if c["replies"]]
    replies = {}
    if with_replies:
        cur.execute(f"SELECT {C_SQL} FROM (SELECT *, row_number() OVER (PARTITION BY parent_id ORDER BY created_at, id) "
                    f"AS n FROM comments WHERE parent_id = ANY(%s::uuid[]) AND status = 'published') r WHERE n <= 3 "
                    f"ORDER BY created_at, id", ([str(i) for i in with_replies],))
        for row in cur.fetchall():
            reply = _comment(row)
            replies.setdefault(reply["parent_id"], []).append(reply)
    for comment in items:
        comment["latest_replies"] = replies.get(comment["id"], [])
    return items, more


def replies_page(cur, parent_id, limit, offset):
    cur.execute(f"SELECT {C_SQL} FROM comments WHERE parent_id = %s AND status = 'published' "
                f"ORDER BY created_at, id LIMIT %s OFFSET %s", (str(parent_id), limit + 1, offset))
    rows = [_comment(r) for r in cur.fetchall()]
    return rows[:limit], len(rows) > limit


# --- likes ------------------------------------------------------------------------------------------
_LIKED_TABLE = {"comment": "comments", "post": "community_posts"}


def like(cur, subject_type, subject_id, user_id):
    """Liking twice is refused (already_liked); nothing changes."""
    cur.execute("INSERT INTO likes (subject_type, subject_id, user_id) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                (subject_type, str(subject_id), str(user_id)))
    if cur.rowcount == 0:
        raise Conflict("already_liked", {"subject_id": "already_liked"})
    cur.execute(f"UPDATE {_LIKED_TABLE[subject_type]} SET likes = likes + 1 WHERE id = %s RETURNING likes",
                (str(subject_id),))
    return cur.fetchone()[0]


def unlike(cur, subject_type, subject_id, user_id):
    cur.execute("DELETE FROM likes WHERE subject_type = %s AND subject_id = %s AND user_id = %s",
                (subject_type, str(subject_id), str(user_id)))
    step = -cur.rowcount
    cur.execute(f"UPDATE {_LIKED_TABLE[subject_type]} SET likes = greatest(likes + %s, 0) WHERE id = %s RETURNING likes",
                (step, str(subject_id)))
    return cur.fetchone()[0]


# --- reports and the audit trail ---------------------------------------------------------------
def report(cur, subject_type, subject_id, reporter_id, reason):
    report_id = uuid.uuid4()
    cur.execute("INSERT INTO content_reports (id, subject_type, subject_id, reporter_id, reason) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING id, subject_type, subject_id, status, "
                "created_at", (str(report_id), subject_type, str(subject_id), str(reporter_id), reason))
    row = cur.fetchone()
    if row is None:
        raise Conflict("already_reported", {"subject_id": "already_reported"})
    return dict(zip(("id", "subject_type", "subject_id", "status", "created_at"), row))


def get_report(cur, report_id, lock=False):
    cur.execute("SELECT id, subject_type, subject_id, status, created_at, reason FROM content_reports WHERE id = %s"
                + (" FOR UPDATE" if lock else ""), (str(report_id),))
    row = cur.fetchone()
    if row is None:
        raise NotFound("report_not_found", {"report_id": "report_unknown"})
    return dict(zip(("id", "subject_type", "subject_id", "status", "created_at", "reason"), row))


def close_reports(cur, subject_type, subject_id, status):
    cur.execute("UPDATE content_reports SET status = %s WHERE subject_type = %s AND subject_id = %s AND status = 'open'",
                (status, subject_type, str(subject_id)))


def log(cur, subject_type, subject_id, action, actor_id=None, reason=""):
    cur.execute("INSERT INTO moderation_log (subject_type, subject_id, action, actor_id, reason) "
                "VALUES (%s, %s, %s, %s, %s)", (subject_type, str(subject_id), action,
                                                 str(actor_id) if actor_id else None, reason or ""))


def audit(cur, subject_type, subject_id):
    cur.execute("SELECT action, actor_id, reason, at FROM moderation_log WHERE subject_type = %s AND subject_id = %s "
                "ORDER BY id", (subject_type, str(subject_id)))
    return [dict(zip(("action", "actor_id", "reason", "at"), r)) for r in cur.fetchall()]


# --- favorites ------------------------------------------------------------------------------------
def favorite(cur, user_id, target_type, target_id, title):
    cur.execute("INSERT INTO favorites (user_id, target_type, target_id, title) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT DO NOTHING", (str(user_id), target_type, str(target_id), title))
    return cur.rowcount == 1


def unfavorite(cur, user_id, target_type, target_id):
    cur.execute("DELETE FROM favorites WHERE user_id = %s AND target_type = %s AND target_id = %s",
                (str(user_id), target_type, str(target_id)))
    return cur.rowcount == 1


def favorites(cur, user_id, target_type, limit, offset):
    cur.execute("SELECT target_type, target_id, title, created_at FROM favorites WHERE user_id = %s AND target_type = %s "
                "ORDER BY created_at DESC, target_id LIMIT %s OFFSET %s", (str(user_id), target_type, limit + 1, offset))
    rows = [dict(zip(("target_type", "target_id", "title", "created_at"), r)) for r in cur.fetchall()]
    return rows[:limit], len(rows) > limit


# --- channels --------------------------------------------------------------------------------------
def available_channels(cur, limit=50):
    """The fixed channels, then the topics of published resources (most used first)."""
    cur.execute("SELECT t FROM (SELECT unnest(topics) AS t FROM resources WHERE status = 'published') x "
                "GROUP BY t ORDER BY count(*) DESC, t LIMIT %s", (limit,))
    topics = [r[0] for r in cur.fetchall()]
    return list(FIXED_CHANNELS) + [t for t in topics if t not in FIXED_CHANNELS]


def chosen_channels(cur, user_id):
    cur.execute("SELECT channels FROM user_channels WHERE user_id = %s", (str(user_id),))
    row = cur.fetchone()
    return list(row[0]) if row else list(DEFAULT_CHANNELS)


def save_channels(cur, user_id, channels):
    cur.execute("INSERT INTO user_channels (user_id, channels) VALUES (%s, %s) ON CONFLICT (user_id) DO UPDATE "
                "SET channels = EXCLUDED.channels, updated_at = now()", (str(user_id), channels))
