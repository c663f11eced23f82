"""The text of a poster, read on the CPU with RapidOCR (PP-OCR models shipped in the rapidocr wheel: nothing is
downloaded at run time), in a child process bounded in memory and time, the way resources bounds thumbnails
(services/resources/image_limits.py).

Why a child: onnxruntime, OpenCV and the models take 300-600 MB while a poster is read, and glibc keeps much
of it afterwards; in a fresh interpreter the service's own memory never grows, RLIMIT_AS stops a reading that
would pass `memory_mb` (the poster is then "unreadable", never the node's OOM killer choosing a victim), and a
reading past `seconds` is killed. A fresh interpreter, not a fork of the service's eventlet process; it
costs the models' load (about a second here) per poster, paid off the request path (the job in service.py).

Before the OCR sees it, the poster is decoded by Pillow under a pixel cap (a decompression bomb is refused
from its header) and, for a JPEG, in draft mode straight at a reduced size; then fitted into
`OCR_SIDE` pixels on its long side. A poster's words are large: at 1,600 px a 1080x1920 poster's smallest
line (44 px type) is still 36 px high, and text detection runs on at most 960 px (Det.limit_type max): the
peak memory of a reading went from 579 MB (rapidocr's default, which scales the short side up to 736 px and
keeps 1080x1920 whole) to 431 MB, 2.7x faster, with the same text (docs/benchmarks.md, "Poster pre-check").

    python -m services.activities.poster_ocr PATH MAX_PIXELS   # the child: JSON on stdout
"""
import json
import logging
import os
import resource
import subprocess
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
log = logging.getLogger(__name__)
# how running out of address space shows in a child that could still write its stderr
OUT_OF_MEMORY = ("MemoryError", "std::bad_alloc", "failed to map segment", "Cannot allocate memory")
DEFAULT_MEMORY_MB = 1536  # address space, not resident memory: onnxruntime maps ~700 MB it never touches
DEFAULT_SECONDS = 60
DEFAULT_MAX_PIXELS = 50_000_000
OCR_SIDE = 1600
DETECT_SIDE = 960
# one thread per inference: the job runs beside the services on a few shared cores
ENGINE_PARAMS = {
    "Global.log_level": "error",
    "EngineConfig.onnxruntime.intra_op_num_threads": 1,
    "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    "Det.limit_type": "max",
    "Det.limit_side_len": DETECT_SIDE,
}


class Unreadable(Exception):
    """The poster could not be read; args[0] is the reason code kept in the checklist."""

    @property
    def reason(self):
        return self.args[0]


def _timed_out():
    try:
        from eventlet.patcher import original  # under eventlet's patch, the original module's class is raised
        return tuple({subprocess.TimeoutExpired, original("subprocess").TimeoutExpired})
    except ImportError:  # pragma: no cover - eventlet is always installed with the services
        return (subprocess.TimeoutExpired,)


def child_limits(memory_mb):
    """What the OCR child runs between fork and exec: its address-space limit, and first in line for the OOM
    killer (in a pod's memory cgroup the child counts too: if it fills, the reading dies, not the service)."""
    limit = memory_mb * 1024 * 1024

    def limited():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        try:
            with open("/proc/self/oom_score_adj", "w") as adjust:
                adjust.write("1000")
        except OSError:
            pass

    return limited


def read(path, max_pixels=DEFAULT_MAX_PIXELS, memory_mb=DEFAULT_MEMORY_MB, seconds=DEFAULT_SECONDS):
    """The poster's lines of text, top to bottom, read in a child limited to memory_mb of address space and
    seconds of time; Unreadable(reason) when it cannot be."""
    try:
        done = subprocess.run([sys.executable, "-m", "services.activities.poster_ocr", str(path), str(max_pixels)],
                              cwd=ROOT, capture_output=True, timeout=seconds, preexec_fn=child_limits(memory_mb),
                              env={**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"})
    except _timed_out():
        raise Unreadable("ocr_timed_out") from None
    try:
        outcome = json.loads((done.stdout.decode().strip().splitlines() or ["null"])[-1])
    except ValueError:
        outcome = None
    if done.returncode != 0 or not isinstance(outcome, dict):
        errors = done.stderr.decode(errors="replace")
        if done.returncode < 0 or any(sign in errors for sign in OUT_OF_MEMORY):
            raise Unreadable("ocr_memory_limit")  # killed, or out of memory before Python could say so
        # anything else is ours to fix (a broken install, a bug), not the poster's: said loudly
        log.error("the poster OCR child failed (exit %s): %s", done.returncode, errors[-2000:])
        raise Unreadable("ocr_failed")
    if outcome.get("unreadable"):
        raise Unreadable(outcome["unreadable"])
    return outcome["lines"]


def prepared(path, max_pixels=DEFAULT_MAX_PIXELS, side=OCR_SIDE):
    """The poster as an RGB Pillow image fitted into side x side; Unreadable for what Pillow cannot decode
    or what has more than max_pixels pixels."""
    from PIL import Image, ImageOps

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = max_pixels
            with Image.open(path) as image:
                image.draft("RGB", (side, side))
                image.thumbnail((side, side))
                image = ImageOps.exif_transpose(image)
                if image.mode in ("RGBA", "LA", "P", "PA"):
                    image = image.convert("RGBA")
                    flat = Image.new("RGB", image.size, (255, 255, 255))
                    flat.paste(image, mask=image.getchannel("A"))
                    return flat
                return image.convert("RGB")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Unreadable("image_too_many_pixels") from None
    except (OSError, SyntaxError, ValueError):  # what Pillow raises for truncated or corrupt data
        raise Unreadable("image_unreadable") from None


def engine():
    """RapidOCR with the models its wheel ships and the settings above."""
    from rapidocr import RapidOCR

    return RapidOCR(params=ENGINE_PARAMS)


def lines_of(image, reader=None):
    """The text RapidOCR finds in image, one string per detected line, top to bottom."""
    found = (reader or engine())(image)
    return [str(text) for text in (found.txts or ())]


def _child(path, max_pixels):
    try:
        outcome = {"lines": lines_of(prepared(path, max_pixels))}
    except Unreadable as refused:
        outcome = {"unreadable": refused.reason}
    except MemoryError:
        outcome = {"unreadable": "ocr_memory_limit"}
    sys.stdout.write("\n" + json.dumps(outcome, ensure_ascii=False) + "\n")  # the last line is the answer


if __name__ == "__main__":
    _child(sys.argv[1], int(sys.argv[2]))
