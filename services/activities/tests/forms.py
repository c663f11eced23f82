"""A valid activity form, for tests to break one rule at a time."""
import uuid
from datetime import datetime, timedelta, timezone


def poster(content_type="image/png", bucket="t-resources", key=None):
    upload_id = str(uuid.uuid4())
    return {"upload_id": upload_id, "bucket": bucket, "key": key or f"uploads/{upload_id}/poster.png",
            "content_type": content_type, "size": 2048, "sha256": "0" * 64, "duration_seconds": None,
            "width": 1200, "height": 800}


def activity_form(campaign_id, supervising_org_id, category="county_cast", days_ahead=10, **changes):
    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=days_ahead)
    form = {
        "campaign_id": str(campaign_id), "name": "走进天河：气象科普开放日", "mode": "offline", "type": "open_day",
        "start_at": start.isoformat(), "end_at": (start + timedelta(hours=3)).isoformat(), "region_code": "440106",
        "supervising_category": category, "supervising_org_id": str(supervising_org_id),
        "joint_action": {"included": True, "categories": ["science_museums"]},
        "special_action": {"included": False, "categories": []}, "youth_festival": True,
        "partner_agencies": [{"name": "广州市气象局"}], "partner_societies": [], "hosts": [{"name": "天河区科协"}],
        "organizers": [{"name": "天河区气象科普馆"}],
        "reservation": {"enabled": True, "url": "https://booking.example.cn/tianhe"}, "expected_participants": 300,
        "venue": {"address": "天河路 2 号气象观测场", "region_code": "440106"},
        "poster_upload_id": str(uuid.uuid4()),
        "details": {"content": "参观气象观测场，动手制作雨量筒。", "audience": "中小学生及家长",
                    "scientists": "广州市气象台预报员", "contact_person": "陈老师", "contact_phone": "020-38881234",
                    "highlights": "", "participation_channel": "", "promotion": ""},
    }
    form.update(changes)
    return form
