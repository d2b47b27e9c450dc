"""Rules of the code base that a reviewer would otherwise check by hand."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "forceprot"
#: Most parameters a function may take (issue 11: bundles, not long parameter lists).
MAX_PARAMETERS = 15


def test_no_function_takes_more_than_15_parameters() -> None:
    too_many = []
    for path in sorted(ROOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                a = node.args
                n = (len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs)
                     + (a.vararg is not None) + (a.kwarg is not None))
                if n > MAX_PARAMETERS:
                    too_many.append(f"{path.relative_to(ROOT.parent)}:{node.lineno} "
                                    f"{node.name} ({n})")
    assert not too_many, "functions with more than 15 parameters: " + ", ".join(too_many)



#: Run in a fresh process with an empty numba cache, so that every kernel function is compiled
#: here and its compiled overloads can be inspected.
_INNER_RETURNS = r"""
import importlib, pkgutil, sys
from pathlib import Path
import numpy as np
from numba.core import types
from numba.core.registry import CPUDispatcher
import forceprot
from forceprot.compile import compile_scenario, prepare
from forceprot.engage.sensors import detection_margin_m, salvo_first_detection_s
from forceprot.kernel.sample import fill_kill_draws
from forceprot.scenario import load_scenario
from forceprot.settings import RunSettings
from forceprot.simulate import simulate

def holds_array(t):
    if isinstance(t, types.Optional):
        return holds_array(t.type)
    if isinstance(t, types.Array):
        return True
    return isinstance(t, types.BaseTuple) and any(holds_array(x) for x in t.types)

for name in ("taji.toml", "taji_surveillance.toml"):
    compiled = compile_scenario(prepare(load_scenario(Path(sys.argv[1]) / name)))
    simulate(compiled, RunSettings(salvos=64, seed=1, story_salvos=4, threads=1))
# the inner functions no run calls (tests and studies do)
detection_margin_m(0.0, 0.0, 100.0, 10.0, 0.0, 5.0, 1e4, 0.01, np.full((1, 1), -np.inf), 1.0)
salvo_first_detection_s(np.zeros((2, 1)), 0)
fill_kill_draws(1, 0, np.zeros((2, 1, 2)))
inner, other = {}, {}
for info in pkgutil.walk_packages(forceprot.__path__, "forceprot."):
    if info.name.endswith("__main__"):
        continue  # runs the command line
    for attr, value in vars(importlib.import_module(info.name)).items():
        if isinstance(value, CPUDispatcher) and value.py_func.__module__ == info.name:
            no_rt = value.targetoptions.get("_nrt") is False
            (inner if no_rt else other)[info.name + "." + attr] = value
print(len(inner))
print(sum(1 for d in inner.values() if d.nopython_signatures))
for name, d in inner.items():
    if not d.nopython_signatures:
        print("not compiled:", name)
    for sig in d.nopython_signatures:
        if holds_array(sig.return_type):
            print("returns an array:", name, sig.return_type)
for name, d in other.items():
    for cres in d.overloads.values():
        if not cres.target_context.enable_nrt:
            print("compiled without the runtime, not njit_inner:", name)
"""


@pytest.mark.slow
def test_inner_kernel_functions_never_return_an_array(tmp_path) -> None:
    """``forceprot.jit.njit_inner`` compiles without reference counts: a function under it that
    returned an array would hand its caller a reference it never took (a use after free).
    Every such function, compiled afresh by runs with every unit kind, people at risk and
    surveillance, returns scalars or tuples of scalars. numba compiles a plain ``njit``
    function called from inner code without the runtime too, so every function reached that
    way must say so (``njit_inner``) and obey the same rule."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    out = subprocess.run([sys.executable, "-c", _INNER_RETURNS, str(ROOT.parent / "sites")],
                         env=env, capture_output=True, text=True, timeout=900, check=True)
    lines = out.stdout.splitlines()
    decorated = sum(path.read_text(encoding="utf-8").count("@njit_inner")
                    for path in ROOT.rglob("*.py"))
    assert int(lines[0]) == decorated
    assert int(lines[1]) == decorated, out.stdout  # every one compiled, so every one checked
    assert lines[2:] == [], out.stdout
