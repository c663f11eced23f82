"""Who may create, post, comment and moderate; threading one level deep; reports; names; ranking; channels."""
from datetime import datetime, timezone

import pytest

from kepu_common.interfaces.errors import Conflict, Forbidden, InvalidInput, RateLimited
from services.resources import social_rules as rules

T0 = datetime(2026, 12, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("name, masked", [("王小明", "王*明"), ("王明", "王*"), ("欧阳小明", "欧**明"), ("王", "*"),
                                          ("", ""), (None, ""), (" 李四 ", "李*")])
def test_names_are_masked_like_leaderboards(name, masked):
    assert rules.mask_name(name) == masked


def test_masking_a_masked_name_changes_nothing():
    assert rules.mask_name(rules.mask_name("王小明")) == "王*明"


@pytest.mark.parametrize("name", ["科普\x00社团", "科普\x1b社团", "科普\u200b社团", "科普\u202e社团", "科普\x7f社团",
                                  "科普\ufeff社团"])
def test_control_and_invisible_characters_in_a_name_are_refused(name):
    with pytest.raises(InvalidInput) as raised:
        rules.check_name(name)
    assert raised.value.message == "name_has_control_characters"
    assert raised.value.fields["name"]["code"] == "control_characters"


def test_a_blank_name_is_refused_and_a_good_one_trimmed():
    with pytest.raises(InvalidInput):
        rules.check_name("   ")
    assert rules.check_name(" 朝阳科普社 ") == "朝阳科普社"


def test_name_key_ignores_width_case_and_spaces():
    assert rules.name_key("Ｋｅｐｕ 社") == rules.name_key("kepu社")


@pytest.mark.parametrize("roles", [["communicator"], ["org_admin"], ["communicator", "reviewer"]])
def test_verified_accounts_create_and_comment(roles):
    rules.may_create_community(roles)
    rules.require_verified_commenter(roles)


@pytest.mark.parametrize("roles", [[], ["reviewer"], ["platform_admin"]])
def test_unverified_accounts_neither_create_nor_comment(roles):
    with pytest.raises(Forbidden) as raised:
        rules.require_verified_commenter(roles)
    assert raised.value.message == "comment_requires_real_name"
    with pytest.raises(Forbidden):
        rules.may_create_community(roles)


def test_only_members_post():
    for role in rules.MEMBER_ROLES:
        rules.require_member(role)
    with pytest.raises(Forbidden) as raised:
        rules.require_member(None)
    assert raised.value.message == "not_a_community_member"


@pytest.mark.parametrize("role, allowed", [("admin", True), ("moderator", True), ("member", False), (None, False)])
def test_moderation_needs_a_moderator(role, allowed):
    if allowed:
        rules.require_moderator(role)
    else:
        with pytest.raises(Forbidden):
            rules.require_moderator(role)
    rules.require_moderator(role, platform_admin=True)


@pytest.mark.parametrize("role, allowed", [("admin", True), ("moderator", False), ("member", False), (None, False)])
def test_appointing_and_removing_needs_an_admin(role, allowed):
    if allowed:
        rules.require_admin(role)
    else:
        with pytest.raises(Forbidden):
            rules.require_admin(role)


def test_an_admin_is_never_removed_and_a_non_member_cannot_be():
    rules.check_removal("admin", "moderator")
    with pytest.raises(Conflict):
        rules.check_removal("admin", "admin")
    with pytest.raises(Conflict):
        rules.check_removal("admin", None)


def test_the_last_admin_cannot_leave():
    rules.check_leave("member", 0)
    rules.check_leave("admin", 2)
    with pytest.raises(Conflict):
        rules.check_leave("admin", 1)
    with pytest.raises(Conflict):
        rules.check_leave(None, 0)


def _comment(parent_id=None, status="published", target=("resource", "r1")):
    return {"parent_id": parent_id, "status": status, "target_type": target[0], "target_id": target[1]}


def test_replies_go_one_level_deep():
    rules.check_reply(None)
    rules.check_reply(_comment())
    with pytest.raises(InvalidInput) as raised:
        rules.check_reply(_comment(parent_id="c1"))
    assert raised.value.message == "reply_too_deep"
    assert raised.value.fields["parent_id"]["code"] == "reply_to_reply"


@pytest.mark.parametrize("status", ["held", "hidden", "rejected"])
def test_no_reply_to_an_invisible_comment(status):
    with pytest.raises(Conflict):
        rules.check_reply(_comment(status=status))


def test_a_reply_stays_on_its_parents_target():
    rules.check_same_target(_comment(), "resource", "r1")
    with pytest.raises(InvalidInput):
        rules.check_same_target(_comment(), "post", "r1")
    with pytest.raises(InvalidInput):
        rules.check_same_target(_comment(), "resource", "r2")


def test_one_does_not_report_oneself():
    rules.check_report("a", "b")
    with pytest.raises(Conflict) as raised:
        rules.check_report("a", "a")
    assert raised.value.message == "cannot_report_own"


def test_rate_limit_per_minute():
    rules.check_rate(4, 5, "posts")
    with pytest.raises(RateLimited):
        rules.check_rate(5, 5, "posts")


@pytest.mark.parametrize("status, author, viewer, moderator, seen", [
    ("published", "a", None, False, True), ("held", "a", "a", False, True), ("held", "a", "b", False, False),
    ("hidden", "a", None, False, False), ("hidden", "a", "b", True, True), ("rejected", "a", "a", False, True)])
def test_who_sees_what(status, author, viewer, moderator, seen):
    assert rules.visible_status(status, author, viewer, moderator) is seen


def test_the_week_starts_monday_midnight_in_beijing():
    # Sunday 2026-12-06 17:00 UTC is Monday 01:00 in Beijing: the week began 1 hour earlier, on Sunday 16:00 UTC
    start = rules.week_start(datetime(2026, 12, 6, 17, 0, tzinfo=timezone.utc))
    assert start.astimezone(timezone.utc) == datetime(2026, 12, 6, 16, 0, tzinfo=timezone.utc)
    # Sunday 15:59 UTC is still Sunday in Beijing: the week began the Monday before
    earlier = rules.week_start(datetime(2026, 12, 6, 15, 59, tzinfo=timezone.utc))
    assert earlier.astimezone(timezone.utc) == datetime(2026, 11, 29, 16, 0, tzinfo=timezone.utc)


def _row(user, name, posts, likes, minute):
    return {"user_id": user, "name": name, "posts": posts, "likes": likes, "joined_at": T0.replace(minute=minute)}


def test_ranking_by_posts_then_likes_with_shared_ranks_and_masked_names():
    ranked = rules.rank_members([_row("u1", "王小明", 2, 1, 0), _row("u2", "李四", 3, 0, 1),
                                 _row("u3", "欧阳小明", 2, 1, 2), _row("u4", "张三", 2, 5, 3),
                                 _row("u5", "赵六", 0, 0, 4)])
    assert [(r["rank"], r["name"], r["posts"], r["likes"]) for r in ranked] == [
        (1, "李*", 3, 0), (2, "张*", 2, 5), (3, "王*明", 2, 1), (3, "欧**明", 2, 1), (5, "赵*", 0, 0)]


def test_ties_are_listed_by_who_joined_first():
    ranked = rules.rank_members([_row("late", "乙", 1, 0, 9), _row("early", "甲", 1, 0, 1)])
    assert [r["user_id"] for r in ranked] == ["early", "late"]
    assert [r["rank"] for r in ranked] == [1, 1]


def test_channels_keep_order_drop_repeats_and_refuse_unknown():
    available = ["关注", "头条", "健康", "科学防疫"]
    assert rules.normalize_channels(["健康", "关注", "健康"], available) == ["健康", "关注"]
    with pytest.raises(InvalidInput) as raised:
        rules.normalize_channels(["关注", "股票"], available)
    assert "channels.1" in raised.value.fields
