"""A CJK font for pictures made in development (the tests' posters, make demo's): Debian's packages."""
from pathlib import Path

FONTS = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
         "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def cjk_font():
    """The path of the first CJK font installed, or None (fonts-wqy-microhei: .ci/run installs it)."""
    return next((path for path in FONTS if Path(path).exists()), None)
