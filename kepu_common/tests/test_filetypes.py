"""Small images (licences) are checked by their structure, not by their first bytes."""
import io
import struct
import zlib

import pytest
from PIL import Image

from kepu_common.domain.filetypes import NotAnImage, image_by_structure, trailing_bytes


def encoded(fmt, size=(64, 48)):
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt)
    return out.getvalue()


def png_claiming(width, height):
    """A PNG whose header claims a size its (tiny) data does not hold: a decompression bomb's shape."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 10)) + \
        chunk(b"IEND", b"")


@pytest.mark.parametrize("fmt,content_type", [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")])
def test_real_images_pass(fmt, content_type):
    assert image_by_structure(encoded(fmt)) == content_type


@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>",  # the probe's example
    b"\xff\xd8\xff\xe0" + b"<html>" * 100,
    b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 40,
    encoded("PNG")[:60],  # cut short
    encoded("PNG")[:-30] + b"MZ\x90\x00" * 8,  # an executable's bytes in place of the last chunks
    encoded("GIF"),  # an image, but not one licences take
    png_claiming(40000, 40000),
    b"",
])
def test_files_that_only_look_like_images_are_refused(data):
    assert image_by_structure(data) is None


def test_a_corrupted_png_chunk_is_refused():
    data = bytearray(encoded("PNG"))
    data[40] ^= 0xFF  # inside IDAT: its CRC no longer matches
    assert image_by_structure(bytes(data)) is None


def zipped(name="payload.html", body=b"<script>alert(1)</script>"):
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(name, body)
    return out.getvalue()


def picture(fmt, **options):
    out = io.BytesIO()
    image = Image.effect_noise((300, 200), 60).convert("RGB")  # noise: scans full of 0xFF bytes to step over
    if fmt == "GIF" and options.pop("animated", False):
        frames = [image.convert("P"), Image.new("P", image.size, 3)]
        frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
        return out.getvalue()
    image.save(out, fmt, **options)
    return out.getvalue()


CLEAN = {
    "png": lambda: picture("PNG"),
    "jpeg": lambda: picture("JPEG", quality=95),
    "progressive jpeg with exif": lambda: picture("JPEG", progressive=True, exif=Image.Exif().tobytes()),
    "jpeg with restart markers": lambda: picture("JPEG", restart_marker_blocks=1),
    "webp": lambda: picture("WEBP"),
    "gif": lambda: picture("GIF"),
    "animated gif": lambda: picture("GIF", animated=True),
}


@pytest.mark.parametrize("kind", CLEAN)
def test_a_clean_picture_has_nothing_after_its_end(kind):
    assert trailing_bytes(io.BytesIO(CLEAN[kind]())) == 0


@pytest.mark.parametrize("kind", CLEAN)
@pytest.mark.parametrize("appended", [b"<html><script>alert(1)</script></html>", zipped()])
def test_html_or_a_zip_after_the_picture_is_found(kind, appended):
    assert trailing_bytes(io.BytesIO(CLEAN[kind]() + appended)) == len(appended)


def test_a_cameras_further_pictures_and_padding_after_a_jpeg_are_its_own():
    # Multi-Picture Format: a preview JPEG after the main one; some encoders pad with zeros
    main, preview = picture("JPEG"), encoded("JPEG", (32, 24))
    assert trailing_bytes(io.BytesIO(main + preview + b"\x00" * 64)) == 0
    assert trailing_bytes(io.BytesIO(main + preview + b"PK\x03\x04rest")) == len(b"PK\x03\x04rest")


def test_a_picture_cut_short_breaks_its_structure():
    data = picture("PNG")
    with pytest.raises(NotAnImage):
        trailing_bytes(io.BytesIO(data[: len(data) // 2]))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_a_licence_with_a_zip_or_html_appended_is_refused(fmt):
    assert image_by_structure(encoded(fmt) + zipped()) is None
    assert image_by_structure(encoded(fmt) + b"<html><body>hi</body></html>") is None
