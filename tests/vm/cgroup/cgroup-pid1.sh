# Runs as the service "check" of corral, the machine's real PID 1, which
# owns the top cgroup: init holds PID 1, the tree is as planned, limits
# work, and SIGTERM to PID 1 powers the machine off.
. /lib/vmtest.sh
cg=/sys/fs/cgroup

t_check "init holds corral, PID 1" grep -qx 1 $cg/init/cgroup.procs
t_is "this service runs in its leaf" "$(cat /proc/self/cgroup)" "0::/checks/check"
t_like "the top cgroup enables what the plan needs" "$(cat $cg/cgroup.subtree_control)" \
        "^(.* )?cpu( .*)? memory( .*)? pids( .*)?$"
t_is "checks/cgroup.subtree_control is exactly 'pids'" "$(cat $cg/checks/cgroup.subtree_control)" pids
t_is "pod/cgroup.subtree_control is exactly 'cpu memory'" "$(cat $cg/pod/cgroup.subtree_control)" "cpu memory"
t_is "pod/sleeper/cpu.weight as declared" "$(cat $cg/pod/sleeper/cpu.weight)" 50
t_is "checks/check/pids.max as declared" "$(cat $cg/checks/check/pids.max)" 1000
t_wait 60 grep -qx "oom_kill 1" $cg/pod/mem/memory.events
t_is "memory_max: the OOM kill hit pod/mem" "$(grep oom_kill $cg/pod/mem/memory.events | head -1)" "oom_kill 1"
t_check "corral, PID 1, is alive after the OOM kill" test -d /proc/1
t_check "the sleeper still runs in its leaf" test -n "$(cat $cg/pod/sleeper/cgroup.procs)"
kill -TERM 1
