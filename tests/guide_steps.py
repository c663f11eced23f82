"""Steps both guides walk (seeds 000 and 004): people sign up and verify through the gateway, and every review
is decided by a reviewer in the review UI, in headless Chromium. Used by tests/test_guide_000.py and
tests/test_guide_004.py (browser tests: KEPU_TEST_NO_EVENTLET=1 pytest -m browser)."""
import hashlib
import shutil
import time

import pytest
import requests

from services.identity.cli import create_admin
from tests import images
from tests.test_identity_journey import PASSWORD, eventually, get, post, verify_by_admin
from tests.test_resources_journey import login, put_content

BROWSER_TESTS = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None,
                       reason="Debian's chromium is not installed (apt-get install chromium)"),
]


def register(platform, phone):
    """一键登录's portable form: an SMS code, then a password. Returns the access token."""
    sent = post(platform, "/auth/sms-code", {"phone": phone})
    assert sent.status_code == 202 and sent.json()["debug_code"].isdigit(), sent.text
    registered = post(platform, "/auth/register", {"phone": phone, "code": sent.json()["debug_code"],
                                                   "password": PASSWORD})
    assert registered.status_code == 201, registered.text
    me = get(platform, "/me", registered.json()["tokens"]["access_token"]).json()
    assert me["phone"] == phone and me["verification"] is None and me["organization"] is None, me
    return registered.json()["tokens"]["access_token"]


def submit_verification(platform, token, real_name, id_number, region_code, unit_name, unit_address,
                        communicator_type="individual", org_id=None):
    """科普员补充资料/认证: real name, ID number, unit, type and (optionally) the organization chosen."""
    body = {"real_name": real_name, "id_number": id_number, "unit_name": unit_name, "unit_address": unit_address,
            "communicator_type": communicator_type, "region_code": region_code, "org_id": org_id}
    if communicator_type in ("district_admin", "street_admin"):  # an area admin shows the appointment letter
        letter = requests.post(f"{platform.gateway_url}/api/v1/me/appointment-letter", data=images.png((600, 800)),
                               timeout=20, headers={"Authorization": f"Bearer {token}", "Content-Type": "image/png"})
        assert letter.status_code == 201, letter.text
        body["appointment_letter_key"] = letter.json()["licence_key"]
    submitted = post(platform, "/me/verification", body, token)
    assert submitted.status_code == 202, submitted.text
    assert submitted.json()["id_number"] == id_number[:4] + "*" * 10 + id_number[-4:]  # only ever shown masked
    assert get(platform, "/me", token).json()["verification"]["status"] == "pending"
    return submitted.json()


def grant(platform, admin, phone, role, scope):
    """A platform admin grants a role (reviewer stages, by scope) to a registered user."""
    user = get(platform, "/me", login(platform, phone)).json()
    granted = post(platform, f"/admin/users/{user['id']}/roles", {"role": role, "scope": scope}, admin)
    assert granted.status_code == 200, granted.text
    assert {"role": role, "scope": scope} in granted.json()["roles"]
    return user["id"]


def platform_staff(browser, platform, admin_phone, reviewers):
    """The platform's staff: the first admin, made with the CLI, then the reviewers it grants stages to
    ({phone: [scope, ...]}, in order). Returns the admin's token and the first reviewer's desk in the UI."""
    create_admin(platform.database_url("identity"), admin_phone, PASSWORD)
    admin = login(platform, admin_phone)
    for phone in reviewers:  # reviewer roles go only to real-name-verified accounts: the admin approves them
        verify_by_admin(platform, {"tokens": {"access_token": register(platform, phone)}, "user": {"phone": phone}},
                        admin)
    for phone, scopes in reviewers.items():
        for scope in scopes:
            grant(platform, admin, phone, "reviewer", scope)
    return admin, ReviewDesk(browser, platform, next(iter(reviewers)))


def enter_organization(platform, token, name, category, region_code, contact_name, contact_phone, parent_id=None):
    """机构入驻: the business licence's photo, then the organization's details; pending until reviewed."""
    licence = requests.post(f"{platform.gateway_url}/api/v1/orgs/licence", data=images.png((640, 420)), timeout=20,
                            headers={"Authorization": f"Bearer {token}", "Content-Type": "image/png"})
    assert licence.status_code == 201, licence.text
    entry = post(platform, "/orgs", {"name": name, "category": category, "region_code": region_code,
                                     "parent_id": parent_id, "licence_key": licence.json()["licence_key"],
                                     "contact_name": contact_name, "contact_phone": contact_phone}, token)
    assert entry.status_code == 202, entry.text
    assert entry.json()["status"] == "pending", entry.json()
    return entry.json()["id"]


def uploaded(platform, token, data, purpose, content_type, filename):
    """An organization's file streamed through the gateway; its id for a form."""
    body = {"purpose": purpose, "filename": filename, "size": len(data), "content_type": content_type,
            "sha256": hashlib.sha256(data).hexdigest(), "method": "stream"}
    started = eventually(lambda: (lambda r: r if r.status_code == 201 else None)(
        post(platform, "/uploads", body, token)))
    assert started, "the resources service never learned this organization's admin"
    sent = put_content(platform, token, started.json()["id"], data)
    assert sent.status_code == 200 and sent.json()["status"] == "complete", sent.text
    return sent.json()


class ReviewDesk:
    """A reviewer signed in to the review UI; decides tasks as a person does: the queue, the task, a button."""

    def __init__(self, browser, platform, phone):
        self.url = platform.review_ui_url
        self.context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 1000})
        self.page = self.context.new_page()
        self.page.goto(f"{self.url}/login")
        self.page.fill("#phone", phone)
        self.page.fill("#password", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(f"{self.url}/")

    def queues(self):
        """The start page: a card per stage granted with open tasks (or a line saying there are none)."""
        self.page.goto(f"{self.url}/")
        return self.page.inner_text("main")

    def open(self, stage, subject, timeout=20.0):
        """Opens the open task named `subject` in the stage's queue (waiting for its request to arrive);
        returns the task page's text."""
        deadline = time.monotonic() + timeout
        link = self.page.locator("tbody a", has_text=subject)
        while True:
            self.page.goto(f"{self.url}/tasks?stage={stage}")
            if link.count() or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        assert link.count() == 1, f"{subject} is not (once) in the {stage} queue: {self.page.inner_text('main')}"
        link.click()
        self.page.wait_for_selector("#decision")
        return self.page.inner_text("main")

    def preview_width(self):
        """The first preview image's natural width once loaded (0: it did not load)."""
        image = self.page.locator(".preview img").first
        image.wait_for()
        self.page.wait_for_function("img => img.complete", arg=image.element_handle())
        return self.page.evaluate("img => img.naturalWidth", image.element_handle())

    def approve(self):
        self.page.click("#approve")
        assert "已通过" in self.page.inner_text(".flash")

    def reject(self, reason):
        self.page.fill("#comment", reason)
        self.page.click("#reject")
        assert "已驳回" in self.page.inner_text(".flash")

    def decide(self, stage, subject, decision="approved", reason=""):
        text = self.open(stage, subject)
        self.approve() if decision == "approved" else self.reject(reason)
        return text

    def close(self):
        self.context.close()
