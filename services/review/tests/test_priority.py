"""Which task comes first, search validation and field order (pure modules: priority.py, web/form_order.py)."""
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from marshmallow import ValidationError

from kepu_common.interfaces.errors import InvalidInput
from services.review import priority
from services.review.schemas import DecisionRequest, ListRequest
from services.review.web import form_order
from services.review.web.labels import snapshot_rows

T0 = datetime(2026, 9, 1, tzinfo=timezone.utc)


def task(n, start_at=None, requested_hours=0, decided_hours=None):
    return {"id": uuid.UUID(int=n), "start_at": start_at, "requested_at": T0 + timedelta(hours=requested_hours),
            "decided_at": T0 + timedelta(hours=decided_hours) if decided_hours is not None else None}


def test_start_date_soonest_first_then_longest_waiting_and_tasks_without_a_date_last():
    older_far = task(1, "2026-10-20 09:00", requested_hours=0)
    newer_soon = task(2, "2026-09-04 14:00", requested_hours=50)  # starts in 3 days: must not wait behind older ones
    resource = task(3, None, requested_hours=-10)
    same_day_older = task(4, "2026-09-04 14:00", requested_hours=10)
    ordered = sorted([older_far, newer_soon, resource, same_day_older], key=priority.ordering("start_at"))
    assert [t["id"].int for t in ordered] == [4, 2, 1, 3]
    waiting = sorted([older_far, newer_soon, resource, same_day_older], key=priority.ordering("requested"))
    assert [t["id"].int for t in waiting] == [3, 1, 4, 2]


def test_decided_newest_first():
    ordered = sorted([task(1, decided_hours=1), task(2, decided_hours=5), task(3, decided_hours=3)],
                     key=priority.ordering("decided_at"))
    assert [t["id"].int for t in ordered] == [2, 3, 1]


def test_default_sorts_and_unknown_sort_keys():
    assert priority.default_sort("open") == "requested" and priority.default_sort("decided") == "decided_at"
    assert priority.order_sql(None, "decided").startswith("decided_at DESC")
    assert priority.order_sql("start_at", "open").startswith("start_at ASC NULLS LAST")
    with pytest.raises(InvalidInput):
        priority.order_sql("price; DROP TABLE tasks", "open")
    with pytest.raises(ValidationError) as refused:
        ListRequest().load({"actor_id": "a", "sort": "oldest"})
    assert "sort" in refused.value.messages


def test_seven_day_warning():
    today = date(2026, 9, 1)
    assert priority.starts_soon("2026-09-04 14:00", today) and priority.starts_soon("2026-09-07 23:59", today)
    assert not priority.starts_soon("2026-09-08 00:00", today) and not priority.starts_soon(None, today)
    assert not priority.starts_soon("not a date", today)


@pytest.mark.parametrize("phone", ["1380000", "138000000001", "23800000000", "1380000000x", "138 0000 0000",
                                   "13800000000\x00", "１３８００００００００"])
def test_a_malformed_phone_search_is_refused(phone):
    with pytest.raises(ValidationError) as refused:
        ListRequest().load({"actor_id": "a", "phone": phone})
    assert "phone" in refused.value.messages


def test_searches_are_checked_and_taken_literally():
    assert ListRequest().load({"actor_id": "a", "phone": "13800000000", "q": "科技馆"})["phone"] == "13800000000"
    for bad in ("a\x00b", "x" * 51, "line\nbreak"):
        with pytest.raises(ValidationError):
            ListRequest().load({"actor_id": "a", "q": bad})
    assert priority.like_pattern(" 100%_a\\ ") == "%100\\%\\_a\\\\%"


@pytest.mark.parametrize("comment", ["bad\x00", "bad\x1b[31m", "\u2028"])
def test_the_service_refuses_control_characters_from_its_rpc_callers(comment):
    with pytest.raises(ValidationError) as refused:
        DecisionRequest().load({"actor_id": "a", "decision": "rejected", "comment": comment})
    assert "comment" in refused.value.messages
    with pytest.raises(ValidationError):
        DecisionRequest().load({"actor_id": "a\x00", "decision": "approved"})
    assert DecisionRequest().load({"actor_id": "a", "decision": "rejected", "comment": "一\n二\t三"})["comment"]


def test_phones_are_masked_in_list_answers():
    masked = priority.mask_snapshot({"contact_phone": "13800001234", "details": {"contact_phone": "13900005678"},
                                     "name": "13800001234"})
    assert masked == {"contact_phone": "138****1234", "details": {"contact_phone": "139****5678"},
                      "name": "13800001234"}


def test_activity_fields_read_in_the_forms_order_not_jsonb_key_order():
    # PostgreSQL's jsonb keeps shorter keys first: end_at before start_at, contact_phone before contact_person
    snapshot = {"name": "走进科技馆", "end_at": "2026-09-20 17:00", "region": "北京市朝阳区", "venue": "科技馆",
                "start_at": "2026-09-20 09:00", "hosts": ["北京科协"], "route": "省级审核 → 全国审核",
                "unknown_new_field": "x",
                "details": {"content": "内容", "audience": "学生", "scientists": "张", "contact_phone": "13800000000",
                            "contact_person": "刘"},
                "supervising_unit": "北京市科协（省级科协，北京市）", "activity_type": "科普讲座"}
    rows = snapshot_rows(snapshot, "zh_CN", "activity")
    names = [name for name, _ in rows]
    assert names.index("开始时间") < names.index("结束时间") < names.index("所在地区")
    assert names.index("活动类型") < names.index("开始时间")
    assert names[-1] == "unknown_new_field"  # nothing submitted is hidden by the order
    details = dict(rows)["活动详情"]
    detail_names = [name for name, _ in details]
    assert detail_names.index("联系人") < detail_names.index("联系电话")


def test_every_subject_type_has_an_order_and_labels_follow_their_codes():
    assert form_order.ordered_keys(["category_label", "name", "region", "parent_org"], form_order.ORGANIZATION) == [
        "name", "category_label", "region", "parent_org"]
    for subject_type in ("activity", "communicator_verification", "verification_change", "organization", "resource"):
        assert form_order.order_for(subject_type)
    grants = {"grants_people": 12, "grants_area": "建外街道", "grants_role": "街道管理员"}
    rows = snapshot_rows({"real_name": "王", "grants": grants, "region": "北京市"}, "zh_CN", "communicator_verification")
    assert [value for _, value in dict(rows)[[n for n, _ in rows][-1]]] == ["街道管理员", "建外街道", 12]
