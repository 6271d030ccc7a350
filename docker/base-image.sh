#!/usr/bin/env bash
# A Debian bookworm base image made from Debian's archive, for machines that reach no image
# registry: debootstrap (minbase) → docker import. Kept once built: a second run reuses it.
#
#   bash docker/base-image.sh [TAG]        # default laodong-base:bookworm
#
# The machine's extra CA certificates (/usr/local/share/ca-certificates/*.crt, e.g. a
# sandbox's TLS-inspecting proxy) go into the image's trust store, so pip inside a build
# reaches PyPI the way it does on this machine. DEBIAN_MIRROR picks the archive.
set -euo pipefail
TAG=${1:-laodong-base:bookworm}
SUITE=bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

if docker image inspect "$TAG" >/dev/null 2>&1; then
    echo "base image $TAG: already built"
    exit 0
fi
command -v debootstrap >/dev/null || { echo "base image: debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }

root=$(mktemp -d /var/tmp/laodong-base.XXXXXX)
trap 'rm -rf "$root"' EXIT
started=$(date +%s)
echo "base image $TAG: debootstrap $SUITE (minbase) from $MIRROR"
debootstrap --variant=minbase --include=ca-certificates "$SUITE" "$root" "$MIRROR" >"$root.log" 2>&1 \
    || { tail -20 "$root.log" >&2; rm -f "$root.log"; exit 1; }
rm -f "$root.log"

cat >"$root/etc/apt/sources.list" <<SOURCES
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY $SUITE-security main
SOURCES
# As in Debian's official images: services are never started while a package installs (no init
# in a container), and no recommends, docs or apt caches in the layers.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" && chmod +x "$root/usr/sbin/policy-rc.d"
cat >"$root/etc/apt/apt.conf.d/90laodong" <<'APT'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
Acquire::GzipIndexes "true";
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb || true"; };
APT
printf 'path-exclude /usr/share/doc/*\npath-exclude /usr/share/man/*\npath-exclude /usr/share/locale/*\n' \
    >"$root/etc/dpkg/dpkg.cfg.d/90laodong"
shopt -s nullglob
extra=(/usr/local/share/ca-certificates/*.crt)
if ((${#extra[@]})); then
    cp "${extra[@]}" "$root/usr/local/share/ca-certificates/"
    chroot "$root" update-ca-certificates >/dev/null
    echo "base image $TAG: trusts ${#extra[@]} extra CA certificate(s) of this machine"
fi
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/*

tar --numeric-owner -C "$root" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8' \
    --change 'CMD ["bash"]' - "$TAG" >/dev/null
echo "base image $TAG: built in $(( $(date +%s) - started )) s, $(docker image inspect -f '{{.Size}}' "$TAG" | awk '{printf "%d MB", $1/1e6}')"
