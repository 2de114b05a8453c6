# Shared by scripts/test and scripts/run (sourced, not run): installing
# Debian packages and making sure a Docker Engine answers.
#
#   RIVETR_TEST_SKIP_INSTALL=1   never install packages; fail naming them
#   RIVETR_DOCKER_SOCKET         the engine's socket (default /var/run/docker.sock)

apt_updated=0
# install_packages PACKAGE...: install Debian packages (once `apt-get update`d).
install_packages() {
    if [ "${RIVETR_TEST_SKIP_INSTALL:-0}" = 1 ]; then
        echo "missing packages and RIVETR_TEST_SKIP_INSTALL=1: install $* yourself" >&2
        exit 1
    fi
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    if [ "$apt_updated" = 0 ]; then
        "${sudo[@]}" apt-get update -qq
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@"
}

# ensure_packages PROGRAM PACKAGE...: install PACKAGEs unless PROGRAM is on PATH.
ensure_packages() {
    local program=$1
    shift
    command -v "$program" >/dev/null 2>&1 || install_packages "$@"
}

# ensure_docker: install Docker Engine when missing, start dockerd when it
# does not answer, and wait until it does.
ensure_docker() {
    ensure_packages dockerd docker.io
    ensure_packages curl curl
    docker_sock=${RIVETR_DOCKER_SOCKET:-/var/run/docker.sock}
    docker_ping() { curl -sf --unix-socket "$docker_sock" http://localhost/_ping >/dev/null 2>&1; }
    if ! docker_ping; then
        echo "starting dockerd (log: ${TMPDIR:-/tmp}/rivetr-dockerd.log)"
        nohup dockerd >"${TMPDIR:-/tmp}/rivetr-dockerd.log" 2>&1 &
        for _ in $(seq 1 60); do docker_ping && break; sleep 1; done
        docker_ping || { echo "dockerd did not come up:" >&2; tail -20 "${TMPDIR:-/tmp}/rivetr-dockerd.log" >&2; exit 1; }
    fi
    echo "ok: Docker Engine answers on $docker_sock"
}

# ensure_schemathesis: Schemathesis (PyPI) in a virtualenv under the cache
# dir, for the API contract test; exports RIVETR_SCHEMATHESIS (its `st`).
ensure_schemathesis() {
    local venv=${RIVETR_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rivetr/tools}/schemathesis
    if [ ! -x "$venv/bin/st" ]; then
        python3 -m venv --help >/dev/null 2>&1 || install_packages python3-venv
        python3 -m venv "$venv" 2>/dev/null || { install_packages python3-venv; python3 -m venv "$venv"; }
        "$venv/bin/pip" install --quiet --disable-pip-version-check 'schemathesis>=4.3,<5'
    fi
    export RIVETR_SCHEMATHESIS="$venv/bin/st"
    echo "ok: $("$RIVETR_SCHEMATHESIS" --version)"
}
