"""A provincial reviewer decides an activity in the review UI, its poster shown, in headless Chromium, against
the whole platform as processes. Runs in the browser pass: KEPU_TEST_NO_EVENTLET=1 pytest -m browser."""
import shutil
from datetime import date, timedelta

import pytest

from services.identity.cli import create_admin
from services.resources.tests.conftest import png_bytes
from tests.test_activities_journey import activity_form, organization, reviewer, status_of, uploaded
from tests.test_identity_journey import PASSWORD, eventually, post
from tests.test_resources_journey import login
from tests.test_review_ui import shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed (apt-get install chromium)"),
]


def test_a_provincial_reviewer_approves_an_activity_with_its_poster_shown(browser, platform):
    create_admin(platform.database_url("identity"), "13900130001", PASSWORD)
    admin = login(platform, "13900130001")
    reviewer(platform, admin, "13900130002", "provincial:440000")
    publisher, _ = organization(platform, "13900130010", 131, "天河区青少年科技馆", "other", "440106")
    _, tianhe_cast = organization(platform, "13900130011", 132, "广州市天河区科学技术协会（界面）", "county_cast",
                                  "440106")
    today = date.today()
    campaign = post(platform, "/campaigns", {"name": "全国科普日（界面）", "year": today.year,
                                             "window_start": (today - timedelta(days=1)).isoformat(),
                                             "window_end": (today + timedelta(days=30)).isoformat()}, admin).json()
    poster = uploaded(platform, publisher, png_bytes(600, 840), "activity_poster", "image/png", "海报.png")
    form = activity_form(campaign["id"], tianhe_cast, "county_cast", poster, "天河科学之夜：星空观测")
    # retried until activities knows the directory; the key keeps a retry after a time-out from publishing twice
    submitted = eventually(lambda: (lambda r: r if r.status_code == 201 else None)(
        post(platform, "/activities", {**form, "client_key": "ui-tianhe-night"}, publisher)))
    assert submitted, "the activities service never learned the directory or the publisher's role"
    activity_id = submitted.json()["id"]

    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 1100})
    page = context.new_page()
    page.goto(f"{platform.review_ui_url}/login")
    page.fill("#phone", "13900130002")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{platform.review_ui_url}/")
    assert eventually(lambda: "天河科学之夜" in _queue(page, platform))
    page.click("text=天河科学之夜：星空观测")
    poster_image = page.locator(".preview img")
    poster_image.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=poster_image.element_handle())
    assert page.evaluate("img => img.naturalWidth", poster_image.element_handle()) == 600
    content = page.inner_text("main")
    assert "广州市天河区科学技术协会（界面）" in content and "陈老师" in content
    shot(page, "activity_task")
    page.click("#approve")
    assert "已通过" in page.inner_text(".flash")
    assert status_of(platform, publisher, activity_id, "pending_national")


def _queue(page, platform):
    page.goto(f"{platform.review_ui_url}/tasks?stage=provincial")
    return page.inner_text("main")
