# Runs as the service "check" of corral, the machine's real PID 1 on an
# initramfs, after the service "ovl" ran in an overlay root in a pod.
. /lib/vmtest.sh
t_is "corral is PID 1" "$(cat /proc/1/comm)" corral
t_like "/ is the initramfs" "$(stat -f -c %T /)" '^(ramfs|tmpfs)$'
t_wait 20 test -s /tmp/ovl || t_diag "no result from the service ovl"
v() { sed -n "s/^$1=//p" /tmp/ovl; }
t_is "the service's / is the overlay (pivot_root refused: moved over / and chrooted)" "$(v root)" overlay
t_is "the pod's hostname" "$(v host)" vmpod
t_is "the service is pid 2 below corral's init" "$(v pid)" 2
t_is "a write inside the overlay root works" "$(v write)" ok
t_check "that write stayed in the tmpfs upper" test ! -e /etc/ns-written
t_check "the pod's net namespace differs from corral's" test "$(v net)" != "$(readlink /proc/1/ns/net)"
t_check "the pod's net namespace is pinned" grep -q " /run/corral/ns/pod/net " /proc/1/mountinfo
t_check "no mount of the service in corral's table" sh -c '! grep -qE "/run/corral/root|overlay" /proc/1/mountinfo'
kill -TERM 1
