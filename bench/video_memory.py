"""Peak memory of the resources service while it probes a video (issue 29): the video bomb (three 8192×8192
PNG-coded frames in a .mov of under 1 MB) and a normal upload (10 s of 1080p H.264 at 25 fps), each with
the code of a given commit beside the code of this tree, in the same run.

Each case runs in a fresh process that monkey-patches eventlet and imports the resources service as the
service does (so its baseline is the service's), calls the service's own `_probe_in_thread(path, seconds,
poster box, "video")`, and reports that process's resident memory before, its peak (VmHWM) and after, and
the largest child's peak (RUSAGE_CHILDREN, read after the pool's workers are closed). "now, cap raised" runs
the bomb past the header check (max_pixels at its size), so its frame is decoded: in a worker.

    PYTHONPATH=. .venv/bin/python bench/video_memory.py [BASELINE_COMMIT]   # default ef9e36c
"""
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MAKE = r"""
import sys, av
path, codec, width, height, frames, rate, pix_fmt = sys.argv[1:8]
width, height, frames, rate = int(width), int(height), int(frames), int(rate)
with av.open(path, "w") as muxer:
    stream = muxer.add_stream(codec, rate=rate)
    stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
    for index in range(frames):
        frame = av.VideoFrame(width, height, pix_fmt)
        for number, plane in enumerate(frame.planes):
            plane.update(bytes([(index * 7 + number * 50 + 20) % 256]) * plane.buffer_size)
        for packet in stream.encode(frame):
            muxer.mux(packet)
    for packet in stream.encode():
        muxer.mux(packet)
"""

CASE = r"""
import eventlet
eventlet.monkey_patch()
import json, resource, sys
import services.resources.service as service  # the service's imports: its baseline
path, how = sys.argv[1], sys.argv[2]
def status(field):
    return int(next(l for l in open('/proc/self/status') if l.startswith(field)).split()[1]) // 1024
before = status('VmRSS')
try:
    if how == 'cap raised':
        from services.resources import image_limits
        facts = image_limits.probe(path, 'video', 480, 60, max_pixels=8192 * 8192)
    else:
        facts = service._probe_in_thread(path, 60, 480, 'video')
    result = f"accepted {facts['width']}x{facts['height']}, poster {'made' if facts.get('thumbnail') else 'none'}"
except Exception as refused:
    payload = getattr(refused, 'payload', {})
    result = f"refused: {payload.get('message', repr(refused))}"
peak, after = status('VmHWM'), status('VmRSS')
try:
    from services.resources import image_limits
    if getattr(image_limits, '_pool', None):
        image_limits._pool.close()
except ImportError:
    pass
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
print(json.dumps({"before": before, "peak": peak, "after": after, "child_peak": children, "result": result}))
"""


def make(path, *spec):
    subprocess.run([sys.executable, "-c", MAKE, str(path), *map(str, spec)], check=True, timeout=900)
    return path.stat().st_size


def tree_of(commit, into):
    """The services and kepu_common packages as they were at commit."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", commit, "services", "kepu_common"],
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=__import__("io").BytesIO(archive)) as tar:
        tar.extractall(into)
    return into


def run(tree, path, how):
    done = subprocess.run([sys.executable, "-c", CASE, str(path), how], cwd=tree, capture_output=True, text=True,
                          env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"}, timeout=900)
    if done.returncode != 0:
        return {"result": "failed: " + (done.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    baseline = sys.argv[1] if len(sys.argv) > 1 else "ef9e36c"
    work = Path(tempfile.mkdtemp(prefix="kepu-video-memory-"))
    old = tree_of(baseline, work / "baseline")
    videos = [("bomb: 3 frames 8192×8192 PNG, .mov", work / "bomb.mov", ("png", 8192, 8192, 3, 1, "rgba")),
              ("normal: 10 s 1080p H.264, 25 fps, .mp4", work / "normal.mp4", ("libx264", 1920, 1080, 250, 25,
                                                                                "yuv420p"))]
    print("| video | file KB | code | result | service RSS before MB | service peak RSS MB | after MB | "
          "largest child peak MB |")
    print("|---|---:|---|---|---:|---:|---:|---:|")
    for name, path, spec in videos:
        size = make(path, *spec)
        hows = [(baseline, old, "service"), ("now", ROOT, "service")]
        if "bomb" in name:
            hows.append(("now, cap raised", ROOT, "cap raised"))
        for label, tree, how in hows:
            m = run(tree, path, how)
            print(f"| {name} | {size // 1024} | {label} | {m['result']} | {m.get('before', '')} | {m.get('peak', '')} | "
                  f"{m.get('after', '')} | {m.get('child_peak') or '-'} |", flush=True)


if __name__ == "__main__":
    main()
