"""The import contracts (.importlinter, checked by import-linter's lint-imports) hold, and the gateway process
really loads no service runtime: schemas import no transport, database or media code, the gateway no
nameko/eventlet/database driver, and kepu_common has no import cycle (issue 26)."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--config", str(ROOT / ".importlinter"), "--no-cache"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "4 kept, 0 broken" in done.stdout


def test_importing_the_gateway_loads_no_service_runtime():
    probe = "import json, sys, gateway; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    for runtime in ("eventlet", "nameko", "psycopg2", "pypdfium2", "av", "PIL", "rapidocr", "onnxruntime", "cv2", "kepu_common.data.db", "kepu_common.bus.rpc"):
        assert runtime not in loaded, f"importing the gateway loads {runtime}"
