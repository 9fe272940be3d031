"""scripts/setup.sh shows pip's output only when pip fails (issue 14 item 7): a successful
install that prints warnings says one line and where the log is; a failed one shows all of
pip's output and exits non-zero. pip itself is stood in for by a script in the venv (nothing is
downloaded or installed); everything else is the real script on a copy of the project files."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FAKE_PIP = """#!/bin/bash
# Stands in for the venv's python: pip prints what a real one prints with a conflict, and
# exits with FAKE_PIP_EXIT; anything else runs the real interpreter.
if [[ "$1" == "-m" && "$2" == "pip" ]]; then
    echo "WARNING: typer 0.99 has requirement click<9, but you have click 9.1."
    echo "Successfully installed lawcam-0.0.0"
    [[ "${FAKE_PIP_EXIT:-0}" == 0 ]] || echo "ERROR: No matching distribution found for nothing" >&2
    exit "${FAKE_PIP_EXIT:-0}"
fi
if [[ "$1" == "-c" && "$2" == "import lawcam" ]]; then
    exit 1  # not installed yet: the script installs
fi
exec %(python)s "$@"
"""


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "scripts").mkdir(parents=True)
    for name in ("scripts/setup.sh", "pyproject.toml", "constraints.txt"):
        shutil.copyfile(ROOT / name, root / name)
    python = root / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(FAKE_PIP % {"python": sys.executable})
    python.chmod(0o755)
    return root


def _setup(root: Path, pip_exit: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(root / "scripts" / "setup.sh")],
        env={"PATH": "/usr/bin:/bin", "PYTHON": sys.executable, "FAKE_PIP_EXIT": str(pip_exit)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_success_hides_pips_output(tmp_path: Path) -> None:
    root = _project(tmp_path)
    done = _setup(root, 0)
    assert done.returncode == 0, done.stderr
    assert "WARNING: typer" not in done.stderr + done.stdout
    assert "Successfully installed" not in done.stderr + done.stdout
    assert "pip reported 1 warning(s), no error; details in" in done.stderr
    assert "WARNING: typer" in (root / ".venv" / ".lawcam-setup.log").read_text()
    assert (root / ".venv" / ".lawcam-setup-stamp").exists()


def test_failure_shows_pips_output(tmp_path: Path) -> None:
    root = _project(tmp_path)
    failed = _setup(root, 1)
    assert failed.returncode != 0
    assert "WARNING: typer" in failed.stderr and "ERROR: No matching distribution" in failed.stderr
    assert "pip install failed" in failed.stderr
    assert not (root / ".venv" / ".lawcam-setup-stamp").exists()
