#!/bin/bash
# A reload that cannot be applied when its services are swapped: the plans
# checked when it was accepted are the ones applied (the filesystem is not
# read again), a failure keeps the old plans and config running, and no
# service ever starts without the namespaces, root or cgroup it declares.
. "$(dirname "$0")/lib.sh"
require_ns
require_python
H=$HELPER
BB=$(command -v busybox) || skip_all "needs busybox-static"
file "$BB" 2>/dev/null | grep -q static || [ -n "$(ldd "$BB" 2>&1 | grep -i 'not a dynamic')" ] ||
        skip_all "busybox is not static"

CG=
swap_cleanup() {
        for p in $T_PIDS; do
                kill -KILL "$p" 2>/dev/null
                wait "$p" 2>/dev/null
        done
        T_PIDS=
        awk -v t="$T/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
                while read -r m; do umount -l "$m"; done
        if [ -n "$CG" ] && [ -d "$CG" ]; then
                for d in "$CG"/*/ "$CG"; do
                        [ -d "$d" ] && wait_for 5000 rmdir "$d"
                done
        fi
        cleanup
}
trap swap_cleanup EXIT

# ---- 1. A root that disappears between the reload's acceptance and the swap.
mkdir -p "$T/rootfs/bin" "$T/rootfs/out"
cp "$BB" "$T/rootfs/bin/busybox"
ln -s busybox "$T/rootfs/bin/sh"
write_conf() { # V
        cat >"$T/pod.conf" <<CONF
settings = { cgroups = "optional"; };
groups = ( { path = "pod"; namespaces = { net = true; uts = true; hostname = "podhost"; }; } );
services = (
  { name = "again"; cgroup = { path = "pod/again"; }; restart_delay_ms = 100;
    start_limit = { burst = 1000; interval_ms = 1000; };
    command = [ "$BB", "sh", "-c", "$BB hostname >>$T/again.host; $BB sleep 0.2; exit 1" ]; },
  { name = "rooted"; root = { path = "$T/rootfs"; }; restart_delay_ms = 200;
    start_limit = { burst = 1000; interval_ms = 1000; }; stop_timeout_ms = 1000; env = { V = "$1"; };
    binds = ( { source = "$T/rootfs/out"; target = "/out"; } );
    command = [ "/bin/sh", "-c", "trap '' TERM; echo \$V >/out/v; while :; do sleep 1; done" ]; }
);
CONF
}
write_conf 1
start_corral -c "$T/pod.conf"
wait_for 20000 socket_up && wait_for 20000 state_is rooted ready && wait_for 20000 lines_of "$T/again.host" 2
ok $? "a pod service restarting in its pod, and a service in its own root"
is "$(sort -u "$T/again.host")" podhost "the pod service runs with the pod's hostname"

write_conf 2
ctl reload >"$T/r" 2>&1
is $? 0 "a reload changing the rooted service is accepted: $(cat "$T/r")"
mv "$T/rootfs" "$T/rootfs.gone"
wait_for 20000 file_has "$T/err" "reload: done"
ok $? "the reload is applied"
: >"$T/again.host"
wait_for 20000 lines_of "$T/again.host" 3
ok $? "the pod service goes on restarting"
is "$(sort -u "$T/again.host")" podhost "... in its pod: the hostname is still the pod's"
wait_for 20000 file_has "$T/err" 'service "rooted": .*rootfs'
ok $? "the rooted service cannot start without its root, and the error names it"
own_mnt() { # NSPID: runs in a mount namespace other than corral's
        local h
        h=$(host_pid "$1") && [ "$(readlink "/proc/$h/ns/mnt")" != "$(readlink "/proc/$CPID/ns/mnt")" ]
}
p=$(pid_of rooted)
[ "$p" = None ] || own_mnt "$p"
ok $? "it never runs in corral's own mount namespace"
mv "$T/rootfs.gone" "$T/rootfs"
wait_for 20000 file_has "$T/rootfs/out/v" 2
ok $? "once its root is back it starts there, with its new definition"
p=$(pid_of rooted)
[ "$p" != None ] && own_mnt "$p"
ok $? "in a mount namespace of its own"
shutdown_corral
is "$RC" 0 "shutdown"

# ---- 2. A cgroup tree that cannot be made at the swap: the old one stays.
mnt=$(grep ' - cgroup2 ' /proc/self/mountinfo | head -1 | cut -d' ' -f5)
if [ -z "$mnt" ] || ! mkdir "$mnt/corral-reload-$$" 2>/dev/null; then
        echo "ok $((T_N + 1)) - cgroup commit failure # SKIP no writable cgroup2"
        T_N=$((T_N + 1))
        done_testing
        exit
fi
CG=$mnt/corral-reload-$$
write_cg() { # V EXTRA
        cat >"$T/cg.conf" <<CONF
services = (
  { name = "a"; command = [ "$H", "sleep-forever" ]; },
  { name = "b"; command = [ "$H", "sleep-forever" ]; env = { V = "$1"; }; }
  $2
);
CONF
}
in_leaf() { # NSPID LEAF
        local h
        h=$(host_pid "$1") && grep -qx "0::/corral-reload-$$/$2" "/proc/$h/cgroup"
}
write_cg 1 ""
start_corral --cgroup-root "$CG" -c "$T/cg.conf"
wait_for 20000 socket_up && wait_for 20000 state_is a ready && wait_for 20000 state_is b ready
ok $? "a pod in cgroups under $CG"
a=$(pid_of a)
in_leaf "$a" a
ok $? "a runs in its leaf"
write_cg 2 ', { name = "c"; command = [ "'"$H"'", "sleep-forever" ]; }'
# No cgroup more than now may be made: the new leaf c cannot be.
grep '^nr_descendants' "$CG/cgroup.stat" | cut -d' ' -f2 >"$CG/cgroup.max.descendants"
ctl reload >"$T/r" 2>&1
is $? 0 "the reload is accepted: $(cat "$T/r")"
wait_for 20000 file_has "$T/err" "reload: .*keeping the old config"
ok $? "the swap fails and says the old config stays: $(grep 'reload:' "$T/err" | tail -1)"
echo max >"$CG/cgroup.max.descendants"
wait_for 20000 state_is b ready
ok $? "b runs again"
is "$(ctl exec b -- /bin/sh -c 'echo $V')" 1 "with its old definition"
in_leaf "$(pid_of b)" b
ok $? "in its leaf"
is "$(pid_of a)" "$a" "the unchanged service was not killed"
in_leaf "$a" a
ok $? "and is still in its leaf"
ctl status c >/dev/null 2>&1
is $? 2 "the service only the new config had does not exist"
ctl reload >"$T/r" 2>&1
is $? 0 "the same reload, once it can be applied, is: $(cat "$T/r")"
wait_for 20000 state_is c ready && wait_for 20000 state_is b ready
ok $? "c runs"
in_leaf "$(pid_of c)" c
ok $? "c runs in its leaf"
shutdown_corral
is "$RC" 0 "shutdown"
done_testing
