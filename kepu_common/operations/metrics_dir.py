"""Where a web server's worker processes keep their Prometheus counters together (prometheus_client's
multi-process mode): a scrape reaches one worker, which answers the sum of all of them. The directory is
chosen by the master, before any worker imports prometheus_client (gateway/requests_log.py explains when)."""
import os
import shutil
import tempfile
from pathlib import Path

MULTIPROC_PREFIX = "kepu-gateway-metrics-"


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def choose_multiprocess_dir(environ=os.environ, temp=None, pid=None, workers_share=None):
    """The directory the server's workers share their counters in, set in `environ`; None for one process.
    `workers_share`: True from a launcher that starts workers (kepu_common/edge/granian_server.py); by default, whether
    this is a gunicorn master (gunicorn sets SERVER_SOFTWARE in its environment)."""
    if environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return environ["PROMETHEUS_MULTIPROC_DIR"]
    if workers_share is None:
        workers_share = environ.get("SERVER_SOFTWARE", "").startswith("gunicorn")
    if not workers_share:
        return None  # one process (tests, a debugger): the default registry is the whole truth
    base = Path(temp or tempfile.gettempdir())
    for stale in base.glob(f"{MULTIPROC_PREFIX}*"):
        suffix = stale.name[len(MULTIPROC_PREFIX):]
        if suffix.isdigit() and not _pid_alive(int(suffix)):
            shutil.rmtree(stale, ignore_errors=True)
    directory = base / f"{MULTIPROC_PREFIX}{pid or os.getpid()}"
    directory.mkdir(exist_ok=True)
    environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    return str(directory)
