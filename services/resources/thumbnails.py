"""Thumbnails of images and wall charts with Pillow, from a file on disk (never the whole file in memory
for JPEG: Pillow's draft mode decodes at a fraction of the size)."""
import io
import warnings

from PIL import Image, ImageOps

from kepu_common.domain import filetypes
from kepu_common.interfaces.errors import KepuError

CONTENT_TYPE = "image/jpeg"
_TURNED = (5, 6, 7, 8)  # EXIF orientations that turn the picture by 90°: width and height swap


class UnreadableImage(KepuError):
    status, code = 400, "image_unreadable"


class ImageTrailingData(UnreadableImage):
    """A picture followed by other data: HTML or a ZIP after a PNG's IEND or a JPEG's EOI (a polyglot)."""

    code = "image_trailing_data"


def make(path, box=480, max_pixels=100_000_000):
    """(JPEG bytes of the image at path fitted into box x box, width, height as shown); UnreadableImage if
    it cannot be decoded."""
    _refuse_trailing_data(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = max_pixels
            with Image.open(path) as image:
                width, height = image.size
                if image.getexif().get(0x0112) in _TURNED:
                    width, height = height, width
                image.draft("RGB", (box, box))
                # shrunk first, turned after: exif_transpose copies the image, and the full-size copy of a
                # 100-megapixel picture is 300-400 MB more (the box is square, so the fit is the same)
                image.thumbnail((box, box))
                image = ImageOps.exif_transpose(image)
                if image.mode not in ("RGB", "L"):
                    image = _flatten(image)
                out = io.BytesIO()
                image.save(out, "JPEG", quality=85, optimize=True)
                return out.getvalue(), width, height
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        megapixels = max_pixels // 1_000_000
        raise UnreadableImage("image_too_many_pixels", {"file": ("image_too_many_pixels", {"megapixels": megapixels})},
                              megapixels=megapixels) from None
    except (OSError, SyntaxError, ValueError) as exc:  # what Pillow raises for truncated or corrupt data
        raise UnreadableImage("image_unreadable", {"file": "image_unreadable"},
                              details={"reason": exc.__class__.__name__}) from None


def _refuse_trailing_data(path):
    """A picture followed by other data (HTML, a ZIP: a polyglot) is refused, not re-encoded: the stored
    file stays the one its uploader checksummed (kepu_common.domain.filetypes says why)."""
    try:
        with open(path, "rb") as stream:
            extra = filetypes.trailing_bytes(stream)
    except filetypes.NotAnImage as broken:
        raise UnreadableImage("image_unreadable", {"file": "image_unreadable"},
                              details={"reason": f"structure: {broken}"}) from None
    if extra:
        raise ImageTrailingData("image_trailing_data", {"file": "image_trailing_data"},
                              details={"reason": "data_after_image", "trailing_bytes": extra})


def _flatten(image):
    """Transparent or palette images on white, since JPEG has no alpha."""
    image = image.convert("RGBA")
    background = Image.new("RGB", image.size, (255, 255, 255))
    background.paste(image, mask=image.getchannel("A"))
    return background
