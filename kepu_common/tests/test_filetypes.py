"""Small images (licences) are checked by their structure, not by their first bytes."""
import io
import struct
import zlib

import pytest
from PIL import Image

from kepu_common.filetypes import image_by_structure


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
