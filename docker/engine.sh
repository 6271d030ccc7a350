#!/usr/bin/env bash
# Makes sure a Docker engine answers here, for `make deploy-test` and .ci/run.
#
# Installs Debian's docker.io, docker-compose (1.29) and debootstrap when one is missing and
# we are root (as the Makefile's `browser` target does for chromium), and starts dockerd in
# the background (log: $DOCKERD_LOG) when none answers: machines without systemd have no
# service manager to do it. Exits non-zero, saying why, when Docker cannot run here.
set -uo pipefail
DOCKERD_LOG=${DOCKERD_LOG:-/var/log/laodong-dockerd.log}

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if ((${#missing[@]})); then
    if [ "$(id -u)" != 0 ]; then
        echo "docker: ${missing[*]} missing and not root (apt-get install ${missing[*]})" >&2
        exit 1
    fi
    echo "docker: installing ${missing[*]} from Debian's archive"
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"; } >/dev/null 2>&1 \
        || { echo "docker: apt-get install ${missing[*]} failed" >&2; exit 1; }
fi

if docker info >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "docker: no engine answers and only root starts dockerd here" >&2
    exit 1
fi
if pgrep -x dockerd >/dev/null; then
    echo "docker: a dockerd runs but does not answer (see $DOCKERD_LOG)" >&2
else
    echo "docker: starting dockerd (log: $DOCKERD_LOG)"
    nohup dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
fi
for _ in $(seq 60); do
    docker info >/dev/null 2>&1 && exit 0
    sleep 1
done
echo "docker: dockerd did not answer within 60 s; its last words ($DOCKERD_LOG):" >&2
tail -5 "$DOCKERD_LOG" >&2
exit 1
