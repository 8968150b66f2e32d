#!/bin/bash
# Make sure the VM test tier has what it needs, installing what is missing:
# qemu-system-x86_64, busybox-static, cpio (Debian packages), and Debian's
# cloud kernel unpacked into a cache directory. Idempotent and safe to run
# from several tests at once (one lock around the cache).
#
#   tests/vm/fetch-kernel.sh [--cache DIR] [--no-install]
#
# Prints, on success, shell-quotable KEY=VALUE lines:
#   VM_KERNEL=.../boot/vmlinuz-VERSION
#   VM_MODDIR=.../lib/modules/VERSION
#   VM_KVER=VERSION
#   VM_QEMU=/usr/bin/qemu-system-x86_64
#   VM_BUSYBOX=/bin/busybox
# Exit 0 on success; 77 when something cannot be had (not root and a package
# is missing, the archive is unreachable, ...), with the reason on stderr.
#
# The cache defaults to $CORRAL_VM_CACHE, else tests/vm/cache/ beside this
# script (gitignored). The kernel package is resolved on every run through
# `apt-cache depends linux-image-cloud-amd64`, so a new ABI is fetched when
# the archive moves on; without a usable package list the newest cached
# kernel is used.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${CORRAL_VM_CACHE:-$here/cache}
install=1
meta=linux-image-cloud-amd64

while (($#)); do
        case $1 in
        --cache) cache=$2; shift 2 ;;
        --no-install) install=0; shift ;;
        *) echo "usage: $0 [--cache DIR] [--no-install]" >&2; exit 2 ;;
        esac
done

fail() { echo "fetch-kernel: $*" >&2; exit 77; }

apt_updated=0
apt_update() {
        ((apt_updated)) && return 0
        apt_updated=1
        echo "fetch-kernel: apt-get update" >&2
        apt-get update -q -o DPkg::Lock::Timeout=300 >/dev/null 2>&1 || echo "fetch-kernel: apt-get update failed" >&2
}

# Install the Debian packages whose commands are missing.
ensure_tools() {
        local missing=() cmd pkg
        for pair in qemu-system-x86_64:qemu-system-x86 cpio:cpio; do
                cmd=${pair%%:*} pkg=${pair#*:}
                command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
        done
        # Only the static busybox works inside the image without its libraries.
        [ -x /bin/busybox ] && dpkg-query -W -f='${Status}' busybox-static 2>/dev/null |
                grep -q 'ok installed' || missing+=(busybox-static)
        ((${#missing[@]})) || return 0
        ((install)) || fail "missing ${missing[*]} (and --no-install given)"
        [ "$(id -u)" = 0 ] || fail "missing ${missing[*]}; run as root to install them"
        apt_update
        echo "fetch-kernel: installing ${missing[*]}" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
                -o DPkg::Lock::Timeout=300 \
                "${missing[@]}" >/dev/null 2>&1 ||
                fail "apt-get install ${missing[*]} failed"
}

# The exact kernel package the meta package points at, or nothing. apt-cache
# takes more than a second, so the answer is remembered until the package
# lists change.
resolve_pkg() {
        local memo=$cache/.resolved pkg
        if [ -s "$memo" ] && [ -z "$(find /var/lib/apt/lists -maxdepth 1 -newer "$memo" \
                -name '*Packages*' 2>/dev/null | head -n1)" ]; then
                cat "$memo"
                return
        fi
        pkg=$(apt-cache depends "$meta" 2>/dev/null |
                sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n1)
        [ -n "$pkg" ] && echo "$pkg" >"$memo"
        echo "$pkg"
}

newest_cached() {
        local d
        d=$(ls -d "$cache"/linux-image-*/boot 2>/dev/null | sort -V | tail -n1) || true
        [ -n "$d" ] && basename "$(dirname "$d")"
}

# Download and unpack PKG into $cache/PKG (atomically: a half-done unpack
# never looks like a finished one).
fetch_pkg() {
        local pkg=$1 tmp
        tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
        echo "fetch-kernel: downloading $pkg" >&2
        # apt drops privileges to _apt for downloads into a directory it can write.
        chmod 777 "$tmp"
        if ! (cd "$tmp" && apt-get download -q "$pkg" >/dev/null 2>&1); then
                rm -rf "$tmp"
                return 1
        fi
        dpkg-deb -x "$tmp"/*.deb "$tmp/root" && rm -f "$tmp"/*.deb &&
                mv "$tmp/root" "$cache/$pkg" && rmdir "$tmp"
}

ensure_kernel() {
        local pkg cached
        pkg=$(resolve_pkg)
        if [ -z "$pkg" ] && ((install)) && [ "$(id -u)" = 0 ]; then
                apt_update
                pkg=$(resolve_pkg)
        fi
        cached=$(newest_cached || true)
        if [ -z "$pkg" ]; then
                [ -n "$cached" ] || fail "cannot resolve $meta (apt-cache depends) and no kernel is cached in $cache"
                pkg=$cached
        elif [ ! -d "$cache/$pkg/boot" ]; then
                if ! fetch_pkg "$pkg" && ((install)) && [ "$(id -u)" = 0 ] && ((!apt_updated)); then
                        # A stale package list may name a version the archive dropped.
                        apt_update
                        pkg=$(resolve_pkg)
                        [ -n "$pkg" ] && { [ -d "$cache/$pkg/boot" ] || fetch_pkg "$pkg"; }
                fi
                if [ -z "$pkg" ] || [ ! -d "$cache/$pkg/boot" ]; then
                        [ -n "$cached" ] || fail "apt-get download $pkg failed"
                        echo "fetch-kernel: download of $pkg failed; using cached $cached" >&2
                        pkg=$cached
                fi
        fi
        kpkg=$pkg
}

# One lock for the whole job: VM tests start in parallel, and two of them must
# neither run apt-get at once nor unpack the same kernel twice.
if ! mkdir -p "$cache" 2>/dev/null || [ ! -w "$cache" ]; then
        cache=/var/tmp/corral-vm-cache  # e.g. a read-only source tree
        mkdir -p "$cache" || fail "cannot create a cache directory"
fi
exec 9>"$cache/.lock"
flock 9
ensure_tools
kpkg=
ensure_kernel
exec 9>&-

root=$cache/$kpkg
kernel=$(ls "$root"/boot/vmlinuz-* 2>/dev/null | head -n1)
[ -n "$kernel" ] || fail "no vmlinuz in $root/boot"
kver=${kernel##*/vmlinuz-}
moddir=$root/lib/modules/$kver
[ -d "$moddir" ] || fail "no $moddir"

printf 'VM_KERNEL=%q\nVM_MODDIR=%q\nVM_KVER=%q\nVM_QEMU=%q\nVM_BUSYBOX=%q\n' \
        "$kernel" "$moddir" "$kver" "$(command -v qemu-system-x86_64)" /bin/busybox
