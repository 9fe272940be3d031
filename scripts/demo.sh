#!/usr/bin/env bash
# Sets up .venv (see scripts/setup.sh), then runs `lawcam demo`: it initialises ./lawcam-data with
# demo data, prints the demo logins and serves http://127.0.0.1:8000 . Arguments are passed on.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

"$ROOT/scripts/setup.sh"
exec "$ROOT/.venv/bin/lawcam" demo "$@"
