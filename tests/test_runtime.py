import ast
import os
import subprocess
import sys

import numpy
import pytest
from mxnet import np

from d2lhelpers import runtime


def test_cgroup_v2_quota(tmp_path):
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert runtime._cgroup_cpu_limit(tmp_path) == 1.5
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert runtime._cgroup_cpu_limit(tmp_path) is None


def test_cgroup_v1_quota(tmp_path):
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("100000\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert runtime._cgroup_cpu_limit(tmp_path) == 1.0
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")
    assert runtime._cgroup_cpu_limit(tmp_path) is None


def test_usable_cpus_respects_quota(monkeypatch):
    monkeypatch.setattr(runtime, "_cgroup_cpu_limit", lambda: 1.5)
    assert runtime.usable_cpus() == 1
    monkeypatch.setattr(runtime, "_cgroup_cpu_limit", lambda: None)
    assert runtime.usable_cpus() == len(os.sched_getaffinity(0))


def _env_without_omp():
    return {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}


def _omp_threads_after_import(env):
    code = "import d2lhelpers, os; print(repr(os.environ['OMP_NUM_THREADS']))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return ast.literal_eval(out.stdout.strip())


def test_import_sets_threads_to_usable_cpus():
    assert _omp_threads_after_import(_env_without_omp()) == str(runtime.usable_cpus())


@pytest.mark.parametrize("value", ["1", "", "4,2", "abc", " 3 "])
def test_import_keeps_users_thread_setting(value):
    assert _omp_threads_after_import({**os.environ, "OMP_NUM_THREADS": value}) == value


@pytest.mark.parametrize("value, threads", [("1", 1), ("8", 8), ("4,2", 4), (" 3 ", 3),
                                            ("", None), ("abc", None), ("0", None), ("-2", None)])
def test_configure_threads_reads_users_setting(monkeypatch, value, threads):
    monkeypatch.setenv("OMP_NUM_THREADS", value)
    assert runtime.configure_threads() == threads
    assert os.environ["OMP_NUM_THREADS"] == value


def test_configure_threads_sets_usable_cpus(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delitem(sys.modules, "mxnet")  # as if MXNet were not loaded yet
    assert runtime.configure_threads() == runtime.usable_cpus()
    assert os.environ["OMP_NUM_THREADS"] == str(runtime.usable_cpus())


@pytest.mark.parametrize("always", [False, True])
def test_import_after_mxnet_warns_and_leaves_threads_unset(always):
    code = ("import os, warnings\n"
            + ("warnings.simplefilter('always')\n" if always else "")
            + "import mxnet\nimport d2lhelpers\nprint(os.environ.get('OMP_NUM_THREADS'))")
    out = subprocess.run([sys.executable, "-c", code], env=_env_without_omp(),
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "None"
    # Attributed to the user's import line (line 3 or 4 of the script), not to d2lhelpers.
    warning = next(line for line in out.stderr.splitlines() if "Import d2lhelpers first" in line)
    assert warning.startswith(f"<string>:{4 if always else 3}: UserWarning: MXNet was imported before")


def test_seed_from_env(monkeypatch):
    assert runtime.seed_from_env(7) == 7
    monkeypatch.setenv("D2L_SEED", "123")
    assert runtime.seed_from_env(7) == 123
    monkeypatch.setenv("D2L_SEED", "abc")
    with pytest.raises(ValueError, match="D2L_SEED"):
        runtime.seed_from_env(7)
    monkeypatch.setenv("D2L_SEED", "-3")
    with pytest.raises(ValueError, match="D2L_SEED"):
        runtime.seed_from_env(7)


def test_set_seed_makes_draws_repeatable(monkeypatch):
    def draws():
        return np.random.normal(size=5).asnumpy(), numpy.random.rand(5)

    runtime.set_seed(3)
    first = draws()
    runtime.set_seed(3)
    second = draws()
    assert all((a == b).all() for a, b in zip(first, second, strict=True))
    monkeypatch.setenv("D2L_SEED", "4")
    assert runtime.set_seed(3) == 4
    assert not (draws()[0] == first[0]).all()


def test_set_seed_rejects_bad_default():
    with pytest.raises(ValueError, match="default"):
        runtime.set_seed(-1)
    with pytest.raises(ValueError, match="default"):
        runtime.set_seed("1")
    with pytest.raises(ValueError, match="default must be a non-negative int, got True"):
        runtime.set_seed(True)
    assert runtime.set_seed(0) == 0


def test_environment_report_names_versions():
    report = runtime.environment_report()
    assert report["mxnet"] == "1.9.1" and report["numpy"].startswith("1.23")
    assert report["python"].startswith("3.11")
