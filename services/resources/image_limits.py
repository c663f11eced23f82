"""Images decoded in bounded memory: each decode runs in a child process with an address-space limit.

Pillow decodes a PNG, GIF, WebP or TIFF whole before it can shrink it (only JPEG has a reduced decode,
draft mode), so a 100-megapixel PNG of a few hundred KB needs 300-400 MB while it is read, and glibc keeps
much of it in the process afterwards (the issue measured 234 MB -> 1.32 GB, 549 MB kept). In a child
process the service's own memory never grows: the child's pages go back to the system when it exits,
and RLIMIT_AS stops a file that would need more than `memory_mb` (Pillow raises MemoryError, the image
is refused as unreadable) instead of letting the node's OOM killer choose a victim. Pixel caps
(max_image_megapixels) still refuse a decompression bomb from its header, before any pixel is decoded.

The child is a fresh interpreter (not a fork of the service's eventlet process, whose threads and
sockets a fork would copy); it costs about 0.2 s, paid once per uploaded image. Under eventlet the
parent waits cooperatively (subprocess is green once monkey-patched), so other workers keep answering.

    python -m services.resources.image_limits PATH BOX MAX_PIXELS   # the child: a pickle on stdout
"""
import os
import pickle
import resource
import subprocess
import sys
from pathlib import Path

from eventlet.patcher import original

from services.resources.thumbnails import UnreadableImage

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MEMORY_MB = 1024  # the child's address space: a 100-megapixel RGBA PNG and Pillow's premultiplied copy of it
DEFAULT_SECONDS = 60
# under eventlet's monkey patch, subprocess.run raises the original module's TimeoutExpired, not the green
# module's class of the same name: catching only subprocess.TimeoutExpired let a slow decode out as a 500
TIMED_OUT = tuple({subprocess.TimeoutExpired, original("subprocess").TimeoutExpired})


def thumbnail(path, box, max_pixels, memory_mb=DEFAULT_MEMORY_MB, seconds=DEFAULT_SECONDS):
    """thumbnails.make(path, box, max_pixels) in a child limited to memory_mb of address space:
    (JPEG bytes, width, height), or UnreadableImage."""
    limit = memory_mb * 1024 * 1024

    def limited():  # runs in the child between fork and exec: nothing but the limit
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    try:
        done = subprocess.run([sys.executable, "-m", "services.resources.image_limits", str(path), str(box),
                               str(max_pixels)], cwd=ROOT, capture_output=True, timeout=seconds,
                              preexec_fn=limited, env={**os.environ, "PYTHONPATH": str(ROOT)})
    except TIMED_OUT:
        raise UnreadableImage("image_unreadable", {"file": "image_unreadable"},
                              details={"reason": "decoding_timed_out", "seconds": seconds}) from None
    if done.returncode != 0 or not done.stdout:
        # killed, or out of memory before Python could say so
        raise UnreadableImage("image_unreadable", {"file": "image_unreadable"},
                              details={"reason": "decoding_memory_limit", "memory_mb": memory_mb})
    outcome = pickle.loads(done.stdout)  # our own child's answer, written by _child below
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def _child(path, box, max_pixels):
    from services.resources import thumbnails

    try:
        outcome = thumbnails.make(path, box, max_pixels)
    except UnreadableImage as refused:
        outcome = refused
    except MemoryError:
        outcome = UnreadableImage("image_unreadable", {"file": "image_unreadable"},
                                  details={"reason": "decoding_memory_limit"})
    sys.stdout.buffer.write(pickle.dumps(outcome))


if __name__ == "__main__":
    _child(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
