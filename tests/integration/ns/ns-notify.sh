#!/bin/bash
# type = "notify" services with a root of their own: NOTIFY_SOCKET must name
# a socket reachable inside that root, so READY=1 arrives and the service
# becomes ready (an overlay root, and a read-only root.path).
. "$(dirname "$0")/../supervise/lib.sh"
require_ns
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || skip_all "no overlayfs"

ns_cleanup() {
        awk -v t="$T/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
                while read -r m; do umount -l "$m"; done
        cleanup
}
trap ns_cleanup EXIT

# An image holding the helper and the libraries it needs.
img=$T/image
mkdir -p "$img/bin" "$T/upper" "$T/work"
cp "$HELPER" "$img/bin/helper"
for lib in $(ldd "$HELPER" | grep -o '/[^ ]*'); do
        mkdir -p "$img$(dirname "$lib")"
        cp "$lib" "$img$lib"
done
cp -a "$img" "$T/rootfs"

cat >"$T/notify.conf" <<CONF
settings = { cgroups = "optional"; };
services = (
  { name = "ov"; type = "notify"; command = [ "/bin/helper", "notify-ready", "0" ];
    root = { overlay = { lower = [ "$img" ]; upper = "$T/upper"; work = "$T/work"; }; }; },
  { name = "ro"; type = "notify"; command = [ "/bin/helper", "notify-ready", "0" ];
    root = { path = "$T/rootfs"; readonly = true; }; namespaces = { pid = true; }; },
  { name = "env"; type = "notify"; command = [ "/bin/helper", "print-env" ];
    root = { overlay = { lower = [ "$img" ]; }; }; restart = "never"; }
);
CONF
start_corral -c "$T/notify.conf"
wait_for 20000 file_has "$T/err" 'service "ro": ready'
wait_for 20000 file_has "$T/err" 'service "ov": ready'
file_has "$T/err" 'service "ov": ready'
ok $? "a notify service in an overlay root becomes ready"
file_has "$T/err" 'service "ro": ready'
ok $? "a notify service in a read-only root (and its own pid namespace) becomes ready"
wait_for 10000 file_has "$T/out" '^env| NOTIFY_SOCKET='
is "$(grep '^env| NOTIFY_SOCKET=' "$T/out")" "env| NOTIFY_SOCKET=/run/host/notify" \
        "NOTIFY_SOCKET names the socket's path inside the root"
kill -TERM "$CPID"
wait_corral 20000
is "$RC" 0 "corral exits 0 after SIGTERM"
is "$(ls -A "$T/upper/run/host")" "notify" "the mount point in the image is an empty file"
is "$(awk -v t="$T/" 'index($5, t) == 1' /proc/self/mountinfo)" "" "nothing left mounted"
grep -v 'ready\|started\|stopp\|SIGTERM\|NOTIFY' "$T/err" | sed 's/^/# /'
done_testing
