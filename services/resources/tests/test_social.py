"""Communities, posts, comments, likes, reports, favorites and channels in a running resources service
(real RabbitMQ and PostgreSQL): review by events, the word check holding text, moderation with its audit
trail, and bad input refused with nothing stored."""
import uuid
from datetime import datetime, timezone

import pytest
from marshmallow import ValidationError
from nameko.testing.services import entrypoint_waiter

from kepu_common.interfaces.contracts import make_event
from kepu_common.interfaces.errors import Conflict, Forbidden, InvalidInput, NotFound, RateLimited
from kepu_common.devtools.testing import publish_events
from services.resources.tests.conftest import ADMIN_A, PLATFORM_ADMIN, call, png_bytes, sql, uploaded

VERIFIED = ["communicator"]
CREATOR, ALICE, BOB, OUTSIDER = (str(uuid.uuid4()) for _ in range(4))


def decide(container, amqp_uri, subject_type, subject_id, decision, stage="org", comment=""):
    event = make_event("review_decided", "review", task_id=str(uuid.uuid4()), subject_type=subject_type,
                       subject_id=str(subject_id), stage=stage, decision=decision, comment=comment,
                       reviewer_id=str(PLATFORM_ADMIN), decided_at=datetime.now(timezone.utc).isoformat())
    with entrypoint_waiter(container, "on_social_review_decided"):
        publish_events(amqp_uri, [event])


def outbox(container, event_type):
    return [row[0] for row in sql(container, "SELECT payload FROM outbox WHERE event_type = %s ORDER BY id",
                                  (event_type,))]


def community_form(**changes):
    form = {"name": "朝阳科普志愿者社", "intro": "朝阳区科普志愿者交流。", "rules": "不发广告；不传谣；文明发言。",
            "region_code": "110105", "topic": "科学防疫", "creator_name": "王小明"}
    form.update(changes)
    return form


@pytest.fixture
def community(resources, amqp_uri):
    """An approved community: CREATOR its admin, ALICE and BOB members."""
    created = call(resources, "create_community", CREATOR, VERIFIED, community_form())
    decide(resources, amqp_uri, "community", created["id"], "approved")
    call(resources, "join_community", ALICE, created["id"], {"name": "李小红"})
    call(resources, "join_community", BOB, created["id"], {"name": "张三"})
    return created["id"]


def test_a_community_is_reviewed_then_joined(resources, amqp_uri):
    created = call(resources, "create_community", CREATOR, VERIFIED, community_form())
    assert created["status"] == "pending" and created["my_role"] == "admin"
    request, = [r for r in outbox(resources, "review_requested") if r["subject_type"] == "community"]
    assert request["stage"] == "org" and request["snapshot"]["rules"] == "不发广告；不传谣；文明发言。"
    # in review: not listed, not joinable, not seen by others
    assert call(resources, "list_communities", None, {})["items"] == []
    with pytest.raises(Conflict):
        call(resources, "join_community", ALICE, created["id"], {"name": "李小红"})
    with pytest.raises(NotFound):
        call(resources, "get_community", created["id"], ALICE)
    decide(resources, amqp_uri, "community", created["id"], "approved")
    decide(resources, amqp_uri, "community", created["id"], "rejected")  # stale: ignored
    assert call(resources, "get_community", created["id"], None)["status"] == "approved"
    assert [e["status"] for e in outbox(resources, "community_approved")] == ["approved"]
    assert call(resources, "join_community", ALICE, created["id"], {"name": "李小红"})["name"] == "李*红"
    listed = call(resources, "list_communities", ALICE, {})["items"]
    assert [(c["name"], c["members"], c["my_role"]) for c in listed] == [("朝阳科普志愿者社", 2, "member")]


def test_only_verified_accounts_create_and_names_are_unique_and_clean(resources, amqp_uri):
    with pytest.raises(Forbidden) as raised:
        call(resources, "create_community", OUTSIDER, [], community_form())
    assert raised.value.message == "community_creator_unverified"
    with pytest.raises(ValidationError) as raised:  # refused at the schema
        call(resources, "create_community", CREATOR, VERIFIED, community_form(name="朝阳\u0007科普社"))
    assert [str(m) for m in raised.value.messages["name"]] == ["control_character_refused"]
    call(resources, "create_community", CREATOR, ["org_admin"], community_form())
    with pytest.raises(Conflict) as raised:  # the same name in full-width letters and with spaces
        call(resources, "create_community", ALICE, VERIFIED, community_form(name=" 朝阳科普 志愿者社"))
    assert raised.value.message == "community_name_taken"
    assert sql(resources, "SELECT count(*) FROM communities")[0][0] == 1


def test_a_cover_is_the_creators_own_upload(resources, storage):
    cover = uploaded(resources, png_bytes(), user=CREATOR, purpose="community_cover", content_type="image/png",
                     filename="cover.png")
    assert cover["status"] == "complete" and cover["org_id"] == CREATOR
    with pytest.raises(InvalidInput):  # somebody else's upload
        call(resources, "create_community", ALICE, VERIFIED, community_form(cover_upload_id=cover["id"]))
    created = call(resources, "create_community", CREATOR, VERIFIED, community_form(cover_upload_id=cover["id"]))
    assert created["cover_url"]
    request, = outbox(resources, "review_requested")
    assert request["snapshot"]["files"][0]["kind"] == "image"


def test_members_post_with_an_image_and_non_members_cannot(resources, community):
    image = uploaded(resources, png_bytes(), user=ALICE, purpose="post_image", content_type="image/png",
                     filename="a.png")
    post = call(resources, "create_post", ALICE, community, {"body": "今天社区开展了防疫知识讲座。",
                                                             "upload_ids": [image["id"]], "author_name": "李小红"})
    assert post["status"] == "published" and post["author_name"] == "李*红"
    assert post["media"][0]["kind"] == "image" and post["media"][0]["url"]
    with pytest.raises(InvalidInput):  # the image is used now
        call(resources, "create_post", ALICE, community, {"body": "再发一次", "upload_ids": [image["id"]]})
    with pytest.raises(Forbidden) as raised:
        call(resources, "create_post", OUTSIDER, community, {"body": "我不是成员"})
    assert raised.value.message == "not_a_community_member"
    assert sql(resources, "SELECT count(*) FROM community_posts")[0][0] == 1
    home = call(resources, "community_home", community, None, {})
    assert home["community"]["rules"] == "不发广告；不传谣；文明发言。"
    assert [p["id"] for p in home["posts"]["items"]] == [post["id"]]


def test_a_listed_word_behind_zero_width_characters_is_held_until_a_moderator_releases_it(resources, amqp_uri,
                                                                                            community):
    post = call(resources, "create_post", BOB, community, {"body": "周末一起来赌\u200b博吧", "author_name": "张三"})
    assert post["status"] == "held"
    assert call(resources, "community_home", community, None, {})["posts"]["items"] == []
    with pytest.raises(NotFound):
        call(resources, "get_post", post["id"], ALICE)
    assert call(resources, "get_post", post["id"], BOB)["status"] == "held"  # its author sees it waiting
    task, = [r for r in outbox(resources, "review_requested") if r["subject_type"] == "community_post"]
    assert task["stage"] == "initial" and task["snapshot"]["held_words"] == "赌博"
    decide(resources, amqp_uri, "community_post", post["id"], "approved", stage="initial")
    assert call(resources, "get_post", post["id"], ALICE)["status"] == "published"
    trail = call(resources, "moderation_audit", CREATOR, "post", post["id"])
    assert [e["action"] for e in trail] == ["held", "released"]


def test_moderators_pin_hide_and_restore_and_others_cannot(resources, community):
    post = call(resources, "create_post", ALICE, community, {"body": "防疫小贴士：勤洗手。"})
    with pytest.raises(Forbidden) as raised:
        call(resources, "moderate_post", BOB, post["id"], "hide", {"reason": "看不惯"})
    assert raised.value.message == "not_a_community_moderator"
    assert call(resources, "get_post", post["id"], None)["status"] == "published"
    call(resources, "set_member_role", CREATOR, community, BOB, {"role": "moderator"})
    assert call(resources, "moderate_post", BOB, post["id"], "pin")["pinned"] is True
    assert call(resources, "moderate_post", BOB, post["id"], "hide", {"reason": "与社团主题无关"})["status"] == "hidden"
    with pytest.raises(Conflict):
        call(resources, "moderate_post", BOB, post["id"], "hide")
    assert call(resources, "moderate_post", CREATOR, post["id"], "restore")["status"] == "published"
    assert [e["action"] for e in call(resources, "moderation_audit", BOB, "post", post["id"])] == [
        "pinned", "hidden", "restored"]
    with pytest.raises(Forbidden):  # a member appoints nobody
        call(resources, "set_member_role", ALICE, community, OUTSIDER, {"role": "moderator"})
    with pytest.raises(Conflict):
        call(resources, "remove_member", CREATOR, community, CREATOR)
    call(resources, "remove_member", CREATOR, community, ALICE)
    with pytest.raises(Forbidden):
        call(resources, "create_post", ALICE, community, {"body": "我还在吗"})
    with pytest.raises(Conflict):
        call(resources, "leave_community", CREATOR, community)  # the last admin


def test_comments_thread_one_level_and_only_verified_accounts_comment(resources, community):
    post = call(resources, "create_post", ALICE, community, {"body": "大家怎么看？"})
    with pytest.raises(Forbidden) as raised:
        call(resources, "add_comment", OUTSIDER, [], "post", post["id"], {"body": "我没实名"})
    assert raised.value.message == "comment_requires_real_name"
    top = call(resources, "add_comment", BOB, VERIFIED, "post", post["id"], {"body": "很有用", "author_name": "张三"})
    reply = call(resources, "add_comment", ALICE, VERIFIED, "post", post["id"],
                 {"body": "谢谢", "parent_id": top["id"]})
    with pytest.raises(InvalidInput) as raised:
        call(resources, "add_comment", BOB, VERIFIED, "post", post["id"], {"body": "再回复", "parent_id": reply["id"]})
    assert raised.value.message == "reply_too_deep"
    with pytest.raises(ValidationError) as refused:  # 10,000 characters (InvalidInput once over RPC)
        call(resources, "add_comment", BOB, VERIFIED, "post", post["id"], {"body": "长" * 10_000})
    assert refused.value.messages == {"body": ["length_between"]}
    assert sql(resources, "SELECT count(*) FROM comments")[0][0] == 2
    page = call(resources, "list_comments", "post", post["id"], {})
    assert [(c["author_name"], c["replies"], [r["body"] for r in c["latest_replies"]]) for c in page["items"]] == [
        ("张*", 1, ["谢谢"])]
    assert call(resources, "get_post", post["id"], None)["comments"] == 2


def test_likes_order_the_hottest_and_liking_twice_is_refused(resources, community):
    post = call(resources, "create_post", ALICE, community, {"body": "点赞测试"})
    first = call(resources, "add_comment", BOB, VERIFIED, "post", post["id"], {"body": "第一条"})
    second = call(resources, "add_comment", ALICE, VERIFIED, "post", post["id"], {"body": "第二条"})
    assert call(resources, "like", BOB, "comment", first["id"])["likes"] == 1
    with pytest.raises(Conflict) as raised:
        call(resources, "like", BOB, "comment", first["id"])
    assert raised.value.message == "already_liked"
    newest = call(resources, "list_comments", "post", post["id"], {"order": "newest"})["items"]
    hottest = call(resources, "list_comments", "post", post["id"], {"order": "hottest"})["items"]
    assert [c["id"] for c in newest] == [second["id"], first["id"]]
    assert [c["id"] for c in hottest] == [first["id"], second["id"]]
    assert call(resources, "like", BOB, "comment", first["id"], False)["likes"] == 0


def test_a_report_opens_a_task_an_upheld_one_hides_and_a_moderator_restores(resources, amqp_uri, community):
    post = call(resources, "create_post", ALICE, community, {"body": "讨论帖"})
    comment = call(resources, "add_comment", BOB, VERIFIED, "post", post["id"], {"body": "一条评论"})
    with pytest.raises(Conflict) as raised:
        call(resources, "report", BOB, "comment", comment["id"], {"reason": "自己举报自己"})
    assert raised.value.message == "cannot_report_own"
    report = call(resources, "report", ALICE, "comment", comment["id"], {"reason": "人身攻击"})
    with pytest.raises(Conflict):
        call(resources, "report", ALICE, "comment", comment["id"], {"reason": "再举报"})
    task, = [r for r in outbox(resources, "review_requested") if r["subject_type"] == "content_report"]
    assert task["snapshot"]["body"] == "一条评论"
    decide(resources, amqp_uri, "content_report", report["id"], "approved", stage="initial")
    assert call(resources, "list_comments", "post", post["id"], {})["items"] == []
    with pytest.raises(Forbidden):  # ALICE is no moderator
        call(resources, "moderate_comment", ALICE, comment["id"], "restore")
    restored = call(resources, "moderate_comment", CREATOR, comment["id"], "restore", {"reason": "误判"})
    assert restored["status"] == "published"
    assert [e["action"] for e in call(resources, "moderation_audit", CREATOR, "comment", comment["id"])] == [
        "reported", "hidden", "restored"]


def test_comments_on_resources_are_moderated_by_platform_admins(resources, amqp_uri, community):
    from services.resources.tests.test_catalogue import decide as decide_resource, form
    video = uploaded(resources, __import__("services.resources.tests.conftest", fromlist=["video_of_size"])
                     .video_of_size(2 * 1024 * 1024))
    resource = call(resources, "submit", ADMIN_A, form(video["id"]))
    with pytest.raises(NotFound):  # not published yet
        call(resources, "add_comment", ALICE, VERIFIED, "resource", resource["id"], {"body": "好视频"})
    decide_resource(resources, amqp_uri, resource["id"], "initial", "approved")
    decide_resource(resources, amqp_uri, resource["id"], "scientific", "approved")
    comment = call(resources, "add_comment", ALICE, VERIFIED, "resource", resource["id"], {"body": "好视频"})
    held = call(resources, "add_comment", BOB, VERIFIED, "resource", resource["id"], {"body": "代 開 發 票 找我"})
    assert held["status"] == "held"
    assert [c["id"] for c in call(resources, "list_comments", "resource", resource["id"], {})["items"]] == [comment["id"]]
    with pytest.raises(Forbidden):
        call(resources, "moderate_comment", CREATOR, comment["id"], "hide")
    assert call(resources, "moderate_comment", PLATFORM_ADMIN, comment["id"], "hide")["status"] == "hidden"
    # favorites: a personal list per type
    call(resources, "add_favorite", ALICE, "resource", resource["id"])
    call(resources, "add_favorite", ALICE, "resource", resource["id"])
    favorites = call(resources, "my_favorites", ALICE, {"type": "resource"})["items"]
    assert [(f["target_id"], f["title"]) for f in favorites] == [(resource["id"], "冬季雾霾天气如何做好个人防护")]
    assert call(resources, "my_favorites", ALICE, {"type": "post"})["items"] == []
    call(resources, "remove_favorite", ALICE, "resource", resource["id"])
    assert call(resources, "my_favorites", ALICE, {"type": "resource"})["items"] == []


def test_ranking_highlights_feed_and_channels(resources, community):
    first = call(resources, "create_post", ALICE, community, {"body": "一"})
    call(resources, "create_post", ALICE, community, {"body": "二"})
    liked = call(resources, "create_post", BOB, community, {"body": "三"})
    call(resources, "like", ALICE, "post", liked["id"])
    ranking = call(resources, "member_ranking", community, None, {"period": "week"})
    assert [(r["rank"], r["name"], r["posts"], r["likes"]) for r in ranking["items"]] == [
        (1, "李*红", 2, 0), (2, "张*", 1, 1), (3, "王*明", 0, 0)]
    assert call(resources, "member_ranking", community, None, {"period": "total"})["items"][0]["name"] == "李*红"
    call(resources, "set_member_role", CREATOR, community, BOB, {"role": "moderator"})
    call(resources, "moderate_post", BOB, first["id"], "pin")
    assert [p["id"] for p in call(resources, "community_highlights", {})["items"]] == [first["id"], liked["id"]]
    assert len(call(resources, "followed_feed", ALICE, {})["items"]) == 3
    assert call(resources, "followed_feed", OUTSIDER, {})["items"] == []
    offered = call(resources, "channels", ALICE)
    assert offered["chosen"][:2] == ["关注", "头条"] and "健康" in offered["available"]
    chosen = call(resources, "choose_channels", ALICE, {"channels": ["健康", "关注", "健康"]})
    assert chosen["chosen"] == ["健康", "关注"]
    assert call(resources, "channels", ALICE)["chosen"] == ["健康", "关注"]
    with pytest.raises(InvalidInput):
        call(resources, "choose_channels", ALICE, {"channels": ["股票"]})


def test_posting_is_rate_limited_per_minute(resources, community):
    for n in range(5):
        call(resources, "create_post", ALICE, community, {"body": f"第{n}条"})
    with pytest.raises(RateLimited):
        call(resources, "create_post", ALICE, community, {"body": "第6条"})
    assert sql(resources, "SELECT count(*) FROM community_posts")[0][0] == 5
