"""The environment is described once: pins in requirements*.txt, everything else refers to them."""
import re
from importlib import metadata
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([\w.]+)$")


def requirement_lines(name: str) -> list[str]:
    lines = (ROOT / name).read_text().splitlines()
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


def pins(name: str) -> dict[str, str]:
    found = {}
    for line in requirement_lines(name):
        if line.startswith("-r "):
            continue
        match = PIN.match(line)
        assert match, f"{name}: '{line}' is not pinned with =="
        found[match.group(1).lower()] = match.group(2)
    return found


def test_runtime_pins_the_mxnet_stack():
    runtime = pins("requirements.txt")
    assert runtime["mxnet"] == "1.9.1" and runtime["d2l"] == "1.0.3"
    assert runtime["numpy"] == "1.23.5", "MXNet 1.9.1 breaks with numpy >= 1.24"


def test_dev_requirements_extend_runtime_without_repeating():
    assert requirement_lines("requirements-dev.txt")[0] == "-r requirements.txt"
    assert not set(pins("requirements.txt")) & set(pins("requirements-dev.txt"))


def test_our_pins_agree_with_d2ls_pins():
    runtime = pins("requirements.txt")
    for requirement in metadata.requires("d2l"):
        match = re.match(r"^([A-Za-z0-9_.\-]+)\s*==\s*([\w.]+)", requirement)
        if match and match.group(1).lower() in runtime:
            assert runtime[match.group(1).lower()] == match.group(2), requirement


def test_environment_yml_refers_to_the_requirements():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    assert "python=3.11" in deps and "pip" in deps
    pip_section = next(d["pip"] for d in deps if isinstance(d, dict))
    assert pip_section == ["-r requirements.txt", "-e ."]
    assert not [d for d in deps if isinstance(d, str) and d not in ("python=3.11", "pip")], \
        "environment.yml must not list versions that requirements.txt already pins"


def test_pyproject_does_not_pin_versions():
    text = (ROOT / "pyproject.toml").read_text()
    dependencies = re.search(r"^dependencies = \[(.*)\]$", text, re.M).group(1)
    assert "==" not in dependencies


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-dev.txt"])
def test_installed_versions_match_the_pins(name):
    wrong = {pkg: (version, metadata.version(pkg)) for pkg, version in pins(name).items()
             if metadata.version(pkg) != version}
    assert not wrong, f"installed versions differ from {name} (pinned, installed): {wrong}; run 'make clean test'"
