"""Communities (社团): creation and review, membership, posts (动态), the home page, member ranking and the
「社团精彩」 feed. Plain functions over a cursor; the rules are social_rules', the word check
sensitive_words'. Events and review requests are the service's (services/resources/social_service.py)."""
import uuid

import psycopg2.errors
from psycopg2.extras import Json

from kepu_common.interfaces.errors import Conflict, InvalidInput, NotFound
from services.resources import social_rules, upload_rules

SUBJECT_COMMUNITY = "community"
SUBJECT_POST = "community_post"
POST_VIDEO_SECONDS = 300  # 短视频: at most 5 minutes

_C_COLUMNS = ("id", "name", "intro", "rules", "region_code", "topic", "cover_key", "creator_id", "status",
              "review_comment", "members", "created_at")
_P_COLUMNS = ("id", "community_id", "author_id", "author_name", "body", "media", "status", "held_words",
              "pinned_at", "likes", "comments", "created_at", "published_at")
P_SQL = ", ".join(f"p.{c}" for c in _P_COLUMNS)


# --- communities ------------------------------------------------------------------------------------
def _community(row):
    return dict(zip(_C_COLUMNS, row))


def create(cur, user_id, data, cover):
    name = social_rules.check_name(data["name"])
    community_id = uuid.uuid4()
    try:
        cur.execute("SAVEPOINT community_name")
        cur.execute(
            "INSERT INTO communities (id, name, name_key, intro, rules, region_code, topic, cover_upload_id, cover_key, "
            "creator_id, status) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'pending')",
            (str(community_id), name, social_rules.name_key(name), data["intro"].strip(), data["rules"].strip(),
             data["region_code"], data["topic"].strip(), cover and str(cover["id"]), cover and cover["object_key"],
             str(user_id)))
    except psycopg2.errors.UniqueViolation:
        cur.execute("ROLLBACK TO SAVEPOINT community_name")
        raise Conflict("community_name_taken", {"name": "name_taken"}) from None
    cur.execute("INSERT INTO community_members (community_id, user_id, name, role) VALUES (%s, %s, %s, 'admin')",
                (str(community_id), str(user_id), social_rules.mask_name(data.get("creator_name")) or "科普用户"))
    cur.execute("UPDATE communities SET members = 1 WHERE id = %s", (str(community_id),))
    return get(cur, community_id)


def get(cur, community_id, lock=False):
    cur.execute(f"SELECT {', '.join(_C_COLUMNS)} FROM communities WHERE id = %s" + (" FOR UPDATE" if lock else ""),
                (str(community_id),))
    row = cur.fetchone()
    if row is None:
        raise NotFound("community_not_found", {"community_id": "community_unknown"})
    return _community(row)


def visible(cur, community_id, user_id, platform_admin=False):
    """An approved community is public; one in review or rejected is seen by its members (its creator)."""
    community = get(cur, community_id)
    if community["status"] != "approved" and not platform_admin and role_of(cur, community_id, user_id) is None:
        raise NotFound("community_not_found", {"community_id": "community_unknown"})
    return community


def require_approved(community):
    if community["status"] != "approved":
        raise Conflict("community_not_approved", {"community_id": f"community_{community['status']}"})


def listing(cur, user_id, topic, region_code, mine, limit, offset):
    clauses, args = ["c.status = 'approved'"], []
    if mine:
        clauses = ["m.user_id IS NOT NULL"]
    if topic:
        clauses.append("c.topic = %s")
        args.append(topic)
    if region_code:
        clauses.append("c.region_code = %s")
        args.append(region_code)
    cur.execute(
        f"SELECT {', '.join('c.' + c for c in _C_COLUMNS)}, m.role FROM communities c "
        f"LEFT JOIN community_members m ON m.community_id = c.id AND m.user_id = %s "
        f"WHERE {' AND '.join(clauses)} ORDER BY c.members DESC, c.created_at DESC, c.id LIMIT %s OFFSET %s",
        [str(user_id) if user_id else None] + args + [limit + 1, offset])
    rows = cur.fetchall()
    return [dict(_community(r[:-1]), my_role=r[-1]) for r in rows[:limit]], len(rows) > limit


def apply_decision(cur, event):
    """A review decision on a community in review; None when stale (redelivered, or decided already)."""
    community = get(cur, event["subject_id"], lock=True)
    if community["status"] != "pending":
        return None
    status = "approved" if event["decision"] == "approved" else "rejected"
    cur.execute("UPDATE communities SET status = %s, review_comment = %s, decided_at = now() WHERE id = %s",
                (status, event.get("comment") or "", str(community["id"])))
    return get(cur, community["id"])


def review_snapshot(community, cover_type=None):
    files = []
    if community["cover_key"]:
        files.append({"label": "封面", "purpose": "resources", "key": community["cover_key"],
                      "content_type": cover_type or "image/jpeg", "kind": "image"})
    return {"community_name": community["name"], "intro": community["intro"], "rules": community["rules"],
            "region_code": community["region_code"], "topic": community["topic"], "files": files}


# --- members -------------------------------------------------------------------------------------------
def role_of(cur, community_id, user_id):
    if user_id is None:
        return None
    cur.execute("SELECT role FROM community_members WHERE community_id = %s AND user_id = %s",
                (str(community_id), str(user_id)))
    row = cur.fetchone()
    return row[0] if row else None


def join(cur, community, user_id, name):
    require_approved(community)
    cur.execute("INSERT INTO community_members (community_id, user_id, name, role) VALUES (%s, %s, %s, 'member') "
                "ON CONFLICT DO NOTHING", (str(community["id"]), str(user_id),
                                           social_rules.mask_name(name) or "科普用户"))
    joined = cur.rowcount == 1
    if joined:
        cur.execute("UPDATE communities SET members = members + 1 WHERE id = %s", (str(community["id"]),))
    return joined


def _admins(cur, community_id):
    cur.execute("SELECT count(*) FROM community_members WHERE community_id = %s AND role = 'admin'",
                (str(community_id),))
    return cur.fetchone()[0]


def leave(cur, community_id, user_id):
    role = role_of(cur, community_id, user_id)
    social_rules.check_leave(role, _admins(cur, community_id) if role == "admin" else 0)
    _drop_member(cur, community_id, user_id)


def remove(cur, community_id, actor_id, user_id, platform_admin=False):
    social_rules.require_admin(role_of(cur, community_id, actor_id), platform_admin)
    social_rules.check_removal("admin", role_of(cur, community_id, user_id))
    _drop_member(cur, community_id, user_id)


def _drop_member(cur, community_id, user_id):
    cur.execute("DELETE FROM community_members WHERE community_id = %s AND user_id = %s",
                (str(community_id), str(user_id)))
    cur.execute("UPDATE communities SET members = members - 1 WHERE id = %s", (str(community_id),))


def set_role(cur, community_id, actor_id, user_id, role, platform_admin=False):
    social_rules.require_admin(role_of(cur, community_id, actor_id), platform_admin)
    current = role_of(cur, community_id, user_id)
    social_rules.check_removal("admin", current)  # a member to appoint; an admin's role is not changed here
    cur.execute("UPDATE community_members SET role = %s WHERE community_id = %s AND user_id = %s",
                (role, str(community_id), str(user_id)))
    return member(cur, community_id, user_id)


def member(cur, community_id, user_id):
    cur.execute("SELECT user_id, name, role, joined_at FROM community_members WHERE community_id = %s AND user_id = %s",
                (str(community_id), str(user_id)))
    row = cur.fetchone()
    return dict(zip(("user_id", "name", "role", "joined_at"), row))


def members(cur, community_id, limit, offset):
    cur.execute("SELECT user_id, name, role, joined_at FROM community_members WHERE community_id = %s "
                "ORDER BY CASE role WHEN 'admin' THEN 0 WHEN 'moderator' THEN 1 ELSE 2 END, joined_at, user_id "
                "LIMIT %s OFFSET %s", (str(community_id), limit + 1, offset))
    rows = [dict(zip(("user_id", "name", "role", "joined_at"), r)) for r in cur.fetchall()]
    return rows[:limit], len(rows) > limit


# --- posts ---------------------------------------------------------------------------------------------
def own_uploads(cur, user_id, upload_ids, purposes):
    """The person's own completed, not yet used uploads of one of purposes, in the order asked, marked used;
    refused together (a field code per refused one, `upload_ids.<index>`) otherwise."""
    wanted = [str(u) for u in dict.fromkeys(upload_ids)]
    columns = ("id", "org_id", "uploader_id", "purpose", "status", "used_at", "object_key", "thumbnail_key", "width",
               "height", "duration_seconds", "content_type")
    cur.execute(f"SELECT {', '.join(columns)} FROM uploads WHERE id = ANY(%s::uuid[]) FOR UPDATE", (wanted,))
    found = {str(r[0]): dict(zip(columns, r)) for r in cur.fetchall()}
    refused = {}
    for index, upload_id in enumerate(wanted):
        upload = found.get(upload_id)
        code = upload_rules.attach_refusal(upload, user_id, upload["purpose"] if upload else None)
        if code is None and upload["purpose"] not in purposes:
            code = "upload_of_another_purpose"
        if code is None and upload["used_at"] is not None:
            code = "upload_already_used"
        if code:
            refused[f"upload_ids.{index}"] = (code, {"upload_id": upload_id})
    if refused:
        raise InvalidInput("uploads_not_attachable", refused, count=len(refused))
    cur.execute("UPDATE uploads SET used_at = now() WHERE id = ANY(%s::uuid[])", (wanted,))
    return [found[u] for u in wanted]


def take_media(cur, user_id, upload_ids):
    """A post's files: up to 9 post_image, or one post_video of at most POST_VIDEO_SECONDS (短视频)."""
    if not upload_ids:
        return []
    found = own_uploads(cur, user_id, upload_ids, ("post_image", "post_video"))
    if len(found) > 1 and any(u["purpose"] == "post_video" for u in found):
        raise InvalidInput("post_one_video", {"upload_ids": "one_video_alone"})
    for upload in found:
        if upload["purpose"] == "post_video" and (upload["duration_seconds"] or 0) > POST_VIDEO_SECONDS:
            raise InvalidInput("post_video_too_long", {"upload_ids": "video_too_long"}, limit=POST_VIDEO_SECONDS)
    return [{"upload_id": str(u["id"]), "kind": "video" if u["purpose"] == "post_video" else "image",
             "key": u["object_key"], "thumbnail_key": u["thumbnail_key"], "width": u["width"], "height": u["height"],
             "duration_seconds": u["duration_seconds"], "content_type": u["content_type"]} for u in found]


def recent_posts(cur, user_id):
    cur.execute("SELECT count(*) FROM community_posts WHERE author_id = %s AND created_at > now() - interval '1 minute'",
                (str(user_id),))
    return cur.fetchone()[0]


def create_post(cur, community, user_id, author_name, body, media, held_words):
    post_id = uuid.uuid4()
    status = "held" if held_words else "published"
    cur.execute(
        "INSERT INTO community_posts (id, community_id, author_id, author_name, body, media, status, held_words, "
        "published_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, CASE WHEN %s THEN now() END)",
        (str(post_id), str(community["id"]), str(user_id), social_rules.mask_name(author_name) or "科普用户", body,
         Json(media), status, held_words, status == "published"))
    return get_post(cur, post_id)


def get_post(cur, post_id, lock=False):
    cur.execute(f"SELECT {P_SQL}, c.name FROM community_posts p JOIN communities c ON c.id = p.community_id "
                f"WHERE p.id = %s" + (" FOR UPDATE OF p" if lock else ""), (str(post_id),))
    row = cur.fetchone()
    if row is None:
        raise NotFound("post_not_found", {"post_id": "post_unknown"})
    return _post(row)


def _post(row):
    post = dict(zip(_P_COLUMNS, row))
    post["community_name"] = row[len(_P_COLUMNS)]
    post["pinned"] = post["pinned_at"] is not None
    return post


def set_post_status(cur, post_id, status):
    cur.execute("UPDATE community_posts SET status = %s, published_at = CASE WHEN %s = 'published' "
                "THEN coalesce(published_at, now()) ELSE published_at END WHERE id = %s", (status, status, str(post_id)))
    return get_post(cur, post_id)


def set_pinned(cur, post_id, pinned):
    cur.execute("UPDATE community_posts SET pinned_at = CASE WHEN %s THEN now() END WHERE id = %s",
                (pinned, str(post_id)))
    return get_post(cur, post_id)


def posts(cur, community_id, limit, offset):
    """A community's published posts, newest first."""
    cur.execute(f"SELECT {P_SQL}, c.name FROM community_posts p JOIN communities c ON c.id = p.community_id "
                f"WHERE p.community_id = %s AND p.status = 'published' ORDER BY p.published_at DESC, p.id DESC "
                f"LIMIT %s OFFSET %s", (str(community_id), limit + 1, offset))
    rows = [_post(r) for r in cur.fetchall()]
    return rows[:limit], len(rows) > limit


def pinned(cur, community_id):
    cur.execute(f"SELECT {P_SQL}, c.name FROM community_posts p JOIN communities c ON c.id = p.community_id "
                f"WHERE p.community_id = %s AND p.status = 'published' AND p.pinned_at IS NOT NULL "
                f"ORDER BY p.pinned_at DESC LIMIT 5", (str(community_id),))
    return [_post(r) for r in cur.fetchall()]


def followed_posts(cur, user_id, limit, offset):
    """关注: published posts of the communities a person belongs to, newest first."""
    cur.execute(f"SELECT {P_SQL}, c.name FROM community_members m JOIN community_posts p ON p.community_id = m.community_id "
                f"JOIN communities c ON c.id = p.community_id WHERE m.user_id = %s AND p.status = 'published' "
                f"ORDER BY p.published_at DESC, p.id DESC LIMIT %s OFFSET %s", (str(user_id), limit + 1, offset))
    rows = [_post(r) for r in cur.fetchall()]
    return rows[:limit], len(rows) > limit


def highlights(cur, limit, offset):
    """「社团精彩」: approved communities' published posts, pinned ones first (latest pin first), then the most
    liked (ties: the later post first). Two index-ordered reads (community_posts_pinned, community_posts_liked)
    rather than one sort of every published post."""
    wanted = offset + limit + 1
    cur.execute(f"SELECT {P_SQL}, c.name FROM community_posts p JOIN communities c ON c.id = p.community_id "
                f"WHERE p.status = 'published' AND p.pinned_at IS NOT NULL AND c.status = 'approved' "
                f"ORDER BY p.pinned_at DESC LIMIT %s", (wanted,))
    rows = [_post(r) for r in cur.fetchall()]
    if len(rows) < wanted:
        cur.execute(f"SELECT {P_SQL}, c.name FROM community_posts p JOIN communities c ON c.id = p.community_id "
                    f"WHERE p.status = 'published' AND p.pinned_at IS NULL AND p.likes > 0 AND c.status = 'approved' "
                    f"ORDER BY p.likes DESC, p.id DESC LIMIT %s", (wanted - len(rows),))
        rows += [_post(r) for r in cur.fetchall()]
    return rows[offset:offset + limit], len(rows) > offset + limit


def ranking_rows(cur, community_id, since):
    """Each member's published posts in the community since `since` (None: ever) and the likes they got."""
    cur.execute(
        "SELECT m.user_id, m.name, m.joined_at, count(p.id), coalesce(sum(p.likes), 0) FROM community_members m "
        "LEFT JOIN community_posts p ON p.community_id = m.community_id AND p.author_id = m.user_id "
        "AND p.status = 'published' AND (%s::timestamptz IS NULL OR p.published_at >= %s::timestamptz) "
        "WHERE m.community_id = %s GROUP BY m.user_id, m.name, m.joined_at", (since, since, str(community_id)))
    return [{"user_id": r[0], "name": r[1], "joined_at": r[2], "posts": r[3], "likes": int(r[4])}
            for r in cur.fetchall()]
