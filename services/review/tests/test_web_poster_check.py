"""The poster pre-check on an activity's task page (issue 30): the review UI asks activities.poster_check for
the task's version and renders _poster_check.html; without an answer the page is shown as before."""
import uuid

from services.review.tests.test_service import ADMIN, as_, call, publish, review  # noqa: F401
from services.review.tests.test_web import body, signed_in, ui  # noqa: F401

CHECKED = {"activity_id": None, "revision": 2, "state": "read", "state_label": "已识别", "reason": None,
           "reason_label": None, "checked_at": "2026-09-01T02:00:00Z", "lines": ["科学嘉年华", "主办：海淀区科协"],
           "items": [{"key": "mark", "label": "全国科普日文字", "status": "not_found", "status_label": "未找到",
                      "matched": None, "expected": "全国科普日"},
                     {"key": "host", "label": "主办单位", "status": "found", "status_label": "已找到",
                      "matched": "主办：海淀区科协", "expected": "海淀区科协"}],
           "hints": [{"category": "commercial", "category_label": "商业推广", "word": "优惠", "matched": "限时优惠"}]}


def activity_task(review, amqp_uri):
    subject_id = str(uuid.uuid4())
    publish(review, amqp_uri, "activities", "review_requested", "on_activities_request", subject_type="activity",
            subject_id=subject_id, stage="national", scope=None, snapshot={"name": "科学嘉年华", "revision": 2})
    task = next(t for t in call(review, "list_tasks", as_(ADMIN)) if t["subject_id"] == subject_id)
    return task, subject_id


def test_an_activity_task_shows_its_poster_checklist(ui, review, amqp_uri, make_token, monkeypatch):
    task, subject_id = activity_task(review, amqp_uri)
    rpc = ui.extensions["rpc"]
    real, asked = rpc.call, []

    def call_through(service, method, *args, **kwargs):
        if (service, method) == ("activities", "poster_check"):
            asked.append(args)
            return dict(CHECKED, activity_id=subject_id)
        return real(service, method, *args, **kwargs)

    monkeypatch.setattr(rpc, "call", call_through)
    page = body(signed_in(ui, make_token, ADMIN, ["platform_admin"]).get(f"/tasks/{task['id']}"))
    assert asked and asked[0][1:3] == (subject_id, {"revision": 2})
    assert 'id="poster-check"' in page and "海报预检（自动识别）" in page
    assert '<li data-item="mark" data-status="not_found"' in page and "未找到" in page
    assert "识别到：主办：海淀区科协" in page and "「优惠」" in page and "不作为审核结论" in page


def test_without_an_answer_from_activities_the_page_is_shown_without_it(ui, review, amqp_uri, make_token):
    task, _ = activity_task(review, amqp_uri)  # no activities service here: its call times out
    response = signed_in(ui, make_token, ADMIN, ["platform_admin"]).get(f"/tasks/{task['id']}")
    assert response.status_code == 200 and 'id="poster-check"' not in body(response)
    assert "科学嘉年华" in body(response)
