"""The poster pre-check's cost beside a thumbnail of the same image (issue 30), in the same run.

A 1080x1920 JPEG poster rendered with a CJK font (the tests' poster: the 全国科普日 mark, a name, the time, the
venue, the host, a price line). Each case runs in a fresh interpreter, rounds interleaved so the machine's load
falls on every case alike:

- thumbnail: resources' thumbnail as uploads make it (services/resources/image_limits.thumbnail: a child
  process, 480 px box); the wall time of the call and the child's peak RSS.
- ocr (job): the activities job's reading (services/activities/poster_ocr.read: a child process that loads
  the models, decodes the poster at most 1,600 px, detects text at most 960 px, one thread); the wall time
  of the call (model load included, as the job pays it) and the child's peak RSS.
- ocr in-process, ours / rapidocr defaults: the reading alone (models loaded before the clock starts) with
  our settings and with rapidocr's defaults (every core, text detection on the short side scaled to at least
  736 px: the whole 1080x1920 poster); the process's peak RSS (VmHWM).

    PYTHONPATH=. .venv/bin/python bench/poster_ocr.py [ROUNDS]
"""
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CASE = r"""
import json, resource, sys, time
path, how = sys.argv[1], sys.argv[2]
def hwm():
    return int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]) // 1024
def children():
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
if how == 'thumbnail':
    from services.resources import image_limits
    start = time.perf_counter(); image_limits.thumbnail(path, 480, 100_000_000); seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_mb": children(), "lines": None}))
elif how == 'ocr-job':
    from services.activities import poster_ocr
    start = time.perf_counter(); lines = poster_ocr.read(path); seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_mb": children(), "lines": lines}))
else:
    from rapidocr import RapidOCR
    from services.activities import poster_ocr
    if how == 'ocr-ours':
        reader, image = poster_ocr.engine(), poster_ocr.prepared(path)
    else:
        reader, image = RapidOCR(params={"Global.log_level": "error"}), path
    start = time.perf_counter(); found = reader(image); seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_mb": hwm(), "lines": list(found.txts or ())}))
"""

CASES = (("thumbnail", "thumbnail (resources, child)"), ("ocr-job", "ocr (the job's child, models loaded in it)"),
         ("ocr-ours", "ocr in-process, our settings"), ("ocr-defaults", "ocr in-process, rapidocr defaults"))


def main():
    sys.path.insert(0, str(ROOT))
    from services.activities.tests.posters import campaign_poster

    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    work = Path(tempfile.mkdtemp(prefix="kepu-poster-ocr-"))
    path = work / "poster.jpg"
    path.write_bytes(campaign_poster(extra=[("报名费99元，限时优惠", 40)]))
    print(f"poster: 1080x1920 JPEG, {path.stat().st_size // 1024} KB; {rounds} rounds")
    results = {how: [] for how, _ in CASES}
    for _ in range(rounds):
        for how, _ in CASES:
            done = subprocess.run([sys.executable, "-c", CASE, str(path), how], cwd=ROOT, capture_output=True,
                                  text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
            if done.returncode:
                raise SystemExit(done.stderr)
            results[how].append(json.loads(done.stdout.strip().splitlines()[-1]))
    base = statistics.median(r["seconds"] for r in results["thumbnail"])
    print(f"| case | median s | vs thumbnail | peak RSS MB (max) | lines read |")
    print("|---|---|---|---|---|")
    for how, title in CASES:
        seconds = statistics.median(r["seconds"] for r in results[how])
        peak = max(r["peak_mb"] for r in results[how])
        lines = results[how][0]["lines"]
        print(f"| {title} | {seconds:.2f} | {seconds / base:.0f}x | {peak} | "
              f"{'-' if lines is None else len(lines)} |")
    print("text (job):", results["ocr-job"][0]["lines"])


if __name__ == "__main__":
    main()
