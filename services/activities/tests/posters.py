"""Posters the tests render with Pillow and a CJK font (fonts-wqy-microhei, installed by .ci/run)."""
from kepu_common.devtools.text_pictures import poster


def campaign_poster(mark=True, date="2026年9月20日14:00", extra=()):
    return poster(([("2026全国科普日", 96)] if mark else [("科学嘉年华", 96)]) + [
        ("走进量子世界：青少年科学体验营", 56), (f"时间：{date}", 48), ("地点：北京市海淀区中关村科技馆", 44),
        ("主办单位：北京市海淀区科学技术协会", 44)] + list(extra))


ACTIVITY = {"name": "走进量子世界：青少年科学体验营", "start_at": "2026-09-20T06:00:00+00:00",
            "hosts": [{"name": "北京市海淀区科学技术协会"}]}
