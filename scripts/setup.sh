#!/usr/bin/env bash
# Creates or refreshes the project's virtual environment in .venv:
#   pip install -c constraints.txt -e ".[test]"
# Idempotent: a stamp in .venv records the hash of pyproject.toml, constraints.txt and the
# Python version, and nothing is reinstalled while they are unchanged.
# PYTHON=/path/to/python3.x picks the interpreter (default: python3 on PATH); it must be 3.11+.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV="$ROOT/.venv"
STAMP="$VENV/.lawcam-setup-stamp"
LOG="$VENV/.lawcam-setup.log"

say() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

version_ok() {  # $1: a python executable; true when it is CPython 3.11 or newer
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null
}

PY="${PYTHON:-python3}"
command -v "$PY" >/dev/null 2>&1 \
    || die "'$PY' not found. lawcam needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)."
version_ok "$PY" \
    || die "$("$PY" -V 2>&1) is too old: lawcam needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)."

# An existing venv made by an older or a vanished interpreter is rebuilt.
if [[ -d "$VENV" ]] && ! { [[ -x "$VENV/bin/python" ]] && version_ok "$VENV/bin/python"; }; then
    say "rebuilding .venv (its interpreter is missing or older than 3.11)"
    rm -rf "$VENV"
fi

if [[ ! -x "$VENV/bin/python" ]]; then
    say "creating .venv with $("$PY" -V 2>&1)"
    if ! "$PY" -m venv "$VENV"; then
        rm -rf "$VENV"
        die "'$PY -m venv' failed. On Debian/Ubuntu install the venv module: apt-get install python3-venv"
    fi
fi

want="$(
    "$VENV/bin/python" - <<'EOF'
import hashlib, sys
h = hashlib.sha256(sys.version.encode())
for name in ("pyproject.toml", "constraints.txt"):
    with open(name, "rb") as f:
        h.update(name.encode() + b"\0" + f.read())
print(h.hexdigest())
EOF
)"

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]] && "$VENV/bin/python" -c 'import lawcam' 2>/dev/null; then
    exit 0  # up to date
fi

say "installing lawcam and its test tools into .venv (pinned by constraints.txt) …"
rm -f "$STAMP"
if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input --quiet \
        -c constraints.txt -e ".[test]" >"$LOG" 2>&1; then
    cat "$LOG" >&2
    die "pip install failed (log: $LOG)"
fi
# pip prints warnings (e.g. a dependency conflict) even when quiet and even when it succeeds:
# they stay in the log, and one line says where, so a good install reads as one.
if grep -q '^WARNING' "$LOG" 2>/dev/null; then
    say "pip reported $(grep -c '^WARNING' "$LOG") warning(s), no error; details in $LOG"
fi
echo "$want" >"$STAMP"
say "done: $("$VENV/bin/python" -V) in .venv"
