"""The shape of d2lhelpers itself: small modules, no star imports, widgets loaded only when used."""
import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "d2lhelpers"
MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_is_small():
    long = {str(p.relative_to(PACKAGE)): n for p in MODULES if (n := len(p.read_text().splitlines())) > 400}
    assert not long, f"split these modules (over 400 lines): {long}"


def test_no_star_imports():
    starred = [str(p.relative_to(PACKAGE)) for p in MODULES
               for node in ast.walk(ast.parse(p.read_text()))
               if isinstance(node, ast.ImportFrom) and any(alias.name == "*" for alias in node.names)]
    assert not starred, f"star imports in {starred}"


def test_the_playground_loads_ipywidgets_only_for_its_live_controls():
    code = ("import d2lhelpers, sys; from d2lhelpers import playground; print('ipywidgets' in sys.modules); "
            "playground.PlaygroundUI; print('ipywidgets' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "True"]
