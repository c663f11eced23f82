import uuid
from datetime import datetime

import pytest
from marshmallow import ValidationError

from kepu_common.interfaces.contracts import EVENTS, UnknownEvent, load_event, make_event


def test_made_event_has_id_version_source_and_time():
    event = make_event("ping", "identity", ping_id=str(uuid.uuid4()), message="hi")
    assert uuid.UUID(event["event_id"])
    assert event["version"] == EVENTS["ping"][0]
    assert event["source"] == "identity"
    assert datetime.fromisoformat(event["occurred_at"]).tzinfo is not None


def test_each_event_gets_its_own_id():
    ping_id = str(uuid.uuid4())
    assert make_event("ping", "identity", ping_id=ping_id, message="a")["event_id"] != \
        make_event("ping", "identity", ping_id=ping_id, message="a")["event_id"]


def test_bad_payload_is_refused_at_the_producer():
    with pytest.raises(ValidationError) as error:
        make_event("ping", "identity", ping_id="not-a-uuid", message="x" * 201)
    assert set(error.value.messages) == {"ping_id", "message"}


def test_unknown_event_type_and_source_are_refused():
    with pytest.raises(UnknownEvent):
        make_event("no_such_event", "identity")
    with pytest.raises(ValidationError):
        make_event("ping", "nobody", ping_id=str(uuid.uuid4()), message="x")


def test_round_trip_through_json_shape():
    event = make_event("review_decided", "review", task_id="t1", subject_type="resource", subject_id="r1",
                       stage="initial", decision="rejected", comment="图片不清晰", reviewer_id="u1",
                       decided_at="2026-11-22T08:00:00+00:00")
    loaded = load_event(event)
    assert loaded["comment"] == "图片不清晰"
    assert isinstance(loaded["event_id"], uuid.UUID)


def test_newer_version_than_known_is_refused():
    event = make_event("ping", "identity", ping_id=str(uuid.uuid4()), message="x")
    event["version"] = 99
    with pytest.raises(ValidationError, match="unsupported version"):
        load_event(event)


def test_unknown_fields_from_a_newer_producer_are_ignored():
    event = make_event("ping", "identity", ping_id=str(uuid.uuid4()), message="x")
    event["added_later"] = 1
    assert "added_later" not in load_event(event)


def test_review_stage_must_be_known():
    with pytest.raises(ValidationError) as error:
        make_event("review_requested", "resources", subject_type="resource", subject_id="1", stage="final",
                   snapshot={})
    assert "stage" in error.value.messages
