"""The reviewers' workbench in headless Chromium (Debian's), against the whole platform as processes: a
provincial reviewer sorts by start date and decides the soonest activity first; an overdue task escalates to
the stage's lead, who reassigns it (its claimant is notified); the follow-up view shows a photo and plays a
video; axe-core finds no violations on the pages reviewers use.

Runs in its own pytest process without eventlet (scripts/run_tests.py): pytest -m browser.
"""
import shutil
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from kepu_common.interfaces.contracts import make_event
from kepu_common.bus.rpc_client import RpcClient
from kepu_common.devtools.testing import publish_events
from services.identity.cli import create_admin
from services.resources.tests.conftest import png_bytes, video_bytes
from tests.test_activities_journey import activity_form, approve_all, ended, organization, put, reviewer, uploaded
from tests.test_identity_journey import PASSWORD, eventually, get, post, sign_up, verify_by_admin
from tests.test_resources_journey import login
from tests.test_review_ui import shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed (apt-get install chromium)"),
]

# axe-core 4.14.1 (MPL-2.0), vendored from npm: tests/vendor/axe-core (its LICENSE beside it)
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
JIANGSU = "320000"  # no other browser test reviews this province: the queue holds only this module's tasks


def violations(page):
    """axe-core's violations on the page as it is now (WCAG 2 A/AA and best practices), as readable lines."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document)).violations.map(v => "
                          "v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))")
    return found


def signed_in(browser, platform, phone):
    # bypass_csp: axe is injected as a script the page's CSP would (rightly) refuse
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 860}, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{platform.review_ui_url}/login")
    page.fill("#phone", phone)
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{platform.review_ui_url}/")
    return page


def request_activity(platform, subject_id, name, starts_in_days, phone):
    start = (datetime.now(timezone.utc) + timedelta(days=starts_in_days)).astimezone(
        timezone(timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")
    event = make_event("review_requested", "activities", subject_type="activity", subject_id=subject_id,
                       stage="provincial", scope=JIANGSU,
                       snapshot={"name": name, "start_at": start, "end_at": start, "region": "江苏省南京市玄武区",
                                 "supervising_unit": "江苏省科协（省级科协，江苏省）",
                                 "details": {"contact_person": "周老师", "contact_phone": phone}})
    publish_events(platform.env["AMQP_URI"], [event])


@pytest.fixture(scope="module")
def bench(platform):
    create_admin(platform.database_url("identity"), "13500000301", PASSWORD)
    admin = login(platform, "13500000301")
    people = {}
    for name, phone in (("first", "13500000302"), ("second", "13500000303"), ("lead", "13500000304")):
        user = sign_up(platform, phone)
        verify_by_admin(platform, user, admin)
        assert post(platform, f"/admin/users/{user['user']['id']}/roles",
                    {"role": "reviewer", "scope": f"provincial:{JIANGSU}"}, admin).status_code == 200
        people[name] = {"phone": phone, "id": user["user"]["id"]}
    client = RpcClient(platform.env["AMQP_URI"], timeout=20)
    admin_id = get(platform, "/me", admin).json()["id"]
    eventually(lambda: client.call("review", "queues", {"actor_id": admin_id}) is not None)
    client.call("review", "set_lead", {"actor_id": admin_id, "user_id": people["lead"]["id"],
                                       "scope": f"provincial:{JIANGSU}"})
    client.close()
    # requested oldest first: the far one has waited longest, the soon one arrived last
    request_activity(platform, "wb-far", "南京天文馆开放夜", 40, "13500000311")
    request_activity(platform, "wb-mid", "苏州机器人工作坊", 20, "13500000312")
    request_activity(platform, "wb-soon", "无锡科普大篷车进校园", 3, "13500000313")
    eventually(lambda: len(get(platform, "/review/tasks?stage=provincial&page_size=200&q=%E8%BF%9B%E6%A0%A1%E5%9B%AD",
                               admin).json()["items"]) == 1)
    return {"admin": admin, **people}


def test_sign_in_pages_mark_a_refusal_and_pass_axe(browser, platform, bench):
    context = browser.new_context(locale="zh-CN", bypass_csp=True)
    page = context.new_page()
    page.goto(f"{platform.review_ui_url}/login")
    assert violations(page) == []
    page.fill("#phone", bench["first"]["phone"])
    page.fill("#password", "not-the-password1")
    page.click("form button[type=submit]")
    assert page.locator("#phone[aria-invalid=true]").count() == 1
    assert page.locator("#password[aria-invalid=true]").count() == 1
    assert violations(page) == []
    page.click("text=验证码登录")
    assert page.locator("text=获取验证码").count() == 1 and violations(page) == []
    response = page.goto(f"{platform.review_ui_url}/no-such-page")
    assert response.status == 404 and "页面不存在" in page.inner_text("main") and violations(page) == []


def test_a_provincial_reviewer_sorts_by_start_date_and_decides_the_soonest_first(browser, platform, bench):
    page = signed_in(browser, platform, bench["first"]["phone"])
    assert violations(page) == []
    page.fill("input[name=q]", "大篷车")  # the queue page searches too
    page.click("text=搜索")
    assert page.locator("tbody tr").count() == 1 and "无锡科普大篷车进校园" in page.inner_text("tbody")
    page.goto(f"{platform.review_ui_url}/tasks?stage=provincial")
    rows = page.locator("tbody tr")
    assert "南京天文馆开放夜" in rows.nth(0).inner_text()  # longest waiting first by default
    assert violations(page) == []
    page.select_option("#sort", "start_at")  # the list re-sorts at once
    page.wait_for_url("**sort=start_at**")
    first = rows.nth(0).inner_text()
    assert "无锡科普大篷车进校园" in first and "不足7天" in first
    assert "不足7天" not in rows.nth(1).inner_text() and "苏州机器人工作坊" in rows.nth(1).inner_text()
    assert "江苏省" in page.inner_text("tbody")
    shot(page, "tasks_by_start_date")
    # search by the submitter's phone: exact, shown masked
    page.goto(f"{platform.review_ui_url}/tasks?stage=provincial&phone=13500000312")
    assert page.locator("tbody tr").count() == 1 and "苏州机器人工作坊" in page.inner_text("tbody")
    response = page.goto(f"{platform.review_ui_url}/tasks?stage=provincial&phone=1350000")
    assert response.status == 400 and "请输入11位中国大陆手机号" in page.inner_text("main")
    response = page.goto(f"{platform.review_ui_url}/tasks?stage=provincial&sort=price")
    assert response.status == 400 and "筛选条件无效" in page.inner_text("main")
    # the soonest is decided first
    page.goto(f"{platform.review_ui_url}/tasks?stage=provincial&sort=start_at")
    page.click("text=无锡科普大篷车进校园")
    snapshot = page.inner_text(".snapshot")
    assert snapshot.index("开始时间") < snapshot.index("结束时间") < snapshot.index("所在地区")
    assert violations(page) == []
    shot(page, "activity_task")
    page.click("#approve")
    page.goto(f"{platform.review_ui_url}/tasks?stage=provincial&status=decided")
    newest = page.locator("tbody tr").nth(0).inner_text()
    assert "无锡科普大篷车进校园" in newest and "用时" in page.inner_text("thead")
    assert violations(page) == []


def test_an_overdue_task_escalates_to_the_lead_who_reassigns_it(browser, platform, bench):
    claimant = signed_in(browser, platform, bench["first"]["phone"])
    claimant.goto(f"{platform.review_ui_url}/tasks?stage=provincial&q=机器人")
    claimant.click("text=苏州机器人工作坊")
    claimant.click("text=领取任务")
    task_url = claimant.url
    task_id = task_url.rsplit("/", 1)[1]
    platform.query("review", "UPDATE tasks SET due_at = now() - interval '1 hour' WHERE id = %s RETURNING id",
                   (task_id,))
    claimant.goto(f"{platform.review_ui_url}/")
    assert "件已超时" in claimant.inner_text(".cards")
    # a reviewer who leads nothing may not reassign: a zh page, nothing changed
    csrf = claimant.locator("input[name=csrf_token]").first.get_attribute("value")
    refused = claimant.request.post(f"{task_url}/reassign", form={"csrf_token": csrf,
                                                                  "to_user_id": bench["second"]["id"]})
    assert refused.status == 403 and "审核组长" in refused.text()
    assert platform.query("review", "SELECT claimed_by FROM tasks WHERE id = %s", (task_id,)) == [
        (bench["first"]["id"],)]

    lead = signed_in(browser, platform, bench["lead"]["phone"])
    assert "超时或长时间认领" in lead.inner_text("main")
    lead.click("text=您负责的审核环节有超时或长时间认领的任务，请查看并改派。")
    row = lead.locator("tbody tr", has_text="苏州机器人工作坊")
    assert "已超时" in row.inner_text()
    assert violations(lead) == []
    shot(lead, "escalations")
    row.locator("select[name=to_user_id]").select_option(bench["second"]["id"])
    row.locator("button", has_text="改派").click()
    assert "任务已改派" in lead.inner_text(".flash")
    assert platform.query("review", "SELECT claimed_by FROM tasks WHERE id = %s", (task_id,)) == [
        (bench["second"]["id"],)]
    first_token = login(platform, bench["first"]["phone"])
    told = eventually(lambda: [n for n in get(platform, "/me/notifications?page_size=50", first_token).json()["items"]
                               if n["kind"] == "review_task_released"])
    assert told and "苏州机器人工作坊" in told[0]["body"]
    # the new claimant sees it as theirs
    second = signed_in(browser, platform, bench["second"]["phone"])
    second.goto(task_url)
    assert second.locator("text=释放任务").count() == 1 or "释放" in second.inner_text("main")


def test_the_follow_up_view_shows_a_photo_and_plays_a_video(browser, platform):
    create_admin(platform.database_url("identity"), "13500000321", PASSWORD)
    admin = login(platform, "13500000321")
    reviewers = {"provincial": reviewer(platform, admin, "13500000322", "provincial:440000"),
                 "national": reviewer(platform, admin, "13500000323", "national")}
    publisher, _ = organization(platform, "13500000324", 931, "越秀区科普示范基地（工作台）", "other", "440104")
    _, county = organization(platform, "13500000325", 932, "广州市越秀区科学技术协会（工作台）", "county_cast", "440104")
    today = date.today()
    campaign = post(platform, "/campaigns", {"name": "全国科普日（工作台）", "year": today.year,
                                             "window_start": (today - timedelta(days=5)).isoformat(),
                                             "window_end": (today + timedelta(days=40)).isoformat()}, admin).json()["id"]
    poster = uploaded(platform, publisher, png_bytes(), "activity_poster", "image/png", "海报.png")
    created = eventually(lambda: (lambda r: r if r.status_code == 201 else None)(
        post(platform, "/activities", activity_form(campaign, county, "county_cast", poster, "越秀科普开放日",
                                                    region="440104"), publisher)))
    activity_id = created.json()["id"]
    approve_all(platform, reviewers, activity_id)
    eventually(lambda: get(platform, f"/activities/{activity_id}", publisher).json()["review_status"] == "approved")
    ended(platform, activity_id)
    photos = [{"upload_id": uploaded(platform, publisher, png_bytes(640, 480), "followup_photo", "image/png",
                                     f"现场{n}.png"), "caption": f"现场 {n}", "evidence": n == 0} for n in range(3)]
    # H.264 in MP4, as phones record: what Chromium plays
    video = uploaded(platform, publisher, video_bytes(seconds=2, codec="libx264", size=(160, 120)), "followup_video",
                     "video/mp4", "现场.mp4")
    done = put(platform, f"/activities/{activity_id}/followup",
               {"photos": photos, "video_upload_ids": [video], "participants": 80,
                "media_links": ["https://news.example.cn/yuexiu"],
                "summary": {"basic_facts": "参与80人。", "results": "完成实验。", "highlights": "现场实验。",
                            "reusable_resources": "实验手册一套。", "lessons": "提前预约效果好。"}, "submit": True},
               publisher)
    assert done.status_code == 200, done.text

    page = signed_in(browser, platform, "13500000323")
    page.goto(f"{platform.review_ui_url}/activities/{activity_id}/followup")
    image = page.locator(".gallery img").first
    image.wait_for()
    assert page.evaluate("img => img.complete && img.naturalWidth > 0", image.element_handle())
    assert "参与人数佐证" in page.inner_text(".gallery") and "实验手册一套。" in page.inner_text(".snapshot")
    played = page.evaluate("""async () => {
        const video = document.querySelector('video'); video.muted = true;
        await video.play();
        await new Promise(done => setTimeout(done, 700));
        return {time: video.currentTime, error: video.error && video.error.code};
    }""")
    assert played["error"] is None and played["time"] > 0, played
    assert violations(page) == []
    shot(page, "followup")
