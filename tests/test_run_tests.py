"""make test's runner shares the test files out between processes: whole files, balanced by duration."""
import importlib.util

from kepu_common.cli import ROOT

spec = importlib.util.spec_from_file_location("run_tests", ROOT / "scripts" / "run_tests.py")
run_tests = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_tests)


def test_every_file_lands_in_exactly_one_shard():
    files = [f"t/test_{n}.py" for n in range(17)]
    groups = run_tests.share_out(files, {f: n for n, f in enumerate(files)}, 3)
    assert sorted(f for group in groups for f in group) == sorted(files)
    assert len(groups) == 3


def test_long_files_are_spread_and_loads_balance():
    weights = {"a": 100, "b": 90, "c": 80, "d": 10, "e": 10, "f": 10}
    groups = run_tests.share_out(list(weights), weights, 3)
    loads = sorted(sum(weights[f] for f in group) for group in groups)
    assert loads == [100, 100, 100]
    assert not any({"a", "b"} <= set(g) or {"a", "c"} <= set(g) or {"b", "c"} <= set(g) for g in groups)


def test_unknown_files_weigh_the_median_and_fewer_files_than_shards_leave_no_empty_shard():
    groups = run_tests.share_out(["new.py", "old.py"], {"old.py": 5, "x": 7, "y": 9}, 4)
    assert sorted(map(tuple, groups)) == [("new.py",), ("old.py",)]


def test_a_junit_classname_names_its_file():
    assert run_tests.file_of("tests.test_run_tests") == "tests/test_run_tests.py"
    assert run_tests.file_of("services.metrics.tests.test_mall.TestSomething") == "services/metrics/tests/test_mall.py"
    assert run_tests.file_of("nowhere.at.all") is None


def test_every_test_path_is_found():
    files = run_tests.test_files()
    assert "tests/test_run_tests.py" in files
    assert any(f.startswith("services/metrics/tests/") for f in files)
    assert all("__pycache__" not in f for f in files)


def test_leftover_databases_of_a_live_run_are_kept_and_a_finished_runs_dropped():
    import os
    import subprocess
    import sys

    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    gone_pid = int(finished.stdout)
    assert run_tests.made_by_a_live_process(f"kepu_t_{os.getpid()}_ab12cd_identity_0f0f0f")
    assert run_tests.made_by_a_live_process(f"kepu_tpl_{os.getpid()}_ab12cd_metrics")
    assert not run_tests.made_by_a_live_process(f"kepu_t_{gone_pid}_ab12cd_identity_0f0f0f")
    assert not run_tests.made_by_a_live_process("kepu_t_resources_search")
