"""What a video file says about itself, read with PyAV (FFmpeg's demuxers, bundled in its wheels): the
duration and the picture size. Never the values a client declares.

probe() opens a file on disk and only reads what the demuxer needs (an MP4's moov box, a WebM's
header); a file whose container gives no duration has its packets walked to the last timestamp.
It is blocking code: the service runs it in a thread (eventlet.tpool), one or two at a time, with
a time bound.
"""
import av

from kepu_common.errors import InvalidInput

MICROSECONDS = 1_000_000  # FFmpeg's AV_TIME_BASE: a container's duration is in these units


class UnreadableVideo(InvalidInput):
    """A video whose duration cannot be read from the file: refused, whatever it claims."""

    code = "video_unreadable"


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


def _last_timestamp(container, stream):
    last = None
    for packet in container.demux(stream):
        if packet.pts is not None:
            end = packet.pts + (packet.duration or 0)
            last = end if last is None else max(last, end)
    return last


def probe(path):
    """{"duration_seconds", "width", "height"} of the video at path, or UnreadableVideo."""
    try:
        with av.open(path, mode="r") as container:
            video = next((s for s in container.streams if s.type == "video"), None)
            if video is None:
                raise UnreadableVideo("video_unreadable", {"file": "video_no_picture"})
            seconds = duration_seconds(container.duration, video.duration, video.time_base)
            if seconds is None:
                seconds = duration_seconds(None, None, video.time_base, _last_timestamp(container, video))
            width, height = video.codec_context.width or None, video.codec_context.height or None
    except (av.error.FFmpegError, OSError, ValueError, UnicodeDecodeError):
        raise UnreadableVideo("video_unreadable", {"file": "video_duration_unreadable"}) from None
    if seconds is None:
        raise UnreadableVideo("video_unreadable", {"file": "video_duration_unreadable"})
    return {"duration_seconds": seconds, "width": width, "height": height}
