"""Startup objects leave the collector's full walks in every long-running process (kepu_common/operations/runtime.py)."""
import gc
import subprocess
import sys
from pathlib import Path

import nameko.cli.run
import nameko.containers

from kepu_common import cli

ROOT = Path(__file__).resolve().parents[2]

FREEZE_IN_A_FRESH_PROCESS = """
import gc, weakref
from kepu_common.operations.runtime import freeze_startup_objects
class Node: pass
garbage = Node(); garbage.cycle = garbage; alive = weakref.ref(garbage); del garbage  # a cycle: only gc frees it
freeze_startup_objects()
print(gc.get_freeze_count(), alive() is None)
"""


def test_freezing_keeps_what_is_alive_and_collects_startup_garbage_first():
    out = subprocess.run([sys.executable, "-c", FREEZE_IN_A_FRESH_PROCESS], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.split()
    assert int(out[0]) > 1_000  # the interpreter and what was imported
    assert out[1] == "True"  # the cycle was collected, not frozen


def test_each_gateway_worker_freezes_once_the_app_is_loaded():
    # gunicorn's and granian's workers both import gateway.wsgi, the one place the freeze happens
    code = "import gc; frozen = gc.get_freeze_count(); import gateway.wsgi; print(frozen, gc.get_freeze_count())"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    before, after = map(int, out.split())
    assert before == 0 and after > 1_000


def test_a_service_freezes_after_loading_its_class_and_before_serving(monkeypatch):
    seen = {}

    def fake_nameko_run(services, config):
        seen["services"], seen["frozen"] = services, gc.get_freeze_count()

    monkeypatch.setattr(nameko.cli.run, "run", fake_nameko_run)
    monkeypatch.setattr(nameko.containers, "_log_time", nameko.containers._log_time)  # cli.run replaces it
    try:
        cli.run("identity", {"MIGRATE_ON_START": False})
    finally:
        gc.unfreeze()
    assert seen["services"] == [cli.service_class("identity")]
    assert seen["frozen"] > 0


def test_nameko_worker_timing_is_skipped_unless_the_service_logs_at_debug(monkeypatch):
    import logging

    import nameko.containers
    import nameko.log_helpers

    from kepu_common.operations.runtime import skip_nameko_worker_timing

    from kepu_common.operations import runtime

    original = nameko.log_helpers.make_timing_logger(logging.getLogger("nameko.containers"))
    monkeypatch.setattr(nameko.containers, "_log_time", original)  # the real one restored after the test
    logger = logging.getLogger("nameko.containers")
    level = logger.level
    try:
        logger.setLevel(logging.DEBUG)
        assert skip_nameko_worker_timing() is False and nameko.containers._log_time is original
        logger.setLevel(logging.INFO)
        assert skip_nameko_worker_timing() is True and nameko.containers._log_time is runtime._untimed
    finally:
        logger.setLevel(level)
    with nameko.containers._log_time("ran worker %s", "w"):
        pass
