"""Issue 29: a 650 KB video (three 8192×8192 PNG-coded frames) took the resources service to 1.15 GB, since
its poster frame was decoded inside the service. Videos, audio and documents are now decoded by the same
bounded worker processes as images, a stream over the pixel cap is refused from its header, and the
service's own peak resident memory (VmHWM in /proc, reset before each measure) stays small whatever the
file. The bomb is made by PyAV in a child process, so making it costs this process nothing."""
import io
import subprocess
import sys

import pytest
from PIL import Image

from kepu_common.interfaces import messages
from services.resources import image_limits, media
from services.resources.tests.conftest import (ADMIN_A, call, objects, pdf_bytes, png_bytes, send_parts, upload_form,
                                               video_bytes)
from services.resources.tests.test_media import audio_bytes
from services.resources.thumbnails import UnreadableImage

BOMB_SIDE = 8192
# the service's own growth while a bomb is handled: the bomb's one decoded frame alone is 256 MB (RGBA)
SERVICE_GROWTH_MB = 100

MAKE_BOMB = """
import sys, av
path, side, frames, container = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
with av.open(path, "w", format=container) as muxer:
    stream = muxer.add_stream("png", rate=1)
    stream.width = stream.height = side
    stream.pix_fmt = "rgba"
    for index in range(frames):
        frame = av.VideoFrame(side, side, "rgba")
        for plane in frame.planes:
            plane.update(bytes([40 * index + 20]) * plane.buffer_size)
        for packet in stream.encode(frame):
            muxer.mux(packet)
    for packet in stream.encode():
        muxer.mux(packet)
"""


def bomb(directory, container="mov", side=BOMB_SIDE, frames=3):
    path = directory / f"bomb-{side}.{container}"
    if not path.exists():
        subprocess.run([sys.executable, "-c", MAKE_BOMB, str(path), str(side), str(frames), container], check=True,
                       timeout=600)
    return path


@pytest.fixture(scope="module")
def bombs(tmp_path_factory):
    return tmp_path_factory.mktemp("bombs")


def _status(field):
    with open("/proc/self/status") as status:
        return int(next(line for line in status if line.startswith(field)).split()[1]) // 1024


def reset_peak():
    """Linux: writing 5 to clear_refs sets the process's peak resident memory (VmHWM) to its current one."""
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    return _status("VmRSS")


def growth_since(rss_before):
    return _status("VmHWM") - rss_before


def test_the_bomb_is_small_and_declares_its_pixels(bombs):
    path = bomb(bombs)
    assert path.stat().st_size < 2 * 1024 * 1024  # a file anyone can upload
    pool = image_limits.Pool(size=1)
    try:
        with pytest.raises(media.UnreadableVideo) as refused:
            pool.run("probe", (str(path), 480, None), 60)
        assert refused.value.message == "video_too_many_pixels"
        assert refused.value.details == {"width": BOMB_SIDE, "height": BOMB_SIDE}
        with pytest.raises(media.UnreadableVideo):  # again, by the same worker
            pool.run("probe", (str(path), 480, None), 60)
        # refused before any frame was decoded: not even FFmpeg's stream probing took one (256 MB)
        assert pool._idle.get_nowait().peak_mb < 120
    finally:
        pool.close()


@pytest.mark.parametrize("container,content_type", [("mov", "video/quicktime"), ("mp4", "video/mp4")])
def test_an_uploaded_video_bomb_leaves_the_service_small(resources, storage, bombs, container, content_type):
    data = bomb(bombs, container).read_bytes()
    upload = call(resources, "start_upload", ADMIN_A,
                  upload_form(data, purpose="video", content_type=content_type, filename=f"bomb.{container}"))
    send_parts(upload, data)
    before = reset_peak()
    try:
        call(resources, "complete_upload", ADMIN_A, upload["id"])
        refused = None
    except media.UnreadableVideo as error:
        refused = error
    # before, the poster was decoded here: 256 MB a frame, and FFmpeg's frame threads held several
    assert growth_since(before) < SERVICE_GROWTH_MB
    assert refused is not None and (refused.status, refused.message) == (400, "video_too_many_pixels")
    assert refused.fields["file"]["code"] == "video_too_many_pixels"
    assert objects(storage) == []


def test_a_bomb_under_a_raised_cap_is_decoded_in_a_worker_not_here(bombs):
    path = bomb(bombs)
    before = reset_peak()
    facts = image_limits.probe(path, "video", 480, max_pixels=BOMB_SIDE * BOMB_SIDE)
    assert growth_since(before) < SERVICE_GROWTH_MB
    assert (facts["width"], facts["height"]) == (BOMB_SIDE, BOMB_SIDE)
    with Image.open(io.BytesIO(facts["thumbnail"])) as poster:
        assert poster.size == (480, 480)


def test_a_bomb_that_needs_more_than_the_worker_may_take_gets_no_poster(bombs):
    path = bomb(bombs)
    before = reset_peak()
    # FFmpeg's allocation fails inside the worker's limit: the duration is still read, no poster is made
    facts = image_limits.probe(path, "video", 480, max_pixels=BOMB_SIDE * BOMB_SIDE, memory_mb=200)
    assert growth_since(before) < SERVICE_GROWTH_MB
    assert facts["duration_seconds"] == 3.0 and facts["thumbnail"] is None


def test_a_worker_started_by_a_large_process_is_kept_too(tmp_path):
    """Linux carries the parent's peak RSS into a child's getrusage across fork and exec: a worker started by
    a process over recycle_mb must not look over it after every file (the pool measures its own VmHWM)."""
    ballast = bytearray(image_limits.RECYCLE_MB * 2 * 1024 * 1024)
    ballast[::4096] = b"\x01" * len(ballast[::4096])  # touched: resident in this process before the fork
    pool = image_limits.Pool(size=1)
    image = tmp_path / "picture.png"
    image.write_bytes(png_bytes(800, 600))
    try:
        for _ in range(3):
            pool.run("thumbnail", (str(image), 480, 100_000_000), 60)
        assert pool.started == 1
    finally:
        pool.close()
        del ballast


def test_workers_are_kept_for_the_next_file_not_started_per_upload(tmp_path):
    pool = image_limits.Pool(size=1)
    image = tmp_path / "picture.png"
    image.write_bytes(png_bytes(800, 600))
    try:
        for _ in range(4):
            assert pool.run("thumbnail", (str(image), 480, 100_000_000), 60)[1:] == (800, 600)
        assert pool.started == 1
        worker = pool._idle.get_nowait()
        pool._idle.put(worker)
        # in a pod's memory cgroup the workers count too: when it fills, the kernel kills a worker first
        assert open(f"/proc/{worker.process.pid}/oom_score_adj").read().strip() == "1000"
    finally:
        pool.close()


def test_a_worker_past_its_time_is_killed_and_replaced(tmp_path):
    pool = image_limits.Pool(size=1)
    image = tmp_path / "picture.png"
    image.write_bytes(png_bytes(800, 600))
    try:
        with pytest.raises(image_limits.WorkerLost) as lost:
            pool.run("thumbnail", (str(image), 480, 100_000_000), 0.001)
        assert lost.value.reason == "decoding_timed_out"
        assert pool.run("thumbnail", (str(image), 480, 100_000_000), 60)[1:] == (800, 600)
        assert pool.started == 2
    finally:
        pool.close()


def test_a_worker_that_dies_is_replaced_and_the_file_refused(tmp_path):
    pool = image_limits.Pool(size=1)
    image = tmp_path / "picture.png"
    image.write_bytes(png_bytes(800, 600))
    try:
        pool.run("thumbnail", (str(image), 480, 100_000_000), 60)
        worker = pool._idle.get_nowait()
        worker.process.kill()
        worker.process.wait()
        pool._idle.put(worker)
        with pytest.raises(image_limits.WorkerLost):
            pool.run("thumbnail", (str(image), 480, 100_000_000), 60)
        assert pool.run("thumbnail", (str(image), 480, 100_000_000), 60)[1:] == (800, 600)
    finally:
        pool.close()


def test_normal_videos_audio_and_pdfs_are_still_probed_in_the_workers(tmp_path):
    video = tmp_path / "clip.mp4"
    video.write_bytes(video_bytes(seconds=3, size=(320, 240)))
    facts = image_limits.probe(video, "video", 480)
    assert facts["duration_seconds"] == pytest.approx(3, abs=0.2) and (facts["width"], facts["height"]) == (320, 240)
    with Image.open(io.BytesIO(facts["thumbnail"])) as poster:
        assert poster.format == "JPEG" and poster.size == (320, 240)  # never enlarged
    audio = tmp_path / "talk.mp3"
    audio.write_bytes(audio_bytes(seconds=2.0, container="mp3", codec="libmp3lame", rate=22050))
    assert image_limits.probe(audio, "audio")["duration_seconds"] == pytest.approx(2.0, abs=0.15)
    pdf = tmp_path / "wallchart.pdf"
    pdf.write_bytes(pdf_bytes())
    with Image.open(io.BytesIO(image_limits.inspect(pdf, "application/pdf", 480)["thumbnail"])) as page:
        assert page.format == "JPEG" and max(page.size) == 480


def test_a_poster_is_the_frame_about_a_second_in(tmp_path):
    # frames get brighter by 10 a frame at 10 fps: about a second in is about 100
    video = tmp_path / "clip.mp4"
    video.write_bytes(video_bytes(seconds=3, size=(64, 48)))
    facts = image_limits.probe(video, "video", 480)
    with Image.open(io.BytesIO(facts["thumbnail"])) as poster:
        brightness = poster.convert("L").getpixel((32, 24))
    assert 80 <= brightness <= 130


def test_a_polyglot_picture_is_refused_with_its_own_code(tmp_path):
    import zipfile

    appended = io.BytesIO()
    with zipfile.ZipFile(appended, "w") as archive:
        archive.writestr("index.html", "<script>alert(1)</script>")
    for fmt in ("PNG", "JPEG"):
        out = io.BytesIO()
        Image.new("RGB", (640, 480), (10, 120, 40)).save(out, fmt)
        for tail in (appended.getvalue(), b"<html><script>alert(1)</script></html>"):
            path = tmp_path / f"polyglot.{fmt.lower()}"
            path.write_bytes(out.getvalue() + tail)
            with pytest.raises(UnreadableImage) as refused:
                image_limits.thumbnail(path, 480, 100_000_000)
            assert (refused.value.code, refused.value.message) == ("image_trailing_data", "image_trailing_data")
            assert refused.value.details["trailing_bytes"] == len(tail)
    assert "附带了其他数据" in messages.text("image_trailing_data")  # zh-CN by default
    assert "附带了其他数据" in messages.text("image_trailing_data")


def test_an_uploaded_video_is_probed_from_storage_not_copied_to_disk(resources, monkeypatch):
    from services.resources import uploads

    def no_copy(*args, **kwargs):
        raise AssertionError("a video was copied to a temporary file")

    monkeypatch.setattr(uploads.tempfile, "NamedTemporaryFile", no_copy)
    data = video_bytes(seconds=2, size=(320, 240))
    upload = call(resources, "start_upload", ADMIN_A, upload_form(data, purpose="video"))
    send_parts(upload, data)
    done = call(resources, "complete_upload", ADMIN_A, upload["id"])
    assert done["status"] == "complete" and done["duration_seconds"] == pytest.approx(2.0, abs=0.11)
    assert (done["width"], done["height"]) == (320, 240) and done["thumbnail_url"]
