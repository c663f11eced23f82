"""The reviewers' web UI in headless Chromium (Debian's), against the whole platform as processes.

Runs in its own pytest process without eventlet (scripts/run_tests.py): pytest -m browser.
"""
import os
import shutil
import tempfile
import struct
import zlib
from pathlib import Path

import pytest
import requests

from kepu_common.contracts import make_event
from kepu_common.testing import publish_events
from services.identity.cli import create_admin
from tests.test_identity_journey import PASSWORD, eventually, get, post, sign_up

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed (apt-get install chromium)"),
]

# screenshots of the main pages; KEPU_SCREENSHOTS_DIR=$PWD/docs/screenshots make test refreshes the docs' copies
SCREENSHOTS = Path(os.environ.get("KEPU_SCREENSHOTS_DIR", Path(tempfile.gettempdir()) / "kepu-screenshots"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


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


def login_token(platform, phone):
    return post(platform, "/auth/login", {"phone": phone, "password": PASSWORD}).json()["tokens"]["access_token"]


@pytest.fixture(scope="module")
def seeded(platform):
    create_admin(platform.database_url("identity"), "13500000001", PASSWORD)
    admin = login_token(platform, "13500000001")
    reviewers = {}
    for phone, scope in [("13500000002", "provincial:440000"), ("13500000003", "realname")]:
        user = sign_up(platform, phone)
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
    task = eventually(lambda: [t for t in get(platform, "/review/tasks?stage=realname&limit=200", admin).json()
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
    eventually(lambda: len(get(platform, "/review/tasks?limit=200", admin).json()) == 6)
    return {"admin": "13500000001", **reviewers}


def _check(first17):
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights)) % 11]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


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
    page.click("#reject")  # no reason yet: the form is not sent
    assert page.locator("#comment").evaluate("el => el.validationMessage") == "驳回时必须填写理由"
    page.fill("#comment", "营业执照图片与机构名称不一致")
    page.click("#reject")
    assert "已驳回" in page.inner_text(".flash")

    page.goto(f"{platform.review_ui_url}/tasks?stage=realname")
    shot(page, "tasks")
    page.click("text=张三")
    page.click("#approve")
    assert "已通过" in page.inner_text(".flash")

    page.goto(f"{platform.review_ui_url}/tasks?stage=realname")
    page.check("#select-all")
    page.click("text=批量通过")
    assert "已处理 2 项" in page.inner_text(".flash")
    assert "没有符合条件的任务" in page.inner_text("table")

    page.goto(f"{platform.review_ui_url}/tasks?status=decided")
    assert page.locator("tbody tr").count() >= 4


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
