from datetime import datetime, timezone

from icalendar import Calendar

from services.activities import ical


def activity(**changes):
    item = {"id": "7d7c2c4e-0000-4000-8000-000000000001", "sequence": 0, "shelf": "on", "name": "气象科普开放日",
            "start_at": "2023-09-16T02:00:00+00:00", "end_at": "2023-09-16T05:00:00+00:00",
            "region": {"full_name": "广东省广州市天河区"}, "supervising_unit": {"name": "天河区科协"},
            "details": {"content": "参观观测场", "audience": "中小学生", "contact_person": "陈老师",
                        "contact_phone": "020-38881234"},
            "reservation": {"enabled": True, "url": "https://booking.example.cn/a"},
            "updated_at": datetime(2023, 9, 1, tzinfo=timezone.utc)}
    item.update(changes)
    return item


def parsed(*activities):
    return Calendar.from_ical(ical.calendar([ical.event_text(activity) for activity in activities]))


def test_an_event_in_shanghai_time_with_a_vtimezone_and_a_stable_uid():
    cal = parsed(activity())
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    event = cal.walk("VEVENT")[0]
    assert event["UID"] == "7d7c2c4e-0000-4000-8000-000000000001@activities.kepu.cn"
    assert event.decoded("DTSTART").isoformat() == "2023-09-16T10:00:00+08:00"
    assert event["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert (event["STATUS"], event["SEQUENCE"]) == ("CONFIRMED", 0)
    assert "预约：https://booking.example.cn/a" in event["DESCRIPTION"]


def test_a_re_approval_raises_the_sequence_and_off_the_shelf_is_cancelled():
    event = parsed(activity(sequence=2, shelf="off")).walk("VEVENT")[0]
    assert (event["STATUS"], event["SEQUENCE"], event["UID"]) == (
        "CANCELLED", 2, "7d7c2c4e-0000-4000-8000-000000000001@activities.kepu.cn")
