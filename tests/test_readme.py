"""The README's test command is what CI runs, and CI runs both tiers."""

import re
import subprocess
import tomllib

import pytest

from tests.conftest import ROOT

CI = ROOT / ".ci" / "run"


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)\n```", readme, flags=re.S)
    test_cmd = next(b for b in blocks if "pytest" in b)
    ci = CI.read_text()
    assert test_cmd.strip() in ci
    # ... the default tier, which leaves the slow tests out
    addopts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"][
        "ini_options"]["addopts"]
    assert "-m 'not slow'" in addopts
    assert test_cmd.strip().endswith("python -m pytest"), "the README runs another selection"


def test_ci_runs_the_slow_tier_after_the_default_one() -> None:
    ci = CI.read_text()
    default = ci.index("python -m pytest\n")
    slow = ci.index(".venv/bin/python -m pytest -m slow")
    assert default < slow
    assert "-m slow" in (ROOT / "README.md").read_text()


@pytest.mark.parametrize("code, ci_code", [(0, 0), (5, 0), (1, 1), (2, 2)])
def test_ci_accepts_an_empty_slow_tier_only(tmp_path, code, ci_code) -> None:
    """Run .ci/run's slow-tier lines with a stand-in pytest that exits ``code``."""
    lines = CI.read_text().splitlines()
    start = lines.index("status=0")
    script = "\n".join(["set -euo pipefail", *lines[start:]])
    fake = tmp_path / ".venv" / "bin" / "python"
    fake.parent.mkdir(parents=True)
    fake.write_text(f"#!/bin/sh\nexit {code}\n")
    fake.chmod(0o755)
    proc = subprocess.run(["bash", "-c", script], cwd=tmp_path)
    assert proc.returncode == ci_code
