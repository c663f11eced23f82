"""The poster pre-check end to end (issue 30), every service its own process: an organization publishes an
activity whose poster (a JPEG rendered with a CJK font) lacks the 全国科普日 mark; the activities service's
job reads it off the request path; its owner reads the checklist through the gateway, and the provincial
reviewer sees "未找到" for the mark on the task page in Chromium.

Runs in its own pytest process without eventlet (scripts/run_tests.py): pytest -m browser.
"""
import shutil
from datetime import date, datetime, timedelta

import pytest

from services.activities.rules import SHANGHAI
from services.activities.tests.posters import poster
from services.identity.cli import create_admin
from tests.test_activities_journey import activity_form, organization, reviewer, uploaded
from tests.test_identity_journey import PASSWORD, eventually, get, post
from tests.test_resources_journey import login
from tests.test_review_ui import shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed (apt-get install chromium)"),
]


def test_a_poster_without_the_mark_shows_mark_not_found_to_the_reviewer(browser, platform):
    create_admin(platform.database_url("identity"), "13900730001", PASSWORD)
    admin = login(platform, "13900730001")
    provincial = reviewer(platform, admin, "13900730002", "provincial:440000")
    publisher, _ = organization(platform, "13900730010", 731, "天河区海报预检科普馆", "other", "440106")
    _, tianhe_cast = organization(platform, "13900730011", 732, "广州市天河区海报预检科协", "county_cast", "440106")
    today = date.today()
    made = post(platform, "/campaigns", {"name": "全国科普日（海报预检）", "year": today.year,
                                         "window_start": (today - timedelta(days=5)).isoformat(),
                                         "window_end": (today + timedelta(days=40)).isoformat(),
                                         "quotas": {"county_cast": 1}}, admin)
    assert made.status_code == 201, made.text

    name = "海报预检：气象科普开放日"
    form = activity_form(made.json()["id"], tianhe_cast, "county_cast", None, name)
    start = datetime.fromisoformat(form["start_at"]).astimezone(SHANGHAI)
    image = poster([("气象嘉年华", 96), (name, 56), (f"时间：{start.year}年{start.month}月{start.day}日{start:%H:%M}", 48),
                    ("主办单位：广州市天河区海报预检科协", 44)])
    form["poster_upload_id"] = uploaded(platform, publisher, image, "activity_poster", "image/jpeg", "海报.jpg")
    submitted = eventually(lambda: (lambda r: r if r.status_code == 201 else None)(
        post(platform, "/activities", {**form, "client_key": "poster-check-ui"}, publisher)), timeout=60)
    assert submitted, "the activities service never learned the directory or the publisher's role"
    activity_id = submitted.json()["id"]

    # the owner reads the checklist through the gateway once the job has read the poster
    checked = eventually(lambda: (lambda r: r if r["state"] != "pending" else None)(
        get(platform, f"/activities/{activity_id}/poster-check", publisher).json()), timeout=240)
    assert checked and checked["state"] == "read", checked
    statuses = {item["key"]: item["status"] for item in checked["items"]}
    assert statuses["mark"] == "not_found" and statuses["name"] == "found" and statuses["date"] == "found"

    task = eventually(lambda: [t for t in get(platform, "/review/tasks?stage=provincial&page_size=200",
                                              provincial).json()["items"] if t["subject_id"] == activity_id])
    assert task, "no provincial task for the activity"
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.goto(f"{platform.review_ui_url}/login")
    page.fill("#phone", "13900730002")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{platform.review_ui_url}/")
    page.goto(f"{platform.review_ui_url}/tasks/{task[0]['id']}")
    mark = page.locator('#poster-check li[data-item="mark"]')
    assert mark.get_attribute("data-status") == "not_found"
    assert "全国科普日文字" in mark.inner_text() and "未找到" in mark.inner_text()
    assert "已找到" in page.locator('#poster-check li[data-item="name"]').inner_text()
    assert "不作为审核结论" in page.locator("#poster-check").inner_text()
    shot(page, "review-poster-check")
    context.close()
