"""Submission, the two review stages by events, revision, withdrawal and download, in a running service."""
import uuid
from datetime import datetime, timezone

import pytest
import requests
from marshmallow import ValidationError

from services.resources.formats import DOCX
from nameko.testing.services import entrypoint_waiter

from kepu_common.interfaces.contracts import make_event
from kepu_common.interfaces.errors import Conflict, Forbidden, InvalidInput, NotFound
from kepu_common.devtools.testing import publish_events
from services.resources.tests.conftest import (
    ADMIN_A, ADMIN_B, MB, NOBODY, ORG_A, PLATFORM_ADMIN, call, docx_bytes, pdf_bytes, png_bytes, sql, uploaded,
    video_of_size,
)


def decide(container, amqp_uri, resource_id, stage, decision, comment=""):
    event = make_event("review_decided", "review", task_id=str(uuid.uuid4()), subject_type="resource",
                       subject_id=str(resource_id), stage=stage, decision=decision, comment=comment,
                       reviewer_id="reviewer-1", decided_at=datetime.now(timezone.utc).isoformat())
    with entrypoint_waiter(container, "on_review_decided"):
        publish_events(amqp_uri, [event])
    return event


def form(upload_id, **changes):
    data = {"title": "冬季雾霾天气如何做好个人防护", "type": "video", "keywords": ["雾霾", "健康", "空气污染"],
            "description": "专家解读雾霾的成因，并给出出行、饮食与居家的防护建议。", "topics": ["健康"],
            "upload_id": upload_id}
    data.update(changes)
    return data


def outbox(container, event_type):
    return [row[0] for row in sql(container, "SELECT payload FROM outbox WHERE event_type = %s ORDER BY id",
                                  (event_type,))]


@pytest.fixture
def video(resources):
    return uploaded(resources, video_of_size(6 * MB))


@pytest.fixture
def cover(resources):
    return uploaded(resources, png_bytes(640, 360), purpose="thumbnail", content_type="image/png", filename="封面.png")


def test_a_submission_asks_for_initial_review_with_what_to_preview(resources, video, cover):
    resource = call(resources, "submit", ADMIN_A, form(video["id"], thumbnail_upload_id=cover["id"]))
    assert (resource["status"], resource["status_label"], resource["type_label"]) == ("pending_initial", "待初审", "视频")
    assert resource["org_name"] == "中国气象局气象宣传与科普中心" and resource["file_size_label"] == "6.0 MB"
    assert requests.get(resource["thumbnail_url"], timeout=10).status_code == 200
    request, = outbox(resources, "review_requested")
    assert (request["subject_type"], request["subject_id"], request["stage"]) == ("resource", resource["id"], "initial")
    assert [f["label"] for f in request["snapshot"]["files"]] == ["资源文件", "缩略图"]
    assert request["snapshot"]["keywords"] == ["雾霾", "健康", "空气污染"]
    changed, = outbox(resources, "resource_status_changed")
    assert (changed["status"], changed["previous_status"]) == ("pending_initial", None)


def test_the_two_review_stages_publish_a_resource(resources, amqp_uri, video):
    resource = call(resources, "submit", ADMIN_A, form(video["id"]))
    decide(resources, amqp_uri, resource["id"], "initial", "approved")
    assert call(resources, "get_resource", resource["id"], ADMIN_A)["status"] == "pending_scientific"
    assert [r["stage"] for r in outbox(resources, "review_requested")] == ["initial", "scientific"]
    with pytest.raises(NotFound):  # not public until published
        call(resources, "get_resource", resource["id"], None)

    stale = decide(resources, amqp_uri, resource["id"], "initial", "rejected", "迟到的决定")
    assert call(resources, "get_resource", resource["id"], ADMIN_A)["status"] == "pending_scientific"
    with entrypoint_waiter(resources, "on_review_decided"):
        publish_events(amqp_uri, [stale])  # a redelivery changes nothing either

    decide(resources, amqp_uri, resource["id"], "scientific", "approved")
    published = call(resources, "get_resource", resource["id"], None)
    assert (published["status"], published["status_label"]) == ("published", "已发布")
    assert published["published_at"]
    found = call(resources, "search", {"q": "雾霾", "type": "video"})
    assert [r["id"] for r in found["items"]] == [resource["id"]]
    assert [c["status"] for c in outbox(resources, "resource_status_changed")] == [
        "pending_initial", "pending_scientific", "published"]


def test_a_rejection_carries_the_reason_and_a_revision_resubmits(resources, amqp_uri, video):
    resource = call(resources, "submit", ADMIN_A, form(video["id"]))
    decide(resources, amqp_uri, resource["id"], "initial", "approved")
    decide(resources, amqp_uri, resource["id"], "scientific", "rejected", "第二段关于口罩的说法缺少依据")
    rejected = call(resources, "get_resource", resource["id"], ADMIN_A)
    assert (rejected["status"], rejected["status_label"], rejected["review_comment"]) == (
        "scientific_rejected", "科学性审核驳回", "第二段关于口罩的说法缺少依据")
    with pytest.raises(Forbidden):
        call(resources, "revise", ADMIN_B, resource["id"], form(None))
    revised = call(resources, "revise", ADMIN_A, resource["id"], form(None, title="冬季雾霾天气个人防护（修订版）"))
    assert (revised["status"], revised["review_comment"], revised["filename"]) == ("pending_initial", "", video["filename"])
    assert [r["stage"] for r in outbox(resources, "review_requested")] == ["initial", "scientific", "initial"]
    assert outbox(resources, "review_requested")[-1]["snapshot"]["title"] == "冬季雾霾天气个人防护（修订版）"


def test_a_revision_states_every_field_or_patches_some_and_never_erases(resources, amqp_uri, video):
    resource = call(resources, "submit", ADMIN_A, form(video["id"]))
    decide(resources, amqp_uri, resource["id"], "initial", "rejected", "标题不准确")
    # PUT without the description, keywords and topics: refused, nothing changed
    with pytest.raises(ValidationError) as error:
        call(resources, "revise", ADMIN_A, resource["id"], {"title": "雾霾防护", "type": "video"})
    assert error.value.messages == {"keywords": ["required"], "description": ["required"], "topics": ["required"]}
    unchanged = call(resources, "get_resource", resource["id"], ADMIN_A)
    assert (unchanged["status"], unchanged["description"], unchanged["topics"]) == (
        "initial_rejected", resource["description"], ["健康"])
    # PATCH changes what it sends and keeps the rest
    patched = call(resources, "revise", ADMIN_A, resource["id"], {"title": "雾霾防护指南"}, True)
    assert (patched["title"], patched["keywords"], patched["description"], patched["topics"], patched["status"]) == (
        "雾霾防护指南", resource["keywords"], resource["description"], ["健康"], "pending_initial")
    assert patched["file_size"] == 6 * MB and patched["thumbnail_url"]
    # PUT clears a field only when it says so
    cleared = call(resources, "revise", ADMIN_A, resource["id"], form(None, topics=[], description=""))
    assert (cleared["topics"], cleared["description"], cleared["keywords"]) == ([], "", resource["keywords"])
    with pytest.raises(ValidationError):
        call(resources, "revise", ADMIN_A, resource["id"], {"title": "  "}, True)


def test_a_withdrawn_resource_comes_back_through_a_revision_and_a_new_review(resources, amqp_uri, video):
    resource = call(resources, "submit", ADMIN_A, form(video["id"]))
    decide(resources, amqp_uri, resource["id"], "initial", "approved")
    decide(resources, amqp_uri, resource["id"], "scientific", "approved")
    call(resources, "withdraw", ADMIN_A, resource["id"], {"reason": "数据需要更新"})
    back = call(resources, "revise", ADMIN_A, resource["id"], {"description": "更新了 2026 年的监测数据。"}, True)
    assert (back["status"], back["review_comment"]) == ("pending_initial", "")
    with pytest.raises(NotFound):  # not public again until reviewed again
        call(resources, "get_resource", resource["id"], None)
    assert [r["stage"] for r in outbox(resources, "review_requested")] == ["initial", "scientific", "initial"]
    decide(resources, amqp_uri, resource["id"], "initial", "approved")
    decide(resources, amqp_uri, resource["id"], "scientific", "approved")
    assert call(resources, "get_resource", resource["id"], None)["description"] == "更新了 2026 年的监测数据。"


def test_a_video_has_its_poster_and_duration_and_a_cover_replaces_the_poster(resources, video, cover):
    assert video["duration_seconds"] == pytest.approx(2.0, abs=0.11) and video["thumbnail_url"]
    resource = call(resources, "submit", ADMIN_A, form(video["id"]))
    assert (resource["duration_seconds"], resource["duration_label"]) == (video["duration_seconds"], "0:02")
    poster = requests.get(resource["thumbnail_url"], timeout=10)
    assert poster.status_code == 200 and poster.content.startswith(b"\xff\xd8\xff")
    row, = call(resources, "my_resources", ADMIN_A, {})["items"]
    assert (row["duration_label"], bool(row["thumbnail_url"])) == ("0:02", True)
    covered = call(resources, "revise", ADMIN_A, resource["id"], {"thumbnail_upload_id": cover["id"]}, True)
    assert sql(resources, "SELECT thumbnail_upload_id::text FROM resources WHERE id = %s", (resource["id"],)) == [
        (cover["id"],)]
    assert covered["duration_label"] == "0:02"


def test_word_and_pdf_articles_and_pdf_wall_charts(resources):
    word = uploaded(resources, docx_bytes(), purpose="article", content_type=DOCX, filename="雾霾的成因.docx")
    assert (word["status"], word["content_type"]) == ("complete", DOCX)
    article = call(resources, "submit", ADMIN_A, form(word["id"], type="article", title="雾霾的成因（图文）"))
    assert article["content_type"] == DOCX
    chart = uploaded(resources, pdf_bytes(size=(1190, 1684)), purpose="wallchart", content_type="application/pdf",
                     filename="防震减灾挂图.pdf")
    assert chart["thumbnail_url"] and requests.get(chart["thumbnail_url"], timeout=10).status_code == 200
    wallchart = call(resources, "submit", ADMIN_A, form(chart["id"], type="wallchart", title="防震减灾挂图"))
    assert wallchart["thumbnail_url"]
    pdf = uploaded(resources, pdf_bytes(), purpose="article", content_type="application/pdf", filename="指南.pdf")
    assert (pdf["content_type"], pdf["thumbnail_url"]) == ("application/pdf", None)  # an article takes a cover


def test_my_resources_pages_with_a_total(resources, video):
    image = uploaded(resources, png_bytes(), purpose="image", content_type="image/png", filename="雾霾挂图.png")
    call(resources, "submit", ADMIN_A, form(video["id"]))
    call(resources, "submit", ADMIN_A, form(image["id"], type="image", title="雾霾科普图"))
    first = call(resources, "my_resources", ADMIN_A, {"page_size": 1})
    second = call(resources, "my_resources", ADMIN_A, {"page": 2, "page_size": 1})
    assert (len(first["items"]), first["has_more"], first["total"]) == (1, True, 2)
    assert (len(second["items"]), second["has_more"], second["total"]) == (1, False, 2)
    assert first["items"][0]["id"] != second["items"][0]["id"]


def test_topics_are_counted_over_published_resources(resources, amqp_uri, video):
    resource = call(resources, "submit", ADMIN_A, form(video["id"], topics=["科学 防疫", "健康"]))
    assert call(resources, "topics", {})["items"] == []  # not yet published
    decide(resources, amqp_uri, resource["id"], "initial", "approved")
    decide(resources, amqp_uri, resource["id"], "scientific", "approved")
    listed = call(resources, "topics", {})
    assert sorted((t["name"], t["key"], t["count"]) for t in listed["items"]) == [
        ("健康", "健康", 1), ("科学 防疫", "科学防疫", 1)]
    assert (listed["total"], listed["has_more"], listed["page"]) == (2, False, 1)
    assert [r["id"] for r in call(resources, "search", {"topic": "科学防疫"})["items"]] == [resource["id"]]


def test_download_counts_and_withdrawal_takes_it_down(resources, amqp_uri, video):
    resource = call(resources, "submit", ADMIN_A, form(video["id"]))
    with pytest.raises(NotFound):
        call(resources, "download", resource["id"], None)
    decide(resources, amqp_uri, resource["id"], "initial", "approved")
    decide(resources, amqp_uri, resource["id"], "scientific", "approved")
    link = call(resources, "download", resource["id"], NOBODY)
    fetched = requests.get(link["url"], timeout=10)
    assert fetched.status_code == 200 and len(fetched.content) == 6 * MB
    assert "filename*=UTF-8''" in fetched.headers["Content-Disposition"]
    call(resources, "download", resource["id"], None)
    assert call(resources, "get_resource", resource["id"], None)["downloads"] == 2
    counted = outbox(resources, "resource_downloaded")
    assert [(c["resource_id"], c["user_id"]) for c in counted] == [(resource["id"], NOBODY), (resource["id"], None)]

    with pytest.raises(Forbidden):
        call(resources, "withdraw", ADMIN_B, resource["id"], {})
    with pytest.raises(Conflict):
        call(resources, "revise", ADMIN_A, resource["id"], form(None))
    withdrawn = call(resources, "withdraw", PLATFORM_ADMIN, resource["id"], {"reason": "内容过时"})
    assert (withdrawn["status"], withdrawn["status_label"]) == ("withdrawn", "已下架")
    assert call(resources, "search", {"q": "雾霾"})["items"] == []
    with pytest.raises(NotFound):
        call(resources, "download", resource["id"], None)
    with pytest.raises(Conflict):
        call(resources, "withdraw", ADMIN_A, resource["id"], {})


def test_my_resources_is_the_owners_table(resources, video):
    image = uploaded(resources, png_bytes(), purpose="image", content_type="image/png", filename="雾霾挂图.png")
    first = call(resources, "submit", ADMIN_A, form(video["id"]))
    second = call(resources, "submit", ADMIN_A, form(image["id"], type="image", title="雾霾科普图"))
    table = call(resources, "my_resources", ADMIN_A, {})
    assert [r["id"] for r in table["items"]] == [second["id"], first["id"]]
    row = table["items"][0]
    assert {"id", "title", "keywords", "description", "type_label", "file_size", "file_size_label", "thumbnail_url",
            "status", "status_label", "updated_at"} <= set(row)
    assert row["thumbnail_url"] and row["status_label"] == "待初审"
    assert call(resources, "my_resources", ADMIN_B, {})["items"] == []
    with pytest.raises(Forbidden):
        call(resources, "my_resources", NOBODY, {})


def test_bad_submissions_are_refused_and_write_nothing(resources, video, cover):
    for bad in (form(video["id"], title=""), form(video["id"], title="   "), form(video["id"], title="长" * 101),
                form(video["id"], keywords=[f"词{n}" for n in range(21)])):
        with pytest.raises(ValidationError):
            call(resources, "submit", ADMIN_A, bad)
    with pytest.raises(Forbidden) as error:
        call(resources, "submit", NOBODY, form(video["id"]))
    assert error.value.details == {"required_roles": ["org_admin"]}
    with pytest.raises(Forbidden):
        call(resources, "submit", ADMIN_B, form(video["id"]))  # another organization's upload
    with pytest.raises(InvalidInput):
        call(resources, "submit", ADMIN_A, form(video["id"], type="audio"))
    with pytest.raises(InvalidInput):
        call(resources, "submit", ADMIN_A, form(None))
    with pytest.raises(InvalidInput):
        call(resources, "submit", ADMIN_A, form(cover["id"], type="image"))  # a thumbnail upload is not an image resource
    assert sql(resources, "SELECT count(*) FROM resources") == [(0,)]
    assert sql(resources, "SELECT count(*) FROM outbox WHERE event_type <> 'ping'") == [(0,)]
    call(resources, "submit", ADMIN_A, form(video["id"]))
    with pytest.raises(Conflict):
        call(resources, "submit", ADMIN_A, form(video["id"]))  # one upload, one resource


def test_an_admin_of_several_organizations_says_which(resources, amqp_uri, video):
    from services.resources.tests.conftest import ORG_B, publish
    publish(resources, amqp_uri, "role_granted", "on_role_granted", user_id=ADMIN_A, role="org_admin", scope=ORG_B,
            actor_id=None)
    with pytest.raises(InvalidInput) as error:
        call(resources, "start_upload", ADMIN_A, {"purpose": "video", "filename": "a.mp4", "size": 10,
                                                  "content_type": "video/mp4", "sha256": "0" * 64})
    assert "org_id" in error.value.fields
    resource = call(resources, "submit", ADMIN_A, form(video["id"], org_id=ORG_A))
    assert resource["org_id"] == ORG_A
    publish(resources, amqp_uri, "role_revoked", "on_role_revoked", user_id=ADMIN_A, role="org_admin", scope=ORG_B,
            actor_id=None)
    assert call(resources, "my_resources", ADMIN_A, {})["items"][0]["id"] == resource["id"]
