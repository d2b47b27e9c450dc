"""Rules of the code base that a reviewer would otherwise check by hand."""

from __future__ import annotations

import ast
from pathlib import Path

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
