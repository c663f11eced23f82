"""Images decoded in a child process with a memory limit: accepted as before, refused with the same
errors, and a file that needs more memory than the child may take refused instead of growing the service."""
import io
import resource

import pytest
from PIL import Image

from services.resources import image_limits
from services.resources.thumbnails import UnreadableImage
from services.resources.tests.conftest import png_bytes


def written(tmp_path, data, name="image"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def own_peak_mb():
    return int(next(line for line in open("/proc/self/status") if line.startswith("VmHWM")).split()[1]) // 1024


def test_an_image_comes_back_as_a_jpeg_thumbnail_with_its_size(tmp_path):
    data, width, height = image_limits.thumbnail(written(tmp_path, png_bytes(1200, 800)), 480, 100_000_000)
    assert (width, height) == (1200, 800)
    with Image.open(io.BytesIO(data)) as shown:
        assert shown.format == "JPEG" and shown.size == (480, 320)


def test_a_turned_photo_is_shown_upright(tmp_path):
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # taken turned: shown 90° clockwise
    Image.new("RGB", (800, 400), (200, 30, 30)).save(out, "JPEG", exif=exif)
    data, width, height = image_limits.thumbnail(written(tmp_path, out.getvalue()), 480, 100_000_000)
    assert (width, height) == (400, 800)
    with Image.open(io.BytesIO(data)) as shown:
        assert shown.size == (240, 480)


def test_not_an_image_is_refused_as_unreadable(tmp_path):
    with pytest.raises(UnreadableImage) as refused:
        image_limits.thumbnail(written(tmp_path, b"\x89PNG\r\n\x1a\n<html>not a picture</html>"), 480, 100_000_000)
    assert refused.value.payload["message"] == "image_unreadable"


def test_too_many_pixels_is_refused_from_the_header(tmp_path):
    with pytest.raises(UnreadableImage) as refused:
        image_limits.thumbnail(written(tmp_path, png_bytes(4000, 3000)), 480, 10_000_000)
    assert refused.value.payload["message"] == "image_too_many_pixels"
    assert refused.value.payload["params"] == {"megapixels": 10}


def test_an_image_that_needs_more_memory_than_the_child_may_take_is_refused(tmp_path):
    path = written(tmp_path, png_bytes(6000, 6000))  # 36 megapixels: over 100 MB decoded
    before = own_peak_mb()  # a peak: the making of the file above is in it already
    with pytest.raises(UnreadableImage) as refused:
        image_limits.thumbnail(path, 480, 100_000_000, memory_mb=120)
    assert refused.value.payload["details"]["reason"] == "decoding_memory_limit"
    assert own_peak_mb() - before < 50  # the decoding never happened in this process
    # with the memory it needs, the same file is accepted
    assert image_limits.thumbnail(path, 480, 100_000_000)[1:] == (6000, 6000)
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024 > 100  # ... in a child


def test_a_decode_past_its_time_is_refused_by_name_not_left_to_escape(tmp_path):
    # the suite runs under eventlet's monkey patch, as the service does: the time-out class differs there
    with pytest.raises(UnreadableImage) as refused:
        image_limits.thumbnail(written(tmp_path, png_bytes(1200, 800)), 480, 100_000_000, seconds=0.001)
    assert refused.value.details == {"reason": "decoding_timed_out", "seconds": 0.001}
