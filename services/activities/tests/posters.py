"""Posters the tests render with Pillow and a CJK font (fonts-wqy-microhei, installed by .ci/run)."""
import io

from PIL import Image, ImageDraw, ImageFont

from kepu_common.devtools import fonts


def cjk_font():
    path = fonts.cjk_font()
    if path is None:
        raise RuntimeError("no CJK font: install fonts-wqy-microhei (.ci/run does)")
    return path


def poster(lines, size=(1080, 1920), fmt="JPEG"):
    """Bytes of a poster with lines [(text, point size)] from the top, dark on cream."""
    image = Image.new("RGB", size, (250, 245, 230))
    draw = ImageDraw.Draw(image)
    y = 200
    for text, points in lines:
        draw.text((80, y), text, font=ImageFont.truetype(cjk_font(), points), fill=(20, 40, 90))
        y += int(points * 2.2)
    out = io.BytesIO()
    image.save(out, fmt, quality=88)
    return out.getvalue()


def campaign_poster(mark=True, date="2026年9月20日14:00", extra=()):
    return poster(([("2026全国科普日", 96)] if mark else [("科学嘉年华", 96)]) + [
        ("走进量子世界：青少年科学体验营", 56), (f"时间：{date}", 48), ("地点：北京市海淀区中关村科技馆", 44),
        ("主办单位：北京市海淀区科学技术协会", 44)] + list(extra))


ACTIVITY = {"name": "走进量子世界：青少年科学体验营", "start_at": "2026-09-20T06:00:00+00:00",
            "hosts": [{"name": "北京市海淀区科学技术协会"}]}
