"""Durations read from real files (encoded here with PyAV), never from what a client declares."""
import io
from fractions import Fraction

import pytest
from PIL import Image

from services.resources import media
from services.resources.tests.conftest import MP4_HEAD, video_bytes


def test_the_container_duration_comes_first():
    assert media.duration_seconds(2_000_000, 999, Fraction(1, 1000)) == 2.0


def test_a_stream_duration_or_the_last_timestamp_stands_in():
    assert media.duration_seconds(None, 20480, Fraction(1, 10240)) == 2.0
    assert media.duration_seconds(None, None, Fraction(1, 1000), 2500) == 2.5
    assert media.duration_seconds(None, None, None) is None
    assert media.duration_seconds(0, 0, Fraction(1, 1000), None) is None


@pytest.mark.parametrize("container,codec,suffix", [("mp4", "mpeg4", ".mp4"), ("mov", "mpeg4", ".mov"),
                                                    ("webm", "libvpx", ".webm")])
def test_a_real_video_gives_its_duration_and_size(tmp_path, container, codec, suffix):
    path = tmp_path / f"clip{suffix}"
    path.write_bytes(video_bytes(seconds=3, container=container, codec=codec, size=(96, 64)))
    found = media.probe(str(path))
    assert found == {"duration_seconds": pytest.approx(3.0, abs=0.11), "width": 96, "height": 64}


@pytest.mark.parametrize("content", [MP4_HEAD + bytes(4000), b"", video_bytes()[:600]])
def test_a_file_whose_duration_cannot_be_read_is_refused(tmp_path, content):
    path = tmp_path / "clip.mp4"
    path.write_bytes(content)
    with pytest.raises(media.UnreadableVideo) as error:
        media.probe(str(path))
    assert (error.value.status, error.value.code) == (400, "video_unreadable")
    assert error.value.fields["file"]["code"] in ("video_duration_unreadable", "video_no_picture")


def test_a_poster_frame_is_taken_about_a_second_in(tmp_path):
    path = tmp_path / "clip.mp4"
    path.write_bytes(video_bytes(seconds=3, size=(96, 64)))  # frame n is a flat grey of brightness 10 n
    found = media.probe(str(path), poster_box=48)
    poster = Image.open(io.BytesIO(found["thumbnail"]))
    assert poster.format == "JPEG" and poster.size == (48, 32)  # fitted into the box, its shape kept
    first = media.probe(str(path), poster_box=48)["thumbnail"]
    assert first == found["thumbnail"]  # the same frame each time
    # the first frame is black; the poster is the one at 1 s (frame 10, brightness 100)
    assert 60 < poster.convert("L").getpixel((20, 16)) < 110
    assert "thumbnail" not in media.probe(str(path))


def test_the_poster_time_stays_inside_short_videos():
    assert media.poster_time(30.0) == 1.0
    assert media.poster_time(0.6) == pytest.approx(0.2)
    assert media.poster_time(None) == 0.0


def audio_bytes(seconds=2.0, container="wav", codec="pcm_s16le", rate=8000):
    import av

    out = io.BytesIO()
    with av.open(out, mode="w", format=container) as muxer:
        stream = muxer.add_stream(codec, rate=rate)
        stream.layout = "mono"
        samples = int(seconds * rate)
        for start in range(0, samples, 1024):
            count = min(1024, samples - start)
            frame = av.AudioFrame(format="s16", layout="mono", samples=count)
            frame.planes[0].update(bytes(frame.planes[0].buffer_size))  # silence
            frame.sample_rate, frame.pts = rate, start
            for packet in stream.encode(frame):
                muxer.mux(packet)
        for packet in stream.encode(None):
            muxer.mux(packet)
    return out.getvalue()


@pytest.mark.parametrize("container,codec,suffix,rate", [
    ("wav", "pcm_s16le", ".wav", 8000), ("ogg", "libopus", ".ogg", 48000), ("mp4", "aac", ".m4a", 16000),
    ("mp3", "libmp3lame", ".mp3", 22050)])
def test_a_real_audio_file_gives_its_duration(tmp_path, container, codec, suffix, rate):
    path = tmp_path / f"talk{suffix}"
    path.write_bytes(audio_bytes(seconds=2.0, container=container, codec=codec, rate=rate))
    found = media.probe_audio(str(path))
    assert found == {"duration_seconds": pytest.approx(2.0, abs=0.15), "width": None, "height": None}


@pytest.mark.parametrize("content", [b"ID3\x04" + bytes(4000), b"RIFF" + bytes(40), b"", video_bytes(seconds=1)])
def test_audio_that_does_not_parse_or_has_no_sound_is_refused(tmp_path, content):
    path = tmp_path / "talk.mp3"
    path.write_bytes(content)
    with pytest.raises(media.UnreadableAudio) as error:
        media.probe_audio(str(path))
    assert (error.value.status, error.value.code) == (400, "audio_unreadable")
    assert error.value.fields["file"]["code"] in ("audio_duration_unreadable", "audio_no_sound")
