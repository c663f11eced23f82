"""Duplicate uploads: the same content again is flagged to the uploader and shown to the reviewer with a
link to the existing resource; never refused."""
import uuid
from datetime import datetime, timezone

from nameko.testing.services import entrypoint_waiter

from kepu_common.interfaces.contracts import make_event
from kepu_common.devtools.testing import publish_events
from services.resources import duplicates
from services.resources.tests.conftest import ADMIN_A, ADMIN_B, call, png_bytes, sql, uploaded

IMAGE = {"purpose": "image", "content_type": "image/png", "filename": "雾霾的成因.png"}


def form(upload_id, title="雾霾的成因图解"):
    return {"title": title, "type": "image", "keywords": ["雾霾"], "description": "雾霾是怎样形成的。",
            "topics": [], "upload_id": upload_id}


def review_requests(container):
    return [row[0] for row in sql(container, "SELECT payload FROM outbox WHERE event_type = 'review_requested' "
                                             "ORDER BY id")]


def decide(container, amqp_uri, resource_id, stage):
    event = make_event("review_decided", "review", task_id=str(uuid.uuid4()), subject_type="resource",
                       subject_id=str(resource_id), stage=stage, decision="approved", comment="",
                       reviewer_id="reviewer-1", decided_at=datetime.now(timezone.utc).isoformat())
    with entrypoint_waiter(container, "on_review_decided"):
        publish_events(amqp_uri, [event])


def test_the_same_content_again_is_flagged_to_the_uploader_and_shown_to_the_reviewer(resources, amqp_uri):
    data = png_bytes(320, 200)
    first = uploaded(resources, data, **IMAGE)
    assert first["status"] == "complete" and first["duplicate_of"] == []
    original = call(resources, "submit", ADMIN_A, form(first["id"]))
    assert "duplicate_of" not in review_requests(resources)[0]["snapshot"]

    again = uploaded(resources, data, **IMAGE)  # the same organization sends it again: accepted, flagged
    assert again["status"] == "complete"
    assert again["duplicate_of"] == [{"resource_id": original["id"], "title": "雾霾的成因图解",
                                      "status": "pending_initial", "org_id": original["org_id"],
                                      "org_name": "中国气象局气象宣传与科普中心",
                                      "link": f"/api/v1/resources/{original['id']}"}]
    assert call(resources, "get_upload", ADMIN_A, again["id"])["duplicate_of"] == again["duplicate_of"]
    assert uploaded(resources, png_bytes(321, 200), **IMAGE)["duplicate_of"] == []  # other content: no flag

    # another organization is not told of a resource that is not published...
    theirs = uploaded(resources, data, user=ADMIN_B, **IMAGE)
    assert theirs["status"] == "complete" and theirs["duplicate_of"] == []
    copy = call(resources, "submit", ADMIN_B, form(theirs["id"], "雾霾成因"))
    # ...but the reviewer sees it, with a link
    request = review_requests(resources)[-1]
    assert request["subject_id"] == copy["id"]
    assert request["snapshot"]["duplicate_of"] == [original["id"]]
    assert request["snapshot"]["duplicate_of_label"] == (
        f"《雾霾的成因图解》（待初审，中国气象局气象宣传与科普中心）/api/v1/resources/{original['id']}")

    # once published, everyone who sends it again is told
    decide(resources, amqp_uri, original["id"], "initial")
    decide(resources, amqp_uri, original["id"], "scientific")
    later = uploaded(resources, data, user=ADMIN_B, **IMAGE)
    assert [(d["resource_id"], d["status"]) for d in later["duplicate_of"]] == [
        (original["id"], "published"), (copy["id"], "pending_initial")]
    # the reviewer of the scientific stage saw the copy made meanwhile
    scientific = [r for r in review_requests(resources) if r["subject_id"] == original["id"]][-1]
    assert scientific["stage"] == "scientific" and scientific["snapshot"]["duplicate_of"] == [copy["id"]]


def test_the_snapshot_names_each_existing_resource():
    found = [{"id": uuid.UUID(int=1), "title": "甲", "status": "published", "org_id": uuid.UUID(int=9),
              "org_name": "某科协"},
             {"id": uuid.UUID(int=2), "title": "乙", "status": "withdrawn", "org_id": uuid.UUID(int=9), "org_name": ""}]
    fields = duplicates.snapshot_fields(found)
    assert fields["duplicate_of"] == [str(uuid.UUID(int=1)), str(uuid.UUID(int=2))]
    assert fields["duplicate_of_label"] == (f"《甲》（已发布，某科协）/api/v1/resources/{uuid.UUID(int=1)}；"
                                            f"《乙》（已下架，—）/api/v1/resources/{uuid.UUID(int=2)}")
    assert duplicates.snapshot_fields([]) == {}
