"""Peak memory of image decoding in the resources service: the largest image it accepts (a 9999x9999 PNG,
100 megapixels, the issue's 389 KB file; and the same with transparency) and decompression bombs (a
PNG of 40000x40000, refused by its header; a PNG whose pixels need more memory than the child may take).

Each case runs in a fresh process that has imported the resources service (so its baseline is the
service's), calls the service's own decoding function, and reports that process's peak RSS (VmHWM) and
the largest child's (RUSAGE_CHILDREN). "in-process" is the decoding as it was before (thumbnails.make in
the service's process), "child" as it is now (image_limits.thumbnail).

    PYTHONPATH=. .venv/bin/python bench/image_memory.py
"""
import json
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path


def png(path, width, height, mode="RGB"):
    """A valid PNG of one colour, written row by row (its size stays small: the rows compress to nothing)."""
    channels, colour_type = (4, 6) if mode == "RGBA" else (3, 2)
    row = b"\x00" + bytes((30, 120, 200, 255)[:channels]) * width
    compressor = zlib.compressobj(9)
    with open(path, "wb") as out:
        def chunk(kind, data):
            out.write(struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
        out.write(b"\x89PNG\r\n\x1a\n")
        chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0))
        data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
        chunk(b"IDAT", data)
        chunk(b"IEND", b"")
    return Path(path).stat().st_size


CASE = r"""
import json, resource, sys
import services.resources.service  # the service's imports: its baseline
from services.resources import image_limits, thumbnails
path, how = sys.argv[1], sys.argv[2]
def hwm():
    return int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]) // 1024
def rss():
    return int(next(l for l in open('/proc/self/status') if l.startswith('VmRSS')).split()[1]) // 1024
before = rss()
try:
    decode = thumbnails.make if how == 'in-process' else image_limits.thumbnail
    out = decode(path, 480, 100_000_000)
    result = f"accepted ({out[1]}x{out[2]})"
except thumbnails.UnreadableImage as refused:
    result = f"refused: {refused.payload['message']} {refused.payload['details'].get('reason', '')}".strip()
if how != 'in-process' and getattr(image_limits, '_pool', None):
    image_limits._pool.close()  # the pool's workers are waited for: their peak reaches RUSAGE_CHILDREN
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
print(json.dumps({"before": before, "peak": hwm(), "after": rss(), "child_peak": children, "result": result}))
"""


def main():
    root = Path(__file__).resolve().parent.parent
    work = Path(tempfile.mkdtemp(prefix="kepu-image-memory-"))
    cases = [("largest accepted: 9999x9999 PNG, RGB", 9999, 9999, "RGB"),
             ("largest accepted: 9999x9999 PNG, RGBA", 9999, 9999, "RGBA"),
             ("bomb: 40000x40000 PNG (1.6 gigapixels)", 40000, 40000, "RGB")]
    print("| image | file KB | decoding | result | service RSS before MB | service peak RSS MB | after MB | child peak RSS MB |")
    print("|---|---:|---|---|---:|---:|---:|---:|")
    for name, width, height, mode in cases:
        path = work / f"{width}x{height}-{mode}.png"
        size = png(path, width, height, mode)
        for how in ("in-process", "child"):
            done = subprocess.run([sys.executable, "-c", CASE, str(path), how], cwd=root, capture_output=True,
                                  text=True, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})
            if done.returncode != 0:
                print(f"| {name} | {size // 1024} | {how} | failed: {done.stderr.strip().splitlines()[-1]} | | | | |")
                continue
            m = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"| {name} | {size // 1024} | {how} | {m['result']} | {m['before']} | {m['peak']} | {m['after']} | "
                  f"{m['child_peak'] or '-'} |")
        path.unlink()


if __name__ == "__main__":
    main()
