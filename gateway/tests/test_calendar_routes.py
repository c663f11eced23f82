"""The calendar routes' validators (services stubbed at the RPC boundary): a strong ETag and Last-Modified,
304 on If-None-Match / If-Modified-Since, If-None-Match deciding when both come (RFC 9110 13.2.2)."""
import uuid

import pytest

from gateway import rpc

ACTIVITY = str(uuid.uuid4())
FEED = {"text": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", "last_modified": "2026-09-01T08:30:05+00:00"}


@pytest.fixture
def feeds(monkeypatch):
    answers = {"feed": dict(FEED)}

    def fake(service, method, *args, **kwargs):
        assert (service, method) == ("activities", "calendar_feed")
        return dict(answers["feed"])

    monkeypatch.setattr(rpc, "call", fake)
    return answers


@pytest.mark.parametrize("path", [f"/api/v1/activities/{ACTIVITY}.ics", "/api/v1/activities/calendar.ics"])
def test_a_poll_of_an_unchanged_calendar_is_answered_304(client, feeds, path):
    first = client.get(path)
    assert first.status_code == 200 and first.headers["Content-Type"].startswith("text/calendar")
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert first.headers["Last-Modified"] == "Tue, 01 Sep 2026 08:30:05 GMT"
    assert first.headers["Cache-Control"] == "no-cache"
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    since = client.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304
    older = client.get(path, headers={"If-Modified-Since": "Tue, 01 Sep 2026 08:30:04 GMT"})
    assert older.status_code == 200 and older.data == first.data
    # an event changed: a new body, a new ETag; If-None-Match wins over a still-recent If-Modified-Since
    feeds["feed"]["text"] = FEED["text"].replace("END:VCALENDAR", "X-WR-CALNAME:新\r\nEND:VCALENDAR")
    changed = client.get(path, headers={"If-None-Match": etag, "If-Modified-Since": "Wed, 02 Sep 2026 00:00:00 GMT"})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_a_feed_without_a_change_time_has_only_its_etag(client, feeds):
    feeds["feed"]["last_modified"] = None  # filtered by time_status: its events come and go with the clock
    answer = client.get("/api/v1/activities/calendar.ics?time_status=ongoing")
    assert answer.status_code == 200 and "Last-Modified" not in answer.headers and answer.headers["ETag"]
    assert client.get("/api/v1/activities/calendar.ics?time_status=ongoing",
                      headers={"If-Modified-Since": "Wed, 02 Sep 2099 00:00:00 GMT"}).status_code == 200
