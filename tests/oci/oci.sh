#!/bin/sh
# The oci tier: corral as the PID 1 of containers started by crun, in the
# VM tier's machine (full cgroup v2).  Builds a static corral (unless the
# build is one), assembles the image's root with packaging/rootfs.sh (the
# script packaging/Containerfile runs) plus busybox, and boots one VM for
# every scenario of guest.sh.
#
#   oci.sh RUN_VM SOURCE_ROOT STATIC_BUILD_DIR NOTIFY_LISTEN
#
# STATIC_BUILD_DIR holds a static corral and corralctl, or is built there
# with -Dstatic=true when it has none.  Without crun or jq (./dev.sh installs
# both) the tier is skipped, or fails under CORRAL_VM_REQUIRED=1.
set -u
run_vm=$1
src=$2
static=$3
listen=$4
work=${CORRAL_VM_WORK:-/tmp}/oci-files
mkdir -p "${work%/*}"

missing() {
        if [ "${CORRAL_VM_REQUIRED:-0}" = 1 ]; then
                echo "Bail out! $* (CORRAL_VM_REQUIRED=1)"
                exit 1
        fi
        echo "1..0 # SKIP $*"
        exit 0
}

[ "$(id -u)" = 0 ] || missing "needs root to run crun in the VM's image"
for p in crun jq; do
        command -v $p >/dev/null || missing "$p is not installed (apt-get install crun jq)"
done
busybox=$(command -v busybox) || missing "busybox is not installed (apt-get install busybox-static)"
readelf -l "$busybox" 2>/dev/null | grep -q INTERP && missing "$busybox is not static (apt-get install busybox-static)"

# Incremental: a no-op when the static build is current.
if [ ! -f "$static/build.ninja" ]; then
        echo "# building a static corral in $static" >&2
        meson setup "$static" "$src" -Dstatic=true -Dvm_tests=disabled >"$work.log" 2>&1 ||
                { sed 's/^/# /' "$work.log"; echo "Bail out! meson setup -Dstatic=true failed"; exit 1; }
fi
ninja -C "$static" corral corralctl >"$work.log" 2>&1 ||
        { sed 's/^/# /' "$work.log"; echo "Bail out! the static build failed"; exit 1; }
readelf -l "$static/corral" | grep -q INTERP && { echo "Bail out! $static/corral is not static"; exit 1; }

rm -rf "$work"
mkdir -p "$work"
sh "$src/packaging/rootfs.sh" "$static" "$work/rootfs" || { echo "Bail out! packaging/rootfs.sh failed"; exit 1; }
# The tests' shell and tools, beside what the image holds.
mkdir -p "$work/rootfs/bin"
cp "$busybox" "$work/rootfs/bin/busybox"
for a in $("$busybox" --list); do
        [ -e "$work/rootfs/bin/$a" ] || ln -s busybox "$work/rootfs/bin/$a"
done
tar -C "$work/rootfs" -cf "$work/rootfs.tar" . || { echo "Bail out! tar failed"; exit 1; }
rm -rf "$work/rootfs"

exec "$run_vm" --name oci --guest "$src/tests/oci/guest.sh" --mem 512 --timeout 420 \
        --add "$work/rootfs.tar=/test/rootfs.tar" --add "$src/tests/oci/conf=/test/conf" \
        --add "$(command -v crun)=/bin/crun" --add "$(command -v jq)=/bin/jq" \
        --add "$listen=/bin/notify-listen"
