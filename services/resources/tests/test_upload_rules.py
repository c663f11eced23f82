"""The upload rules alone: each broken rule gives its own named error."""
import uuid

import pytest

from kepu_common.interfaces.errors import InvalidInput, TooLarge
from services.resources import formats
from services.resources.upload_rules import (
    Incomplete, attach_refusal, check_attachable, check_file, check_parts, planned_sizes,
)

MB = formats.MB
ORG, OTHER_ORG = uuid.uuid4(), uuid.uuid4()
SHA = "ab" * 32
MP4_HEAD_TYPE = "video/mp4"


def test_every_part_but_the_last_has_the_part_size():
    assert planned_sizes(11 * MB, 5 * MB, 3) == {1: 5 * MB, 2: 5 * MB, 3: MB}


def test_all_parts_there_gives_them_in_order():
    received = {2: ("e2", 5 * MB), 1: ("e1", 5 * MB), 3: ("e3", MB)}
    assert check_parts(11 * MB, 5 * MB, 3, received) == [(1, "e1"), (2, "e2"), (3, "e3")]


def test_missing_parts_are_incomplete_not_wrong():
    with pytest.raises(Incomplete) as error:
        check_parts(11 * MB, 5 * MB, 3, {1: ("e1", 5 * MB)})
    assert (error.value.status, error.value.code) == (409, "upload_incomplete")
    assert error.value.fields == {"parts": {"code": "parts_missing", "params": {"missing": "2, 3"}}}
    assert error.value.details["missing_parts"] == [2, 3]


def test_a_part_of_the_wrong_size_is_invalid():
    with pytest.raises(InvalidInput) as error:
        check_parts(11 * MB, 5 * MB, 3, {1: ("e1", 5 * MB), 2: ("e2", 4 * MB), 3: ("e3", MB)})
    assert error.value.message == "parts_do_not_add_up" and error.value.details["wrong_parts"] == [2]


def test_a_part_beyond_the_plan_is_invalid():
    with pytest.raises(InvalidInput) as error:
        check_parts(10 * MB, 5 * MB, 2, {1: ("e1", 5 * MB), 2: ("e2", 5 * MB), 3: ("e3", MB)})
    assert error.value.details["extra_parts"] == [3]


DECLARED = {"size": MB, "sha256": SHA.upper(), "content_type": MP4_HEAD_TYPE}
MEASURED = {"size": MB, "sha256": SHA, "sniffed": MP4_HEAD_TYPE}


def test_a_file_as_declared_passes_with_its_real_type():
    assert check_file("video", DECLARED, MEASURED) == "video/mp4"


@pytest.mark.parametrize("changes,error_class,message,field", [
    ({"size": MB + 1}, InvalidInput, "file_size_mismatch", "size"),
    ({"sha256": "cd" * 32}, InvalidInput, "checksum_mismatch", "sha256"),
    ({"sniffed": "video/webm"}, InvalidInput, "content_type_mismatch", "content_type"),
    ({"sniffed": "application/x-executable"}, InvalidInput, "executable_refused", "file"),
])
def test_each_mismatch_has_its_own_error(changes, error_class, message, field):
    with pytest.raises(error_class) as error:
        check_file("video", DECLARED, dict(MEASURED, **changes))
    assert error.value.message == message and set(error.value.fields) == {field}


def test_the_size_limit_is_checked_on_what_arrived():
    declared = dict(DECLARED, size=11 * MB)
    with pytest.raises(TooLarge):
        check_file("video", declared, dict(MEASURED, size=11 * MB), {"video": 10 * MB})


def upload(**changes):
    return {"org_id": ORG, "purpose": "followup_photo", "status": "complete", **changes}


@pytest.mark.parametrize("row,code", [
    (None, "upload_unknown"),
    (upload(org_id=OTHER_ORG), "upload_of_another_org"),
    (upload(purpose="image"), "upload_of_another_purpose"),
    (upload(status="pending"), "upload_not_complete"),
    (upload(status="rejected"), "upload_not_complete"),
    (upload(status="expired"), "upload_not_complete"),
    (upload(), None),
])
def test_what_may_be_attached(row, code):
    assert attach_refusal(row, str(ORG), "followup_photo") == code


def test_another_organizations_upload_says_nothing_of_its_state():
    assert attach_refusal(upload(org_id=OTHER_ORG, status="pending", purpose="image"), ORG,
                          "followup_photo") == "upload_of_another_org"


def test_every_refused_upload_is_named_by_its_index_and_id():
    good, missing, foreign = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    rows = {good: upload(), foreign: upload(org_id=OTHER_ORG)}
    check_attachable(rows, [good], ORG, "followup_photo")
    with pytest.raises(InvalidInput) as error:
        check_attachable(rows, [good, missing, foreign], ORG, "followup_photo")
    assert error.value.fields == {
        "upload_ids.1": {"code": "upload_unknown", "params": {"upload_id": missing}},
        "upload_ids.2": {"code": "upload_of_another_org", "params": {"upload_id": foreign}}}
    assert error.value.details == {"refused": {missing: "upload_unknown", foreign: "upload_of_another_org"}}
