"""The reviewers' web UI in headless Chromium (Debian's), against the whole platform as processes.

Runs in its own pytest process without eventlet (scripts/run_tests.py): pytest -m browser.
"""
import re
import os
import shutil
import tempfile
import struct
import zlib
from pathlib import Path

import pytest
import requests

from kepu_common.interfaces.contracts import make_event
from kepu_common.devtools.testing import publish_events
from services.identity.cli import create_admin
from tests.test_identity_journey import PASSWORD, eventually, get, post, sign_up, verify_by_admin

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed (apt-get install chromium)"),
]

# screenshots of the main pages; KEPU_SCREENSHOTS_DIR=$PWD/docs/screenshots make test refreshes the docs' copies
SCREENSHOTS = Path(os.environ.get("KEPU_SCREENSHOTS_DIR", Path(tempfile.gettempdir()) / "kepu-screenshots"))


def png(width=320, height=200):
    """A real PNG (a blue gradient), so the preview has pixels to show."""
    rows = b"".join(b"\x00" + b"".join(bytes((x * 255 // width, y * 255 // height, 200)) for x in range(width))
                    for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def request_activity_review(platform, subject_id, province, name):
    event = make_event("review_requested", "activities", subject_type="activity", subject_id=subject_id,
                       stage="provincial", scope=province,
                       snapshot={"name": name, "mode": "线下", "start_at": "2026-09-20 09:00"})
    publish_events(platform.env["AMQP_URI"], [event])


def request_resource_review(platform, subject_id, title):
    """A resource as the resources service asks for its review: codes beside their labels, sizes in bytes,
    durations in seconds, times in UTC (the UI shows them as people read them)."""
    event = make_event("review_requested", "resources", subject_type="resource", subject_id=subject_id,
                       stage="initial", scope=None,
                       snapshot={"title": title, "type": "video", "type_label": "视频", "keywords": ["雾霾", "健康"],
                                 "filename": "雾霾的成因.mp4", "file_size": 15243, "content_type": "video/mp4",
                                 "duration_seconds": 125.0, "duration_seconds_label": "2:05",
                                 "updated_at": "2026-03-01T02:30:00+00:00",
                                 "org_name": "北京市朝阳区气象科普馆", "files": []})
    publish_events(platform.env["AMQP_URI"], [event])


# every header and short cell on one line: a column squeezed to one character a line (省/份, 已等/待) fails
# (boxes of one line overlap vertically; a box wholly below another is a second line)
WRAPPED_CELLS = """() => [...document.querySelectorAll('th, td.nowrap')].filter(cell => {
  const range = document.createRange(); range.selectNodeContents(cell);
  const boxes = [...range.getClientRects()].filter(box => box.width > 0 && box.height > 0);
  return boxes.some(box => boxes.some(other => box.top >= other.bottom - 1));
}).map(cell => cell.textContent.trim())"""


def login_token(platform, phone):
    return post(platform, "/auth/login", {"phone": phone, "password": PASSWORD}).json()["tokens"]["access_token"]


@pytest.fixture(scope="module")
def seeded(platform):
    create_admin(platform.database_url("identity"), "13500000001", PASSWORD)
    admin = login_token(platform, "13500000001")
    reviewers = {}
    for phone, scope in [("13500000002", "provincial:440000"), ("13500000003", "realname")]:
        user = sign_up(platform, phone)
        verify_by_admin(platform, user, admin)  # reviewer roles go only to real-name-verified accounts
        assert post(platform, f"/admin/users/{user['user']['id']}/roles", {"role": "reviewer", "scope": scope},
                    admin).status_code == 200
        reviewers[scope] = phone
    # three real-name submissions
    for n, (phone, number) in enumerate([("13500000011", "11010519491231002X"), ("13500000012", "440106199001011235"),
                                         ("13500000013", "510104198512120012")]):
        token = sign_up(platform, phone)["tokens"]["access_token"]
        assert post(platform, "/me/verification", {
            "real_name": ["张三", "李四", "王五"][n], "id_number": number, "unit_name": "科技馆", "unit_address": "北京市",
            "communicator_type": "individual", "region_code": "110105"}, token).status_code == 202
    # an organization entry with a licence image to preview (its registrant must be verified first)
    owner = sign_up(platform, "13500000021")
    token = owner["tokens"]["access_token"]
    post(platform, "/me/verification", {"real_name": "赵六", "id_number": "11010519800101001" + _check("11010519800101001"),
                                        "unit_name": "科协", "unit_address": "北京市", "communicator_type": "individual",
                                        "region_code": "110105"}, token)
    realname = "/review/tasks?stage=realname&page_size=200"
    task = eventually(lambda: [t for t in get(platform, realname, admin).json()["items"]
                               if t["snapshot"]["real_name"] == "赵六"])[0]
    assert post(platform, f"/review/tasks/{task['id']}/decision", {"decision": "approved"}, admin).status_code == 200
    assert eventually(lambda: get(platform, "/me", token).json()["verification"]["status"] == "approved")
    token = login_token(platform, "13500000021")
    licence = requests.post(f"{platform.gateway_url}/api/v1/orgs/licence", data=png(), timeout=20,
                            headers={"Authorization": f"Bearer {token}", "Content-Type": "image/png"}).json()
    assert post(platform, "/orgs", {"name": "北京市朝阳区科普志愿者协会", "category": "society", "region_code": "110105",
                                    "licence_key": licence["licence_key"], "contact_name": "赵六",
                                    "contact_phone": "13500000021"}, token).status_code == 202
    request_activity_review(platform, "act-gd", "440000", "广州科学嘉年华")
    request_activity_review(platform, "act-bj", "110000", "北京科技周开放日")
    request_resource_review(platform, "res-smog", "雾霾的成因与防护")
    eventually(lambda: get(platform, "/review/tasks?page_size=200", admin).json()["total"] == 7)
    return {"admin": "13500000001", **reviewers}


def _check(first17):
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights)) % 11]


def signed_in(browser, platform, phone):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.goto(f"{platform.review_ui_url}/login")
    page.fill("#phone", phone)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{platform.review_ui_url}/")
    return page


def shot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_sign_in_queues_preview_reject_approve_and_batch(browser, platform, seeded):
    login_page = browser.new_page(locale="zh-CN")
    login_page.goto(f"{platform.review_ui_url}/login")
    shot(login_page, "login")
    login_page.fill("#phone", seeded["admin"])
    login_page.fill("#password", "wrong-password1")
    login_page.click("button[type=submit]")
    assert "手机号或密码错误" in login_page.inner_text("main")

    page = signed_in(browser, platform, seeded["admin"])
    cards = page.inner_text(".cards")
    assert "实名认证" in cards and "机构认证" in cards and "省级审批" in cards
    shot(page, "queues")

    page.click("text=机构认证")
    page.click("text=北京市朝阳区科普志愿者协会")
    image = page.locator(".preview img")
    image.wait_for()
    assert page.evaluate("img => img.complete && img.naturalWidth", image.element_handle()) == 320
    shot(page, "task")
    decided_task = page.url  # decided below
    page.click("#reject")  # no reason yet: the form is not sent
    assert page.locator("#comment").evaluate("el => el.validationMessage") == "驳回时必须填写理由"
    page.fill("#comment", "营业执照图片与机构名称不一致")
    page.click("#reject")
    assert "已驳回" in page.inner_text(".flash")

    page.goto(f"{platform.review_ui_url}/tasks?stage=realname")
    page.set_viewport_size({"width": 480, "height": 860})  # a narrow window squeezes the short columns first
    assert page.evaluate(WRAPPED_CELLS) == []
    page.set_viewport_size({"width": 1280, "height": 860})
    shot(page, "tasks")
    page.click("text=张三")
    page.click("#approve")
    assert "已通过" in page.inner_text(".flash")

    # a batch over a list grown stale: 李四 was decided meanwhile (through the API); one message for it
    page.goto(f"{platform.review_ui_url}/tasks?stage=realname")
    admin_token = login_token(platform, seeded["admin"])
    li = [t for t in get(platform, "/review/tasks?stage=realname", admin_token).json()["items"]
          if t["snapshot"]["real_name"] == "李四"][0]
    decided = post(platform, f"/review/tasks/{li['id']}/decision", {"decision": "approved"}, admin_token)
    assert decided.status_code == 200
    page.check("#select-all")
    page.click("text=批量通过")
    # other journeys share the platform and may have left verifications in this queue: at least 王五's is ours
    assert re.search(r"已处理 [1-9]\d* 项，1 项未处理", page.inner_text(".flash.warning"))
    refusals = page.locator(".flash.error")
    assert refusals.count() == 1 and refusals.inner_text().startswith("李四：")
    shot(page, "batch")
    assert "没有符合条件的任务" in page.inner_text("table")

    # decided: who decided and when, no waiting column; a person by name or masked phone, never an id
    page.goto(f"{platform.review_ui_url}/tasks?status=decided")
    assert page.locator("tbody tr").count() >= 4
    headers = page.inner_text("thead")
    assert "审核人" in headers and "审核时间" in headers and "已等待" not in headers
    assert "135****0001" in page.inner_text("tbody") and page.evaluate(WRAPPED_CELLS) == []
    shot(page, "decided")
    page.goto(decided_task)
    assert "审核人：135****0001" in page.inner_text("main")
    assert "（135****0001）" in page.inner_text(".history")


def test_snapshot_values_as_people_read_them_and_friendly_bad_links(browser, platform, seeded):
    page = signed_in(browser, platform, seeded["admin"])
    page.goto(f"{platform.review_ui_url}/tasks?stage=initial")
    page.click("text=雾霾的成因与防护")
    content = page.inner_text(".snapshot")
    assert "视频" in content and "video" not in content.replace("video/mp4", "")
    assert "14.9 KB" in content and "15243" not in content and "2:05" in content
    assert "最后修改\t2026-03-01 10:30" in content or "最后修改 2026-03-01 10:30" in content.replace("\n", " ")
    assert "updated_at" not in content and "文件大小\t14.9 KB" in content.replace("\n", "\t")
    shot(page, "resource_task")
    for path, message in (("/tasks?stage=bogus", "筛选条件无效"), ("/tasks?status=bogus", "筛选条件无效")):
        response = page.goto(f"{platform.review_ui_url}{path}")
        assert response.status == 400 and message in page.inner_text("main")
    response = page.goto(f"{platform.review_ui_url}/tasks?page=abc")
    assert response.status == 200 and "第 1 页" in page.inner_text("main")
    # a form altered by hand: a bad decision, a comment over the limit
    page.goto(f"{platform.review_ui_url}/tasks?stage=initial")
    page.click("text=雾霾的成因与防护")
    csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
    for form, message in (({"decision": "bogus"}, "审核结论无效"),
                          ({"decision": "rejected", "comment": "长" * 2001}, "审核意见不能超过 2000 个字")):
        response = page.request.post(f"{page.url}/decision", form={**form, "csrf_token": csrf})
        assert response.status == 400 and message in response.text()


def test_provincial_reviewer_sees_only_their_province(browser, platform, seeded):
    page = signed_in(browser, platform, seeded["provincial:440000"])
    assert "省级审批" in page.inner_text(".cards") and "实名认证" not in page.inner_text(".cards")
    page.click("text=省级审批")
    rows = page.inner_text("tbody")
    assert "广州科学嘉年华" in rows and "北京科技周开放日" not in rows
    admin = signed_in(browser, platform, seeded["admin"])
    admin.goto(f"{platform.review_ui_url}/tasks?stage=provincial")
    admin.click("text=北京科技周开放日")
    beijing_task = admin.url
    response = page.goto(beijing_task)
    assert response.status == 403
    assert "不在您的审核范围内" in page.inner_text("main")


def test_task_claimed_by_someone_else_says_so(browser, platform, seeded):
    admin = signed_in(browser, platform, seeded["admin"])
    admin.goto(f"{platform.review_ui_url}/tasks?stage=provincial")
    admin.click("text=广州科学嘉年华")
    admin.click("text=领取任务")
    assert "已领取该任务" in admin.inner_text(".flash")
    other = signed_in(browser, platform, seeded["provincial:440000"])
    other.goto(admin.url)
    assert "已被其他审核员领取" in other.inner_text("main")
    other.fill("#comment", "活动时间冲突")
    other.click("#reject")
    assert "已被其他审核员领取" in other.inner_text("main")


def test_forged_session_and_cross_site_post_are_refused(browser, platform, seeded):
    page = signed_in(browser, platform, seeded["admin"])
    page.goto(f"{platform.review_ui_url}/tasks?stage=provincial")
    page.click("text=北京科技周开放日")
    task_url = page.url
    # a form posted from another site carries the cookie but not the CSRF token
    response = page.request.post(f"{task_url}/decision", form={"decision": "approved"})
    assert response.status == 400 and "表单已失效" in response.text()
    page.reload()
    assert "审核" in page.inner_text("main") and page.locator("#approve").count() == 1
    forged = browser.new_context()
    forged.add_cookies([{"name": "session", "value": "eyJmb3JnZWQiOnRydWV9.forged.signature",
                         "url": platform.review_ui_url}])
    forged_page = forged.new_page()
    forged_page.goto(f"{platform.review_ui_url}/")
    assert forged_page.url.startswith(f"{platform.review_ui_url}/login")
