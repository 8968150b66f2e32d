#!/bin/sh
# The root filesystem of corral's container image, from a static build:
#
#   packaging/rootfs.sh BUILD_DIR DEST
#
# packaging/Containerfile copies DEST into a FROM scratch image, and the oci
# test tier (tests/oci/) runs the same DEST under crun, so what the tests
# prove is what the image holds.  BUILD_DIR comes from
# `meson setup BUILD_DIR -Dstatic=true && ninja -C BUILD_DIR corral corralctl`.
set -eu

[ $# -eq 2 ] || { echo "usage: $0 BUILD_DIR DEST" >&2; exit 2; }
build=$1
dest=$2
for b in corral corralctl; do
        [ -x "$build/$b" ] || { echo "$0: '$build/$b' is missing: build with -Dstatic=true first" >&2; exit 1; }
done

mkdir -p "$dest/usr/sbin" "$dest/usr/bin" "$dest/etc/corral/conf.d" \
        "$dest/run" "$dest/tmp" "$dest/proc" "$dest/sys" "$dest/dev"
chmod 1777 "$dest/tmp"
install -m 0755 "$build/corral" "$dest/usr/sbin/corral"
install -m 0755 "$build/corralctl" "$dest/usr/bin/corralctl"
# The entrypoint's short name: ENTRYPOINT ["/corral", "--"].
ln -sfn usr/sbin/corral "$dest/corral"
# The static corral reads users and groups from these two files alone; images
# built on this one append their own service users.
cat >"$dest/etc/passwd" <<'PW'
root:x:0:0:root:/root:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
PW
cat >"$dest/etc/group" <<'GR'
root:x:0:
nogroup:x:65534:
GR
