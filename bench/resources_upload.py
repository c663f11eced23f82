"""A 700 MB upload through the gateway's stream path (issues 4 and 25): the gateway's peak memory, and its
throughput as a ratio to a direct minio-client put of the same file to the same S3 endpoint (SeaweedFS, as
`make run` and `make test` start it) in the same run. The gateway is measured as deployed: nginx with
deploy/nginx/nginx.conf in front (bench.gateway_nginx, the upload location streams the body through
unbuffered), gunicorn behind it with GATEWAY_TRUSTED_PROXIES=1, and one setting changed from deployment:
GATEWAY_UPLOAD_STREAM_MAX_MB is raised past the file's size (deployed, it is 100: a larger file is refused
the stream method, 400 stream_too_large, and goes by presigned multipart straight to storage), so what is
measured is the stream path at its worst, 7 times the largest file it takes as deployed.

POST /api/v1/uploads (method=stream), then PUT /api/v1/uploads/{id}/content with the file streamed from disk
(requests, a file object): the gateway reads the body part by part, hashes it, puts it to storage with the
minio client and asks the resources service to complete the upload (size, sha256, the real type). The direct
put is the minio client (Storage.put_stream, the gateway's part size) reading the same file from disk. The two
alternate in order, a few times, after one unmeasured put that warms the endpoint up.

While each runs, a thread samples every 50 ms: the resident memory of the gateway's processes (gunicorn's
master and workers), the resources service and its decoding workers (where the video probe runs: one small
video through the gateway before the measured puts starts them), the S3 endpoint and this client; CPU time
per process; the gateway worker's minor page faults per put; and what
each thread of the gateway workers is doing (on a CPU, waiting on a socket, waiting on a lock - the GIL or a
queue) and of the client's sending thread. The moment the sender reads the file's last byte splits each put
in two: the streaming phase, and the tail (the last parts' puts, the endpoint completing the multipart
upload, and for the gateway the completion checks).

Aims: the gateway worker's peak RSS under 150 MB; gateway throughput at least 0.7 of the direct put.

Environment: BENCH_UPLOAD_MB (700), BENCH_UPLOAD_RUNS (3), BENCH_UPLOAD_PART_MB (8, the production default
part size), BENCH_UPLOAD_EXTRA_PART_MB ("16": one more platform each with one pair of puts, to show the
memory/throughput trade-off; empty to skip).
"""
import hashlib
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from bench.common import platform  # noqa: E402
from bench.gateway_nginx import nginx_in_front  # noqa: E402
from gateway.settings import from_env as gateway_settings  # noqa: E402
from kepu_common.interfaces.contracts import make_event  # noqa: E402
from kepu_common.data.storage import Storage  # noqa: E402
from kepu_common.devtools.testing import publish_events  # noqa: E402

MB = 1024 * 1024
SIZE_MB = int(os.environ.get("BENCH_UPLOAD_MB", "700"))
RUNS = int(os.environ.get("BENCH_UPLOAD_RUNS", "3"))
PART_MB = int(os.environ.get("BENCH_UPLOAD_PART_MB", "8"))
EXTRA_PART_MB = [int(v) for v in os.environ.get("BENCH_UPLOAD_EXTRA_PART_MB", "16").split(",") if v.strip()]
VIDEO_SECONDS = 240  # under the five-minute limit for videos
USER = "00000000-0000-0000-0000-000000000001"  # whom running.token() signs for
SAMPLE_S = 0.05
RSS_AIM_MB = 150
RATIO_AIM = 0.7
HZ = os.sysconf("SC_CLK_TCK")
# x86-64 system calls a sleeping thread can be in, by what it waits for
SOCKET_WAITS = {0: "socket", 7: "socket", 23: "socket", 44: "socket", 45: "socket", 46: "socket", 47: "socket",
                232: "socket", 270: "socket", 271: "socket", 281: "socket"}
LOCK_WAITS = {202: "lock"}  # futex: the GIL, a queue, a semaphore


# --- the file ---------------------------------------------------------------------------------
def make_file(size, directory=None):
    """A video of about size bytes that the resources service accepts: an MP4 (PyAV's muxer, no encoding) with
    one MPEG-4 video stream of 25 frames a second for VIDEO_SECONDS, each frame's packet random-looking bytes
    (4 blocks reused), so its duration reads from the container as it does for a camera's file (the service
    probes every video: issue 28's five-minute limit). (path, sha256, exact size)."""
    import av

    handle = tempfile.NamedTemporaryFile(prefix="kepu-bench-upload-", suffix=".mp4", dir=directory, delete=False)
    handle.close()
    frames = VIDEO_SECONDS * 25
    frame_bytes = size // frames
    blocks = [os.urandom(frame_bytes) for _ in range(4)]
    rate = Fraction(1, 25)
    with av.open(handle.name, "w", format="mp4") as out:
        stream = out.add_stream("mpeg4", rate=25)
        stream.codec_context.width, stream.codec_context.height = 1920, 1080
        for n in range(frames):
            packet = av.Packet(blocks[n % len(blocks)])
            packet.stream, packet.time_base, packet.pts, packet.dts, packet.duration = stream, rate, n, n, 1
            packet.is_keyframe = n % 25 == 0
            out.mux(packet)
    digest = hashlib.sha256()
    with open(handle.name, "rb") as written:
        for block in iter(lambda: written.read(4 * MB), b""):
            digest.update(block)
        os.fsync(written.fileno())  # written back now, not while the first put is measured
    path = Path(handle.name)
    return path, digest.hexdigest(), path.stat().st_size


class TimedFile:
    """The file as the sender reads it, noting when it read the last byte. Never holds more than one block."""

    def __init__(self, handle, size):
        self._handle = handle
        self._size = size
        self.last_read = None

    def __len__(self):  # requests takes the Content-Length from here
        return self._size

    def __iter__(self):
        return iter(lambda: self.read(MB), b"")

    def read(self, size=-1):
        data = self._handle.read(size)
        if data:
            self.last_read = time.perf_counter()
        return data


# --- processes: memory, CPU, what threads wait for -------------------------------------------------
def _status(pid, field):
    """A kB field of /proc/<pid>/status, in MB (None when the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _stat(path):
    """(state, utime+stime ticks, parent pid) from a /proc stat file."""
    fields = Path(path).read_text().rsplit(")", 1)[1].split()
    return fields[0], int(fields[11]) + int(fields[12]), int(fields[1])


def _ticks(pid):
    try:
        return _stat(f"/proc/{pid}/stat")[1]
    except OSError:
        return 0


def _minflt(pid):
    """Minor page faults of the process so far (0 when it is gone)."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[7])
    except OSError:
        return 0


def _cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _busy_ticks():
    """CPU ticks the whole machine spent on anything but idling (all cores)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields) - fields[3] - fields[4]  # minus idle and iowait


def _pids():
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]


def processes(running, nginx_pid=None):
    """{role: pid}: nginx's master and workers, gateway master and workers, the resources service, the S3
    endpoint, this client."""
    master = running.processes["gateway"].pid
    watched = {}
    if nginx_pid is not None:
        watched["nginx master"] = nginx_pid
        nginx_workers = sorted(pid for pid in _pids() if _parent(pid) == nginx_pid)
        for n, pid in enumerate(nginx_workers, 1):
            watched[f"nginx worker {n}"] = pid
    watched["gateway master"] = master
    workers = []
    for pid in _pids():
        try:
            if _stat(f"/proc/{pid}/stat")[2] == master and "gunicorn" in _cmdline(pid):
                workers.append(pid)
        except OSError:
            continue
    for n, pid in enumerate(sorted(workers), 1):
        watched[f"gateway worker {n}"] = pid
    watched["resources service"] = running.processes["resources"].pid
    # its decoding workers (services/resources/media.py's pool): the video probe runs there
    for n, pid in enumerate(sorted(p for p in _pids() if _parent(p) == watched["resources service"]), 1):
        watched[f"resources worker {n}"] = pid
    port = running.env["S3_ENDPOINT"].rsplit(":", 1)[1]
    for pid in _pids():
        cmd = _cmdline(pid)
        if "weed" in cmd and f"-s3.port={port}" in cmd:
            watched["S3 endpoint (SeaweedFS)"] = pid
    watched["bench client"] = os.getpid()
    return watched


def _parent(pid):
    try:
        return _stat(f"/proc/{pid}/stat")[2]
    except OSError:
        return None


def reset_peak(pid):
    """Reset VmHWM (the kernel's peak RSS of the process) so it covers only what comes next."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def thread_state(pid, tid):
    """(what the thread is doing: cpu, socket, lock or other; its CPU ticks so far)."""
    try:
        state, ticks, _ = _stat(f"/proc/{pid}/task/{tid}/stat")
        if state == "R":
            return "cpu", ticks
        call = Path(f"/proc/{pid}/task/{tid}/syscall").read_text().split()[0]
        number = int(call) if call.lstrip("-").isdigit() else -1
        return SOCKET_WAITS.get(number) or LOCK_WAITS.get(number) or "other", ticks
    except (OSError, IndexError, ValueError):
        return None, 0


class Watch:
    """Samples every 50 ms in a thread: VmRSS of the watched processes, their CPU ticks, and the state of
    the gateway workers' threads and of the client's sending thread."""

    def __init__(self, watched):
        self.watched = watched
        self.peak = {}
        self.samples = 0
        self.timeline = []
        self.threads = {}  # (role, tid) -> [(time, state, CPU ticks)]
        self._traced = {role: pid for role, pid in watched.items() if role.startswith("gateway worker")}
        self._sender = threading.get_native_id()  # the thread that enters the Watch sends the file
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _trace(self, role, pid, tid, now):
        state, ticks = thread_state(pid, tid)
        if state is not None:
            self.threads.setdefault((role, int(tid)), []).append((now, state, ticks))

    def _sample(self):
        now = time.perf_counter()
        for role, pid in self.watched.items():
            rss = _status(pid, "VmRSS")
            if rss is not None and rss > self.peak.get(role, 0):
                self.peak[role] = rss
        self.timeline.append((now, {role: _ticks(pid) for role, pid in self.watched.items()}))
        for role, pid in self._traced.items():
            try:
                tids = os.listdir(f"/proc/{pid}/task")
            except OSError:
                continue
            for tid in tids:
                self._trace(role, pid, tid, now)
        self._trace("bench client", os.getpid(), self._sender, now)
        self.samples += 1

    def _run(self):
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(SAMPLE_S)

    def __enter__(self):
        self.busy = _busy_ticks()
        self.ticks = {role: _ticks(pid) for role, pid in self.watched.items()}
        self.tids_before = {role: set(os.listdir(f"/proc/{pid}/task")) for role, pid in self._traced.items()}
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._sample()
        self.cpu_s = {role: round((_ticks(pid) - self.ticks[role]) / HZ, 2) for role, pid in self.watched.items()}
        # what the rest of the machine used meanwhile (another benchmark on the same cores shows here)
        self.cpu_s["everything else"] = round(max(0, (_busy_ticks() - self.busy) / HZ - sum(self.cpu_s.values())), 2)

    def cpu_split(self, moment):
        """CPU seconds per process up to the sample nearest before moment, and after it."""
        before = [ticks for t, ticks in self.timeline if t <= moment]
        split = before[-1] if before else self.ticks
        end = self.timeline[-1][1]
        return ({role: round((split[role] - self.ticks[role]) / HZ, 2) for role in self.watched},
                {role: round((end[role] - split[role]) / HZ, 2) for role in self.watched})

    def _streaming(self, key, moment):
        return [sample for sample in self.threads[key] if sample[0] <= moment]

    def _share(self, keys, moment):
        samples = {key: self._streaming(key, moment) for key in keys}
        counts = Counter(state for key in keys for _, state, _ in samples[key])
        total = sum(counts.values()) or 1
        return {"threads": len(keys),
                "cpu_s": round(sum(s[-1][2] - s[0][2] for s in samples.values() if s) / HZ, 2),
                **{state: round(counts[state] / total, 2) for state in ("cpu", "socket", "lock", "other")}}

    def thread_report(self, worker, moment):
        """In the streaming phase (up to moment), what the worker's request thread (of the threads there
        before, the one that spent the most CPU), the threads started during the put (the minio client's
        part uploaders) and the client's sending thread did, as shares of the samples ("cpu" includes
        waiting for a core)."""
        def used(key):
            samples = self._streaming(key, moment)
            return samples[-1][2] - samples[0][2] if samples else 0

        mine = [key for key in self.threads if key[0] == worker]
        old = [key for key in mine if str(key[1]) in self.tids_before[worker]]
        report = {}
        if old:
            report["gateway request thread"] = self._share([max(old, key=used)], moment)
        new = [key for key in mine if str(key[1]) not in self.tids_before[worker]]
        if new:
            report["gateway part-upload threads"] = self._share(new, moment)
        sender = [key for key in self.threads if key[0] == "bench client"]
        if sender:
            report["client sender"] = self._share(sender, moment)
        return report


# --- the two ways of putting the file -----------------------------------------------------------
def direct_put(storage, bucket, path, size, part_size, watched):
    key = f"bench/direct-{uuid.uuid4().hex}"
    with open(path, "rb") as handle, Watch(watched) as watch:
        body = TimedFile(handle, size)
        started = time.perf_counter()
        storage.put_stream(bucket, key, body, size, content_type="video/mp4", part_size=part_size)
        ended = time.perf_counter()
    stored = storage.stat(bucket, key).size
    storage.remove(bucket, key)
    assert stored == size, f"direct put stored {stored} bytes of {size}"
    streaming, tail = watch.cpu_split(body.last_read)
    return {"seconds": round(ended - started, 2), "mb_per_s": round(size / MB / (ended - started), 1),
            "streaming_seconds": round(body.last_read - started, 2),
            "streaming_mb_per_s": round(size / MB / (body.last_read - started), 1),
            "tail_seconds": round(ended - body.last_read, 2),
            "cpu_s": watch.cpu_s, "cpu_s_streaming": streaming, "cpu_s_tail": tail,
            "peak_rss_mb": {role: round(mb) for role, mb in watch.peak.items()}}


def start_upload(url, token, size, sha256, filename="bench.mp4"):
    return requests.post(f"{url}/api/v1/uploads", timeout=30,
                         headers={"Authorization": f"Bearer {token}"},
                         json={"purpose": "video", "filename": filename, "size": size, "content_type": "video/mp4",
                               "sha256": sha256, "method": "stream"})


def gateway_put(url, token, path, size, sha256, watched):
    workers = {role: pid for role, pid in watched.items() if role.startswith("gateway worker")}
    hwm_reset = all([reset_peak(pid) for pid in workers.values()])
    faults = {role: _minflt(pid) for role, pid in workers.items()}
    begun = time.perf_counter()
    started = start_upload(url, token, size, sha256)
    assert started.status_code == 201, started.text
    upload = started.json()
    with open(path, "rb") as handle, Watch(watched) as watch:
        body = TimedFile(handle, size)  # a file object: requests streams it in blocks, with its Content-Length
        put_started = time.perf_counter()
        answer = requests.put(f"{url}/api/v1/uploads/{upload['id']}/content", data=body,
                              timeout=900, headers={"Authorization": f"Bearer {token}",
                                                    "Content-Type": "application/octet-stream",
                                                    "Content-Length": str(size)})
        ended = time.perf_counter()
    assert answer.status_code == 200, answer.text
    done = answer.json()
    assert done["status"] == "complete" and done["size"] == size and done["sha256"] == sha256, done
    worker = max(workers, key=lambda role: watch.cpu_s[role])  # the one that spent the CPU on it
    streaming, tail = watch.cpu_split(body.last_read)
    seconds = ended - put_started
    return {
        "seconds": round(seconds, 2), "mb_per_s": round(size / MB / seconds, 1),
        "streaming_seconds": round(body.last_read - put_started, 2),
        "streaming_mb_per_s": round(size / MB / (body.last_read - put_started), 1),
        "tail_seconds": round(ended - body.last_read, 2),
        "with_start_seconds": round(ended - begun, 2), "status": done["status"], "content_type": done["content_type"],
        "worker": worker,
        "nginx_peak_rss_mb": round(sum(mb for role, mb in watch.peak.items() if role.startswith("nginx"))),
        "nginx_cpu_s": round(sum(v for role, v in watch.cpu_s.items() if role.startswith("nginx")), 2),
        "worker_peak_rss_mb": round(watch.peak.get(worker, 0)),
        "worker_vmhwm_mb": round(_status(workers[worker], "VmHWM") or 0) if hwm_reset else None,
        "worker_rss_after_mb": round(_status(workers[worker], "VmRSS") or 0),
        "worker_minor_faults": _minflt(workers[worker]) - faults[worker],  # pages first touched (or zeroed)
        "master_peak_rss_mb": round(watch.peak.get("gateway master", 0)),
        "resources_peak_rss_mb": round(watch.peak.get("resources service", 0)),
        "peak_rss_mb": {role: round(mb) for role, mb in watch.peak.items()},
        "cpu_s": watch.cpu_s, "cpu_s_streaming": streaming, "cpu_s_tail": tail,
        "threads": watch.thread_report(worker, body.last_read), "samples": watch.samples,
    }


def clear_uploads(storage, bucket):
    storage.remove_prefix(bucket, "files/")


# --- one platform, several pairs ----------------------------------------------------------------
def become_org_admin(running, url, token):
    """The resources service learns org admins from identity's role_granted events: send one, wait for it."""
    org_id = str(uuid.uuid4())
    grant = make_event("role_granted", "identity", user_id=USER, role="org_admin", scope=org_id, actor_id=None)
    publish_events(running.env["AMQP_URI"], [grant])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        probe = start_upload(url, token, 1, "0" * 64, "probe.mp4")
        if probe.status_code == 201:
            return org_id
        assert probe.status_code == 403, probe.text
        time.sleep(0.2)
    raise AssertionError("the resources service never took the org_admin role")


def measure(path, size, sha256, part_mb, runs, **settings):
    # the stream limit raised past the file: as deployed (100 MB) a 700 MB file goes by presigned multipart
    stream_max_mb = max(100, -(-size // MB) + 1)
    with platform(("resources", "gateway"), GATEWAY_UPLOAD_PART_MB=part_mb, GATEWAY_TRUSTED_PROXIES=1,
                  GATEWAY_UPLOAD_STREAM_MAX_MB=stream_max_mb, **settings) as running, nginx_in_front(running.gateway_url) as (url, nginx_pid):
        token = running.token(["communicator"])
        become_org_admin(running, url, token)
        config = gateway_settings(running.env)
        storage = Storage.from_config(config["STORAGE"])
        bucket = storage.bucket("resources")
        part_size = config["UPLOAD_STREAM_PART_SIZE"]
        watched = processes(running, nginx_pid)
        idle_rss = {role: round(_status(pid, "VmRSS") or 0) for role, pid in watched.items()}
        direct_put(storage, bucket, path, size, part_size, watched)  # warm-up: the endpoint's first big object
        # and one small video through the gateway, so that the resources service's decoding worker (started
        # at its first probe) is running, and watched, before the measured puts
        small_path, small_sha256, small_size = make_file(2 * MB)
        try:
            gateway_put(url, token, small_path, small_size, small_sha256, watched)
        finally:
            small_path.unlink()
        clear_uploads(storage, bucket)
        watched = processes(running, nginx_pid)
        pairs = []
        for n in range(runs):
            order = ("direct", "gateway") if n % 2 == 0 else ("gateway", "direct")
            pair = {"order": " then ".join(order)}
            for way in order:
                if way == "direct":
                    pair["direct"] = direct_put(storage, bucket, path, size, part_size, watched)
                else:
                    pair["gateway"] = gateway_put(url, token, path, size, sha256, watched)
                    clear_uploads(storage, bucket)
            pair["ratio"] = round(pair["gateway"]["mb_per_s"] / pair["direct"]["mb_per_s"], 2)
            pair["streaming_ratio"] = round(
                pair["gateway"]["streaming_mb_per_s"] / pair["direct"]["streaming_mb_per_s"], 2)
            pairs.append(pair)
            print(f"part {part_mb} MB, run {n + 1}: " + json.dumps(_brief(pair)), file=sys.stderr, flush=True)
        return {"part_mb": part_mb, "settings": settings, "idle_rss_mb": idle_rss, "runs": pairs,
                "median_ratio": statistics.median(p["ratio"] for p in pairs),
                "median_streaming_ratio": statistics.median(p["streaming_ratio"] for p in pairs),
                "max_worker_peak_rss_mb": max(p["gateway"]["worker_peak_rss_mb"] for p in pairs),
                "max_worker_vmhwm_mb": max((p["gateway"]["worker_vmhwm_mb"] or 0) for p in pairs) or None,
                "median_gateway_mb_per_s": statistics.median(p["gateway"]["mb_per_s"] for p in pairs),
                "median_direct_mb_per_s": statistics.median(p["direct"]["mb_per_s"] for p in pairs)}


def _brief(pair):
    g, d = pair["gateway"], pair["direct"]
    return {"order": pair["order"], "direct_mb_s": d["mb_per_s"], "gateway_mb_s": g["mb_per_s"], "ratio": pair["ratio"],
            "streaming_mb_s": [d["streaming_mb_per_s"], g["streaming_mb_per_s"]],
            "tail_s": [d["tail_seconds"], g["tail_seconds"]],
            "worker_peak_rss_mb": g["worker_peak_rss_mb"], "worker_vmhwm_mb": g["worker_vmhwm_mb"],
            "worker_rss_after_mb": g["worker_rss_after_mb"], "worker_minor_faults": g["worker_minor_faults"],
            "master_peak_rss_mb": g["master_peak_rss_mb"],
            "resources_peak_rss_mb": g["resources_peak_rss_mb"], "threads": g["threads"]}


def run(size_mb=SIZE_MB, runs=RUNS, part_mb=PART_MB, extra_part_mb=tuple(EXTRA_PART_MB)):
    path, sha256, size = make_file(size_mb * MB)
    try:
        main = measure(path, size, sha256, part_mb, runs)
        others = [measure(path, size, sha256, extra, 1) for extra in extra_part_mb if extra != part_mb]
    finally:
        path.unlink()
    return {"size_mb": size_mb, "sha256": sha256, "main": main, "part_sizes": others,
            "aims": {"worker_peak_rss_mb_below": RSS_AIM_MB, "ratio_at_least": RATIO_AIM},
            "meets_aims": main["max_worker_peak_rss_mb"] < RSS_AIM_MB and main["median_ratio"] >= RATIO_AIM}


# --- the report ----------------------------------------------------------------------------------
def _pct(share):
    return f"{share['cpu'] * 100:.0f} / {share['socket'] * 100:.0f} / {share['lock'] * 100:.0f}"


def render(result):
    main = result["main"]
    lines = [
        f"**A {result['size_mb']} MB upload streamed through nginx and the gateway to SeaweedFS** (`POST "
        "/api/v1/uploads` method=stream, then `PUT /api/v1/uploads/{id}/content` with the file from disk, through "
        "nginx with `deploy/nginx/nginx.conf` (that location streams the body unbuffered) to gunicorn "
        "(`GATEWAY_TRUSTED_PROXIES=1`): the gateway puts it to SeaweedFS (`weed server -s3`, one process, as "
        f"`make run` starts it) in parts of {main['part_mb']} MB, three in flight, while hashing it, then "
        "the resources service completes it: checks the object's size, reads its first bytes for the real type "
        "and probes the video's duration and poster frame through a short-lived URL with ranged reads; "
        "`GATEWAY_UPLOAD_STREAM_MAX_MB` raised past the file, which as deployed (100 MB) would go by presigned "
        "multipart), "
        "beside a direct minio-client put of the same file to the same SeaweedFS (same part size) in "
        f"the same run, in alternating order. Aims: the gateway worker's peak RSS < {RSS_AIM_MB} MB; throughput ≥ "
        f"{RATIO_AIM} of the direct put.",
        "",
        "| run | direct MB/s | gateway MB/s | ratio | streaming phase MB/s: direct / gateway "
        "| tail s: direct / gateway | worker peak RSS MB (VmHWM) | master RSS MB | resources RSS MB "
        "| nginx RSS MB (all processes) | nginx CPU s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, pair in enumerate(main["runs"], 1):
        g, d = pair["gateway"], pair["direct"]
        lines.append(
            f"| {n} ({pair['order']}) | {d['mb_per_s']} | {g['mb_per_s']} | {pair['ratio']} | "
            f"{d['streaming_mb_per_s']} / {g['streaming_mb_per_s']} | {d['tail_seconds']} / {g['tail_seconds']} | "
            f"{g['worker_peak_rss_mb']} ({g['worker_vmhwm_mb']}) | {g['master_peak_rss_mb']} | "
            f"{g['resources_peak_rss_mb']} | {g.get('nginx_peak_rss_mb', '')} | {g.get('nginx_cpu_s', '')} |")
    lines += [
        f"| **median** | **{main['median_direct_mb_per_s']}** | **{main['median_gateway_mb_per_s']}** | "
        f"**{main['median_ratio']}** | ratio {main['median_streaming_ratio']} | | "
        f"**{main['max_worker_peak_rss_mb']}** (max) | | | | |",
        "",
        "The streaming phase lasts until the sender has read the file's last byte; the tail is the last parts' "
        "puts, SeaweedFS completing the multipart upload and, for the gateway, the completion checks (the "
        "resources service takes the size and SHA-256 the gateway measured while streaming, stats the object, "
        "reads its head and probes the video through ranged reads of it: no whole read-back).",
        "",
        "Idle RSS before the runs (MB): " + ", ".join(f"{role} {mb}" for role, mb in main["idle_rss_mb"].items()
                                                      if role != "bench client") + "; the worker that took the "
        "upload still held " + ", ".join(str(p["gateway"]["worker_rss_after_mb"]) for p in main["runs"]) +
        " MB right after it.",
        "",
        "Where the time goes in the gateway put: CPU seconds per process in the streaming phase / in the tail; "
        "and in the streaming phase, the share of 50 ms samples each thread was running or waiting for a core / "
        "blocked on a socket / blocked on a lock (the GIL, a queue, a semaphore):",
        "",
        "| run | client | gateway worker | S3 endpoint | resources | resources decoding workers | "
        "anything else (whole put) | request thread % | part-upload threads % | client sender % |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, pair in enumerate(main["runs"], 1):
        g = pair["gateway"]
        s, t, th = g["cpu_s_streaming"], g["cpu_s_tail"], g["threads"]
        cells = [f"{s.get(role, 0)} / {t.get(role, 0)}" for role in
                 ("bench client", g["worker"], "S3 endpoint (SeaweedFS)", "resources service")]
        pool = [role for role in s if role.startswith("resources worker")]
        cells.append(f"{round(sum(s[r] for r in pool), 2)} / {round(sum(t.get(r, 0) for r in pool), 2)}")
        cells.append(str(g["cpu_s"]["everything else"]))
        shares = [_pct(th[key]) if key in th else "" for key in
                  ("gateway request thread", "gateway part-upload threads", "client sender")]
        lines.append(f"| {n} | " + " | ".join(cells + shares) + " |")
    if result["part_sizes"]:
        lines += ["", "Gateway part size (`GATEWAY_UPLOAD_PART_MB`; the direct put uses the same), one pair each on "
                      "its own platform:", "",
                  "| part MB | direct MB/s | gateway MB/s | ratio | streaming ratio | worker peak RSS MB (VmHWM) |",
                  "|---:|---:|---:|---:|---:|---:|"]
        for other in sorted([main] + result["part_sizes"], key=lambda m: m["part_mb"]):
            peak = (f"{other['max_worker_peak_rss_mb']} (max)" if other is main else
                    f"{other['runs'][0]['gateway']['worker_peak_rss_mb']} "
                    f"({other['runs'][0]['gateway']['worker_vmhwm_mb']})")
            lines.append(f"| {other['part_mb']}{' (default, median)' if other is main else ''} | "
                         f"{other['median_direct_mb_per_s']} | {other['median_gateway_mb_per_s']} | "
                         f"{other['median_ratio']} | {other['median_streaming_ratio']} | {peak} |")
    busy = max(p[way]["cpu_s"]["everything else"] / (os.cpu_count() * p[way]["seconds"])
               for m in [main] + result["part_sizes"] for p in m["runs"] for way in ("direct", "gateway"))
    if busy > 0.1:
        lines += ["", f"Caution: other processes took up to {busy:.0%} of the machine's CPU during a put: it was "
                      "not quiet, and these figures are lower and noisier than they would be."]
    lines += ["", f"Aims met: {'yes' if result['meets_aims'] else 'no'} (worker peak RSS "
                  f"{main['max_worker_peak_rss_mb']} MB against < {RSS_AIM_MB}; median ratio {main['median_ratio']} "
                  f"against ≥ {RATIO_AIM})."]
    return lines


if __name__ == "__main__":
    figures = run()
    print(json.dumps(figures, indent=1))
    print()
    print("\n".join(render(figures)))
