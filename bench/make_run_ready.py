"""How long `make run` (scripts/run_local.py) takes to be ready: from starting the launcher to the gateway's
/readyz answering 200 (the README promises under 3 minutes), each run on empty databases in a private vhost
(migrations, SeaweedFS, five services, the gateway, the review UI and nginx when installed), then stopped with
SIGTERM. The virtualenv is already made (`make install`); its first creation is not counted.

    PYTHONPATH=. .venv/bin/python bench/make_run_ready.py [runs]
"""
import json
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kepu_common.devtools import devstack
from kepu_common.devtools.testing import AMQP_URI, DATABASE_SERVER, RABBIT_API

GIVE_UP_AFTER = 900


def one_run(log_dir):
    with devstack.isolated_run_env(AMQP_URI, RABBIT_API, DATABASE_SERVER) as env:
        url = f"http://127.0.0.1:{env['GATEWAY_PORT']}/readyz"
        with open(Path(log_dir) / "run.log", "w") as log:
            started = time.monotonic()
            launcher = subprocess.Popen([sys.executable, str(devstack.ROOT / "scripts" / "run_local.py")],
                                        cwd=devstack.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
            try:
                while not devstack.answers_ok(url):
                    if launcher.poll() is not None or time.monotonic() - started > GIVE_UP_AFTER:
                        raise RuntimeError(f"make run did not become ready; see {log_dir}/run.log")
                    time.sleep(0.25)
                ready_s = time.monotonic() - started
            finally:
                launcher.send_signal(signal.SIGTERM)
                launcher.wait(120)
    return round(ready_s, 1)


def main(runs):
    seconds = []
    for n in range(runs):
        with tempfile.TemporaryDirectory(prefix="make-run-") as log_dir:
            seconds.append(one_run(log_dir))
        print(json.dumps({"run": n + 1, "ready_s": seconds[-1]}), flush=True)
    print(json.dumps({"median_ready_s": statistics.median(seconds), "runs": seconds}))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
