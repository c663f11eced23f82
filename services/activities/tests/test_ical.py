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


def test_the_organizer_is_the_host_at_its_published_contact_and_the_url_leads_back():
    hosts = [{"org_id": None, "name": "广州市天河区气象局"}, {"org_id": None, "name": "天河区科协"}]
    with_email = activity(hosts=hosts, details={**activity()["details"], "contact_email": "kepu@tianhe.example.cn"})
    text = ical.calendar([(with_email["id"], ical.event_text(with_email)), ical.event_text(activity())],
                         web_url="https://www.kepu.example.cn/")
    first, second = Calendar.from_ical(text).walk("VEVENT")
    assert str(first["ORGANIZER"]) == "mailto:kepu@tianhe.example.cn"
    assert first["ORGANIZER"].params["CN"] == "广州市天河区气象局"  # the first 主办单位
    assert str(first["URL"]) == "https://www.kepu.example.cn/activities/7d7c2c4e-0000-4000-8000-000000000001"
    # no published e-mail: the published contact phone; no host named: the supervising unit
    assert str(second["ORGANIZER"]) == "tel:020-38881234" and second["ORGANIZER"].params["CN"] == "天河区科协"
    assert "URL" not in second  # given without its id: left as rendered
    assert "noreply" not in text


def test_a_long_link_is_folded_and_reads_back_whole():
    long_base = "https://www.kepu.example.cn/" + "全国科普日" * 12
    text = ical.calendar([("a" * 36, ical.event_text(activity()))], web_url=long_base)
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert str(Calendar.from_ical(text).walk("VEVENT")[0]["URL"]) == f"{long_base}/activities/{'a' * 36}"
