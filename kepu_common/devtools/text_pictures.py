"""Pictures with Chinese text made in development (the tests' posters, make demo's), with a CJK font from
Debian's packages (fonts-wqy-microhei: .ci/run installs it)."""
import io
from pathlib import Path

FONTS = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
         "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def cjk_font():
    """The path of the first CJK font installed, or None."""
    return next((path for path in FONTS if Path(path).exists()), None)


def poster(lines, size=(1080, 1920), fmt="JPEG"):
    """Bytes of a poster with lines [(text, point size)] from the top, dark on cream, as a printer would lay
    it out; RuntimeError without a CJK font."""
    from PIL import Image, ImageDraw, ImageFont

    font = cjk_font()
    if font is None:
        raise RuntimeError("no CJK font: install fonts-wqy-microhei (.ci/run does)")
    image = Image.new("RGB", size, (250, 245, 230))
    draw = ImageDraw.Draw(image)
    y = 200
    for text, points in lines:
        draw.text((80, y), text, font=ImageFont.truetype(font, points), fill=(20, 40, 90))
        y += int(points * 2.2)
    out = io.BytesIO()
    image.save(out, fmt, quality=88)
    return out.getvalue()
