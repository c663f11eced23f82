"""The whole real-name round trip across processes: identity asks, a reviewer decides in the review
service through the API, identity applies the decision."""

from services.identity.cli import create_admin
from tests.test_identity_journey import PASSWORD, eventually, get, post, refused, sign_up, verify_by_admin


def test_reviewer_decides_a_verification_and_identity_applies_it(platform):
    create_admin(platform.database_url("identity"), "13600001111", PASSWORD)
    admin = post(platform, "/auth/login", {"phone": "13600001111", "password": PASSWORD}).json()["tokens"]["access_token"]
    reviewer = sign_up(platform, "13600002222")
    verify_by_admin(platform, reviewer, admin)  # reviewer roles go only to real-name-verified accounts
    granted = post(platform, f"/admin/users/{reviewer['user']['id']}/roles", {"role": "reviewer", "scope": "realname"},
                   admin)
    assert granted.status_code == 200, granted.text
    reviewer_token = post(platform, "/auth/login", {"phone": "13600002222", "password": PASSWORD}).json()["tokens"]["access_token"]
    # decided before this one (the reviewer's own verification, other journeys' on the shared platform)
    # (the grant reaches the review service as an event: until it has, the reviewer sees no realname task, and
    # at least the reviewer's own verification is there once it has)
    before = eventually(lambda: get(platform, "/review/tasks?stage=realname&status=decided&page_size=1",
                                    reviewer_token).json()["total"])

    applicant = sign_up(platform, "13600003333")
    token = applicant["tokens"]["access_token"]
    submitted = post(platform, "/me/verification", {
        "real_name": "赵审核", "id_number": "110101197001010016", "unit_name": "科技馆", "unit_address": "北京市朝阳区",
        "communicator_type": "individual", "region_code": "110105"}, token)
    assert submitted.status_code == 202, submitted.text

    listed = "/review/tasks?stage=realname"
    tasks = eventually(lambda: [t for t in get(platform, listed, reviewer_token).json()["items"]
                                if t["subject_id"] == submitted.json()["id"]])
    assert tasks, "the review service never made a task"
    task = tasks[0]
    assert task["snapshot"]["id_number"] == "1101**********0016"
    queues = get(platform, "/review/queues", reviewer_token).json()
    assert any(q["stage"] == "realname" and q["open"] >= 1 for q in queues)

    no_reason = refused(lambda headers: post(platform, f"/review/tasks/{task['id']}/decision", {"decision": "rejected"},
                                             reviewer_token, headers), 400, "validation_failed",
                        {"comment": "rejection_needs_reason"})
    assert no_reason.json()["error"]["fields"]["comment"]["message"] == "驳回时必须填写理由。"
    refused(lambda headers: post(platform, f"/review/tasks/{task['id']}/decision", {"decision": "maybe"},
                                 reviewer_token, headers), 400, "validation_failed", {"decision": "not_one_of"})
    refused(lambda headers: post(platform, f"/review/tasks/{task['id']}/decision", {"decision": "approved"}, token,
                                 headers), 403, "forbidden")
    claimed = post(platform, f"/review/tasks/{task['id']}/claim", {}, reviewer_token)
    assert claimed.status_code == 200, claimed.text
    decided = post(platform, f"/review/tasks/{task['id']}/decision", {"decision": "approved"}, reviewer_token)
    assert decided.status_code == 200, decided.text
    refused(lambda headers: post(platform, f"/review/tasks/{task['id']}/decision", {"decision": "approved"},
                                 reviewer_token, headers), 409, "conflict", {"task": "task_decided_approved"})

    assert eventually(lambda: get(platform, "/me", token).json()["verification"]["status"] == "approved")
    history = get(platform, f"/review/tasks/{task['id']}", reviewer_token).json()["history"]
    assert [h["action"] for h in history] == ["created", "claimed", "approved"]
    batch = {"task_ids": [task["id"], "00000000-0000-0000-0000-000000000000"], "decision": "approved"}
    chinese = post(platform, "/review/decisions", batch, reviewer_token).json()
    assert [(r["status"], r["code"], r["message"]) for r in chinese] == [
        ("refused", "conflict", "该任务已审核完毕。"), ("refused", "not_found", "任务不存在。")]
    assert chinese[0]["fields"] == {"task": {"code": "task_decided_approved", "message": "已审核通过。"}}
    english = post(platform, "/review/decisions", batch, reviewer_token, headers={"Accept-Language": "en"}).json()
    assert [r["message"] for r in english] == ["This task was already decided.", "No such task."]
    refused(lambda headers: get(platform, "/review/tasks/00000000-0000-0000-0000-000000000000", reviewer_token,
                                headers), 404, "not_found", {"task_id": "task_unknown"})
    refused(lambda headers: get(platform, "/review/tasks?stage=nowhere", reviewer_token, headers), 400,
            "validation_failed", {"stage": "not_one_of"})
    # one pagination style: page and page_size, has_more and total
    refused(lambda headers: get(platform, "/review/tasks?page=abc&page_size=0", reviewer_token, headers), 400,
            "validation_failed", {"page": "not_an_integer", "page_size": "out_of_range"})
    last = before + 1  # the decided list is newest decision first: this one leads it
    decided_page = get(platform, "/review/tasks?stage=realname&status=decided&page=1&page_size=1",
                       reviewer_token).json()
    assert (decided_page["page"], decided_page["page_size"], decided_page["total"]) == (1, 1, last)
    assert decided_page["has_more"] is (last > 1) and decided_page["items"][0]["id"] == task["id"]
    oldest = get(platform, f"/review/tasks?stage=realname&status=decided&page={last}&page_size=1&sort=requested",
                 reviewer_token).json()  # oldest request first on request: this one is on the last page
    assert oldest["has_more"] is False and oldest["items"][0]["id"] == task["id"]
    assert get(platform, f"/review/tasks?stage=realname&status=decided&page={last + 1}&page_size=1",
               reviewer_token).json()["items"] == []
