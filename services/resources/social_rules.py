"""Rules of the social half (communities, posts, comments): who may do what, threading, ranking, names.
Plain code, no I/O; the service reads the facts (membership, roles) and asks these."""
import re
import unicodedata
from datetime import datetime, time, timedelta

from kepu_common.interfaces.clock import SHANGHAI
from kepu_common.interfaces.errors import Conflict, Forbidden, InvalidInput, RateLimited
# the service reads all of them as social_rules.<name>; constants and contracts hold them for the schemas and the
# gateway too
from services.resources.constants import COMMENT_MAX, COMMENT_TARGETS, FAVORITE_TYPES, POST_MAX  # noqa: F401
from services.resources.contracts import has_hidden_characters, require_verified_commenter  # noqa: F401

MEMBER_ROLES = ("member", "moderator", "admin")
# per person per minute (rolling): more is refused with rate_limited
POSTS_PER_MINUTE = 5
COMMENTS_PER_MINUTE = 10


# --- names -----------------------------------------------------------------------------------------
def check_name(name, field="name"):
    """A community name: no control or invisible characters, not blank; returns it trimmed."""
    if has_hidden_characters(name):
        raise InvalidInput("name_has_control_characters", {field: "control_characters"})
    trimmed = name.strip()
    if not trimmed:
        raise InvalidInput("name_blank", {field: "blank"})
    return trimmed


def name_key(name):
    """Two community names are the same name when they differ only by width, case or spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name)).casefold()


def mask_name(name):
    """A person's name as leaderboards show it: 王小明 → 王*明, 王明 → 王*, 欧阳小明 → 欧**明."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*" if name else ""
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


# --- who may do what ---------------------------------------------------------------------------------
def may_create_community(roles):
    """A verified communicator or an organization's admin creates communities."""
    if not {"communicator", "org_admin"} & set(roles):
        raise Forbidden("community_creator_unverified", details={"required_roles": ["communicator", "org_admin"]})


def require_member(role):
    """Posting in a community needs membership (role is the member's role, None for a non-member)."""
    if role is None:
        raise Forbidden("not_a_community_member", {"community_id": "not_a_community_member"})


def require_moderator(role, platform_admin=False):
    """Pinning, hiding, restoring and handling reports: the community's moderators and admins (a platform
    admin anywhere)."""
    if platform_admin:
        return
    if role not in ("moderator", "admin"):
        raise Forbidden("not_a_community_moderator", details={"required_roles": ["moderator", "admin"]})


def require_admin(role, platform_admin=False):
    """Appointing moderators and removing members: the community's admins."""
    if platform_admin:
        return
    if role != "admin":
        raise Forbidden("not_a_community_admin", details={"required_roles": ["admin"]})


def check_removal(actor_role, target_role):
    """An admin removes members and moderators, never another admin (nor themself: they leave)."""
    if target_role is None:
        raise Conflict("not_a_community_member", {"user_id": "not_a_community_member"})
    if target_role == "admin":
        raise Conflict("cannot_remove_admin", {"user_id": "is_admin"})


def check_leave(role, admins):
    """The last admin cannot leave: a community keeps an admin."""
    if role is None:
        raise Conflict("not_a_community_member", {"community_id": "not_a_community_member"})
    if role == "admin" and admins <= 1:
        raise Conflict("last_admin_cannot_leave", {"community_id": "last_admin"})


# --- threading and reports ------------------------------------------------------------------------
def check_reply(parent):
    """Comments thread one level deep: a reply answers a top-level comment of the same target; a reply to
    a reply is refused (the client replies to its top-level comment and may mention the person)."""
    if parent is None:
        return
    if parent["parent_id"] is not None:
        raise InvalidInput("reply_too_deep", {"parent_id": "reply_to_reply"})
    if parent["status"] != "published":
        raise Conflict("comment_not_visible", {"parent_id": f"comment_{parent['status']}"})


def check_same_target(parent, target_type, target_id):
    if parent is not None and (parent["target_type"], str(parent["target_id"])) != (target_type, str(target_id)):
        raise InvalidInput("reply_other_target", {"parent_id": "other_target"})


def check_report(author_id, reporter_id):
    if str(author_id) == str(reporter_id):
        raise Conflict("cannot_report_own", {"subject_id": "own_content"})


def check_rate(recent, limit, what):
    """recent: how many the person sent in the last minute."""
    if recent >= limit:
        raise RateLimited("too_many_per_minute", details={"retry_after": 60, "limit": limit}, what=what, limit=limit)


# --- visibility ---------------------------------------------------------------------------------------
def visible_status(status, author_id, viewer_id, moderator=False):
    """Published items are public; held and hidden ones are seen by their author and moderators only."""
    if status == "published":
        return True
    return moderator or (viewer_id is not None and str(author_id) == str(viewer_id))


# --- member ranking ----------------------------------------------------------------------------------
def week_start(now):
    """The current ranking week's start: Monday 00:00 Asia/Shanghai, as an aware UTC-comparable time."""
    local = now.astimezone(SHANGHAI).date()
    monday = local - timedelta(days=local.weekday())
    return datetime.combine(monday, time(0), SHANGHAI)


def rank_members(rows):
    """Members ranked by published posts in the period, then likes those posts received, then who joined
    first. rows: [{user_id, name, posts, likes, joined_at}]. Ties in (posts, likes) share a rank (1, 1, 3);
    names are masked."""
    ordered = sorted(rows, key=lambda r: (-r["posts"], -r["likes"], r["joined_at"], str(r["user_id"])))
    ranked, previous, rank = [], None, 0
    for position, row in enumerate(ordered, start=1):
        score = (row["posts"], row["likes"])
        if score != previous:
            rank, previous = position, score
        ranked.append({"rank": rank, "user_id": row["user_id"], "name": mask_name(row["name"]),
                       "posts": row["posts"], "likes": row["likes"]})
    return ranked


def normalize_channels(picked, available):
    """A person's channels in their order, each once; refused when one is not offered."""
    seen, unknown = [], []
    for index, channel in enumerate(picked):
        if channel not in available:
            unknown.append(index)
        elif channel not in seen:
            seen.append(channel)
    if unknown:
        raise InvalidInput("channel_unknown", {f"channels.{index}": "channel_unknown" for index in unknown})
    return seen
