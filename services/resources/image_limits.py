"""Files decoded in bounded memory: images, videos, audio and documents are decoded by a small pool of
worker processes, each with an address-space limit, never in the service's own process.

Pillow decodes a PNG whole before it can shrink it, FFmpeg decodes a PNG-coded video frame whole, PDFium
decodes a page's pictures whole: a 100-megapixel PNG of a few hundred KB needs 300-400 MB while it is
read, three 8192×8192 PNG frames in a 650 KB .mov took the service to 1.15 GB (issue 29), and glibc keeps
much of it in the process afterwards. In a worker the service's own memory never grows, and RLIMIT_AS
stops a file that would need more than `memory_mb` (a MemoryError, or FFmpeg's ENOMEM: the file is refused
as unreadable) instead of letting the node's OOM killer choose a victim. Pixel caps still refuse a bomb
from its header before any pixel is decoded (thumbnails.make, media.probe).

The pool: at most `size` workers (two: the machine's cores), started on demand and kept for the next file,
so an upload pays no interpreter start. A worker that ran `max_tasks` files, or whose peak resident
memory passed `recycle_mb` (what glibc keeps after a large decode), is retired after its answer; one that
overruns its time is killed and replaced; one that dies (a crash in a codec) is replaced, and the file
refused.

Why not concurrent.futures.ProcessPoolExecutor, billiard or pebble (whose ProcessPool has per-task
time-outs and max_tasks): all three start workers through multiprocessing. Under eventlet's monkey patch
(the services run on it) the forkserver method is unavailable, fork copies the hub's state, and spawn
re-imports the service's __main__, which monkey-patches the worker too (pebble's worker then fails on the
missing select.poll); their manager threads become green threads blocking on process-shared semaphores.
The workers here are the mechanism images used before, kept alive: `python -m
services.resources.image_limits` started with subprocess (green once patched: the parent waits
cooperatively, other workers keep answering), RLIMIT_AS set between fork and exec, pickled requests and
answers on its stdin/stdout, waited for with select() (green under eventlet, real without it).

    python -m services.resources.image_limits   # a worker: length-prefixed pickles on stdin, answers on stdout
"""
import atexit
import os
import pickle
import queue
import resource
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

from kepu_common.interfaces.errors import KepuError
from services.resources.thumbnails import UnreadableImage

ROOT = Path(__file__).resolve().parents[2]
# a worker's address space: a 100-megapixel RGBA PNG and Pillow's premultiplied copy of it, or one
# video frame at the pixel cap (media.MAX_VIDEO_PIXELS) with FFmpeg's buffers
DEFAULT_MEMORY_MB = 1024
DEFAULT_SECONDS = 60
POOL_SIZE = 2
MAX_TASKS = 200  # files a worker decodes before it is replaced (slow leaks in codecs stay bounded)
RECYCLE_MB = 256  # a worker whose peak resident memory passed this is replaced after its answer
_HEADER = 8


def _own_peak_mb():
    """This process's own peak resident memory. Not getrusage's ru_maxrss: Linux carries the parent's
    high-water mark across fork and exec into it, so a worker started by a large process (a test runner of
    800 MB) would look over `recycle_mb` after every file. VmHWM is the high-water mark of this address
    space only."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


class WorkerLost(Exception):
    """The worker died or did not answer in time; reason: decoding_memory_limit or decoding_timed_out."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
        except BlockingIOError:  # eventlet's pipes are non-blocking: wait until this one takes more
            select.select([], [fd], [])
            continue
        view = view[written:]


def _read_exact(fd, size, deadline=None):
    chunks, left = [], size
    while left:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise WorkerLost("decoding_timed_out")
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise WorkerLost("decoding_memory_limit")  # killed, or out of memory before Python could say so
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class _Worker:
    def __init__(self, memory_mb):
        limit = memory_mb * 1024 * 1024

        def limited():  # runs in the child between fork and exec: the limit, and first in line for the OOM killer
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            try:  # in a pod's memory cgroup the workers count too: if it fills, a worker dies, not the service
                with open("/proc/self/oom_score_adj", "w") as adjust:
                    adjust.write("1000")
            except OSError:
                pass

        # MALLOC_ARENA_MAX: glibc reserves 64 MB of address space per thread's arena; FFmpeg's threads would
        # spend the worker's limit on reservations
        self.process = subprocess.Popen(
            [sys.executable, "-m", "services.resources.image_limits"], cwd=ROOT, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, preexec_fn=limited, bufsize=0,
            env={**os.environ, "PYTHONPATH": str(ROOT), "MALLOC_ARENA_MAX": "2"})
        self.tasks = 0
        self.peak_mb = 0

    def call(self, request, seconds):
        """(ok, value) for one request, or WorkerLost (the worker is then dead: kill() it)."""
        data = pickle.dumps(request)
        try:
            _write_all(self.process.stdin.fileno(), len(data).to_bytes(_HEADER, "big") + data)
        except (BrokenPipeError, OSError):
            raise WorkerLost("decoding_memory_limit") from None
        deadline = time.monotonic() + seconds
        fd = self.process.stdout.fileno()
        size = int.from_bytes(_read_exact(fd, _HEADER, deadline), "big")
        ok, value, self.peak_mb = pickle.loads(_read_exact(fd, size, deadline))  # our own worker's answer
        self.tasks += 1
        return ok, value

    def kill(self):
        try:
            self.process.kill()
        except OSError:
            pass
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.process.wait()

    def worn(self, max_tasks, recycle_mb):
        return self.tasks >= max_tasks or self.peak_mb >= recycle_mb or self.process.poll() is not None


class Pool:
    """At most `size` bounded workers; run() waits for a free one (green under eventlet)."""

    def __init__(self, size=POOL_SIZE, memory_mb=DEFAULT_MEMORY_MB, max_tasks=MAX_TASKS, recycle_mb=RECYCLE_MB):
        self.size, self.memory_mb, self.max_tasks, self.recycle_mb = size, memory_mb, max_tasks, recycle_mb
        self._slots = threading.BoundedSemaphore(size)
        self._idle = queue.LifoQueue()
        self.started = 0  # workers started over the pool's life (tests and the benchmark read it)

    def run(self, function, args, seconds):
        """function(*args) (a name in _TASKS) in a worker: its value, the exception it raised, or
        WorkerLost."""
        with self._slots:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                worker = _Worker(self.memory_mb)
                self.started += 1
            try:
                ok, value = worker.call((function, args), seconds)
            except WorkerLost:
                worker.kill()
                raise
            except BaseException:
                worker.kill()  # interrupted mid-answer (a green time-out around us): its pipe is out of step
                raise
            if worker.worn(self.max_tasks, self.recycle_mb):
                worker.kill()
            else:
                self._idle.put(worker)
        if ok:
            return value
        raise value

    def close(self):
        while True:
            try:
                self._idle.get_nowait().kill()
            except queue.Empty:
                return


_pool = None
_pool_lock = threading.Lock()


def pool():
    """The process's pool, made on first use."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = Pool()
            atexit.register(_pool.close)  # idle workers end with the service (they would on their stdin's end too)
        return _pool


def _run(function, args, seconds, memory_mb, lost):
    """function(*args) in a worker of the shared pool (or of a pool of its own for another memory limit);
    a lost worker becomes lost(reason)."""
    own = None if memory_mb == DEFAULT_MEMORY_MB else Pool(size=1, memory_mb=memory_mb)
    try:
        return (own or pool()).run(function, args, seconds)
    except WorkerLost as gone:
        raise lost(gone.reason) from None
    finally:
        if own:
            own.close()


def thumbnail(path, box, max_pixels, memory_mb=DEFAULT_MEMORY_MB, seconds=DEFAULT_SECONDS):
    """thumbnails.make(path, box, max_pixels) in a bounded worker: (JPEG bytes, width, height), or
    UnreadableImage."""
    def lost(reason):
        details = {"reason": reason, "seconds": seconds} if reason == "decoding_timed_out" else \
            {"reason": reason, "memory_mb": memory_mb}
        return UnreadableImage("image_unreadable", {"file": "image_unreadable"}, details=details)

    return _run("thumbnail", (str(path), box, max_pixels), seconds, memory_mb, lost)


def probe(path, kind="video", poster_box=None, seconds=DEFAULT_SECONDS, memory_mb=DEFAULT_MEMORY_MB,
          max_pixels=None):
    """media.probe (or media.probe_audio for kind "audio") in a bounded worker: the facts, or
    UnreadableVideo / UnreadableAudio (`{kind}_probe_timed_out` when it overran `seconds`)."""
    from services.resources import media

    refused = media.UnreadableAudio if kind == "audio" else media.UnreadableVideo

    def lost(reason):
        if reason == "decoding_timed_out":
            return refused(refused.code, {"file": f"{kind}_probe_timed_out"}, details={"seconds": seconds})
        return refused(refused.code, {"file": f"{kind}_duration_unreadable"},
                       details={"reason": reason, "memory_mb": memory_mb})

    if kind == "audio":
        return _run("probe_audio", (str(path),), seconds, memory_mb, lost)
    return _run("probe", (str(path), poster_box, max_pixels), seconds, memory_mb, lost)


def inspect(path, content_type, box=None, seconds=DEFAULT_SECONDS, memory_mb=DEFAULT_MEMORY_MB):
    """documents.inspect in a bounded worker: {"thumbnail": JPEG or None}, or DocumentRefused."""
    from services.resources import documents

    def lost(reason):
        if reason == "decoding_timed_out":
            return documents.DocumentRefused("document_check_timed_out", {"file": "document_check_timed_out"},
                                             details={"seconds": seconds})
        code = "pdf_unreadable" if content_type == documents.PDF else "docx_not_word"
        return documents.DocumentRefused(code, {"file": code}, details={"reason": reason, "memory_mb": memory_mb})

    return _run("inspect", (str(path), content_type, box), seconds, memory_mb, lost)


# --- the worker's side ------------------------------------------------------------------------------------

def _task(name):
    if name == "thumbnail":
        from services.resources.thumbnails import make
        return make
    from services.resources import documents, media
    return {"probe": media.probe, "probe_audio": media.probe_audio, "inspect": documents.inspect}[name]


def _answer(function, args):
    try:
        return True, _task(function)(*args)
    except MemoryError:
        if function == "thumbnail":
            return False, UnreadableImage("image_unreadable", {"file": "image_unreadable"},
                                          details={"reason": "decoding_memory_limit"})
        return False, WorkerLost("decoding_memory_limit")
    except KepuError as refused:
        return False, refused


def _serve():
    """Answer requests until stdin closes: one file at a time, single-threaded."""
    stdin = sys.stdin.fileno()
    stdout = os.dup(sys.stdout.fileno())  # answers only: whatever a library prints goes to stderr
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    while True:
        try:
            header = _read_exact(stdin, _HEADER)
        except WorkerLost:
            return  # the pool closed our stdin
        function, args = pickle.loads(_read_exact(stdin, int.from_bytes(header, "big")))
        ok, value = _answer(function, args)
        peak_mb = _own_peak_mb()
        try:
            data = pickle.dumps((ok, value, peak_mb))
        except Exception:  # an exception that does not pickle: said plainly
            data = pickle.dumps((False, WorkerLost("decoding_memory_limit"), peak_mb))
        _write_all(stdout, len(data).to_bytes(_HEADER, "big") + data)


if __name__ == "__main__":
    _serve()
