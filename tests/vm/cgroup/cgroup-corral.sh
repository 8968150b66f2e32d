# corral's cgroup tree on a kernel with every v2 controller: corral as PID 1
# of a PID namespace whose cgroup was delegated to it, as a container
# runtime starts it, with a process planted in that cgroup beforehand.
. /lib/vmtest.sh

cg=$(vm_delegate cgpod)
out=/tmp/corral.out

# A memory limit inside a threaded group is refused at load, and nothing is
# made.
/bin/corral --check -c /etc/corral/cgroup-threaded-mem.conf --cgroup-root "$cg" >/tmp/check.out 2>&1
t_is "threaded group + memory_max: --check exits 2" "$?" 2
t_like "the error names the place, service, key and group" "$(cat /tmp/check.out)" \
        'cgroup-threaded-mem.conf:1[01]: service "w": memory_max: memory is a domain controller: it cannot be used inside threaded group "pod/t"'
/bin/corral -c /etc/corral/cgroup-threaded-mem.conf --cgroup-root "$cg" >/tmp/bad.out 2>&1
t_is "threaded group + memory_max: corral exits 2" "$?" 2
t_is "and creates no cgroup" "$(ls -d "$cg"/*/ 2>/dev/null)" ""

# A read-only cgroup2 (what container runtimes mount by default): a load
# error naming it, unless settings.cgroups is "optional".
mkdir -p /tmp/rocg && mount -t cgroup2 -o ro cgroup2 /tmp/rocg
/bin/corral --check -c /etc/corral/cgroup-pod.conf --cgroup-root /tmp/rocg/cgpod >/tmp/ro.out 2>&1
t_is "read-only cgroup2 with limits: exit 2" "$?" 2
t_like "the error names the service, the key and what is missing" "$(cat /tmp/ro.out)" \
        'cgroup-pod.conf:[0-9]+: service "mem": memory_max: cgroup2 is not usable: mounted read-only: /tmp/rocg/cgpod'
/bin/corral --check -c /etc/corral/cgroup-optional.conf --cgroup-root /tmp/rocg/cgpod >/tmp/ro.out 2>&1
t_is "read-only cgroup2, cgroups optional: --check exits 0" "$?" 0
t_is "with one warning" "$(grep -c 'running without cgroups and without the declared limits' /tmp/ro.out)" 1
umount /tmp/rocg

# The payload alone in the delegated cgroup (the unshare process stays
# outside it), with a process planted beside it first.
unshare --pid --fork --mount-proc sh -c \
        'echo $$ >"$0/cgroup.procs" && { sleep 1000 & exec /bin/corral -c /etc/corral/cgroup-pod.conf; }' \
        "$cg" >$out 2>&1 &
upid=$!
# (a function: t_wait runs it anew each time, unlike a $(...) argument)
started() { [ -n "$(vm_children $upid)" ]; }
t_wait 30 started || t_diag "no corral"
corral=$(vm_children $upid)
t_wait 60 grep -q 'tick| ' $out || t_diag "$(cat $out)"

t_check "init holds corral" grep -qx "$corral" "$cg/init/cgroup.procs"
t_is "init holds corral and the planted process" "$(wc -l <"$cg/init/cgroup.procs")" 2
t_is "the root holds no process" "$(cat "$cg/cgroup.procs")" ""
for pair in ".:cpuset cpu io memory pids" "init:" "io:" "pod:cpuset cpu memory pids" \
        "pod/backend:memory pids" "pod/backend/mem:" "pod/backend/bomb:" "pod/spin:" \
        "tpod:cpu pids" "tpod/t:pids" "tpod/t/tw:" "tick:"; do
        d=${pair%%:*}
        t_is "$d/cgroup.subtree_control is exactly '${pair#*:}'" "$(cat "$cg/$d/cgroup.subtree_control")" "${pair#*:}"
done
t_is "pod/memory.high as declared" "$(cat $cg/pod/memory.high)" 104857600
t_is "pod/cpu.weight as declared" "$(cat $cg/pod/cpu.weight)" 200
t_is "io/io.weight as declared" "$(cat $cg/io/io.weight)" "default 50"
t_is "pod/spin/cpuset.cpus as declared" "$(cat $cg/pod/spin/cpuset.cpus)" 0
t_is "pod/backend/mem/memory.max as declared" "$(cat $cg/pod/backend/mem/memory.max)" 16777216
t_is "tpod/t is threaded" "$(cat $cg/tpod/t/cgroup.type)" threaded
t_is "tpod/t/cpu.max as declared" "$(cat $cg/tpod/t/cpu.max)" "20000 100000"
t_check "a service runs in the threaded leaf" test -n "$(cat $cg/tpod/t/tw/cgroup.threads)"
t_like "services run in their leaves" "$(grep 'tick| ' $out | head -1)" '^tick[|] 0::/cgpod/tick$'

t_wait 60 grep -q 'OOM killer killed a process' $out
t_like "memory_max: the OOM kill is logged" "$(cat $out)" 'service "mem": OOM killer killed a process \(1 total\)'
t_is "memory_max: the OOM kill is in memory.events" \
        "$(grep oom_kill $cg/pod/backend/mem/memory.events | head -1)" "oom_kill 1"
t_wait 60 grep -q 'bomb| forked' $out
t_like "pids_max: the fork bomb stops below 16 processes" "$(grep 'bomb| forked' $out)" \
        'forked ([0-9]|1[0-5]), then: Resource temporarily unavailable'
t_wait 30 sh -c "[ \$(grep -c 'tick| ' $out) -ge 4 ]"
t_check "corral keeps restarting services after the OOM kill and the fork bomb" \
        sh -c "[ \$(grep -c 'tick| ' $out) -ge 4 ]"
t_wait 30 sh -c "! grep -q '^nr_throttled 0' $cg/pod/spin/cpu.stat"
t_like "cpu_max: the spinning service is throttled" "$(grep nr_throttled $cg/pod/spin/cpu.stat)" \
        '^nr_throttled [1-9]'

# Reload: a changed limit is written, a dropped one reset, a controller no
# longer needed disabled.
sed -i -e 's/memory_high = "100M"; cpu_weight = 200;/cpu_weight = 300;/' -e 's/io_weight = 50;//' \
        /etc/corral/cgroup-pod.conf
/bin/corralctl reload >/tmp/reload.out 2>&1
t_is "corralctl reload exits 0" "$?" 0
# The new tree is built once the changed services stopped.
t_wait 30 grep -qx 300 $cg/pod/cpu.weight
t_is "reload: pod/cpu.weight follows the config" "$(cat $cg/pod/cpu.weight)" 300
t_is "reload: pod/memory.high, dropped from the config, is reset" "$(cat $cg/pod/memory.high)" max
t_is "reload: io, needed by nothing now, is disabled at the root" "$(cat $cg/cgroup.subtree_control)" \
        "cpuset cpu memory pids"
t_check "reload: init still holds corral" grep -qx "$corral" "$cg/init/cgroup.procs"

# Stop: the service's leaf is emptied and removed.
/bin/corralctl stop tw >/tmp/stop.out 2>&1
t_is "corralctl stop tw exits 0" "$?" 0
t_wait 10 test ! -d $cg/tpod/t/tw
t_check "the stopped service's leaf is removed" test ! -d $cg/tpod/t/tw
t_check "its group stays" test -d $cg/tpod/t

kill -TERM "$corral"
wait $upid
t_is "corral exits 0 after SIGTERM" "$?" 0
t_is "after shutdown only init is left" "$(cd "$cg" && for d in *; do [ -d "$d" ] && echo "$d"; done)" init
t_diag "$(tail -n 15 $out)"
