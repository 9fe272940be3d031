# Helpers shared by the scripts in this folder. Source it; it does nothing by itself.

say() { printf '[%s] %s\n' "${LAWCAM_SCRIPT:-lawcam}" "$*" >&2; }

# Runs a command as root: directly when we are root, through `sudo -n` when that works without a
# password prompt (CI has no terminal). Returns 1 when neither is possible.
as_root() {
    if [[ "$(id -u)" -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    else
        return 1
    fi
}

can_be_root() {
    [[ "$(id -u)" -eq 0 ]] || { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; }
}

_LAWCAM_APT_UPDATED=""

# apt_install PACKAGE...: installs Debian packages non-interactively (no recommends).
# Returns non-zero, with a message, when apt-get is missing, we cannot be root, or it fails.
apt_install() {
    if ! command -v apt-get >/dev/null 2>&1; then
        say "apt-get not found: install $* with this system's package manager"
        return 1
    fi
    if ! can_be_root; then
        say "need root (or password-less sudo) to run: apt-get install $*"
        return 1
    fi
    local log
    log="$(mktemp)"
    if [[ -z "$_LAWCAM_APT_UPDATED" ]]; then
        say "apt-get update …"
        if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >"$log" 2>&1; then
            cat "$log" >&2
            say "apt-get update failed (continuing with the package lists there are)"
        fi
        _LAWCAM_APT_UPDATED=1
    fi
    say "apt-get install $* …"
    if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            --no-install-recommends "$@" >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        say "apt-get install $* failed"
        return 1
    fi
    rm -f "$log"
}
