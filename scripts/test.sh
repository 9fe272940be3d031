#!/usr/bin/env bash
# The project's whole check, as CI runs it (.ci/run calls this and nothing else):
#   1. scripts/setup.sh (.venv with the pinned tools)
#   2. system packages for the browser test when missing (Debian: chromium, fonts-noto-cjk),
#      installed with apt-get as root or through password-less sudo
#   3. PostgreSQL: the server on 127.0.0.1:5432 if one answers, else a throw-away cluster
#      (scripts/ensure-postgres.sh; LAWCAM_TEST_PG_PORT moves the port it looks at)
#   4. ruff check, ruff format --check, mypy, lint-imports
#   5. pytest on SQLite, then pytest on PostgreSQL (both run even if something failed before)
# Exits non-zero when any step failed, after a summary naming the failed steps.
# Extra arguments go to both pytest runs, e.g. ./scripts/test.sh -k login -x
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1
LAWCAM_SCRIPT="test"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"
# shellcheck source=scripts/ensure-postgres.sh
source "$ROOT/scripts/ensure-postgres.sh"

T0=$SECONDS
"$ROOT/scripts/setup.sh" || { say "setup failed"; exit 1; }
export PATH="$ROOT/.venv/bin:$PATH"
export LAWCAM_PG_PY="$ROOT/.venv/bin/python"
WORKERS="${LAWCAM_TEST_WORKERS:-2}"

trap stop_postgres EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

STEPS=()
RESULTS=()
TIMES=()
FAILED=()

record() {  # record NAME RC SECONDS
    STEPS+=("$1")
    TIMES+=("$3")
    if [[ "$2" -eq 0 ]]; then
        RESULTS+=("ok")
    else
        RESULTS+=("FAILED (exit $2)")
        FAILED+=("$1")
    fi
}

step() {  # step NAME COMMAND...
    local name="$1" t0=$SECONDS rc
    shift
    printf '\n===== %s: %s\n' "$name" "$*" >&2
    "$@"
    rc=$?
    record "$name" "$rc" $((SECONDS - t0))
    return 0
}

# --- system packages for the browser test -------------------------------------------------
has_cjk_font() {
    if command -v fc-list >/dev/null 2>&1 && [[ -n "$(fc-list :lang=zh family 2>/dev/null)" ]]; then
        return 0
    fi
    dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q "install ok installed"
}

t0=$SECONDS
missing=()
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
has_cjk_font || missing+=(fonts-noto-cjk)
# Asset labels (PDF) embed this TrueType CJK font; pdftotext reads them back in the tests.
[[ -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ]] || missing+=(fonts-wqy-zenhei)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
rc=0
if ((${#missing[@]})); then
    if ! apt_install "${missing[@]}"; then
        say "could not install ${missing[*]}: the browser test (tests/e2e) will fail"
        rc=1
    fi
fi
record "system packages (chromium, fonts, poppler-utils)" "$rc" $((SECONDS - t0))

# --- PostgreSQL (needed by both passes: tests marked postgresql use it on SQLite too) ----------
t0=$SECONDS
rc=0
ensure_postgres || { rc=$?; say "no PostgreSQL for the tests"; }
record "PostgreSQL server" "$rc" $((SECONDS - t0))
PG_OK=$rc

# --- static checks --------------------------------------------------------------------------
step "ruff check" ruff check src tests
step "ruff format" ruff format --check src tests
step "mypy" mypy
step "import-linter" lint-imports

# --- the suite, twice -----------------------------------------------------------------------
pytest_pass() {  # pytest_pass BACKEND [ARGS...]
    local backend="$1"
    shift
    local rc
    LAWCAM_TEST_DATABASE="$backend" python -m pytest -n "$WORKERS" "$@"
    rc=$?
    if [[ $rc -eq 5 ]]; then
        say "pytest collected no tests"
    fi
    return $rc
}

step "pytest (SQLite)" pytest_pass sqlite "$@"
if [[ $PG_OK -eq 0 ]]; then
    step "pytest (PostgreSQL)" pytest_pass postgresql "$@"
else
    printf '\n===== pytest (PostgreSQL): not run, no PostgreSQL server\n' >&2
    record "pytest (PostgreSQL)" 1 0
fi

# --- summary --------------------------------------------------------------------------------
printf '\n===== summary (%ss in all)\n' $((SECONDS - T0))
for i in "${!STEPS[@]}"; do
    printf '  %-44s %-16s %5ss\n' "${STEPS[$i]}" "${RESULTS[$i]}" "${TIMES[$i]}"
done
if ((${#FAILED[@]})); then
    failed_list="${FAILED[0]}"
    for name in "${FAILED[@]:1}"; do
        failed_list+=", $name"
    done
    printf 'test.sh: %d of %d steps did not pass: %s\n' "${#FAILED[@]}" "${#STEPS[@]}" "$failed_list"
    exit 1
fi
printf 'test.sh: all %d steps ok\n' "${#STEPS[@]}"
