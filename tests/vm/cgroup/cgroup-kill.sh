# A service killed by cgroup runs again, on a kernel with every controller:
# after a failed health check (cgroup.kill while it runs), a stop timeout
# (corralctl restart) and corralctl kill (the rest of the leaf killed after
# the main process ended).  Each run appends a line, so lines are runs that
# really executed; the leaf it runs in has its limits (h writes its own).
. /lib/vmtest.sh

cg=$(vm_delegate cgkill)
out=/tmp/corral.out
runs() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }
# corral alone in the delegated cgroup (the unshare process stays outside).
unshare --pid --fork --mount-proc sh -c 'echo $$ >"$0/cgroup.procs" && exec /bin/corral -c /etc/corral/cgroup-kill.conf' \
        "$cg" >$out 2>&1 &
upid=$!
# (a function: t_wait runs it anew each time, unlike a $(...) argument)
started() { [ -n "$(vm_children $upid)" ]; }
t_wait 30 started || { t_bail "corral did not start"; exit 1; }
corral=$(vm_children $upid)
t_wait 60 sh -c "[ \$(cat /tmp/h.runs 2>/dev/null | wc -l) -ge 4 ]"
t_check "h killed by its health check runs again, 3 times ($(runs /tmp/h.runs) runs)" \
        test "$(runs /tmp/h.runs)" -ge 4
t_is "each run of h found its leaf's memory.max" "$(sort -u /tmp/h.runs)" 67108864
/bin/corralctl stop h >/dev/null 2>&1
t_wait 20 test -f /tmp/t.runs
for i in 1 2 3; do
        /bin/corralctl restart t >/dev/null 2>&1
        t_wait 20 sh -c "[ \$(cat /tmp/t.runs | wc -l) -ge $((i + 1)) ]"
        t_check "restart $i of t, killed at its stop timeout: the next run executes" test "$(runs /tmp/t.runs)" -ge $((i + 1))
done
t_like "t was killed at its stop timeout" "$(cat $out)" 'service "t": still running after its stop timeout: SIGKILL'
t_is "t's leaf has its limit" "$(cat $cg/grp/t/pids.max)" 32
t_wait 20 test -f /tmp/k.runs
for i in 1 2 3; do
        /bin/corralctl kill k KILL >/dev/null 2>&1
        t_wait 20 sh -c "[ \$(cat /tmp/k.runs | wc -l) -ge $((i + 1)) ]"
        t_check "corralctl kill $i of k, the rest killed by cgroup: the next run executes" \
                test "$(runs /tmp/k.runs)" -ge $((i + 1))
done
t_is "k's leaf has its limit" "$(cat $cg/k/memory.max)" 67108864
kill -TERM "$corral"
wait "$upid"
t_is "corral exited 0 after SIGTERM" "$?" 0
t_is "only init is left" "$(cd $cg && for d in *; do [ -d "$d" ] && echo "$d"; done)" init
grep -v 'started\|ended\|restart\|stopp\|SIGTERM\|ready\|health' $out | while IFS= read -r l; do t_diag "$l"; done
