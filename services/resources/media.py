"""What a video file says about itself, read with PyAV (FFmpeg's demuxers, bundled in its wheels): the
duration, the picture size and a poster frame. Never the values a client declares.

probe() opens a file on disk, or a URL of the stored object (FFmpeg reads ranges of it over HTTP, so a
4 GB video is never copied whole), and only reads what the demuxer needs (an MP4's moov box, a WebM's
header); a file whose container gives no duration has its packets walked to the last timestamp.
A picture larger than the pixel cap is refused from the stream's header, before any frame is decoded;
the poster is one frame: the decoder seeks to the key frame before the wanted time, decodes on one
thread (FFmpeg's frame threads would hold several frames at once) and the frame is scaled by swscale
straight to the poster's size (no full-size RGB copy). It is blocking code, and decoding is where a
small file can need a lot of memory (three 8192×8192 PNG frames in 650 KB): the service runs it in a
bounded worker process (image_limits.probe), never in its own.
"""
import io
import re

from kepu_common.interfaces.errors import InvalidInput

av = None  # PyAV, imported by the first probe: only the decoding workers load FFmpeg, never the service


def _load():
    global av
    if av is None:
        import av as loaded
        import av.logging  # noqa: F401
        av = loaded

MICROSECONDS = 1_000_000  # FFmpeg's AV_TIME_BASE: a container's duration is in these units
# the poster is taken a little into the video (first frames are often black or a fade-in), never past a third
POSTER_AT_SECONDS = 1.0
POSTER_MAX_FRAMES = 300  # decoding stops here even when no frame reaches the wanted time
# DCI 8K (8192×4320): no video a platform of science films takes is larger; a decoded frame at the cap is
# 140 MB of RGBA, well inside a decoding worker's limit
MAX_VIDEO_PIXELS = 8192 * 4320


class UnreadableVideo(InvalidInput):
    """A video whose duration cannot be read from the file: refused, whatever it claims."""

    code = "video_unreadable"


class UnreadableAudio(InvalidInput):
    """An audio file whose container does not parse or gives no duration: refused, whatever it claims."""

    code = "audio_unreadable"


def probe_audio(path):
    """{"duration_seconds", "width": None, "height": None} of the audio file at path, or UnreadableAudio."""
    _load()
    try:
        with _open(path, MAX_VIDEO_PIXELS)[0] as container:  # an MP3's cover picture is decoded too
            audio = next((s for s in container.streams if s.type == "audio"), None)
            if audio is None:
                raise UnreadableAudio("audio_unreadable", {"file": "audio_no_sound"})
            seconds = _stream_seconds(container, audio)
    except (av.error.FFmpegError, OSError, ValueError, UnicodeDecodeError):
        raise UnreadableAudio("audio_unreadable", {"file": "audio_duration_unreadable"}) from None
    if seconds is None:
        raise UnreadableAudio("audio_unreadable", {"file": "audio_duration_unreadable"})
    return {"duration_seconds": seconds, "width": None, "height": None}


def duration_seconds(container_duration, stream_duration=None, stream_time_base=None, last_timestamp=None):
    """The duration in seconds from what the demuxer found, best source first; None when nothing says.

    container_duration: in microseconds (AV_TIME_BASE); stream_duration and last_timestamp: in the
    stream's time base.
    """
    if container_duration is not None and container_duration > 0:
        return round(container_duration / MICROSECONDS, 3)
    if stream_time_base is None:
        return None
    for ticks in (stream_duration, last_timestamp):
        if ticks is not None and ticks > 0:
            return round(float(ticks * stream_time_base), 3)
    return None


def _stream_seconds(container, stream):
    """The container's duration, else the stream's, else the last packet's timestamp (packets walked)."""
    seconds = duration_seconds(container.duration, stream.duration, stream.time_base)
    if seconds is None:
        seconds = duration_seconds(None, None, stream.time_base, _last_timestamp(container, stream))
    return seconds


def _last_timestamp(container, stream):
    last = None
    for packet in container.demux(stream):
        if packet.pts is not None:
            end = packet.pts + (packet.duration or 0)
            last = end if last is None else max(last, end)
    return last


def poster_time(seconds):
    """Where the poster frame is taken, in seconds from the start."""
    return min(POSTER_AT_SECONDS, seconds / 3) if seconds else 0.0


# FFmpeg's own check (av_image_check_size2) names the size a stream declares when it passes the cap
_OVER_CAP = re.compile(r"Picture size (\d+)x(\d+) exceeds specified max pixel count")


def _open(path, max_pixels):
    """(container, (width, height) a stream declared over max_pixels or None). FFmpeg reads the streams'
    parameters with its decoders (avformat_find_stream_info decodes a first frame: 256 MB for an
    8192×8192 RGBA one); given max_pixels, its decoders refuse a larger picture before allocating it, and
    say so in the log, which is read here. One thread: FFmpeg's frame threads would hold a frame each."""
    av.logging.set_level(av.logging.ERROR)
    av.logging.set_skip_repeated(False)  # the same bomb twice in one worker: the second must be seen too
    with av.logging.Capture() as logs:
        container = av.open(path, mode="r", options={"max_pixels": str(max_pixels), "threads": "1"})
    for _, _, line in logs:
        found = _OVER_CAP.search(line)
        if found:
            return container, (int(found.group(1)), int(found.group(2)))
    return container, None


def fitted(width, height, box):
    """(width, height) scaled to fit box x box, never enlarged, at least 1x1."""
    scale = min(1.0, box / max(width, height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _poster(container, video, at_seconds, box, max_pixels=None):
    """JPEG bytes of the first frame at or after at_seconds (or the last one decoded), fitted into box x box;
    None when no frame decodes (the duration is still good: the upload is not refused for it)."""
    video.codec_context.thread_type = "NONE"  # one frame in flight, not one per thread
    video.codec_context.thread_count = 1
    # a frame larger than the header said is refused by the decoder too
    video.codec_context.options = {"max_pixels": str(max_pixels or MAX_VIDEO_PIXELS)}
    wanted = (int(at_seconds / float(video.time_base)) if video.time_base else 0) + (video.start_time or 0)
    try:  # to the key frame at or before the wanted time: the frames before it are never decoded
        container.seek(wanted, stream=video, backward=True)
    except av.error.FFmpegError:
        container.seek(0)
    chosen = None
    try:
        for count, frame in enumerate(container.decode(video)):
            chosen = frame
            if (frame.pts is not None and frame.pts >= wanted) or count >= POSTER_MAX_FRAMES:
                break
    except av.error.FFmpegError:
        pass
    if chosen is None:
        return None
    width, height = fitted(chosen.width, chosen.height, box)
    image = chosen.reformat(width=width, height=height, format="rgb24").to_image()
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


def _refuse_too_many_pixels(width, height, max_pixels):
    if width and height and width * height > max_pixels:
        megapixels = max_pixels // 1_000_000
        raise UnreadableVideo("video_too_many_pixels", {"file": ("video_too_many_pixels", {"megapixels": megapixels})},
                              details={"width": width, "height": height}, megapixels=megapixels)


def probe(path, poster_box=None, max_pixels=None):
    """{"duration_seconds", "width", "height"} of the video at path, or UnreadableVideo; with poster_box,
    also "thumbnail": a frame from about a second in, as JPEG (None if none decodes). A picture over
    max_pixels (MAX_VIDEO_PIXELS by default) is refused from its header, nothing decoded."""
    _load()
    poster = None
    try:
        max_pixels = max_pixels or MAX_VIDEO_PIXELS
        opened, declared = _open(path, max_pixels)
        with opened as container:
            if declared:
                _refuse_too_many_pixels(*declared, max_pixels)
            video = next((s for s in container.streams if s.type == "video"), None)
            if video is None:
                raise UnreadableVideo("video_unreadable", {"file": "video_no_picture"})
            width, height = video.codec_context.width or None, video.codec_context.height or None
            _refuse_too_many_pixels(width, height, max_pixels)
            seconds = _stream_seconds(container, video)
            if poster_box and seconds is not None:
                poster = _poster(container, video, poster_time(seconds), poster_box, max_pixels)
    except (av.error.FFmpegError, OSError, ValueError, UnicodeDecodeError):
        raise UnreadableVideo("video_unreadable", {"file": "video_duration_unreadable"}) from None
    if seconds is None:
        raise UnreadableVideo("video_unreadable", {"file": "video_duration_unreadable"})
    facts = {"duration_seconds": seconds, "width": width, "height": height}
    if poster_box:
        facts["thumbnail"] = poster
    return facts
