#!/bin/bash
# Older kernels, proven: corral runs its core scenarios under a seccomp
# filter that answers as a kernel without clone3 (< 5.3), CLONE_INTO_CGROUP
# (< 5.7: clone3 says E2BIG or EINVAL), pidfd_open and pidfd_send_signal
# (< 5.3), openat2 (< 5.6) or close_range (< 5.9) would, each alone and all
# together; and clone3 refused with EPERM, as older container runtimes'
# seccomp profiles do.
# Scenarios, each under every filter: a pod's namespaces, start, restart after failures, stop
# with a timeout and SIGKILL, orphan reaping (in corral's PID namespace and
# in a service's own), kill through the control socket, exec into a
# service (and into one with a PID namespace of its own), fds given to
# services, the cgroup a service lands in (when this machine offers a
# writable cgroup2 mount; there also a stop in a threaded cgroup, which
# cgroup.kill refuses, so killed as on kernels before 5.14), an env_file
# read and one refused behind a symlink, the exit status of the pod and of
# an entrypoint in tini mode.
. "$(dirname "$0")/../integration/supervise/lib.sh" || exit 1
: "${CORRALCTL:?CORRALCTL must name the corralctl binary}"
: "${ENOSYS:?ENOSYS must name the enosys wrapper}"
require_ns
PY=$(command -v python3) || skip_all "python3 not available"
H=$HELPER

ctl() { "$CORRALCTL" -s "$T/run/control" "$@"; }
socket_up() { [ -S "$T/run/control" ] && ctl status >/dev/null 2>&1; }
# field NAME KEY: one key of a service in `status --json` (Python repr).
field() {
        ctl status --json 2>/dev/null | "$PY" -c '
import json, sys
for s in json.load(sys.stdin)["services"]:
    if s["name"] == sys.argv[1]:
        print(s[sys.argv[2]])' "$1" "$2" 2>/dev/null
}
state_is() { [ "$(field "$1" state)" = "$2" ]; }
pid_of() { field "$1" pid; }

# The filters: "none" is this kernel as it is.
SETS=(
        none
        clone3
        clone3=E2BIG
        clone3=EINVAL
        clone3=EPERM
        pidfd_open
        pidfd_send_signal
        close_range
        openat2
        clone3,pidfd_open
        clone3,pidfd_open,pidfd_send_signal,close_range,openat2
        clone3=E2BIG,close_range,openat2
)
# COMPAT_SETS="SET ..." runs only those.
[ -n "${COMPAT_SETS:-}" ] && read -r -a SETS <<<"$COMPAT_SETS"

CGMNT=$(grep ' - cgroup2 ' /proc/self/mountinfo | head -1 | cut -d' ' -f5)
CG=
cg_cleanup() {
        [ -n "$CG" ] || return 0
        # Leaves left by a failed run first, deepest first; init last.
        for d in $(find "$CG" -mindepth 1 -type d 2>/dev/null | sort -r) "$CG"; do
                wait_for 5000 rmdir "$d" 2>/dev/null
        done
        CG=
}
trap 'cg_cleanup; cleanup' EXIT

# start_under FILTER ARGS...: start_corral with the filter installed in
# corral's PID namespace before corral runs (inherited by all it starts).
start_under() {
        local filter=$1
        shift
        local rules=()
        [ "$filter" = none ] || rules=(-e "$filter")
        mkdir -p "$T/run"
        : >"$T/out"
        : >"$T/err"
        unshare --pid --fork --mount-proc --kill-child=SIGKILL \
                "$ENOSYS" "${rules[@]}" -- "$CORRAL" --run-dir "$T/run" "$@" >"$T/out" 2>"$T/err" &
        UPID=$!
        T_PIDS="$T_PIDS $UPID"
        CPID=""
        wait_for 20000 find_cpid
}

lines_at_least() { [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]; }
exited_with() { # NAME CODE: the oneshot or service ended with exit CODE
        [ "$(field "$1" last_exit)" = "{'code': $2}" ]
}

run_pod() { # FILTER
        local f=$1 tag=${1//[,=]/_}
        local D=$T/$tag
        mkdir -p "$D/env"
        echo 'FROM_FILE="yes"' >"$D/env/good.env"
        ln -s . "$D/env/link"
        local cgargs=() groups="" thr=""
        # A pod's namespaces are made before any service starts.
        local pod='{ path = "pod"; namespaces = { net = true; uts = true; hostname = "compathost"; }; }' 
        if [ -n "$CGMNT" ] && mkdir "$CGMNT/corral-compat-$$-$tag" 2>/dev/null; then
                CG=$CGMNT/corral-compat-$$-$tag
                cgargs=(--cgroup-root "$CG")
                # cgroup.kill refuses threaded cgroups: this one is emptied
                # by killing every thread it lists, as on kernels before 5.14.
                groups=', { path = "dom"; }, { path = "dom/th"; type = "threaded"; }'
                thr="{ name = \"thr\"; command = [ \"$H\", \"ignore-term\", \"$D/thr\" ];
    cgroup = { path = \"dom/th/thr\"; }; stop_timeout_ms = 300; },"
        fi
        cat >"$D/pod.conf" <<CONF
settings = { shutdown_timeout_ms = 30000; };
groups = ( $pod $groups );
services = (
  $thr
  { name = "podsvc"; cgroup = { path = "pod/podsvc"; };
    command = [ "/bin/sh", "-c", "hostname >$D/pod.host; exec $H sleep-forever" ]; },
  { name = "flaky"; command = [ "/bin/sh", "-c", "echo x >>$D/flaky; [ \$(wc -l <$D/flaky) -ge 3 ] && exec $H sleep-forever; exit 1" ];
    restart_delay_ms = 10; restart_delay_max_ms = 20; },
  { name = "stubborn"; command = [ "$H", "ignore-term", "$D/stubborn" ]; stop_timeout_ms = 300; },
  { name = "orphans"; type = "oneshot"; command = [ "/bin/sh", "-c", "$H orphans 5 && $H count-zombies 20000" ];
    output = "file:$D/orphans.out"; },
  { name = "pidns"; type = "oneshot"; namespaces = { pid = true; };
    command = [ "/bin/sh", "-c", "$H orphans 3; test \$\$ = 2 && exit 5" ]; },
  { name = "sig"; command = [ "$H", "signal-report", "$D/sig" ]; },
  { name = "inpid"; namespaces = { pid = true; };
    command = [ "/bin/sh", "-c", "readlink /proc/self/ns/pid >$D/inpid.ns; exec $H sleep-forever" ]; },
  { name = "fds"; type = "oneshot"; command = [ "$H", "print-fds" ]; output = "file:$D/fds.out"; },
  { name = "cg"; type = "oneshot"; command = [ "$H", "print-cgroup" ]; output = "file:$D/cg.out"; },
  { name = "envf"; type = "oneshot"; env_file = "$D/env/good.env"; command = [ "$H", "print-env" ];
    output = "file:$D/envf.out"; },
  { name = "envlink"; type = "oneshot"; env_file = "$D/env/link/good.env"; command = [ "/bin/true" ]; },
  { name = "main"; main = true; restart = "never";
    command = [ "/bin/sh", "-c", "while [ ! -e $D/go ]; do sleep 0.05; done; exit 3" ]; }
);
CONF
        start_under "$f" -c "$D/pod.conf" "${cgargs[@]}"
        wait_for 20000 socket_up
        ok $? "[$f] corral starts its services and answers"
        wait_for 20000 lines_at_least "$D/flaky" 3 && wait_for 10000 state_is flaky ready
        ok $? "[$f] a failing service is restarted until it stays up"
        wait_for 20000 exited_with orphans 0 && grep -qx 'zombies 0' "$D/orphans.out"
        ok $? "[$f] orphans are reaped"
        wait_for 20000 exited_with pidns 5
        ok $? "[$f] a service in its own PID namespace ends with its own status"
        wait_for 10000 file_has "$D/sig" ready && ctl kill sig USR1 && wait_for 10000 file_has "$D/sig" SIGUSR1
        ok $? "[$f] corralctl kill reaches the service"
        wait_for 20000 file_has "$D/pod.host" compathost
        ok $? "[$f] a pod's namespaces are made and its service runs in them"
        wait_for 20000 exited_with fds 0
        is "$(tr '\n' ' ' <"$D/fds.out")" "fd 0 fd 1 fd 2 " "[$f] a service receives fds 0, 1 and 2 only"
        if [ -n "$CG" ]; then
                wait_for 20000 exited_with cg 0
                is "$(grep '^0::' "$D/cg.out")" "0::/corral-compat-$$-$tag/cg" "[$f] a service starts in its own cgroup"
        fi
        wait_for 20000 exited_with envf 0 && grep -qx 'FROM_FILE=yes' "$D/envf.out"
        ok $? "[$f] an env_file is read"
        wait_for 20000 state_is envlink failed &&
                file_has "$T/err" "service \"envlink\": env_file $D/env/link/good.env: a symlink on the way is not followed"
        ok $? "[$f] an env_file behind a symlink is refused, and the message says why"
        out=$(ctl exec sig -- /bin/sh -c 'echo in; exit 4')
        is "$?:$out" "4:in" "[$f] corralctl exec runs in the service and returns its status"
        wait_for 10000 file_has "$D/inpid.ns" pid
        out=$(ctl exec inpid -- /bin/sh -c 'readlink /proc/self/ns/pid')
        is "$?:$out" "0:$(cat "$D/inpid.ns")" "[$f] corralctl exec joins a service's own PID namespace"
        wait_for 10000 file_has "$D/stubborn" ready
        ctl stop stubborn && wait_for 20000 state_is stubborn stopped &&
                file_has "$T/err" 'service "stubborn": stopped (signal 9'
        local st=$?
        ok $st "[$f] a service ignoring SIGTERM is stopped by SIGKILL after its timeout"
        [ $st = 0 ] || diag "$(grep stubborn "$T/err")"
        if [ -n "$CG" ]; then
                wait_for 10000 file_has "$D/thr" ready && ctl stop thr && wait_for 20000 state_is thr stopped &&
                        file_has "$T/err" 'service "thr": stopped (signal 9'
                ok $? "[$f] a service in a threaded cgroup (no cgroup.kill there) is killed after its timeout"
        fi
        touch "$D/go"
        wait_corral 30000
        is "$RC" 3 "[$f] corral exits with the main service's status"
        [ "$RC" = 3 ] || diag "$(tail -12 "$T/err")"
        if grep -q 'Function not implemented\|Invalid argument\|Argument list too long' "$T/err"; then
                ok 1 "[$f] no start failed"
                diag "$(head -5 "$T/err")"
        else
                ok 0 "[$f] no start failed"
        fi
        cg_cleanup
}

run_tini() { # FILTER
        local f=$1 rules=()
        [ "$f" = none ] || rules=(-e "$f")
        unshare --pid --fork --mount-proc --kill-child=SIGKILL \
                "$ENOSYS" "${rules[@]}" -- "$CORRAL" --run-dir "$T/run-tini" -- "$H" exit 7 >"$T/tini.out" 2>&1
        local rc=$?
        is "$rc" 7 "[$f] corral -- CMD exits with CMD's status"
        [ "$rc" = 7 ] || diag "$(cat "$T/tini.out")"
        unshare --pid --fork --mount-proc --kill-child=SIGKILL \
                "$ENOSYS" "${rules[@]}" -- "$CORRAL" --run-dir "$T/run-tini" -- /bin/sh -c 'kill -TERM $$' \
                >"$T/tini.out" 2>&1
        is "$?" 143 "[$f] corral -- CMD killed by SIGTERM exits 143"
}

"$ENOSYS" -e clone3 -- /bin/true || skip_all "cannot install a seccomp filter"
for f in "${SETS[@]}"; do
        run_pod "$f"
        run_tini "$f"
done
done_testing
