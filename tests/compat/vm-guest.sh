# The compat tier on Debian's kernel with every cgroup v2 controller: corral
# as PID 1 of a container in a delegated cgroup, under the seccomp filters
# of tests/compat (nothing; the pre-5.3 set, where children join their
# cgroups through cgroup.procs), runs a pod with memory and pids limits:
# services in their leaves, a restart, orphans reaped, a stop timeout ending in
# cgroup.kill, exec into a limited service, the main service's status, and
# no cgroup left but init.
. /lib/vmtest.sh

SETS="none clone3,pidfd_open,pidfd_send_signal,close_range,openat2"
t_plan 18
n=0
ctl() { /bin/corralctl -s /tmp/c/run/control "$@"; }
state_is() { ctl status "$1" 2>/dev/null | grep -q "^$1  *$2 "; }

for set in $SETS; do
        rules=
        [ "$set" = none ] || rules="-e $set"
        rm -rf /tmp/c
        mkdir -p /tmp/c
        # A cgroup of its own each time: the last one enables controllers
        # below it, so no process may join it any more.
        n=$((n + 1))
        cg=$(vm_delegate compat$n) || t_bail "no delegated cgroup"
        # corral alone in the delegated cgroup, the unshare process outside it.
        unshare --pid --fork --mount-proc sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg" \
                /bin/enosys $rules -- /bin/corral -c /etc/corral/compat-vm.conf --run-dir /tmp/c/run \
                >/tmp/c/out 2>&1 &
        job=$!
        if ! t_wait 60 ctl status; then
                t_diag "$(cat /tmp/c/out)"
                t_bail "[$set] corral does not answer"
                exit 1
        fi
        t_ok "[$set] corral answers"
        t_wait 60 test -s "$cg/mem/cgroup.procs"
        t_is "[$set] a limited service runs in its leaf" "$(cat "$cg/mem/memory.max") $(cat "$cg/mem/pids.max")" \
                "16777216 64"
        t_wait 60 state_is flaky ready
        t_is "[$set] a failing service is restarted until it stays up" "$(wc -l </tmp/c/flaky)" 3
        t_wait 60 grep -q zombies /tmp/c/orphans.out
        t_is "[$set] orphans are reaped" "$(grep zombies /tmp/c/orphans.out)" "zombies 0"
        t_wait 30 test -s /tmp/c/stubborn
        ctl stop stubborn
        t_wait 30 state_is stubborn stopped
        t_check "[$set] SIGTERM ignored: killed after the stop timeout" grep -q 'service "stubborn": stopped (signal 9' /tmp/c/out
        t_like "[$set] exec runs in the limited service's cgroup" "$(ctl exec mem -- cat /proc/self/cgroup)" "^0::/compat$n/mem\$"
        touch /tmp/c/go
        wait "$job"
        t_is "[$set] corral exits with the main service's status" "$?" 3
        t_is "[$set] no cgroup is left but init" "$(cd "$cg" && ls -d */)" "init/"
        if grep -q "starting:" /tmp/c/out; then
                t_fail "[$set] nothing failed to start"
                t_diag "$(cat /tmp/c/out)"
        else
                t_ok "[$set] nothing failed to start"
        fi
done
