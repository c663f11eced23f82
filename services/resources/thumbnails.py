"""Thumbnails of images and wall charts with Pillow, from a file on disk (never the whole file in memory
for JPEG: Pillow's draft mode decodes at a fraction of the size)."""
import io
import warnings

from PIL import Image, ImageOps

from kepu_common.errors import InvalidInput

CONTENT_TYPE = "image/jpeg"


class UnreadableImage(InvalidInput):
    pass


def make(path, box=480, max_pixels=100_000_000):
    """JPEG bytes of the image at path, fitted into box x box; UnreadableImage if it cannot be decoded."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = max_pixels
            with Image.open(path) as image:
                image.draft("RGB", (box, box))
                image = ImageOps.exif_transpose(image)
                image.thumbnail((box, box))
                if image.mode not in ("RGB", "L"):
                    image = _flatten(image)
                out = io.BytesIO()
                image.save(out, "JPEG", quality=85, optimize=True)
                return out.getvalue()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UnreadableImage(f"The image has more than {max_pixels // 1_000_000} million pixels.",
                              {"file": "too many pixels"}) from None
    except (OSError, SyntaxError, ValueError) as exc:  # what Pillow raises for truncated or corrupt data
        raise UnreadableImage("The image could not be read: it is damaged or not really an image.",
                              {"file": f"unreadable image ({exc.__class__.__name__})"}) from None


def _flatten(image):
    """Transparent or palette images on white, since JPEG has no alpha."""
    image = image.convert("RGBA")
    background = Image.new("RGB", image.size, (255, 255, 255))
    background.paste(image, mask=image.getchannel("A"))
    return background
