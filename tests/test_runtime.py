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


def _omp_threads_after_import(env):
    code = "import d2lhelpers, os; print(os.environ['OMP_NUM_THREADS'])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_import_sets_threads_to_usable_cpus():
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    assert _omp_threads_after_import(env) == str(runtime.usable_cpus())


def test_import_keeps_users_thread_setting():
    assert _omp_threads_after_import({**os.environ, "OMP_NUM_THREADS": "1"}) == "1"


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
    assert all((a == b).all() for a, b in zip(first, second))
    monkeypatch.setenv("D2L_SEED", "4")
    assert runtime.set_seed(3) == 4
    assert not (draws()[0] == first[0]).all()


def test_set_seed_rejects_bad_default():
    with pytest.raises(ValueError, match="default"):
        runtime.set_seed(-1)
    with pytest.raises(ValueError, match="default"):
        runtime.set_seed("1")


def test_environment_report_names_versions():
    report = runtime.environment_report()
    assert report["mxnet"] == "1.9.1" and report["numpy"].startswith("1.23")
    assert report["python"].startswith("3.11")
